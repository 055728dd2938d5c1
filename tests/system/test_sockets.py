"""BSD sockets for foreground programs (kernel/socket, docs/NETWORK.md
"Sockets"): a static musl program's view of the error semantics, BusyBox's
wget, nc (client and server, TCP and UDP) and ping unmodified, musl's
resolver through /etc/resolv.conf, the net.* capabilities and their log
records, and TCP bulk throughput between guest and host."""

import contextlib
import hashlib
import http.server
import os
import re
import socket
import socketserver
import tempfile
import threading
import time

import test_handlers
import test_hostile
import test_net
import test_shell

TIMEOUT = 150


def free_port(kind=socket.SOCK_STREAM):
	s = socket.socket(socket.AF_INET, kind)
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


@contextlib.contextmanager
def tcp_server(handle):
	"""A threaded TCP server on the host's 127.0.0.1 (the guest's 10.0.2.2);
	handle(conn) serves one connection. Yields the port."""
	class Handler(socketserver.BaseRequestHandler):
		def handle(self):
			handle(self.request)
	srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
	srv.daemon_threads = True
	t = threading.Thread(target=srv.serve_forever, daemon=True)
	t.start()
	try:
		yield srv.server_address[1]
	finally:
		srv.shutdown()
		srv.server_close()


def echo(conn):
	while True:
		data = conn.recv(65536)
		if not data:
			return
		conn.sendall(data)


def run(m, cmd, timeout=30):
	return test_shell.run(m, cmd, timeout)[0]


def shell(ctx, netdev=test_net.USER_NET, **kw):
	return test_shell.shell(ctx, extra_args=test_net.nic("virtio-net-pci", netdev), **kw)


def wait_address(m):
	m.wait_for(r"eth0: address 10\.0\.2\.\d+ ", timeout=15, start=0)


def test_error_semantics_of_a_static_musl_program(ctx):
	"""/test/socktest errors: ECONNREFUSED, non-blocking connect with poll
	and SO_ERROR (refused and accepted), EISCONN, names, EAGAIN, select, echo, a
	fork child sharing the connection,
	shutdown then end of file, EPIPE with and without SIGPIPE, EADDRINUSE
	(TCP, UDP), a listener's poll, SO_RCVTIMEO, EINTR, ENOTCONN, ENOTSOCK,
	EAFNOSUPPORT, and what its manifest does not declare refused with
	EACCES - each refusal a deny record, each connect an effect record."""
	closed = free_port()
	with tcp_server(echo) as port, shell(ctx) as m:
		wait_address(m)
		out = run(m, "/test/socktest errors 10.0.2.2 %d %d" % (port, closed), timeout=60)
		assert "FAIL" not in out and re.search(r"socktest: (\d+) passed, 0 failed", out), out
		assert "socktest: 34 passed, 0 failed\n" in out, out
		assert re.search(r"^local address 10\.0\.2\.15:\d+$", out, re.M), out
		log = run(m, "log -h socktest")
		for cap in ("connect net.connect:tcp:10.0.2.99:80", "sendto net.send:udp:10.0.2.3:9",
			    "bind net.listen:udp:7779"):
			assert re.search(r"deny socktest - %s$" % re.escape(cap), log, re.M), (cap, log)
		assert re.search(r"effect socktest .*connect tcp 10\.0\.2\.2:%d" % port, log), log
		assert re.search(r"effect socktest - close tcp 10\.0\.2\.2:%d: sent 9, received 9$" % port, log, re.M), log
		assert re.search(r"effect socktest .*listen tcp 0\.0\.0\.0:7777", log), log


def test_bad_and_random_socket_calls_never_hurt_the_kernel(ctx):
	"""/test/socktest abuse: bad pointers (EFAULT), lengths, levels, kinds,
	states and iovec counts get their errors; then 5,000 socket calls with
	random arguments (descriptors, pointers, lengths, flags, addresses);
	the kernel stays up and the shell answers."""
	with shell(ctx) as m:
		wait_address(m)
		out = run(m, "/test/socktest abuse", timeout=120)
		assert "FAIL" not in out and "socktest: 12 passed, 0 failed\n" in out, out
		assert run(m, "echo alive") == "alive\n"


def test_wget_busybox_ping_and_dns_through_qemus_resolver(ctx):
	"""BusyBox's wget fetches a file from a web server on the host
	(10.0.2.2) whole (checksum); BusyBox's ping (a raw ICMP socket) is
	answered; /etc/resolv.conf names DHCP's DNS server, QEMU's 10.0.2.3,
	and musl's getaddrinfo asks it: offline the host's resolver answers
	NXDOMAIN (online it may resolve) - never a timeout."""
	body = os.urandom(300 * 1024)
	with tempfile.TemporaryDirectory() as d:
		with open(os.path.join(d, "blob.bin"), "wb") as f:
			f.write(body)

		class Quiet(http.server.SimpleHTTPRequestHandler):
			def __init__(self, *a, **kw):
				super().__init__(*a, directory=d, **kw)

			def log_message(self, *a):
				pass
		srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
		t = threading.Thread(target=srv.serve_forever, daemon=True)
		t.start()
		try:
			with shell(ctx) as m:
				wait_address(m)
				out = run(m, "wget -q -O /tmp/blob.bin http://10.0.2.2:%d/blob.bin" % srv.server_address[1],
					  timeout=60)
				assert out == "", out
				out = run(m, "sha256sum /tmp/blob.bin")
				assert out.split()[0] == hashlib.sha256(body).hexdigest(), out
				out = run(m, "wget -O - http://10.0.2.2:%d/nothing" % srv.server_address[1])
				assert "404" in out, out
				out = run(m, "/usr/bin/ping -c 2 10.0.2.2", timeout=30)
				assert len(re.findall(r"^\d+ bytes from 10\.0\.2\.2: seq=\d ttl=\d+ time=", out, re.M)) == 2, out
				assert "2 packets transmitted, 2 packets received, 0% packet loss" in out, out
				assert run(m, "cat /etc/resolv.conf") == \
					"# the DNS servers in use (DHCP or /etc/net.conf)\nnameserver 10.0.2.3\n"
				out = run(m, "nslookup optios-sockets.invalid", timeout=40)
				assert "** server can't find optios-sockets.invalid: NXDOMAIN" in out or "Name:" in out, out
				out = run(m, "/test/socktest resolve optios-sockets.invalid", timeout=40)
				assert re.match(r"resolve optios-sockets\.invalid: (Name does not resolve \(-2\)|\d+\.\d+\.\d+\.\d+)", out), out
				out = run(m, "policy who-can net.connect:tcp:10.0.2.2:80")
				assert "  busybox (/bin/busybox) by net.connect:tcp:*:*\n" in out, out
				assert "  socktest (/test/socktest) by net.connect:tcp:10.0.2.2:*\n" in out, out
				assert run(m, "policy who-can net.connect:tcp:10.0.2.7:80").count("\n  ") == 1
		finally:
			srv.shutdown()
			srv.server_close()


def bind_dns():
	"""The host's 127.0.0.1:53 (the guest's 10.0.2.2:53); another test may hold it for a while."""
	sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	deadline = time.time() + 60
	while True:
		try:
			sock.bind(("127.0.0.1", 53))
			return sock
		except OSError as e:
			if time.time() > deadline:
				raise AssertionError("cannot listen on 127.0.0.1:53 for the guest's DNS queries: %s" % e)
			time.sleep(0.5)


# DHCP's DNS servers replace /etc/net.conf's: the address is static here.
STATIC_WITH_HOST_DNS = ("optios.net.eth0.mode=static optios.net.eth0.address=10.0.2.15 "
			"optios.net.eth0.gateway=10.0.2.2 optios.net.dns.1=10.0.2.2")


def test_getaddrinfo_asks_the_configured_dns_server(ctx):
	"""With dns.1 = 10.0.2.2 (a DNS server this test runs on the host),
	/etc/resolv.conf follows, and musl's getaddrinfo in a static program -
	UDP sockets of its own - resolves a name; wget finds a server by it;
	an unknown name is NXDOMAIN ("Name does not resolve")."""
	sock = bind_dns()
	sock.settimeout(0.2)
	stop = threading.Event()
	names = {"host.optios.test": "10.0.2.2"}
	t = threading.Thread(target=test_net.serve_dns, args=(sock, names, stop), daemon=True)
	t.start()
	try:
		with tcp_server(lambda c: c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nnamed\n")) as port, \
				shell(ctx, append=STATIC_WITH_HOST_DNS) as m:
			wait_address(m)
			assert "nameserver 10.0.2.2\n" in run(m, "cat /etc/resolv.conf")
			assert run(m, "/test/socktest resolve host.optios.test") == "resolve host.optios.test: 10.0.2.2\n"
			out = run(m, "/test/socktest resolve nowhere.optios.test")
			assert out.startswith("resolve nowhere.optios.test: Name does not resolve (-2)"), out
			assert run(m, "wget -q -O - http://host.optios.test:%d/" % port) == "named\n"
	finally:
		stop.set()
		t.join()
		sock.close()


def test_nc_server_in_the_guest_tcp_and_udp(ctx):
	"""BusyBox's `nc -l -p 7000` and `nc -u -l -p 7001` in the guest,
	reached from the host through QEMU's hostfwd: the host's bytes come out
	on the console, a line typed there goes back to the host."""
	tport, uport = free_port(), free_port(socket.SOCK_DGRAM)
	netdev = test_net.USER_NET + ",hostfwd=tcp:127.0.0.1:%d-:7000,hostfwd=udp:127.0.0.1:%d-:7001" % (tport, uport)
	with shell(ctx, netdev) as m:
		wait_address(m)
		start = m.mark()
		m.send_serial("nc -l -p 7000\r")
		time.sleep(1.5)
		c = socket.create_connection(("127.0.0.1", tport), timeout=10)
		c.sendall(b"hello over tcp\n")
		m.wait_for(r"hello over tcp", timeout=10, start=start)
		m.send_serial("answer from the guest\r")
		got = b""
		while b"answer from the guest\n" not in got:
			data = c.recv(100)
			assert data, "the connection ended before the guest's line: %r" % got
			got += data
		c.close()
		m.send_serial("\x04")  # nc 1.10 runs until both its stdin and the connection end
		m.wait_for(test_shell.PROMPT, timeout=10, start=start + 1)

		start = m.mark()
		m.send_serial("nc -u -l -p 7001\r")
		time.sleep(1.5)
		u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		u.settimeout(10)
		u.sendto(b"hello over udp\n", ("127.0.0.1", uport))
		m.wait_for(r"hello over udp", timeout=10, start=start)
		m.send_serial("udp answer\r")
		data, _ = u.recvfrom(100)
		assert data == b"udp answer\n", data
		m.send_serial("\x03")
		m.wait_for(test_shell.PROMPT, timeout=10, start=start + 1)
		out = run(m, "nc -vv 10.0.2.2 %d" % free_port(), timeout=20)
		assert "Connection refused" in out and out.endswith("nc: exited with status 1\n"), out


def test_listen_again_at_once_after_closing_first_got_eaddrinuse(ctx):
	"""/test/socktest serve 7777: a listener's poll says POLLIN when the
	host connects (hostfwd), accept4 names the peer, the line is echoed,
	and the program, which closed first (its side of the connection now in
	TIME_WAIT for two minutes), listens on 7777 again at once - which was
	EADDRINUSE: lwIP checked TIME_WAIT connections at bind."""
	port = free_port()
	netdev = test_net.USER_NET + ",hostfwd=tcp:127.0.0.1:%d-:7777" % port
	with shell(ctx, netdev) as m:
		wait_address(m)
		start = m.mark()
		m.send_serial("/test/socktest serve 7777\r")
		m.wait_for(r"socktest: listening on 7777", timeout=10, start=start)
		c = socket.create_connection(("127.0.0.1", port), timeout=10)
		c.sendall(b"hi there\n")
		assert c.recv(100) == b"hi there\n"
		assert c.recv(100) == b""  # the guest closed
		c.close()
		m.wait_for(test_shell.PROMPT, timeout=10, start=start + 1)
		out = m.text()[start:]
		assert "socktest: 3 passed, 0 failed" in out, out
		assert re.search(r"^peer 10\.0\.2\.2\r?$", out, re.M), out


def test_a_handler_run_gets_no_socket(ctx):
	"""A handler granted net.send and net.connect still gets EPERM from
	socket(): what a socket sends leaves at once, and a rolled-back run
	could not take it back (its network effects are staged sends)."""
	with shell(ctx) as m:
		test_handlers.add(m, "/test/handlers/hostile_socket")
		run(m, "emit app:hostile.socket")
		outs = test_hostile.fd_outputs(m, 2, "hostile_socket")
		assert outs == ["hostile_socket: udp socket: denied (EPERM: Operation not permitted)",
				"hostile_socket: tcp socket: denied (EPERM: Operation not permitted)"], outs


def test_tcp_bulk_throughput_guest_and_host(ctx):
	"""4 MiB each way between /test/socktest and the host, counted whole;
	the rates are printed (test log) for docs/NETWORK.md."""
	n = 4 << 20
	got = []

	def sink(conn):
		total = 0
		while True:
			data = conn.recv(1 << 16)
			if not data:
				break
			total += len(data)
		got.append(total)

	def source(conn):
		conn.sendall(b"y" * n)

	with tcp_server(sink) as sport, tcp_server(source) as rport, shell(ctx) as m:
		wait_address(m)
		out = run(m, "/test/socktest send 10.0.2.2 %d %d" % (sport, n), timeout=120)
		w = re.search(r"socktest: (\d+) bytes in (\d+) us", out)
		assert w and int(w.group(1)) == n, out
		deadline = time.time() + 10
		while not got and time.time() < deadline:
			time.sleep(0.1)
		assert got == [n], got
		out = run(m, "/test/socktest recv 10.0.2.2 %d" % rport, timeout=120)
		r = re.search(r"socktest: (\d+) bytes in (\d+) us", out)
		assert r and int(r.group(1)) == n, out
		print("tcp bulk guest->host %.1f MB/s, host->guest %.1f MB/s (guest clock)" %
		      (n / int(w.group(2)), n / int(r.group(2))))
