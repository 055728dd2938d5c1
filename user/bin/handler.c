/*
 * handler - register and unregister event handlers.
 *
 *   handler add PATH      registers the program at PATH (its manifest names
 *                         it), waits for its base snapshot, says what it got
 *   handler remove NAME   unregisters it and frees its snapshot
 *   handler retry NAME [N|all]
 *                         re-injects its oldest N dead letters (default 1;
 *                         all: every one kept) into their queues, lifting
 *                         its quarantine first
 *
 * The kernel's one-line reason for a refusal ("counter.manifest line 3: ...")
 * is printed after the error's name.
 */
#include <errno.h>
#include <limits.h>
#include <optios.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HANDLERS_MAX 32

static int usage(void)
{
	fprintf(stderr,
		"usage: handler add PATH\n       handler remove NAME\n       handler retry NAME [N|all]\n");
	return 2;
}

/* The kernel wants an absolute path; a relative one is taken from the cwd. */
static const char *absolute(const char *path, char *buf, size_t len)
{
	if (path[0] == '/')
		return path;
	if (!getcwd(buf, len))
		return path;
	size_t n = strlen(buf);
	snprintf(buf + n, len - n, "%s%s", n > 1 ? "/" : "", path);
	return buf;
}

/* The entry registered from path, or NULL. A replaced handler keeps its
 * slot, so the last match is the one just added. */
static const struct optios_handler_info *find_by_path(struct optios_handler_info *list, long n,
						      const char *path)
{
	const struct optios_handler_info *found = NULL;
	for (long i = 0; i < n && i < HANDLERS_MAX; i++)
		if (strcmp(list[i].path, path) == 0)
			found = &list[i];
	return found;
}

static int add(const char *arg)
{
	static struct optios_handler_info list[HANDLERS_MAX];
	static char msg[16384]; /* the kernel's reason: whole, though it may name 4 KiB paths */
	char buf[PATH_MAX];
	const char *path = absolute(arg, buf, sizeof buf);
	if (optios_handler_add(path, msg, sizeof msg) < 0) {
		int err = errno;
		msg[sizeof msg - 1] = 0;
		fprintf(stderr, "handler: %s: %s%s%s\n", arg, strerror(err), msg[0] ? ": " : "", msg);
		return 1;
	}
	long n = optios_handler_list(list, HANDLERS_MAX);
	const struct optios_handler_info *h = n > 0 ? find_by_path(list, n, path) : NULL;
	if (!h) {
		printf("handler: added %s (not in the list any more)\n", path);
		return 0;
	}
	printf("handler: added %s version %u (code %02x%02x%02x%02x), snapshot %llu pages\n", h->name,
	       h->version, h->code_hash[0], h->code_hash[1], h->code_hash[2], h->code_hash[3],
	       (unsigned long long)h->snapshot_pages);
	return 0;
}

static int remove_handler(const char *name)
{
	if (optios_handler_remove(name) < 0) {
		fprintf(stderr, "handler: %s: %s\n", name, strerror(errno));
		return 1;
	}
	printf("handler: removed %s\n", name);
	return 0;
}

/* "all", or a count of at least 1; 0 if neither. */
static unsigned long count_of(const char *s)
{
	if (strcmp(s, "all") == 0)
		return ULONG_MAX;
	char *end;
	errno = 0;
	unsigned long n = strtoul(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno ? n : 0;
}

/* The handler called name as listed now (until the next call), or NULL. */
static const struct optios_handler_info *info_of(const char *name)
{
	static struct optios_handler_info list[HANDLERS_MAX];
	long n = optios_handler_list(list, HANDLERS_MAX);
	for (long i = 0; i < n && i < HANDLERS_MAX; i++)
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

static int retry(const char *name, const char *count)
{
	unsigned long max = count ? count_of(count) : 1;
	if (!max)
		return usage();
	const struct optios_handler_info *h = info_of(name);
	bool was_quarantined = h && h->state == OPTIOS_HANDLER_QUARANTINED;
	long n = optios_handler_retry(name, max);
	if (n < 0) {
		int err = errno;
		fprintf(stderr, "handler: %s: %s\n", name, strerror(err));
		return 1;
	}
	h = info_of(name);
	unsigned kept = h ? h->dead_kept : 0;
	if (was_quarantined)
		printf("handler: %s: quarantine lifted\n", name);
	/* fewer than asked while some are kept: a queue was full */
	printf("handler: %s: %ld dead letter%s re-injected, %u kept%s\n", name, n, n == 1 ? "" : "s", kept,
	       kept && (unsigned long)n < max ? " (a queue is full)" : "");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 || argc == 4) {
		if (strcmp(argv[1], "retry") == 0)
			return retry(argv[2], argc == 4 ? argv[3] : NULL);
	}
	if (argc != 3)
		return usage();
	if (strcmp(argv[1], "add") == 0)
		return add(argv[2]);
	if (strcmp(argv[1], "remove") == 0)
		return remove_handler(argv[2]);
	return usage();
}
