/* mkdir - make directories: mkdir [-p] DIR... (-p: parents too, no error if it exists). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int make_parents(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char saved = *p;
		*p = 0;
		/* An existing directory is left alone without asking to create
		 * it: a program may be allowed to write below /data, not /data. */
		struct stat st;
		if (!(stat(path, &st) == 0 && S_ISDIR(st.st_mode)) && mkdir(path, 0755) < 0 &&
		    !(errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
			return -1;
		*p = saved;
		if (!saved || !p[1])
			return 0;
	}
}

int main(int argc, char **argv)
{
	bool parents = false;
	int i = 1, status = 0;
	if (i < argc && strcmp(argv[i], "-p") == 0) {
		parents = true;
		i++;
	}
	if (i == argc || (argv[i][0] == '-' && argv[i][1])) {
		fprintf(stderr, "usage: mkdir [-p] DIR...\n");
		return 2;
	}
	for (; i < argc; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s", argv[i]);
		if ((parents ? make_parents(path) : mkdir(path, 0755)) < 0) {
			fprintf(stderr, "mkdir: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		}
	}
	return status;
}
