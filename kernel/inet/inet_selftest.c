/*
 * inet_selftest.c - the stack on a real device, under QEMU user networking
 * (10.0.2.15 from DHCP, the gateway 10.0.2.2 answering pings, its TFTP
 * server on 10.0.2.2:69). They need a network device, so they are
 * SELFTEST_SLOW: run only when named, by tests/system/test_net.py, which
 * attaches one. In self-test mode no scheduler runs the network's work
 * loop: wait() below does what the scheduler's idle loop does.
 */
#include <optios/abi/errno.h>

#include "arch.h"
#include "kernel/inet/inet.h"
#include "kernel/irq/irq.h"
#include "kernel/test/selftest.h"
#include "kernel/time/time.h"
#include "lib/lib.h"

static struct timer wake;
static void wake_fire(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
}

/* Runs the work loop, halting between interrupts, until done(arg) or the
 * deadline. Returns done's last answer. */
static bool wait(bool (*done)(void *arg), void *arg, uint64_t timeout_ns)
{
	uint64_t end = clock_now_ns() + timeout_ns;
	timer_init(&wake, wake_fire, NULL);
	timer_arm(&wake, end);
	bool ok;
	while (!(ok = done(arg)) && clock_now_ns() < end) {
		uint64_t f = irq_save();
		if (net_pending()) {
			irq_restore(f);
			irq_enable();
			net_run();
		} else {
			arch_idle(); /* sti; hlt: the interrupt that kicks the loop wakes it */
		}
		irq_restore(f);
	}
	timer_cancel(&wake);
	return ok;
}

static bool bound(void *arg)
{
	struct inet_if_info i;
	return inet_if_info(0, &i) == 0 && i.bound && (*(struct inet_if_info *)arg = i, true);
}

static bool req_done(void *arg)
{
	return *(volatile enum inet_req_state *)arg != INET_REQ_WAITING;
}

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a | b << 8 | c << 16 | d << 24;
}

/* DHCP's address, then an echo from the gateway; the counters move. */
static int dhcp_then_ping(uint64_t *rtt)
{
	struct inet_if_info before, after;
	ST_CHECK(wait(bound, &before, 10 * NS_PER_SEC));
	ST_CHECK(before.addr == ip(10, 0, 2, 15) && before.gateway == ip(10, 0, 2, 2));
	ST_CHECK(before.netmask == ip(255, 255, 255, 0) && before.cfg == INET_CFG_DHCP);
	struct inet_ping p = {.addr = ip(10, 0, 2, 2), .seq = 7, .size = 100};
	ST_CHECK(inet_ping_send(&p) == 0);
	bool answered = wait(req_done, (void *)&p.state, 5 * NS_PER_SEC);
	inet_ping_cancel(&p);
	ST_CHECK(answered && p.state == INET_REQ_DONE);
	ST_CHECK(p.reply_size == 100 && p.rtt_ns > 0);
	ST_CHECK(inet_if_info(0, &after) == 0);
	kprintf("selftest:   frames in %lu -> %lu, out %lu -> %lu, interrupts %lu -> %lu\n",
		(unsigned long)before.stats.rx_frames, (unsigned long)after.stats.rx_frames,
		(unsigned long)before.stats.tx_frames, (unsigned long)after.stats.tx_frames,
		(unsigned long)before.stats.irqs, (unsigned long)after.stats.irqs);
	ST_CHECK(after.stats.rx_frames > before.stats.rx_frames &&
		 after.stats.tx_frames > before.stats.tx_frames);
	*rtt = p.rtt_ns;
	return 0;
}

SELFTEST_FLAGS(net_dhcp_ping, SELFTEST_SLOW)
{
	uint64_t rtt;
	int err = dhcp_then_ping(&rtt);
	if (!err)
		kprintf("selftest:   10.0.2.15 by DHCP; ping 10.0.2.2: %lu us\n",
			(unsigned long)(rtt / NS_PER_US));
	/* Bad requests are refused, not sent. */
	struct inet_ping big = {.addr = ip(10, 0, 2, 2), .size = INET_PING_MAX + 1};
	ST_CHECK(inet_ping_send(&big) == -EINVAL);
	return err;
}

/* ---- a UDP endpoint: QEMU's TFTP server sends the file the test put there ---- */

struct tftp {
	uint8_t reply[600];
	size_t len;
	uint32_t from;
	uint16_t port;
	int got;
};

static void tftp_recv(struct inet_udp *u, void *arg, const void *data, size_t len, uint32_t from,
		      uint16_t port)
{
	(void)u;
	struct tftp *t = arg;
	t->len = len < sizeof t->reply ? len : sizeof t->reply;
	memcpy(t->reply, data, t->len);
	t->from = from;
	t->port = port;
	t->got++;
}

static bool tftp_got(void *arg)
{
	return ((struct tftp *)arg)->got > 0;
}

#define TFTP_TEXT "OptiOS over UDP\n" /* tests/system/test_net.py writes it */

SELFTEST_FLAGS(net_udp_tftp, SELFTEST_SLOW)
{
	struct inet_if_info i;
	ST_CHECK(wait(bound, &i, 10 * NS_PER_SEC));
	static struct tftp t;
	memset(&t, 0, sizeof t);
	struct inet_udp *u, *dup;
	ST_CHECK(inet_udp_open(0, tftp_recv, &t, &u) == 0);
	ST_CHECK(inet_udp_port(u) != 0);
	ST_CHECK(inet_udp_open(inet_udp_port(u), tftp_recv, &t, &dup) == -EADDRINUSE);
	static const char rrq[] = "\0\1optios.txt\0octet"; /* opcode 1: read request */
	int err = inet_udp_sendto(u, rrq, sizeof rrq, ip(10, 0, 2, 2), 69);
	bool got = err == 0 && wait(tftp_got, &t, 5 * NS_PER_SEC);
	if (got) { /* acknowledge block 1, so the server finishes */
		uint8_t ack[4] = {0, 4, t.reply[2], t.reply[3]};
		inet_udp_sendto(u, ack, sizeof ack, t.from, t.port);
	}
	inet_udp_close(u);
	ST_CHECK(err == 0 && got);
	ST_CHECK(t.from == ip(10, 0, 2, 2) && t.port != 0);
	ST_CHECK(t.len == 4 + sizeof TFTP_TEXT - 1);
	ST_CHECK(t.reply[0] == 0 && t.reply[1] == 3 && t.reply[2] == 0 && t.reply[3] == 1); /* DATA block 1 */
	ST_CHECK(memcmp(t.reply + 4, TFTP_TEXT, sizeof TFTP_TEXT - 1) == 0);
	kprintf("selftest:   TFTP from 10.0.2.2:%u: %u bytes of optios.txt over a UDP endpoint\n", t.port,
		(unsigned)(t.len - 4));
	return 0;
}

/* ---- idle with the network up ---- */

static uint64_t all_interrupts(void)
{
	uint64_t sum = 0;
	for (unsigned v = 32; v < 256; v++)
		sum += irq_count(v);
	return sum;
}

static bool stack_quiet(void *arg)
{
	(void)arg;
	if (net_pending())
		return false; /* a deadline just fired: the loop re-arms it */
	uint64_t next = inet_deadline_ns();
	return next == TIMER_NEVER || next > clock_now_ns() + 60 * NS_PER_SEC;
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

/* After DHCP and a ping, the stack needs no timer within a minute once its
 * ARP request stops pending; then five idle seconds take no interrupt but
 * the one ending them (the lease's renewal is hours away). */
SELFTEST_FLAGS(net_idle, SELFTEST_SLOW)
{
	uint64_t rtt;
	int err = dhcp_then_ping(&rtt);
	if (err)
		return err;
	uint64_t t0 = clock_now_ns();
	ST_CHECK(wait(stack_quiet, NULL, 10 * NS_PER_SEC));
	uint64_t quiet_after = clock_now_ns() - t0;
	struct timer_stats s0, s1;
	struct inet_if_info i0, i1;
	inet_if_info(0, &i0);
	timer_stats_get(&s0);
	uint64_t all0 = all_interrupts(), timer0 = irq_count_by_name("timer");
	wait(never, NULL, 5 * NS_PER_SEC);
	timer_stats_get(&s1);
	inet_if_info(0, &i1);
	uint64_t timer_irqs = irq_count_by_name("timer") - timer0,
		 other = all_interrupts() - all0 - timer_irqs;
	kprintf("selftest:   network up, idle 5000 ms (%s) after %lu ms: %lu timer interrupt(s) (%lu "
		"re-arms), "
		"%lu other, %lu frames in\n",
		s1.mode, (unsigned long)(quiet_after / NS_PER_MS), (unsigned long)timer_irqs,
		(unsigned long)(s1.early - s0.early), (unsigned long)other,
		(unsigned long)(i1.stats.rx_frames - i0.stats.rx_frames));
	ST_CHECK(other == 0 && i1.stats.irqs == i0.stats.irqs);
	ST_CHECK(timer_irqs - (s1.early - s0.early) == 1); /* the wait's own end */
	return 0;
}

/* ---- TCP endpoints: QEMU's guestfwd runs `cat` at 10.0.2.100:7, and the
 * host connects through hostfwd to port 8080 (tests/system/test_net.py) ---- */

#define ECHO_BYTES (64 * 1024)

struct tcp_run {
	struct inet_tcp *c;
	size_t written, got, consumed;
	bool connected, peer_closed, failed;
	uint32_t sum_out, sum_in;
	uint8_t last[64];
	size_t last_len;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

static void tcp_pump(struct tcp_run *r)
{
	uint8_t buf[1024];
	while (r->written < ECHO_BYTES) {
		size_t n = ECHO_BYTES - r->written < sizeof buf ? ECHO_BYTES - r->written : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(r->written + i);
		long k = inet_tcp_write(r->c, buf, n);
		if (k <= 0)
			break;
		for (long i = 0; i < k; i++)
			r->sum_out = r->sum_out * 31 + buf[i];
		r->written += (size_t)k;
	}
}

static void t_connected(struct inet_tcp *c, void *arg, int err)
{
	(void)c;
	struct tcp_run *r = arg;
	r->connected = err == 0;
	if (r->connected)
		tcp_pump(r);
}

static void t_received(struct inet_tcp *c, void *arg, const void *data, size_t len)
{
	(void)c;
	struct tcp_run *r = arg;
	if (!data) {
		r->peer_closed = true;
		return;
	}
	for (size_t i = 0; i < len; i++)
		r->sum_in = r->sum_in * 31 + ((const uint8_t *)data)[i];
	r->got += len;
	r->last_len = len < sizeof r->last ? len : sizeof r->last;
	memcpy(r->last, data, r->last_len);
}

static void t_sent(struct inet_tcp *c, void *arg, size_t n)
{
	(void)c;
	(void)n;
	tcp_pump(arg);
}

static void t_error(struct inet_tcp *c, void *arg, int err)
{
	(void)c;
	(void)err;
	struct tcp_run *r = arg;
	r->failed = true;
	r->c = NULL;
}

static const struct inet_tcp_ops echo_ops = {
	.connected = t_connected, .received = t_received, .sent = t_sent, .error = t_error};

/* Consumes what arrived, as an owner does at its commit: the window reopens. */
static bool echo_done(void *arg)
{
	struct tcp_run *r = arg;
	if (r->c && r->got > r->consumed) {
		inet_tcp_consumed(r->c, r->got - r->consumed);
		r->consumed = r->got;
	}
	return r->failed || r->got >= ECHO_BYTES;
}

static int tcp_echo_through_cat(void)
{
	static struct tcp_run r;
	memset(&r, 0, sizeof r);
	ST_CHECK(inet_tcp_connect(ip(10, 0, 2, 100), 7, &echo_ops, &r, &r.c) == 0);
	uint64_t t0 = clock_now_ns();
	/* Nothing consumed for a second: the peer fills the window and stops. */
	wait(never, NULL, NS_PER_SEC);
	size_t stalled = r.got;
	bool ok = wait(echo_done, &r, 20 * NS_PER_SEC);
	uint64_t took = clock_now_ns() - t0;
	if (r.c)
		inet_tcp_abort(r.c); /* a close would leave TIME_WAIT state for 2 minutes */
	ST_CHECK(stalled > 0 && stalled <= INET_TCP_WINDOW);
	ST_CHECK(ok && !r.failed && r.connected);
	ST_CHECK(r.written == ECHO_BYTES && r.got == ECHO_BYTES && r.sum_in == r.sum_out);
	kprintf("selftest:   TCP echo of %u bytes through 10.0.2.100:7 in %lu ms; %zu bytes in while "
		"nothing was consumed (window %u)\n",
		ECHO_BYTES, (unsigned long)(took / NS_PER_MS), stalled, INET_TCP_WINDOW);
	return 0;
}

static bool got_some(void *arg)
{
	return ((struct tcp_run *)arg)->got > 0 || ((struct tcp_run *)arg)->failed;
}

struct listen_run {
	struct inet_tcp *conn;
	struct tcp_run r;
};

static void l_accepted(struct inet_tcp *l, struct inet_tcp *c, void *arg)
{
	(void)l;
	struct listen_run *lr = arg;
	lr->conn = c;
	lr->r.c = c;
	static const struct inet_tcp_ops serve_ops = {.received = t_received, .error = t_error};
	inet_tcp_set(c, &serve_ops, &lr->r);
}

static const struct inet_tcp_ops listen_ops = {.accepted = l_accepted};

static bool peer_closed(void *arg)
{
	struct tcp_run *r = arg;
	echo_done(r);
	return r->peer_closed || r->failed;
}

static int tcp_accept_from_host(void)
{
	static struct listen_run lr;
	memset(&lr, 0, sizeof lr);
	struct inet_tcp *l, *dup;
	ST_CHECK(inet_tcp_listen(8080, &listen_ops, &lr, &l) == 0);
	ST_CHECK(inet_tcp_listen(8080, &listen_ops, &lr, &dup) == -EADDRINUSE);
	kprintf("selftest:   listening on TCP 8080\n");
	bool got = wait(got_some, &lr.r, 30 * NS_PER_SEC);
	long w = -1;
	if (got && lr.conn) { /* answer with what came, then wait for the host to close */
		static const char hello[] = "hello from OptiOS: ";
		inet_tcp_write(lr.conn, hello, sizeof hello - 1);
		w = inet_tcp_write(lr.conn, lr.r.last, lr.r.last_len);
	}
	bool closed = got && wait(peer_closed, &lr.r, 10 * NS_PER_SEC);
	if (lr.r.c)
		inet_tcp_close(lr.r.c);
	inet_tcp_close(l);
	ST_CHECK(got && lr.conn && w == (long)lr.r.last_len && closed);
	return 0;
}

static bool mem_back(void *arg)
{
	struct inet_mem_stats m;
	inet_mem_stats(&m);
	return m.in_use <= *(uint64_t *)arg;
}

SELFTEST_FLAGS(net_tcp, SELFTEST_SLOW)
{
	struct inet_if_info i;
	ST_CHECK(wait(bound, &i, 10 * NS_PER_SEC));
	struct inet_mem_stats m0;
	inet_mem_stats(&m0);
	int err = tcp_echo_through_cat();
	if (!err)
		err = tcp_accept_from_host();
	/* Our FIN is acknowledged (LAST_ACK ends): the stack's memory is back. */
	ST_CHECK(wait(mem_back, &m0.in_use, 5 * NS_PER_SEC));
	return err;
}
