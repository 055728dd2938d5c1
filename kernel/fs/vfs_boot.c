/*
 * vfs_boot.c - bringing up the file system at boot, and what the tree code
 * needs from the kernel (pages, time).
 *
 * vfs_init mounts the root image read-only from the boot module, ramfs at
 * /data and /tmp (each may hold a quarter of the RAM free at mount, so the
 * two together never take more than half), then reads /etc/kernel.conf.
 */
#include <optios/abi/errno.h>

#include "fs_internal.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/conf/conf.h"
#include "kernel/log/klog.h"
#include "kernel/rand/rand.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

static uint64_t epoch_ns; /* the root image's newest mtime */

void *fs_page_alloc(void)
{
	uint64_t pa = pmm_alloc_zeroed();
	return pa ? phys_to_virt(pa) : NULL;
}

void fs_page_free(void *p)
{
	pmm_free(virt_to_phys(p));
}

uint64_t fs_now_ns(void)
{
	return epoch_ns + clock_now_ns();
}

uint64_t fs_hash_seed(void)
{
	static uint64_t seed;
	while (!seed) /* the first directory hashed fixes it; 0 means unset */
		rand_fill(&seed, sizeof seed);
	return seed;
}

/* The module holding the root image: the one named "rootfs", else the first. */
static const struct boot_module *find_root_module(const struct bootinfo *bi)
{
	for (size_t i = 0; i < bi->module_count; i++)
		if (strcmp(bi->modules[i].cmdline, "rootfs") == 0)
			return &bi->modules[i];
	return bi->module_count ? &bi->modules[0] : NULL;
}

static void load_root_image(const struct bootinfo *bi)
{
	const struct boot_module *m = find_root_module(bi);
	if (!m) {
		klog(KLOG_WARN, "vfs: no root image module: empty read-only root, /data and /tmp only");
		return;
	}
	struct initramfs_stats st;
	uint64_t lk = fs_lock();
	int err = initramfs_load(vfs_root_fs, phys_to_virt(m->start), (size_t)(m->end - m->start), &st);
	fs_unlock(lk);
	epoch_ns = st.newest_mtime * 1000000000ull;
	vfs_root_fs->used += st.bytes; /* the files' bytes stay in the module: counted for statfs */
	if (err)
		klog(KLOG_WARN, "vfs: root image damaged (%s, error %d): kept what came before",
		     st.why ? st.why : "?", err);
	if (st.unjoined)
		klog(KLOG_WARN,
		     "vfs: root image: %zu hard-linked names left empty (more than the join table holds)",
		     st.unjoined);
	if (st.skipped)
		klog(KLOG_WARN, "vfs: root image: %zu members skipped (links, devices, bad names)",
		     st.skipped);
	klog(KLOG_INFO, "vfs: root image %zu files, %llu KiB", st.files,
	     (unsigned long long)((st.bytes + 1023) / 1024));
}

/* The directory path of the root image (a name in "/"), made if missing.
 * The fs lock is held. */
static int root_dir(const char *path, struct vnode **dir)
{
	int err = vn_lookup(path, dir);
	if (err == -ENOENT) {
		vfs_root_fs->readonly = false;
		err = vn_create(vfs_root_fs->root, path + 1, strlen(path + 1), S_IFDIR | 0755, dir);
		vfs_root_fs->readonly = true;
	}
	return err;
}

/* Mounts a new ramfs on path (made in the root image if missing). */
/* The directory it is mounted on, or NULL. */
static struct vnode *mount_ramfs(const char *path, uint64_t limit)
{
	uint64_t lk = fs_lock();
	struct vnode *dir;
	struct fs *fs = fs_create(path, false, limit);
	int err = fs ? 0 : -ENOMEM;
	if (!err)
		err = root_dir(path, &dir);
	if (!err)
		err = fs_mount(dir, fs);
	if (err && fs)
		fs_destroy(fs);
	fs_unlock(lk);
	if (err)
		klog(KLOG_ERROR, "vfs: cannot mount %s (error %d)", path, err);
	else
		klog(KLOG_INFO, "vfs: %s: in-memory, up to %llu KiB", path,
		     (unsigned long long)(limit / 1024));
	return err ? NULL : dir;
}

static void report_conf(void *ctx, const char *msg)
{
	(void)ctx;
	klog(KLOG_WARN, "%s", msg);
}

/* Reads /etc/kernel.conf and applies log.level (unless the command line set optios.log). */
static void load_conf(const struct bootinfo *bi)
{
	void *text = NULL;
	size_t len = 0;
	char val[16];
	int err = vfs_read_file("/etc/kernel.conf", &text, &len);
	if (err == -ENOENT)
		klog(KLOG_WARN, "vfs: no /etc/kernel.conf: default settings");
	else if (err)
		klog(KLOG_WARN, "vfs: /etc/kernel.conf unreadable (error %d): default settings", err);
	conf_load(text, len, report_conf, NULL);
	kfree(text);
	if (!bootinfo_arg(bi, "optios.log", val, sizeof val)) {
		int level = klog_level_parse(conf_str(CONF_LOG_LEVEL));
		if (level >= 0)
			klog_set_level((enum klog_level)level);
	}
}

void vfs_init(const struct bootinfo *bi)
{
	uint64_t quarter = (uint64_t)pmm_free_count() * PAGE_SIZE / 4;
	vfs_root_fs = fs_create("/", true, UINT64_MAX);
	if (!vfs_root_fs)
		panic("vfs_init: out of memory for the root");
	load_root_image(bi);
	struct vnode *data = mount_ramfs("/data", quarter);
	if (data)
		vfs_store_load(data); /* /data's files from the store, when one is mounted */
	mount_ramfs("/tmp", quarter);
	/* /dev and /proc are made on demand above the VFS (kernel/pseudofs):
	 * here only the empty directories they cover, for listings of "/". */
	uint64_t lk = fs_lock();
	struct vnode *dir;
	if (root_dir("/dev", &dir) || root_dir("/proc", &dir))
		klog(KLOG_WARN, "vfs: cannot make /dev or /proc in the root");
	fs_unlock(lk);
	load_conf(bi);
}
