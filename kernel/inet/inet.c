/*
 * inet.c - lwIP's port: network devices as lwIP interfaces, their
 * configuration (/etc/net.conf), and the stack's place in the network work
 * loop (kernel/net). Interface: inet.h; build options: port/lwipopts.h.
 *
 * Theory of operation. inet_init registers the stack with kernel/net
 * (net_stack_set): each network device becomes a struct iface (an lwIP
 * netif bound to the netdev), configured by DHCP, a static address or
 * left down, as /etc/net.conf says. From then on lwIP runs only inside
 * inet_enter/inet_leave pairs, in kernel context outside interrupts:
 *   - a received frame: netdev_receive -> input -> copied into a pbuf ->
 *     ethernet_input (ARP, IPv4, ICMP, UDP, TCP, DHCP, DNS);
 *   - a frame out: lwIP's linkoutput -> the pbuf chain flattened into one
 *     buffer -> netdev_transmit (the driver copies it into its ring);
 *   - the work loop's run: link changes, then due timers (timers.c).
 * inet_enter catches the timers up before anything new happens; inet_leave
 * arms one kernel timer (`deadline`) for the next lwIP deadline, or
 * disarms it when nothing needs timing: the idle network takes no
 * interrupt. The timer's callback (interrupt context) only kicks the loop.
 * Pairs nest: a callback of the stack (inside lwIP's input) may call
 * inet_* (a socket's window update, an abort); only the outermost pair
 * runs the timers and arms the deadline, so no timer ever runs inside
 * lwIP - tcp_tmr there could free the pcb being handled.
 *
 * Data: ifaces[] parallels kernel/net's devices (ifaces[i] is device i's),
 * allocated at attach and never freed. cfg[] holds /etc/net.conf's
 * settings for eth0..eth3 (other interfaces use DHCP).
 */
#include "lwip/opt.h"

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include <optios/abi/errno.h>

#include "kernel/conf/conf.h"
#include "kernel/inet/inet.h"
#include "kernel/inet/inet_internal.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

#define CONF_IFACES 4

struct iface {
	struct netif netif;
	struct netdev *dev;
	enum inet_cfg cfg;
	bool bound_logged;
};

static struct iface *ifaces[NETDEV_MAX];
static struct timer deadline;
static bool started;

/* ---- /etc/net.conf ---- */

/* Per interface: mode, address, netmask, gateway; then dns.1, dns.2. */
/* clang-format off */
#define IF_KEYS(n) \
	{"eth" #n ".mode", CONF_STR, 0, 0, 0, "dhcp", 6, "dhcp|static|off"}, \
	{"eth" #n ".address", CONF_STR, 0, 0, 0, "", 15, NULL}, \
	{"eth" #n ".netmask", CONF_STR, 0, 0, 0, "255.255.255.0", 15, NULL}, \
	{"eth" #n ".gateway", CONF_STR, 0, 0, 0, "", 15, NULL}
/* clang-format on */
enum { K_MODE, K_ADDR, K_MASK, K_GW, K_PER_IF };
#define K_DNS1 (CONF_IFACES * K_PER_IF)
static const struct conf_key net_keys[] = {
	IF_KEYS(0),
	IF_KEYS(1),
	IF_KEYS(2),
	IF_KEYS(3),
	{"dns.1", CONF_STR, 0, 0, 0, "", 15, NULL},
	{"dns.2", CONF_STR, 0, 0, 0, "", 15, NULL},
};
#define NKEYS (sizeof net_keys / sizeof net_keys[0])
static struct conf_value net_vals[NKEYS];

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	klog(KLOG_WARN, "%s", msg);
}

int inet_parse_addr(const char *s, uint32_t *addr)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4)
			v = v * 10 + (unsigned)(*s++ - '0'), digits++;
		if (!digits || digits > 3 || v > 255 || *s != (i < 3 ? '.' : '\0'))
			return -EINVAL;
		a |= v << (8 * i);
		s += i < 3;
	}
	*addr = a;
	return 0;
}

/* An address setting: 0 when empty; false (logged) when malformed. */
static bool conf_addr(size_t key, uint32_t *out)
{
	*out = 0;
	const char *s = net_vals[key].str;
	if (!s[0])
		return true;
	if (inet_parse_addr(s, out) == 0)
		return true;
	klog(KLOG_WARN, "net: %s: \"%s\" is not an IPv4 address (a.b.c.d): ignored", net_keys[key].name, s);
	return false;
}

static void apply_dns(void)
{
	for (int i = 0; i < 2; i++) {
		uint32_t a;
		if (conf_addr(K_DNS1 + (size_t)i, &a) && a) {
			ip_addr_t ip = IPADDR4_INIT(a);
			dns_setserver((u8_t)i, &ip);
		}
	}
}

/* ---- lwIP's side of a device ---- */

static err_t link_output(struct netif *netif, struct pbuf *p)
{
	struct iface *f = netif->state;
	uint8_t frame[ETH_FRAME_MAX];
	u16_t len = (u16_t)(p->tot_len - ETH_PAD_SIZE); /* the padding before the header stays */
	if (p->tot_len < ETH_PAD_SIZE || len > sizeof frame) {
		f->dev->stats.tx_dropped++;
		return ERR_BUF;
	}
	pbuf_copy_partial(p, frame, len, ETH_PAD_SIZE);
	inet_timers_frame(frame, len, true);
	return netdev_transmit(f->dev, frame, len) ? ERR_IF : ERR_OK;
}

static err_t netif_setup(struct netif *netif)
{
	struct iface *f = netif->state;
	netif->name[0] = 'e';
	netif->name[1] = 't';
	netif->hwaddr_len = ETH_ALEN;
	memcpy(netif->hwaddr, f->dev->mac, ETH_ALEN);
	netif->mtu = f->dev->mtu ? f->dev->mtu : ETH_MTU;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	netif->output = etharp_output;
	netif->linkoutput = link_output;
	netif_set_hostname(netif, "optios");
	return ERR_OK;
}

static void status_changed(struct netif *netif)
{
	struct iface *f = netif->state;
	bool bound = !ip4_addr_isany_val(*netif_ip4_addr(netif));
	if (bound == f->bound_logged)
		return;
	f->bound_logged = bound;
	char a[16], m[16], g[16];
	ip4addr_ntoa_r(netif_ip4_addr(netif), a, sizeof a);
	ip4addr_ntoa_r(netif_ip4_netmask(netif), m, sizeof m);
	ip4addr_ntoa_r(netif_ip4_gw(netif), g, sizeof g);
	if (bound)
		klog(KLOG_INFO, "%s: address %s netmask %s gateway %s (%s)", f->dev->name, a, m, g,
		     f->cfg == INET_CFG_DHCP ? "DHCP" : "static");
	else
		klog(KLOG_INFO, "%s: no address", f->dev->name);
}

static void configure(struct iface *f)
{
	unsigned i = f->dev->index;
	const char *mode = i < CONF_IFACES ? net_vals[i * K_PER_IF + K_MODE].str : "dhcp";
	f->cfg = !strcmp(mode, "static") ? INET_CFG_STATIC
		 : !strcmp(mode, "off")	 ? INET_CFG_OFF
					 : INET_CFG_DHCP;
	if (f->cfg == INET_CFG_OFF)
		return;
	if (f->cfg == INET_CFG_STATIC) {
		uint32_t a, m, g;
		size_t k = i * K_PER_IF;
		if (!conf_addr(k + K_ADDR, &a) || !conf_addr(k + K_MASK, &m) || !conf_addr(k + K_GW, &g) ||
		    !a) {
			klog(KLOG_WARN,
			     "%s: static configuration incomplete (eth%u.address): interface left down",
			     f->dev->name, i);
			f->cfg = INET_CFG_OFF;
			return;
		}
		ip4_addr_t ia = {a}, im = {m}, ig = {g};
		netif_set_addr(&f->netif, &ia, &im, &ig);
	}
	netif_set_up(&f->netif);
	if (f->dev->link_up)
		netif_set_link_up(&f->netif);
	if (f->cfg == INET_CFG_DHCP && dhcp_start(&f->netif) != ERR_OK)
		klog(KLOG_WARN, "%s: DHCP could not start (out of memory)", f->dev->name);
}

static void attach(struct netdev *dev)
{
	if (dev->index >= NETDEV_MAX || ifaces[dev->index])
		return;
	struct iface *f = kzalloc(sizeof *f);
	if (!f) {
		klog(KLOG_ERROR, "%s: out of memory: not attached to the network stack", dev->name);
		return;
	}
	f->dev = dev;
	dev->stack_data = f;
	inet_enter();
	if (!netif_add(&f->netif, NULL, NULL, NULL, f, netif_setup, ethernet_input)) {
		inet_leave();
		kfree(f);
		return;
	}
	ifaces[dev->index] = f;
	netif_set_status_callback(&f->netif, status_changed);
	if (!netif_default)
		netif_set_default(&f->netif);
	configure(f);
	inet_leave();
}

static void input(struct netdev *dev, const void *frame, size_t len)
{
	struct iface *f = dev->stack_data;
	if (!f || !netif_is_up(&f->netif)) {
		dev->stats.rx_dropped++;
		return;
	}
	inet_enter();
	inet_timers_frame(frame, len, false);
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)(len + ETH_PAD_SIZE), PBUF_POOL);
	if (!p)
		dev->stats.rx_dropped++;
	else if (pbuf_take_at(p, frame, (u16_t)len, ETH_PAD_SIZE) != ERR_OK ||
		 f->netif.input(p, &f->netif) != ERR_OK)
		pbuf_free(p);
	inet_leave();
}

/* The work loop's turn: follow link changes, run due timers. */
static void run(void)
{
	inet_enter();
	for (unsigned i = 0; i < NETDEV_MAX; i++) {
		struct iface *f = ifaces[i];
		if (!f || f->cfg == INET_CFG_OFF || f->dev->link_up == netif_is_link_up(&f->netif))
			continue;
		if (f->dev->link_up)
			netif_set_link_up(&f->netif);
		else
			netif_set_link_down(&f->netif);
		klog(KLOG_INFO, "%s: link %s", f->dev->name, f->dev->link_up ? "up" : "down");
	}
	inet_leave();
}

static const struct net_stack stack = {.attach = attach, .input = input, .run = run};

/* ---- entering and leaving lwIP ---- */

static void deadline_fire(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	net_timer_kick();
}

static unsigned depth; /* inet_enter/inet_leave pairs open */

void inet_enter(void)
{
	if (depth++ == 0 && started)
		sys_check_timeouts();
}

void inet_leave(void)
{
	if (--depth)
		return;
	uint64_t next = inet_timers_next_ms();
	if (next == UINT64_MAX)
		timer_cancel(&deadline);
	else
		timer_arm(&deadline, next * NS_PER_MS);
}

/* The command line's words optios.net.KEY=VALUE, as lines "KEY=VALUE"
 * parsed over net.conf's settings (reported as "cmdline:N: ..."). */
static void apply_cmdline(const char *cmdline)
{
	static const char prefix[] = "optios.net.";
	char text[512];
	size_t len = 0;
	for (const char *w = cmdline; w && *w;) {
		while (*w == ' ')
			w++;
		size_t n = 0;
		while (w[n] && w[n] != ' ')
			n++;
		if (n > sizeof prefix - 1 && !strncmp(w, prefix, sizeof prefix - 1) &&
		    len + n - (sizeof prefix - 1) + 1 < sizeof text) {
			memcpy(text + len, w + sizeof prefix - 1, n - (sizeof prefix - 1));
			len += n - (sizeof prefix - 1);
			text[len++] = '\n';
		}
		w += n;
	}
	if (len)
		conf_parse(net_keys, NKEYS, net_vals, "cmdline", text, len, report, NULL);
}

uint64_t inet_deadline_ns(void)
{
	return timer_armed(&deadline) ? deadline.deadline_ns : TIMER_NEVER;
}

void inet_init(const char *conf, size_t len, const char *cmdline)
{
	conf_defaults(net_keys, NKEYS, net_vals);
	if (conf)
		conf_parse(net_keys, NKEYS, net_vals, "net.conf", conf, len, report, NULL);
	apply_cmdline(cmdline);
	inet_mem_set_limit((uint64_t)conf_int(CONF_NET_MEMORY_KIB) * 1024);
	timer_init(&deadline, deadline_fire, NULL);
	lwip_init();
	started = true;
	apply_dns();
	inet_ping_init();
	net_stack_set(&stack);
}

/* ---- what `net` shows ---- */

int inet_if_info(unsigned index, struct inet_if_info *out)
{
	struct netdev *dev = netdev_get(index);
	if (!dev)
		return -ENODEV;
	struct iface *f = index < NETDEV_MAX ? ifaces[index] : NULL;
	memset(out, 0, sizeof *out);
	memcpy(out->name, dev->name, sizeof out->name);
	ksnprintf(out->driver, sizeof out->driver, "%s", dev->driver);
	memcpy(out->mac, dev->mac, ETH_ALEN);
	out->mtu = dev->mtu;
	out->link_up = dev->link_up;
	out->stats = dev->stats;
	out->cfg = f ? f->cfg : INET_CFG_OFF;
	if (f && netif_is_up(&f->netif)) {
		out->up = true;
		out->addr = ip4_addr_get_u32(netif_ip4_addr(&f->netif));
		out->netmask = ip4_addr_get_u32(netif_ip4_netmask(&f->netif));
		out->gateway = ip4_addr_get_u32(netif_ip4_gw(&f->netif));
		out->bound = out->addr != 0;
	}
	return 0;
}

void inet_dns_servers(uint32_t out[2])
{
	for (int i = 0; i < 2; i++) {
		const ip_addr_t *a = started ? dns_getserver((u8_t)i) : NULL;
		out[i] = a ? ip4_addr_get_u32(ip_2_ip4(a)) : 0;
	}
}
