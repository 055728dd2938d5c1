/*
 * fuzz_net.c - libFuzzer target for the receive path: frames into a
 * network device (kernel/net's netdev_receive), through the kernel's lwIP
 * port (kernel/inet: input, timers, the endpoints) and lwIP itself (ARP,
 * IPv4 with reassembly, ICMP, UDP, TCP, DHCP, DNS), built for the host with
 * lwIP's assertions on.
 *
 * The input is a sequence of frames, each a 2-byte length (little endian,
 * taken modulo 1600) and its bytes, with a 1-byte clock step before it (in
 * 100 ms units) so the stack's timers run too. The interface is static
 * 10.0.2.15/24 (gateway 10.0.2.2, DNS 10.0.2.3) on eth0, with a UDP
 * endpoint that echoes (port 7), an ICMP echo and a DNS query waiting, and
 * a TCP listener (port 80, inet_tcp_listen) that reads what comes and answers - so frames
 * reach every protocol's state. Frames the stack sends are checked for
 * length and counted.
 *
 * Properties: nothing crashes or trips an assertion (lwIP's or ASan's);
 * every frame the stack transmits is a well-sized Ethernet frame; the
 * stack's memory stays within its budget.
 */
#include <stdarg.h>
#include <string.h>

#include "fuzz.h"
#include "kernel/conf/conf.h"
#include "kernel/inet/inet.h"
#include "kernel/log/klog.h"
#include "kernel/mm/mm.h"
#include "kernel/rand/rand.h"
#include "kernel/time/time.h"

/* ---- the kernel functions the port calls, for the host ---- */

static uint64_t now_ns = 1;

uint64_t clock_now_ns(void)
{
	return now_ns;
}

void timer_init(struct timer *t, timer_fn fn, void *arg)
{
	memset(t, 0, sizeof *t);
	t->fn = fn;
	t->arg = arg;
}

int timer_arm(struct timer *t, uint64_t deadline_ns)
{
	t->deadline_ns = deadline_ns;
	t->armed = true;
	return 0;
}

bool timer_cancel(struct timer *t)
{
	bool was = t->armed;
	t->armed = false;
	return was;
}

void *kmalloc(size_t n)
{
	return malloc(n ? n : 1);
}

void *kzalloc(size_t n)
{
	return calloc(1, n ? n : 1);
}

void kfree(void *p)
{
	free(p);
}

void klog(enum klog_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

void rand_fill(void *buf, size_t n)
{
	memset(buf, 0x5a, n);
}

/* ---- a device that sends nowhere ---- */

static uint64_t sent;

static int fake_transmit(struct netdev *dev, const void *frame, size_t len)
{
	(void)dev;
	FUZZ_ASSERT(len >= ETH_FRAME_MIN && len <= ETH_FRAME_MAX);
	fuzz_touch(frame, len);
	sent++;
	return 0;
}

static void fake_poll(struct netdev *dev)
{
	(void)dev;
}

static const struct netdev_ops fake_ops = {.transmit = fake_transmit, .poll = fake_poll};
static struct netdev dev = {.driver = "fuzz",
			    .ops = &fake_ops,
			    .mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56},
			    .mtu = ETH_MTU,
			    .link_up = true};

/* ---- endpoints, so frames reach protocol state ---- */

static void udp_echo(struct inet_udp *u, void *arg, const void *data, size_t len, uint32_t from,
		     uint16_t port)
{
	(void)arg;
	fuzz_touch(data, len);
	inet_udp_sendto(u, data, len, from, port);
}

/* The TCP listener's connections: every other delivery is consumed at
 * once, the rest when the next comes (the window closes and reopens);
 * each is answered; the peer's close is answered by ours. */
static void tcp_got(struct inet_tcp *c, void *arg, const void *data, size_t len)
{
	static size_t held;
	(void)arg;
	if (!data) {
		inet_tcp_close(c);
		return;
	}
	fuzz_touch(data, len);
	held += len;
	if (held & 1) {
		inet_tcp_consumed(c, held);
		held = 0;
	}
	inet_tcp_write(c, "ok\n", 3);
}

static struct inet_ping echo_req = {.seq = 1, .size = 32, .state = INET_REQ_DONE};
static struct inet_resolve dns_req = {.name = "example.optios"};

static void setup(void)
{
	static const char conf[] = "eth0.mode = static\neth0.address = 10.0.2.15\neth0.gateway = 10.0.2.2\n"
				   "dns.1 = 10.0.2.3\n";
	/* A small budget: the stack's out-of-memory paths are part of the
	 * receive path, and fewer connections keep each run fast. */
	FUZZ_ASSERT(conf_apply_cmdline("optios.conf.net.memory_kib=128", NULL, NULL) == 0);
	inet_init(conf, sizeof conf - 1, "");
	FUZZ_ASSERT(netdev_register(&dev) == 0);
	struct inet_udp *u;
	FUZZ_ASSERT(inet_udp_open(7, udp_echo, NULL, &u) == 0);
	static const struct inet_tcp_ops ops = {.received = tcp_got};
	struct inet_tcp *l;
	FUZZ_ASSERT(inet_tcp_listen(80, &ops, NULL, &l) == 0);
}

/* Keeps one echo and one dns_req in flight: their replies can be faked. */
static void requests(void)
{
	if (echo_req.state != INET_REQ_WAITING) {
		echo_req.addr = 0x0202000a; /* 10.0.2.2 */
		echo_req.seq++;
		inet_ping_send(&echo_req);
	}
	if (!dns_req.active)
		inet_resolve_start(&dns_req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	requests();
	while (size >= 3) {
		now_ns += (uint64_t)data[0] * 100 * NS_PER_MS;
		size_t len = ((size_t)data[1] | (size_t)data[2] << 8) % 1600;
		data += 3, size -= 3;
		if (len > size)
			len = size;
		netdev_receive(&dev, data, len);
		data += len, size -= len;
		net_timer_kick();
		net_run();
	}
	struct inet_mem_stats m;
	inet_mem_stats(&m);
	FUZZ_ASSERT(m.in_use <= m.limit);
	return 0;
}
