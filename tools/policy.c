/*
 * policy - the static policy questions on the host, answered from an image
 * tree (normally build/rootfs.tree) with the code the kernel uses: the
 * manifests are read by exec_manifest (kernel/exec/identity.c, here reading
 * the host's files), the answers written by lib/policy.c. So this tool and
 * the shell's `policy` command print the same bytes.
 *
 *   policy --root DIR [--policy FILE] show NAME | who-can CAP | on TOPIC
 *                                     | check NAME CAP | list
 *
 * Programs: every file under DIR/bin, DIR/apps and DIR/test (recursively)
 * that is an ELF program with a manifest section; a manifest that does not
 * parse is reported on stderr and the program left out (the kernel refuses
 * it too). The policy: FILE alone when given; by default DIR/etc/policy
 * (none there: an empty policy, default deny), then each
 * DIR/etc/policy.d/NAME.policy in byte order of the names, as the kernel
 * reads them at boot. Bad lines are reported on stderr as FILE:LINE: why
 * and grant nothing, as in the kernel.
 *
 * `check NAME CAP` prints "allow" when the effective permissions of the
 * program NAME (a manifest name, or a path in the image; with several
 * programs of that name, each of them) allow the use CAP stands for, else
 * "deny". Exit status: 0 when an answer was printed, 2 on a usage error, an
 * unknown program or capability for check, or a file that cannot be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/exec/exec.h"
#include "lib/policy.h"

static const char *root;
static const char *const program_dirs[] = {"/bin", "/apps", "/test"};

static struct policy_program *progs;
static size_t nprogs, cap_progs;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("policy: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* The whole host file at path in a malloc'd buffer: 0 or -errno. */
static int read_host_file(const char *path, void **data, size_t *len)
{
	struct stat st;
	int r = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	char *buf = NULL;
	if (fstat(fileno(f), &st) != 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	else if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1)))
		r = -ENOMEM;
	else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		r = -EIO;
	fclose(f);
	if (r) {
		free(buf);
		buf = NULL;
	}
	*data = buf;
	*len = r ? 0 : (size_t)st.st_size;
	return r;
}

/* What identity.c needs from the kernel, on the host: files come from the
 * image tree (path is absolute in the image), memory from malloc. */
int vfs_read_file(const char *path, void **data, size_t *len)
{
	char host[4096];
	if ((size_t)snprintf(host, sizeof host, "%s%s", root, path) >= sizeof host)
		return -ENAMETOOLONG;
	return read_host_file(host, data, len);
}

void kfree(void *p)
{
	free(p);
}

/* Adds the program at path (in the image) if it carries a manifest. */
static void add_program(const char *path)
{
	struct manifest m;
	uint8_t hash[32];
	char err[256];
	int r = exec_manifest(path, &m, hash, err, sizeof err);
	if (r == -EINVAL)
		fprintf(stderr, "policy: %s (left out)\n", err);
	if (r)
		return; /* not a program, or no manifest section */
	if (nprogs == cap_progs &&
	    !(progs = realloc(progs, (cap_progs = cap_progs * 2 + 16) * sizeof *progs)))
		die("out of memory");
	struct manifest *copy = malloc(sizeof *copy);
	char *name = strdup(path);
	if (!copy || !name)
		die("out of memory");
	*copy = m;
	progs[nprogs++] = (struct policy_program){name, copy};
}

/* The type (DT_*) of the entry e of the image directory path. */
static unsigned entry_type(const struct dirent *e, const char *path)
{
	char host[4096];
	struct stat st;
	if (e->d_type != DT_UNKNOWN) /* some file systems do not say */
		return e->d_type;
	snprintf(host, sizeof host, "%s%s", root, path);
	if (lstat(host, &st) != 0)
		return DT_UNKNOWN;
	return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
}

/* Every file below dir (a path in the image), in name order. */
static void scan(const char *dir)
{
	char host[4096], path[4096];
	struct dirent **ents;
	snprintf(host, sizeof host, "%s%s", root, dir);
	int n = scandir(host, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (strcmp(name, ".") && strcmp(name, "..") &&
		    (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) < sizeof path) {
			unsigned type = entry_type(ents[i], path);
			if (type == DT_DIR)
				scan(path);
			else if (type == DT_REG)
				add_program(path);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static void report_bad_line(void *arg, unsigned line, const char *why)
{
	fprintf(stderr, "policy: %s:%u: %s (line ignored)\n", (const char *)arg, line, why);
}

/* Adds the grants of the host file at path (shown as name); a file that
 * cannot be read is fatal when required, else (no /etc/policy) grants nothing. */
static void load_file(struct policy *p, const char *path, const char *name, bool required)
{
	void *text = NULL;
	size_t len = 0;
	int r = read_host_file(path, &text, &len);
	if (r && (required || r != -ENOENT))
		die("%s: %s", path, strerror(-r));
	policy_load(p, name, text, len, report_bad_line, (void *)name);
	free(text);
}

static int by_bytes(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* FILE alone when given; else the image's POLICY_FILE, then its drop-ins
 * in name order, as the kernel reads them at boot. */
static void load_policy(struct policy *p, const char *file)
{
	char host[4096], name[4096];
	struct dirent **ents;
	if (file)
		return load_file(p, file, file, true);
	snprintf(host, sizeof host, "%s%s", root, POLICY_FILE);
	load_file(p, host, POLICY_FILE, false);
	snprintf(host, sizeof host, "%s%s", root, POLICY_DIR);
	int n = scandir(host, &ents, NULL, by_bytes);
	for (int i = 0; i < n; i++) {
		if (policy_dropin_name(ents[i]->d_name)) {
			snprintf(name, sizeof name, "%s/%s", POLICY_DIR, ents[i]->d_name);
			snprintf(host, sizeof host, "%s%s", root, name);
			load_file(p, host, name, true);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/* Prints an answer of any length: asks for the length first. */
static void print_answer(size_t (*query)(const struct policy *, const struct policy_program *, size_t,
					 const char *, char *, size_t),
			 const struct policy *p, const char *arg)
{
	size_t len = query(p, progs, nprogs, arg, NULL, 0);
	char *out = malloc(len + 1);
	if (!out)
		die("out of memory");
	query(p, progs, nprogs, arg, out, len + 1);
	fputs(out, stdout);
	free(out);
}

static void print_list(const struct policy *p)
{
	size_t len = policy_list(p, NULL, 0);
	char *out = malloc(len + 1);
	if (!out)
		die("out of memory");
	policy_list(p, out, len + 1);
	fputs(out, stdout);
	free(out);
}

/* check NAME CAP: allow only if every program called NAME allows it. */
static void check(const struct policy *p, const char *name, const char *cap)
{
	static struct policy_set s;
	enum policy_cap kind;
	const char *object;
	bool found = false, allow = true;
	if (policy_cap_parse(cap, &kind, &object))
		die("invalid capability: %s", cap);
	for (size_t i = 0; i < nprogs; i++) {
		if (strcmp(progs[i].m->name, name) && strcmp(progs[i].path, name))
			continue;
		policy_set_compute(&s, progs[i].m, p);
		allow = allow && policy_set_allows(&s, kind, object);
		found = true;
	}
	if (!found)
		die("no such program: %s", name);
	puts(allow ? "allow" : "deny");
}

static void usage(void)
{
	fputs("usage: policy --root DIR [--policy FILE] show NAME | who-can CAP | on TOPIC | check NAME CAP "
	      "| list\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct policy p;
	const char *policy_file = NULL;
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--root") == 0)
			root = argv[i + 1];
		else if (strcmp(argv[i], "--policy") == 0)
			policy_file = argv[i + 1];
		else
			usage();
	}
	if (!root || i >= argc)
		usage();
	const char *cmd = argv[i];
	int nargs = argc - i - 1;
	load_policy(&p, policy_file);
	for (size_t d = 0; d < sizeof program_dirs / sizeof program_dirs[0]; d++)
		scan(program_dirs[d]);
	if (strcmp(cmd, "show") == 0 && nargs == 1)
		print_answer(policy_show, &p, argv[i + 1]);
	else if (strcmp(cmd, "who-can") == 0 && nargs == 1)
		print_answer(policy_who_can, &p, argv[i + 1]);
	else if (strcmp(cmd, "on") == 0 && nargs == 1)
		print_answer(policy_on, &p, argv[i + 1]);
	else if (strcmp(cmd, "check") == 0 && nargs == 2)
		check(&p, argv[i + 1], argv[i + 2]);
	else if (strcmp(cmd, "list") == 0 && nargs == 0)
		print_list(&p);
	else
		usage();
	return 0;
}
