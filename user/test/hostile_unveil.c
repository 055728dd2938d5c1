/*
 * hostile_unveil - granted /data/mine/ (read, write) and /data itself (read,
 * so it may list it), probes what it cannot see: /data/secret and
 * /data/secretdir exist (the test makes them), /data/missing and
 * /data/missingdir do not. Every call on a hidden path must answer exactly as
 * on a missing one (ENOENT), so the two are indistinguishable; a listing of
 * /data shows "mine" only. The paths it sees but may not act on are EACCES,
 * and paths of 128 bytes or more below its grant work.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static const char *me = "hostile_unveil";

static long create(const char *path, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	if (fd >= 0)
		close(fd);
	return fd;
}

static long open_read(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	return fd;
}

/* Every call a program could learn something about path from. */
static void probe(const char *path)
{
	struct stat st;
	char what[160], other[96];
	DIR *d;
#define TRY(verb, call)                                           \
	do {                                                      \
		snprintf(what, sizeof what, "%s %s", verb, path); \
		hostile_report(me, what, (call), true);           \
	} while (0)
	TRY("stat", stat(path, &st));
	TRY("open", open_read(path));
	TRY("create", create(path, 0));
	TRY("create-excl", create(path, O_EXCL));
	TRY("access", access(path, F_OK));
	TRY("chdir", chdir(path));
	TRY("opendir", (d = opendir(path)) ? (closedir(d), 0) : -1);
	TRY("mkdir", mkdir(path, 0755));
	TRY("unlink", unlink(path));
	TRY("rmdir", rmdir(path));
	TRY("truncate", truncate(path, 0));
	TRY("rename-from", rename(path, "/data/mine/taken"));
	TRY("rename-to", rename("/data/mine/f", path));
	snprintf(other, sizeof other, "%s/inner", path);
	TRY("stat-inside", stat(other, &st));
	snprintf(other, sizeof other, "%s/../mine/f", path);
	TRY("stat-through", stat(other, &st));
#undef TRY
}

/* Prints the names a listing of /data shows. */
static void list_data(void)
{
	DIR *d = opendir("/data");
	struct dirent *e;
	if (!d) {
		hostile_report(me, "list /data", -1, false);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			printf("%s: /data has %s\n", me, e->d_name);
	closedir(d);
}

int main(void)
{
	static char longname[256], longpath[1024];
	hostile_report(me, "create /data/mine/f", create("/data/mine/f", 0), false);
	probe("/data/secret");
	probe("/data/missing");
	probe("/data/secretdir");
	probe("/data/missingdir");
	list_data();
	/* seen but not allowed: EACCES (rmdir of /data itself) */
	hostile_report(me, "rmdir /data", rmdir("/data"), true);
	hostile_report(me, "write /data/mine/../../etc/x", create("/data/mine/../../etc/x", 0), true);
	/* paths of 128 bytes and more below the grant */
	memset(longname, 'n', 200);
	snprintf(longpath, sizeof longpath, "/data/mine/%s", longname);
	hostile_report(me, "create a 211-byte path", create(longpath, 0), false);
	snprintf(longpath, sizeof longpath, "/data/mine/%sd", longname);
	hostile_report(me, "mkdir a 212-byte path", mkdir(longpath, 0755), false);
	strcat(longpath, "/");
	strcat(longpath, longname);
	hostile_report(me, "create a 413-byte path", create(longpath, 0), false);
	hostile_report(me, "read a 413-byte path", open_read(longpath), false);
	return hostile_escaped ? 1 : 0;
}
