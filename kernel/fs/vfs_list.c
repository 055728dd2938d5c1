/*
 * vfs_list.c - the names in a directory, sorted, for the kernel's own
 * readers of drop-in directories (/etc/policy.d, /etc/handlers.d): they read
 * the files in one defined order, byte order of the names, the order the
 * host tools use too.
 *
 * The names come from the directory's getdents op, as a program's readdir
 * would see them, into one block: the pointer array first, then the strings.
 */
#include <optios/abi/errno.h>
#include <optios/abi/fcntl.h>

#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/mm.h"
#include "lib/lib.h"

#define DIRENT_BUF 1024

struct names {
	char *text; /* the names, each NUL-terminated */
	size_t len, n;
};

/* Appends the names of the records in buf[0..len) but "." and "..". */
static int take(struct names *nm, const char *buf, long len)
{
	for (long at = 0; at < len;) {
		const struct kdirent64 *d = (const void *)(buf + at);
		size_t nlen = strlen(d->d_name);
		at += d->d_reclen;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		char *grown = krealloc(nm->text, nm->len + nlen + 1);
		if (!grown)
			return -ENOMEM;
		memcpy(grown + nm->len, d->d_name, nlen + 1);
		nm->text = grown;
		nm->len += nlen + 1;
		nm->n++;
	}
	return 0;
}

/* The pointer array (sorted by strcmp) followed by the strings, in one block. */
static char **arrange(const struct names *nm)
{
	char **names = kmalloc(nm->n * sizeof(char *) + nm->len);
	if (!names)
		return NULL;
	char *text = (char *)(names + nm->n);
	memcpy(text, nm->text, nm->len);
	for (size_t i = 0, at = 0; i < nm->n; i++) {
		char *s = text + at;
		at += strlen(s) + 1;
		size_t k = i;
		for (; k > 0 && strcmp(names[k - 1], s) > 0; k--)
			names[k] = names[k - 1];
		names[k] = s;
	}
	return names;
}

int vfs_dir_names(const char *path, char ***names, size_t *n)
{
	struct names nm = {0};
	struct file *f;
	char *buf = NULL;
	long got = 0;
	*names = NULL;
	*n = 0;
	int err = vfs_open(NULL, path, O_RDONLY | O_DIRECTORY, 0, &f);
	if (err)
		return err;
	err = -ENOTDIR;
	if (!f->ops->getdents)
		goto out;
	err = -ENOMEM;
	if (!(buf = kmalloc(DIRENT_BUF)))
		goto out;
	err = 0;
	while (!err && (got = f->ops->getdents(f, buf, DIRENT_BUF)) > 0)
		err = take(&nm, buf, got);
	if (!err && got < 0)
		err = (int)got;
	if (!err && !(*names = arrange(&nm)))
		err = -ENOMEM;
	if (!err)
		*n = nm.n;
out:
	kfree(buf);
	kfree(nm.text);
	file_put(f);
	return err;
}
