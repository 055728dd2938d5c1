/*
 * boxprobe - granted /data/box (the directory itself, not what is below it)
 * and /data/empty, asks what could tell whether /data/box holds entries it
 * cannot see: its link count, rmdir of it, and renaming an empty directory
 * of its own onto it (which it may make, not remove: it cannot see below
 * it either). One line each ("boxprobe: WHAT: allowed" / "denied
 * (...)"), the same whether /data/box is empty or not
 * (tests/system/test_hostile.py).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static const char *me = "boxprobe";

int main(void)
{
	struct stat st;
	char what[64];
	if (hostile_report(me, "stat /data/box", stat("/data/box", &st), false) == 0) {
		snprintf(what, sizeof what, "links %lu", (unsigned long)st.st_nlink);
		hostile_report(me, what, 0, false);
	}
	mkdir("/data/empty", 0755);
	hostile_report(me, "rename /data/empty /data/box", rename("/data/empty", "/data/box"), true);
	hostile_report(me, "rmdir /data/box", rmdir("/data/box"), true);
	return hostile_escaped ? 1 : 0;
}
