/* ping - ICMP echo to a host, as Linux's ping does (optios_net_ping; the
 * name through optios_net_resolve). Until sockets exist this is OptiOS's
 * own call: BusyBox's ping needs raw ICMP sockets.
 *
 *   ping [-c COUNT] [-s SIZE] [-W TIMEOUT_S] [-i INTERVAL_MS] HOST
 *
 * COUNT 0 pings until Ctrl+C; default 4. Exit status: 0 when any reply
 * came, 1 when none did, 2 for a usage or name error. */
#include <errno.h>
#include <optios.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: ping [-c COUNT] [-s SIZE] [-W TIMEOUT_S] [-i INTERVAL_MS] HOST\n");
	return 2;
}

static int number(const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long count = 4, size = 56, timeout_s = 2, interval_ms = 1000;
	int a = 1;
	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		long *v = !strcmp(argv[a], "-c")   ? &count
			  : !strcmp(argv[a], "-s") ? &size
			  : !strcmp(argv[a], "-W") ? &timeout_s
			  : !strcmp(argv[a], "-i") ? &interval_ms
						   : NULL;
		long max = v == &size ? OPTIOS_PING_MAX : v == &timeout_s ? 60 : 1000000;
		if (!v || number(argv[a + 1], v == &count || v == &size ? 0 : 1, max, v))
			return usage();
	}
	if (a != argc - 1)
		return usage();
	const char *host = argv[a];
	uint32_t addr;
	if (optios_net_resolve(host, &addr, 5000) < 0) {
		fprintf(stderr, "ping: %s: %s\n", host, errno == ENOENT ? "unknown host" : strerror(errno));
		return 2;
	}
	const uint8_t *b = (const uint8_t *)&addr;
	char ip[16];
	snprintf(ip, sizeof ip, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	signal(SIGINT, on_sigint);
	printf("PING %s (%s): %ld data bytes\n", host, ip, size);
	long sent = 0, got = 0;
	uint64_t min = UINT64_MAX, max = 0, sum = 0;
	for (long seq = 0; !stop && (count == 0 || seq < count); seq++) {
		struct optios_ping_reply r;
		sent++;
		if (optios_net_ping(addr, (unsigned)seq, (unsigned)size, (unsigned)(timeout_s * 1000), &r) ==
		    0) {
			got++;
			sum += r.rtt_ns;
			min = r.rtt_ns < min ? r.rtt_ns : min;
			max = r.rtt_ns > max ? r.rtt_ns : max;
			printf("%u bytes from %s: seq=%ld ttl=%u time=%.3f ms\n", r.size + 8, ip, seq, r.ttl,
			       r.rtt_ns / 1e6);
		} else if (errno == EINTR) {
			sent--;
			break;
		} else if (errno == ETIMEDOUT) {
			printf("no reply from %s: seq=%ld\n", ip, seq);
		} else {
			fprintf(stderr, "ping: %s: %s\n", ip, strerror(errno));
			return 1;
		}
		fflush(stdout);
		if (!stop && (count == 0 || seq + 1 < count)) {
			struct timespec ts = {interval_ms / 1000, interval_ms % 1000 * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	printf("--- %s ping statistics ---\n", host);
	printf("%ld packets transmitted, %ld received, %ld%% packet loss\n", sent, got,
	       sent ? (sent - got) * 100 / sent : 0);
	if (got)
		printf("round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", min / 1e6, sum / got / 1e6, max / 1e6);
	return got ? 0 : 1;
}
