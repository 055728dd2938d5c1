/* ls - list directories (or name files): ls [-l] [PATH...]. With -l each entry
 * shows its type (d directory, - file, c device, l link, ? other), size and name. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool long_form;

static char type_char(mode_t m)
{
	return S_ISDIR(m) ? 'd' : S_ISREG(m) ? '-' : S_ISCHR(m) ? 'c' : S_ISLNK(m) ? 'l' : '?';
}

static void show(const char *dir, const char *name)
{
	if (!long_form) {
		printf("%s\n", name);
		return;
	}
	char path[1024];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (lstat(dir ? path : name, &st) < 0) {
		printf("? %10s %s\n", "?", name);
		return;
	}
	printf("%c %10lld %s\n", type_char(st.st_mode), (long long)st.st_size, name);
}

static int list(const char *path, bool heading)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		show(NULL, path);
		return 0;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (heading)
		printf("%s:\n", path);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			show(path, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, status = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "-l") != 0) {
			fprintf(stderr, "usage: ls [-l] [PATH...]\n");
			return 2;
		}
		long_form = true;
	}
	if (i == argc)
		return list(".", false);
	bool many = argc - i > 1;
	for (; i < argc; i++)
		status |= list(argv[i], many);
	return status;
}
