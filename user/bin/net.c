/* net - the network interfaces (optios_net_list): driver, MAC, link,
 * addresses and how they were configured, the DNS servers, counters.
 *
 *   net        every interface
 *   net NAME   one (eth0) */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <string.h>

#define MAX_IFACES 8

static const char *ip(uint32_t a, char *buf)
{
	const uint8_t *b = (const uint8_t *)&a;
	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

static int prefix_len(uint32_t mask)
{
	int n = 0;
	for (uint32_t m = __builtin_bswap32(mask); m & 0x80000000u; m <<= 1)
		n++;
	return n;
}

static void show(const struct optios_net_info *i)
{
	static const char *cfg[] = {"DHCP", "static", "off"};
	char a[16], b[16];
	printf("%.8s: %.16s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, link %s\n", i->name, i->driver,
	       i->mac[0], i->mac[1], i->mac[2], i->mac[3], i->mac[4], i->mac[5], i->mtu,
	       i->link_up ? "up" : "down");
	if (i->bound)
		printf("  inet %s/%d gateway %s (%s)\n", ip(i->addr, a), prefix_len(i->netmask),
		       ip(i->gateway, b), cfg[i->config % 3]);
	else
		printf("  no address (%s%s)\n", cfg[i->config % 3],
		       i->config == OPTIOS_NET_DHCP && i->up ? ": waiting for a lease" : "");
	if (i->dns[0] || i->dns[1]) {
		printf("  dns");
		for (int k = 0; k < 2; k++)
			if (i->dns[k])
				printf(" %s", ip(i->dns[k], a));
		printf("\n");
	}
	printf("  rx %llu frames %llu bytes, %llu dropped, %llu errors\n", (unsigned long long)i->rx_frames,
	       (unsigned long long)i->rx_bytes, (unsigned long long)i->rx_dropped,
	       (unsigned long long)i->rx_errors);
	printf("  tx %llu frames %llu bytes, %llu dropped, %llu errors\n", (unsigned long long)i->tx_frames,
	       (unsigned long long)i->tx_bytes, (unsigned long long)i->tx_dropped,
	       (unsigned long long)i->tx_errors);
	printf("  interrupts %llu\n", (unsigned long long)i->irqs);
}

int main(int argc, char **argv)
{
	static struct optios_net_info d[MAX_IFACES];
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: net [INTERFACE]\n");
		return 2;
	}
	long n = optios_net_list(d, MAX_IFACES);
	if (n < 0) {
		fprintf(stderr, "net: %s\n", strerror(errno));
		return 1;
	}
	int shown = 0;
	for (long k = 0; k < n && k < MAX_IFACES; k++)
		if (argc == 1 || !strncmp(argv[1], d[k].name, sizeof d[k].name)) {
			show(&d[k]);
			shown++;
		}
	if (argc == 2 && !shown) {
		fprintf(stderr, "net: %s: no such interface\n", argv[1]);
		return 1;
	}
	if (n == 0)
		printf("net: no network interfaces\n");
	return 0;
}
