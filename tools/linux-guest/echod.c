/*
 * echod - a resident echo daemon (RFC 862) on UDP and TCP port 7, the Linux
 * side of the network benchmarks (tools/netbench.py): what a Unix system
 * runs where OptiOS runs the /apps/echo handler. One process for UDP
 * (recvfrom, sendto, forever), one for TCP (one connection at a time: read,
 * write back, until the peer closes).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[65536];

static int bound(int type)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7)};
	int s = socket(AF_INET, type, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    (type == SOCK_STREAM && listen(s, 16) != 0)) {
		perror("echod: socket");
		return -1;
	}
	return s;
}

static void tcp(int l)
{
	for (;;) {
		int c = accept(l, NULL, NULL);
		ssize_t n;
		while (c >= 0 && (n = read(c, buf, sizeof buf)) > 0)
			for (ssize_t off = 0, w; off < n; off += w)
				if ((w = write(c, buf + off, (size_t)(n - off))) <= 0)
					break;
		close(c);
	}
}

int main(void)
{
	int u = bound(SOCK_DGRAM), t = bound(SOCK_STREAM);
	if (u < 0 || t < 0)
		return 1;
	printf("echod: ready on UDP and TCP port 7\n");
	fflush(stdout);
	if (fork() == 0)
		tcp(t);
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n >= 0)
			sendto(u, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}
