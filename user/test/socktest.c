/*
 * socktest: BSD sockets as a static musl program sees them
 * (tests/system/test_sockets.py). Each check prints "ok NAME" or
 * "FAIL NAME: what happened"; the last line counts them.
 *
 *   socktest errors HOST ECHO_PORT CLOSED_PORT  the error semantics: a
 *       refused connect, non-blocking connect + poll + SO_ERROR, names,
 *       EADDRINUSE, shutdown, EPIPE with and without SIGPIPE, a receive
 *       timeout, EINTR, ENOTCONN, denials (HOST runs an echo server on
 *       ECHO_PORT; nothing listens on CLOSED_PORT)
 *   socktest abuse               bad arguments and 5,000 random socket calls
 *   socktest serve PORT          poll on a listener, accept one, echo a line
 *   socktest resolve NAME        getaddrinfo through musl's resolver
 *   socktest send HOST PORT N    N bytes to HOST:PORT, then the time taken
 *   socktest recv HOST PORT      bytes from HOST:PORT to its end, and the time
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;
static volatile int sigpipes, alarms;

static void check(const char *name, int ok, const char *fmt, long v)
{
	if (ok) {
		printf("ok %s\n", name);
		passed++;
	} else {
		printf("FAIL %s: ", name);
		printf(fmt, v);
		printf(" (errno %d %s)\n", errno, strerror(errno));
		failed++;
	}
}

static struct sockaddr_in addr(const char *host, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, host, &a.sin_addr);
	return a;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void on_sigpipe(int s)
{
	(void)s;
	sigpipes++;
}

static void on_alarm(int s)
{
	(void)s;
	alarms++;
}

static int tcp_to(const char *host, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr(host, port);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void errors(const char *host, int echo_port, int closed_port)
{
	struct sockaddr_in a = addr(host, closed_port), b;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int r = connect(fd, (struct sockaddr *)&a, sizeof a);
	check("connect_refused", r < 0 && errno == ECONNREFUSED, "connect gave %ld", r);
	close(fd);

	/* non-blocking connect, refused: poll says so, SO_ERROR says why */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	r = connect(fd, (struct sockaddr *)&a, sizeof a);
	check("nonblocking_connect_in_progress", r < 0 && errno == EINPROGRESS, "connect gave %ld", r);
	struct pollfd p = {fd, POLLOUT, 0};
	r = poll(&p, 1, 5000);
	int err = 0;
	len = sizeof err;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	check("nonblocking_connect_refused_so_error", r == 1 && (p.revents & POLLERR) && err == ECONNREFUSED,
	      "SO_ERROR %ld", err);
	close(fd);

	/* non-blocking connect that works */
	a = addr(host, echo_port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r = connect(fd, (struct sockaddr *)&a, sizeof a);
	p = (struct pollfd){fd, POLLOUT, 0};
	r = poll(&p, 1, 5000);
	err = -1;
	len = sizeof err;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	check("nonblocking_connect_poll_pollout", r == 1 && p.revents == POLLOUT && err == 0, "revents %#lx",
	      p.revents);
	r = connect(fd, (struct sockaddr *)&a, sizeof a);
	check("connect_again_eisconn", r < 0 && errno == EISCONN, "connect gave %ld", r);
	int type = 0;
	len = sizeof type;
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	check("so_type", type == SOCK_STREAM && len == sizeof type, "SO_TYPE %ld", type);
	int one = 1;
	check("tcp_nodelay", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "%ld", 0);
	len = sizeof b;
	r = getpeername(fd, (struct sockaddr *)&b, &len);
	check("getpeername", r == 0 && b.sin_addr.s_addr == a.sin_addr.s_addr && b.sin_port == a.sin_port,
	      "port %ld", ntohs(b.sin_port));
	len = sizeof b;
	r = getsockname(fd, (struct sockaddr *)&b, &len);
	char local[32];
	inet_ntop(AF_INET, &b.sin_addr, local, sizeof local);
	printf("local address %s:%d\n", local, ntohs(b.sin_port));
	check("getsockname", r == 0 && b.sin_port != 0 && b.sin_addr.s_addr != 0, "%ld", r);
	char buf[64];
	r = (int)recv(fd, buf, sizeof buf, 0);
	check("nonblocking_recv_eagain", r < 0 && errno == EAGAIN, "recv gave %ld", r);
	fcntl(fd, F_SETFL, 0);
	r = (int)send(fd, "ping\n", 5, 0);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timeval tv5 = {5, 0};
	r = select(fd + 1, &rd, NULL, NULL, &tv5);
	check("select_readable", r == 1 && FD_ISSET(fd, &rd), "select gave %ld", r);
	r = (int)recv(fd, buf, 5, MSG_WAITALL);
	check("echo", r == 5 && memcmp(buf, "ping\n", 5) == 0, "recv gave %ld", r);

	/* a fork child shares the connection (and a dup of it) */
	pid_t kid = fork();
	if (kid == 0) {
		int d = dup(fd);
		_exit(send(d, "kid\n", 4, 0) == 4 ? 0 : 1);
	}
	int status = -1;
	waitpid(kid, &status, 0);
	r = (int)recv(fd, buf, 4, MSG_WAITALL);
	check("fork_child_shares_the_socket", status == 0 && r == 4 && memcmp(buf, "kid\n", 4) == 0,
	      "recv gave %ld", r);

	/* shutdown: our FIN reaches the echo server, which closes: end of file */
	r = shutdown(fd, SHUT_WR);
	r = (int)recv(fd, buf, sizeof buf, 0);
	check("shutdown_wr_then_eof", r == 0, "recv gave %ld", r);
	signal(SIGPIPE, on_sigpipe);
	r = (int)send(fd, "x", 1, MSG_NOSIGNAL);
	check("epipe_msg_nosignal", r < 0 && errno == EPIPE && sigpipes == 0, "send gave %ld", r);
	r = (int)write(fd, "x", 1);
	check("epipe_sigpipe", r < 0 && errno == EPIPE && sigpipes == 1, "sigpipes %ld", sigpipes);
	close(fd);

	/* a connection from the port bound before connect */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	b = addr("0.0.0.0", 7777);
	r = bind(fd, (struct sockaddr *)&b, sizeof b);
	a = addr(host, echo_port);
	r = r ? r : connect(fd, (struct sockaddr *)&a, sizeof a);
	len = sizeof b;
	getsockname(fd, (struct sockaddr *)&b, &len);
	check("connect_from_the_bound_port", r == 0 && ntohs(b.sin_port) == 7777, "port %ld",
	      ntohs(b.sin_port));
	close(fd);

	/* EADDRINUSE, TCP and UDP */
	int l1 = socket(AF_INET, SOCK_STREAM, 0), l2 = socket(AF_INET, SOCK_STREAM, 0), r2;
	a = addr("0.0.0.0", 7777);
	setsockopt(l1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	r = bind(l1, (struct sockaddr *)&a, sizeof a);
	r = r ? r : listen(l1, 4);
	check("listen", r == 0, "%ld", r);
	r = bind(l2, (struct sockaddr *)&a, sizeof a);
	check("tcp_eaddrinuse", r < 0 && errno == EADDRINUSE, "bind gave %ld", r);
	int b1 = socket(AF_INET, SOCK_STREAM, 0), b2 = socket(AF_INET, SOCK_STREAM, 0);
	b = addr("0.0.0.0", 7780);
	r = bind(b1, (struct sockaddr *)&b, sizeof b);
	r2 = bind(b2, (struct sockaddr *)&b, sizeof b);
	check("tcp_eaddrinuse_bound_not_listening", r == 0 && r2 < 0 && errno == EADDRINUSE, "bind gave %ld",
	      r2);
	close(b1);
	r2 = bind(b2, (struct sockaddr *)&b, sizeof b);
	check("bind_again_after_eaddrinuse", r2 == 0, "bind gave %ld", r2);
	close(b2);
	p = (struct pollfd){l1, POLLIN, 0};
	r = poll(&p, 1, 0);
	check("poll_listener_idle", r == 0, "poll gave %ld", r);
	close(l1);
	close(l2);
	int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
	a = addr("0.0.0.0", 7778);
	r = bind(u1, (struct sockaddr *)&a, sizeof a);
	r2 = bind(u2, (struct sockaddr *)&a, sizeof a);
	check("udp_eaddrinuse", r == 0 && r2 < 0 && errno == EADDRINUSE, "bind gave %ld", r2);

	/* a receive timeout, then EINTR */
	struct timeval tv = {0, 200000};
	setsockopt(u1, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	uint64_t t0 = now_ns();
	r = (int)recv(u1, buf, sizeof buf, 0);
	uint64_t dt = now_ns() - t0;
	check("recv_timeout", r < 0 && errno == EAGAIN && dt >= 190000000u && dt < 2000000000u,
	      "after %ld ns", (long)dt);
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	r = (int)recv(u2, buf, sizeof buf, 0);
	check("recv_eintr", r < 0 && errno == EINTR && alarms == 1, "recv gave %ld", r);
	sa.sa_flags = SA_RESTART; /* restarted, but not with a timeout (Linux) */
	sigaction(SIGALRM, &sa, NULL);
	tv = (struct timeval){5, 0};
	setsockopt(u2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	alarm(1);
	t0 = now_ns();
	r = (int)recv(u2, buf, sizeof buf, 0);
	dt = now_ns() - t0;
	check("recv_timeout_eintr_despite_sa_restart",
	      r < 0 && errno == EINTR && alarms == 2 && dt < 3000000000u, "after %ld ns", (long)dt);
	close(u1);
	close(u2);

	/* ENOTCONN, and what is not a socket */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	r = (int)recv(fd, buf, sizeof buf, 0);
	check("recv_unconnected_enotconn", r < 0 && errno == ENOTCONN, "recv gave %ld", r);
	len = sizeof b;
	r = getpeername(fd, (struct sockaddr *)&b, &len);
	check("getpeername_enotconn", r < 0 && errno == ENOTCONN, "gave %ld", r);
	r = (int)send(fd, "x", 1, MSG_NOSIGNAL);
	check("send_unconnected_epipe", r < 0 && errno == EPIPE, "send gave %ld", r);
	close(fd);
	r = listen(0, 1);
	check("enotsock", r < 0 && errno == ENOTSOCK, "listen gave %ld", r);
	r = socket(AF_INET6, SOCK_STREAM, 0);
	check("ipv6_eafnosupport", r < 0 && errno == EAFNOSUPPORT, "socket gave %ld", r);

	/* what the manifest does not declare is refused */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a = addr("10.0.2.99", 80);
	r = connect(fd, (struct sockaddr *)&a, sizeof a);
	check("connect_denied_eacces", r < 0 && errno == EACCES, "connect gave %ld", r);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	a = addr("10.0.2.3", 9);
	r = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
	check("sendto_denied_eacces", r < 0 && errno == EACCES, "sendto gave %ld", r);
	a = addr("0.0.0.0", 7779);
	r = bind(fd, (struct sockaddr *)&a, sizeof a);
	check("bind_denied_eacces", r < 0 && errno == EACCES, "bind gave %ld", r);
	close(fd);
	printf("socktest: %d passed, %d failed\n", passed, failed);
}

/* Bad arguments get their errors, and random ones never hurt the kernel. */
static void abuse(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr("10.0.2.2", 9);
	char buf[64];
	int r = (int)sendto(u, buf, 1, 0, (struct sockaddr *)8, sizeof a);
	check("sendto_bad_address_efault", r < 0 && errno == EFAULT, "gave %ld", r);
	r = (int)recv(t, (void *)8, 10, MSG_DONTWAIT);
	check("recv_unconnected_before_the_buffer", r < 0 && errno == ENOTCONN, "gave %ld", r);
	r = bind(u, (struct sockaddr *)&a, 3);
	check("bind_short_address_einval", r < 0 && errno == EINVAL, "gave %ld", r);
	r = listen(u, 1);
	check("listen_udp_eopnotsupp", r < 0 && errno == EOPNOTSUPP, "gave %ld", r);
	r = accept(t, NULL, NULL);
	check("accept_not_listening_einval", r < 0 && errno == EINVAL, "gave %ld", r);
	r = shutdown(t, 7);
	check("shutdown_bad_how_einval", r < 0 && errno == EINVAL, "gave %ld", r);
	r = setsockopt(t, 99, 1, buf, 4);
	check("setsockopt_bad_level_enoprotoopt", r < 0 && errno == ENOPROTOOPT, "gave %ld", r);
	socklen_t len = sizeof buf;
	r = getsockopt(t, SOL_SOCKET, SO_TYPE, buf, (socklen_t *)8);
	check("getsockopt_bad_length_efault", r < 0 && errno == EFAULT, "gave %ld", r);
	r = socket(AF_INET, SOCK_SEQPACKET, 0);
	check("seqpacket_esocktnosupport", r < 0 && errno == ESOCKTNOSUPPORT, "gave %ld", r);
	r = socket(AF_INET, SOCK_STREAM, IPPROTO_UDP);
	check("stream_udp_eprotonosupport", r < 0 && errno == EPROTONOSUPPORT, "gave %ld", r);
	struct msghdr m = {.msg_iovlen = 100000};
	r = (int)sendmsg(u, &m, 0);
	check("sendmsg_too_many_iovecs_emsgsize", r < 0 && errno == EMSGSIZE, "gave %ld", r);
	(void)len;
	/* random calls with random arguments on these and bad descriptors */
	signal(SIGPIPE, SIG_IGN); /* a random send on an unconnected stream */
	static const long calls[] = {41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 54, 55, 288};
	unsigned x = 12345;
	int ok = 1;
	for (int i = 0; i < 5000; i++) {
		long arg[6];
		for (int k = 0; k < 6; k++) {
			x = x * 1103515245 + 12345;
			unsigned v = x >> 8;
			arg[k] = v % 4 == 0   ? (long)(v % 16)
				 : v % 4 == 1 ? (long)buf
				 : v % 4 == 2 ? -(long)(v % 100)
					      : (long)v;
		}
		arg[0] = x % 3 == 0 ? u : x % 3 == 1 ? t : 20 + (long)(x % 20); /* never the console's */
		long nr = calls[(x >> 4) % (sizeof calls / sizeof calls[0])];
		if (nr == 41 || nr == 43 || nr == 288) { /* bounded descriptors, no blocking accept */
			long fd = syscall(nr, 2, 2 | 04000, 0, 0, 0, 0);
			if (fd > 10)
				close((int)fd);
			continue;
		}
		if (nr == 45)
			arg[3] |= MSG_DONTWAIT;
		if (nr == 47)
			arg[2] |= MSG_DONTWAIT;
		if (arg[0] == u || arg[0] == t) /* no blocking connect or send */
			fcntl((int)arg[0], F_SETFL, O_NONBLOCK);
		long r2 = syscall(nr, arg[0], arg[1], arg[2], arg[3], arg[4], arg[5]);
		if (r2 == -1 && errno == ENOSYS)
			ok = 0;
	}
	check("random_socket_calls_survived", ok, "%ld", 0);
	printf("socktest: %d passed, %d failed\n", passed, failed);
}

static void serve(int port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = addr("0.0.0.0", port), peer;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1)) {
		printf("socktest: listen: %s\n", strerror(errno));
		return;
	}
	printf("socktest: listening on %d\n", port);
	fflush(stdout);
	struct pollfd p = {l, POLLIN, 0};
	int r = poll(&p, 1, 20000);
	check("poll_listener_ready", r == 1 && p.revents == POLLIN, "poll gave %ld", r);
	socklen_t len = sizeof peer;
	int c = accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	char buf[128], who[32];
	inet_ntop(AF_INET, &peer.sin_addr, who, sizeof who);
	check("accept", c >= 0 && len == sizeof peer, "accept gave %ld", c);
	printf("peer %s\n", who);
	ssize_t n = read(c, buf, sizeof buf);
	if (n > 0)
		write(c, buf, (size_t)n);
	close(c); /* we close first: the connection waits in TIME_WAIT */
	close(l);
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	r = bind(l, (struct sockaddr *)&a, sizeof a);
	r = r ? r : listen(l, 1);
	check("listen_again_at_once_after_closing_first", r == 0, "bind/listen gave %ld", r);
	close(l);
	printf("socktest: %d passed, %d failed\n", passed, failed);
}

static void resolve(const char *name)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
	uint64_t t0 = now_ns();
	int r = getaddrinfo(name, "80", &hints, &res);
	long ms = (long)((now_ns() - t0) / 1000000);
	if (r) {
		printf("resolve %s: %s (%d) after %ld ms\n", name, gai_strerror(r), r, ms);
		return;
	}
	for (struct addrinfo *i = res; i; i = i->ai_next) {
		char s[32];
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ai_addr)->sin_addr, s, sizeof s);
		printf("resolve %s: %s\n", name, s);
	}
	freeaddrinfo(res);
}

static void bulk(const char *host, int port, long n)
{
	int fd = tcp_to(host, port);
	if (fd < 0) {
		printf("socktest: connect: %s\n", strerror(errno));
		return;
	}
	static char buf[65536];
	uint64_t t0 = now_ns();
	long done = 0;
	if (n >= 0) {
		memset(buf, 'x', sizeof buf);
		while (done < n) {
			ssize_t w = write(
				fd, buf, (size_t)(n - done < (long)sizeof buf ? n - done : (long)sizeof buf));
			if (w <= 0)
				break;
			done += w;
		}
	} else {
		ssize_t r;
		while ((r = read(fd, buf, sizeof buf)) > 0)
			done += r;
	}
	uint64_t dt = now_ns() - t0;
	close(fd);
	printf("socktest: %ld bytes in %lu us\n", done, (unsigned long)(dt / 1000));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "errors") == 0)
		errors(argv[2], atoi(argv[3]), atoi(argv[4]));
	else if (argc == 2 && strcmp(argv[1], "abuse") == 0)
		abuse();
	else if (argc == 3 && strcmp(argv[1], "serve") == 0)
		serve(atoi(argv[2]));
	else if (argc == 3 && strcmp(argv[1], "resolve") == 0)
		resolve(argv[2]);
	else if (argc == 5 && strcmp(argv[1], "send") == 0)
		bulk(argv[2], atoi(argv[3]), atol(argv[4]));
	else if (argc == 4 && strcmp(argv[1], "recv") == 0)
		bulk(argv[2], atoi(argv[3]), -1);
	else {
		fprintf(stderr,
			"usage: socktest errors HOST ECHO_PORT CLOSED_PORT | serve PORT | resolve NAME | "
			"send HOST PORT BYTES | recv HOST PORT\n");
		return 2;
	}
	return failed ? 1 : 0;
}
