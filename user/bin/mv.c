/* mv - rename or move: mv FROM TO (into TO when TO is a directory). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mv FROM TO\n");
		return 2;
	}
	char to[1024], from[1024];
	struct stat st;
	snprintf(to, sizeof to, "%s", argv[2]);
	if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(from, sizeof from, "%s", argv[1]);
		snprintf(to, sizeof to, "%s/%s", argv[2], basename(from));
	}
	if (rename(argv[1], to) < 0) {
		fprintf(stderr, "mv: %s -> %s: %s\n", argv[1], to, strerror(errno));
		return 1;
	}
	return 0;
}
