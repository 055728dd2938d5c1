/* rm - remove files: rm [-r] PATH... (-r: directories and what they hold). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool recursive;

static int remove_path(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? (fprintf(stderr, "rm: %s: %s\n", path, strerror(errno)), 1) : 0;
	if (!recursive) {
		fprintf(stderr, "rm: %s: is a directory (use rm -r)\n", path);
		return 1;
	}
	DIR *d = opendir(path);
	if (!d)
		goto fail;
	int status = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char child[1024];
		snprintf(child, sizeof child, "%s/%s", path, e->d_name);
		status |= remove_path(child);
	}
	closedir(d);
	if (rmdir(path) < 0)
		goto fail;
	return status;
fail:
	fprintf(stderr, "rm: %s: %s\n", path, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0;
	if (i < argc && strcmp(argv[i], "-r") == 0) {
		recursive = true;
		i++;
	}
	if (i == argc || (argv[i][0] == '-' && argv[i][1])) {
		fprintf(stderr, "usage: rm [-r] PATH...\n");
		return 2;
	}
	for (; i < argc; i++)
		status |= remove_path(argv[i]);
	return status;
}
