/*
 * identity.c - what a program says it is, read without loading it: its
 * manifest (the ELF section MANIFEST_SECTION, parsed by manifest_parse) and
 * its code hash (SHA-256 of the whole file). The handler layer registers a
 * program from these; nothing here maps memory, so it also runs on the host.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "kernel/exec/exec.h"

#include <optios/abi/errno.h>

#include "kernel/exec/elf.h"
#include "lib/lib.h"
#include "lib/sha256.h"

#ifdef HOST_TEST
void kfree(void *p); /* the host tests supply the kernel heap */
#else
#include "kernel/mm/mm.h"
#endif

#define PARSE_MSG_MAX 192 /* longer than any message manifest_parse writes */

/* The last component of path: "/apps/counter" -> "counter". */
const char *exec_program_name(const char *path)
{
	const char *name = path;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			name = p + 1;
	return name;
}

static int refuse(char *err, size_t errlen, const char *name, const char *why)
{
	if (err && errlen)
		ksnprintf(err, errlen, "%s: %s", name, why);
	return -ENOEXEC;
}

int exec_manifest_image(const char *name, const void *image, size_t len, struct manifest *m, uint8_t hash[32],
			char *err, size_t errlen)
{
	struct elf_image elf;
	struct elf_section s;
	const char *why = NULL;
	char msg[PARSE_MSG_MAX];

	if (err && errlen)
		err[0] = '\0';
	memset(m, 0, sizeof *m);
	if (hash) /* not for a program about to start: the hash is the registry's */
		sha256(image, len, hash);
	if (elf_parse(image, len, &elf, &why))
		return refuse(err, errlen, name, why);
	int r = elf_section_find(image, len, MANIFEST_SECTION, &s, &why);
	if (r == -ENOENT)
		return refuse(err, errlen, name, "no manifest section (" MANIFEST_SECTION ")");
	/* A manifest that cannot be read is not an absent one: the program may
	 * have asked for anything, so it is refused, not run with none. */
	if (r || !s.data) {
		if (err && errlen)
			ksnprintf(err, errlen, "%s: manifest section damaged: %s", name,
				  r ? why : "it has no bytes in the file (SHT_NOBITS)");
		return -EINVAL;
	}
	r = manifest_parse(s.data, s.size, m, msg, sizeof msg);
	if (r && err && errlen) /* "counter.manifest line 3: ..." or "counter.manifest: no 'name' line" */
		ksnprintf(err, errlen, "%s.manifest%s%s", name, strncmp(msg, "line ", 5) ? ": " : " ", msg);
	return r;
}

int exec_manifest(const char *path, struct manifest *m, uint8_t hash[32], char *err, size_t errlen)
{
	void *data = NULL;
	size_t len = 0;
	if (err && errlen)
		err[0] = '\0';
	int r = vfs_read_file(path, &data, &len);
	if (r) {
		r = r == -ENOTDIR ? -ENOENT : r;
		if (err && errlen)
			ksnprintf(err, errlen, "%s: %s", path,
				  r == -ENOENT	 ? "no such program"
				  : r == -EISDIR ? "a directory, not a program"
						 : "cannot read it");
		memset(m, 0, sizeof *m);
		return r;
	}
	r = exec_manifest_image(exec_program_name(path), data, len, m, hash, err, errlen);
	kfree(data);
	return r;
}
