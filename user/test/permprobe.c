/*
 * permprobe - a program that asks for nothing and tries to write a file:
 * the kernel must refuse (ENOENT: the path is outside all it may see) and
 * log the denial. It has no console
 * (it did not ask for one), so it reports through its exit status: the
 * errno open() failed with, 0 if it (wrongly) succeeded, 1 if not even
 * that could be told.
 *
 * Its manifest is in the program itself (the section the kernel reads),
 * written here rather than in a .manifest file so this one test program
 * needs no rule of its own in the Makefile.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define MANIFEST "name permprobe\nversion 1\ncontext foreground\n"

__attribute__((used, section(".optios.manifest"))) static const char manifest[sizeof MANIFEST - 1] = MANIFEST;

int main(void)
{
	int fd = open("/tmp/permprobe", O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		return 0;
	return errno > 0 && errno < 126 ? errno : 1;
}
