/*
 * policy - the permissions of the running system, asked of the kernel
 * (optios_policy); this program only prints the kernel's answer.
 *
 *   policy                     the policy as it stands (the /etc/policy format)
 *   policy show NAME|PATH      what NAME declares, what is granted, what it gets
 *   policy who-can CAP         every program whose permissions allow CAP
 *   policy on TOPIC            what runs when TOPIC is raised, and what follows
 *   policy grant NAME CAP      grants CAP to NAME (NAME * for every program)
 *   policy revoke NAME CAP     removes exactly that grant
 *
 * A grant or a revoke reaches a registered handler at its next run (a grant
 * only as far as its manifest declares) and a program at its next start;
 * the message after a change says which of those NAME is now.
 */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/policy.h"

#define HANDLERS_MAX 32

static int usage(void)
{
	fprintf(stderr,
		"usage: policy [show NAME | who-can CAP | on TOPIC | grant NAME CAP | revoke NAME CAP]\n");
	return 2;
}

static const struct {
	const char *word;
	unsigned op;
	int args; /* words after the command */
} commands[] = {
	{"show", OPTIOS_POLICY_SHOW, 1},   {"who-can", OPTIOS_POLICY_WHO_CAN, 1}, {"on", OPTIOS_POLICY_ON, 1},
	{"grant", OPTIOS_POLICY_GRANT, 2}, {"revoke", OPTIOS_POLICY_REVOKE, 2},
};

/* What an error means for op, in words. */
static const char *hint(unsigned op, int err)
{
	if (err == EEXIST)
		return " (already granted)";
	if (err == ENOENT)
		return op == OPTIOS_POLICY_REVOKE ? " (no such grant: `policy` lists them)"
						  : " (no such program)";
	if (err == EACCES)
		return " (changing the policy needs policy.manage)";
	if (err == ENOSPC)
		return " (the policy holds its most grants: revoke one first)";
	if (err == E2BIG)
		return op == OPTIOS_POLICY_GRANT
			       ? " (the policy's capabilities fill its 32768 bytes: revoke one first)"
			       : " (the answer is over 256 KiB)";
	if (err == EINVAL)
		return " (not a program name or a capability: docs/PERMISSIONS.md)";
	return "";
}

/* Asks the kernel, growing the buffer until the whole answer fits; prints it. */
static int ask(unsigned op, const char *a, const char *b, const char *what)
{
	unsigned long size = 4096;
	for (;;) {
		char *out = malloc(size);
		if (!out) {
			fprintf(stderr, "policy: %s\n", strerror(ENOMEM));
			return 1;
		}
		long n = optios_policy(op, a, b, out, size);
		if (n >= 0 && (unsigned long)n < size) {
			fwrite(out, 1, (size_t)n, stdout);
			free(out);
			return 0;
		}
		int err = errno;
		free(out);
		if (n < 0) {
			fprintf(stderr, "policy: %s: %s%s\n", what, strerror(err), hint(op, err));
			return 1;
		}
		size = (unsigned long)n + 1;
	}
}

/* Is a handler named name registered ("*": any)? */
static bool handler_registered(const char *name)
{
	static struct optios_handler_info list[HANDLERS_MAX];
	long n = optios_handler_list(list, HANDLERS_MAX);
	for (long i = 0; i < n && i < HANDLERS_MAX; i++)
		if (strcmp(name, "*") == 0 || strcmp(list[i].name, name) == 0)
			return true;
	return false;
}

/* What a change reaches, and when (the kernel refreshes a handler's
 * permissions at each run, a program's at its start). */
static void changed(bool grant, const char *name, const char *cap)
{
	const char *did = grant ? "granted" : "revoked", *dir = grant ? "to" : "from";
	const char *limit = grant ? ", as far as its manifest declares it" : "";
	if (strcmp(name, "*") == 0)
		printf("policy: %s %s %s every program (handlers from their next run%s, programs from their "
		       "next start)\n",
		       did, cap, dir, limit);
	else if (handler_registered(name))
		printf("policy: %s %s %s %s (handler %s: from its next run%s)\n", did, cap, dir, name, name,
		       limit);
	else
		printf("policy: %s %s %s %s (from its next start or handler add%s)\n", did, cap, dir, name,
		       limit);
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return ask(OPTIOS_POLICY_LIST, NULL, NULL, "list");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].word) != 0)
			continue;
		if (argc != 2 + commands[i].args)
			return usage();
		const char *why = commands[i].op == OPTIOS_POLICY_GRANT ? policy_cap_problem(argv[3]) : NULL;
		if (why) { /* the kernel's own check (lib/policy.c), to say why */
			fprintf(stderr, "policy: grant %s %s: not a capability: %s\n", argv[2], argv[3], why);
			return 1;
		}
		char what[CAP_MAX + 64]; /* a capability may name a 4 KiB path: said whole */
		snprintf(what, sizeof what, "%s%s%s", argv[2], argc > 3 ? " " : "", argc > 3 ? argv[3] : "");
		int status = ask(commands[i].op, argv[2], argc > 3 ? argv[3] : NULL, what);
		if (status == 0 &&
		    (commands[i].op == OPTIOS_POLICY_GRANT || commands[i].op == OPTIOS_POLICY_REVOKE))
			changed(commands[i].op == OPTIOS_POLICY_GRANT, argv[2], argv[3]);
		return status;
	}
	return usage();
}
