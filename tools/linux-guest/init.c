/*
 * init - PID 1 of the Linux comparison guest (tools/linux-guest.sh,
 * tools/netbench.py): Debian's Linux 6.1 with an initramfs of this program,
 * echod and the virtio-net modules. Mounts /dev, takes the console, loads
 * the modules in dependency order, gives eth0 the address QEMU's user
 * network expects (10.0.2.15/24, static: no DHCP client runs), then becomes
 * echod, the resident echo daemon measured beside OptiOS's echo handler.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const modules[] = {"virtio_ring",	       "virtio",     "virtio_pci_legacy_dev",
				      "virtio_pci_modern_dev", "virtio_pci", "failover",
				      "net_failover",	       "virtio_net"};

static void load(const char *name)
{
	char path[64];
	snprintf(path, sizeof path, "/lib/%s.ko", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
		fprintf(stderr, "init: module %s: %m\n", name);
	close(fd);
}

/* The addresses of the functions tools/netbench.py marks (the kernel's
 * System.map is not in Debian's image package; with nokaslr they are the
 * same at every boot). */
static void symbols(void)
{
	static const char *const want[] = {" napi_gro_receive\n", " dev_hard_start_xmit\n"};
	char line[256];
	FILE *f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof line, f))
		for (size_t i = 0; i < sizeof want / sizeof *want; i++)
			if (strstr(line, want[i]) && (strstr(line, " T ") || strstr(line, " t ")))
				printf("linux-guest: symbol %s", line);
	if (f)
		fclose(f);
}

static int set(int s, unsigned long req, const char *ifname, const char *addr)
{
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	return ioctl(s, req, &ifr);
}

static int up(int s, const char *ifname)
{
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

int main(void)
{
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	for (size_t i = 0; i < sizeof modules / sizeof *modules; i++)
		load(modules[i]);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (up(s, "lo") || set(s, SIOCSIFADDR, "eth0", "10.0.2.15") ||
	    set(s, SIOCSIFNETMASK, "eth0", "255.255.255.0") || up(s, "eth0"))
		fprintf(stderr, "init: eth0: %m\n");
	else
		printf("linux-guest: eth0 10.0.2.15/24 up\n");
	close(s);
	symbols();
	fflush(stdout);
	execl("/echod", "echod", (char *)NULL);
	fprintf(stderr, "init: /echod: %m\n");
	for (;;)
		pause();
}
