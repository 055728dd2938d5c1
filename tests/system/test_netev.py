"""Network events of handlers (docs/NETWORK.md "Handlers on the network"):
/apps/echo (RFC 862 on port 7, registered at boot) answered from the host
through forwarded ports - UDP datagrams, 1 MiB each way over TCP with a
checksum, 200 concurrent connections; a rolled-back run sends nothing (a
packet capture of the guest's link); a rollback redelivers TCP bytes; a slow
handler holds the sender back instead of losing data; denials are errors
with a log record."""

import hashlib
import os
import re
import socket
import struct
import tempfile
import threading
import time

import optios
import test_shell
from test_net import free_port

UDP_PORT_GUEST = 7


def echo_net(udp=None, tcp=None, guest=7, dump=None):
	"""QEMU arguments: a virtio-net card on user networking, host ports
	forwarded to the guest's port; dump: a pcap of the card's traffic."""
	fwd = ""
	if udp:
		fwd += ",hostfwd=udp:127.0.0.1:%d-:%d" % (udp, guest)
	if tcp:
		fwd += ",hostfwd=tcp:127.0.0.1:%d-:%d" % (tcp, guest)
	args = ["-netdev", "user,id=n0" + fwd, "-device", "virtio-net-pci,netdev=n0"]
	if dump:
		args += ["-object", "filter-dump,id=f0,netdev=n0,file=%s" % dump]
	return args


def wait_address(m):
	m.wait_for(r"eth0: address 10\.0\.2\.15 ", timeout=20, start=0)
	optios.settle(m)


def udp_echo(port, payload, timeout=5.0, tries=10):
	"""Sends payload to 127.0.0.1:port until the same bytes come back."""
	with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
		s.settimeout(timeout / tries)
		for _ in range(tries):
			s.sendto(payload, ("127.0.0.1", port))
			try:
				data, _ = s.recvfrom(70000)
			except socket.timeout:
				continue
			return data
	return None


def test_udp_echo_from_the_host(ctx):
	"""`nc -u` to the forwarded port gets its datagram back: short ones (in
	the event), a 1,400-byte one and a 8,000-byte one (read with
	optios_net_recv); each answer is an effect record in the log."""
	udp = free_port()
	with test_shell.shell(ctx, extra_args=echo_net(udp=udp)) as m:
		wait_address(m)
		for payload in (b"hello echo\n", bytes(range(256)) * 5 + b"x" * 120, os.urandom(8000)):
			got = udp_echo(udp, payload)
			assert got == payload, (len(payload), got and len(got))
		out = test_shell.run(m, "log -h echo -t net:udp:7")[0]
		assert re.search(r"effect echo net:udp:7 net\.send udp 10\.0\.2\.2:\d+ from 7: 11 bytes", out), out
		assert re.search(r"from 7: 8000 bytes", out), out
		# who may send on the network, and what runs on a datagram to port 7
		out = test_shell.run(m, "policy who-can net.send:udp:*:*")[0]
		assert "  echo (/apps/echo) by net.reply:udp:7 (replies to whoever sends to it)\n" in out, out
		out = test_shell.run(m, "policy who-can net.listen:tcp:7")[0]
		assert out == "who can net.listen:tcp:7:\n  echo (/apps/echo) by net.listen:tcp:7\n", out
		out = test_shell.run(m, "policy on net:udp:7")[0]
		assert out.startswith("on net:udp:7:\n  echo (/apps/echo) runs (by event:net:udp:7)\n"), out
		assert "    net.reply:udp:7\n" in out, out
		# a revoke reaches the next run (the reply's permission is not kept from before it)
		assert "revoked net.reply:udp:7 from echo" in test_shell.run(m, "policy revoke echo net.reply:udp:7")[0]
		assert udp_echo(udp, b"revoked", timeout=1, tries=1) is None
		out = test_shell.run(m, "log -h echo -n 4")[0]
		assert re.search(r"deny echo net:udp:7 optios_net_send net\.send:udp:10\.0\.2\.2:\d+", out), out
		test_shell.run(m, "policy grant echo net.reply:udp:7")
		assert udp_echo(udp, b"granted again") == b"granted again"


def tcp_echo(port, payload, timeout=60):
	"""Sends payload on a new connection while reading the echo; closes its
	side at the end and returns what came back before the guest closed."""
	got = []
	with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
		def reader():
			while True:
				data = c.recv(65536)
				if not data:
					return
				got.append(data)
		t = threading.Thread(target=reader)
		t.start()
		c.sendall(payload)
		c.shutdown(socket.SHUT_WR)
		t.join(timeout)
		assert not t.is_alive(), "the echo did not end (%d bytes back)" % sum(map(len, got))
	return b"".join(got)


def test_tcp_echo_of_a_mebibyte_each_way(ctx):
	"""1 MiB of random bytes to port 7 comes back whole and in order (SHA-256
	compared); the guest closes after the host does."""
	tcp = free_port()
	with test_shell.shell(ctx, extra_args=echo_net(tcp=tcp)) as m:
		wait_address(m)
		payload = os.urandom(1 << 20)
		t0 = time.time()
		got = tcp_echo(tcp, payload)
		took = time.time() - t0
		assert len(got) == len(payload), (len(got), len(payload))
		assert hashlib.sha256(got).hexdigest() == hashlib.sha256(payload).hexdigest()
		print("1 MiB echoed in %.2f s" % took)
		out = test_shell.run(m, "handlers -v")[0]
		assert re.search(r"net:tcp:7 queue 64: posted (\d+) delivered \1 coalesced 0 dropped 0 dead 0 pending 0",
				 out), out


def test_200_concurrent_tcp_connections_all_echoed(ctx):
	"""200 connections open at once, each sending its own 2 KiB while the
	others are open: every one gets exactly its bytes back."""
	tcp = free_port()
	with test_shell.shell(ctx, extra_args=echo_net(tcp=tcp)) as m:
		wait_address(m)
		conns = [socket.create_connection(("127.0.0.1", tcp), timeout=60) for _ in range(200)]
		payloads = [os.urandom(2048) for _ in conns]
		for c, p in zip(conns, payloads):
			c.sendall(p)
		for c in conns:
			c.shutdown(socket.SHUT_WR)
		for i, (c, p) in enumerate(zip(conns, payloads)):
			got = b""
			while True:
				data = c.recv(65536)
				if not data:
					break
				got += data
			c.close()
			assert got == p, "connection %d: %d bytes back of %d" % (i, len(got), len(p))
		out = test_shell.run(m, "handlers -v")[0]
		assert "net:tcp:7 queue 64: posted" in out and " dropped 0 " in out, out


def pcap_udp_from_guest(path, port):
	"""The payloads of the UDP datagrams 10.0.2.15:port sent, from a pcap file."""
	with open(path, "rb") as f:
		data = f.read()
	magic = struct.unpack("<I", data[:4])[0]
	assert magic == 0xa1b2c3d4, "not a pcap file: %x" % magic
	pos, out = 24, []
	while pos + 16 <= len(data):
		incl = struct.unpack("<IIII", data[pos:pos + 16])[2]
		frame = data[pos + 16:pos + 16 + incl]
		pos += 16 + incl
		if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
			continue
		ihl = (frame[14] & 15) * 4
		src = socket.inet_ntoa(frame[26:30])
		sport, _dport, ulen = struct.unpack(">HHH", frame[14 + ihl:14 + ihl + 6])
		if src == "10.0.2.15" and sport == port:
			out.append(frame[14 + ihl + 8:14 + ihl + ulen])
	return out


def test_a_rolled_back_run_sends_nothing(ctx):
	"""netflaky stages its answer, then faults on each event's first
	attempt: a capture of the guest's link (QEMU filter-dump) holds only the
	answers of the attempts that committed ("attempt 1: ..."), none of a
	rolled-back one ("attempt 0"), nothing for "doomed" (every attempt rolls
	back: a dead letter), and the next event's committed answer."""
	udp = free_port()
	with tempfile.TemporaryDirectory() as tmp:
		dump = os.path.join(tmp, "guest.pcap")
		with test_shell.shell(ctx, extra_args=echo_net(udp=udp, guest=9, dump=dump)) as m:
			wait_address(m)
			out = test_shell.run(m, "handler add /test/handlers/netflaky")[0]
			assert "handler: added netflaky" in out, out
			assert udp_echo(udp, b"flaky-1", timeout=10, tries=1) == b"attempt 1: flaky-1"
			assert udp_echo(udp, b"doomed", timeout=3, tries=1) is None
			assert udp_echo(udp, b"after", timeout=10, tries=1) == b"attempt 1: after"
			log = test_shell.run(m, "log -h netflaky -t net:udp:9")[0]
			assert len(re.findall(r"rollback netflaky net:udp:9 .*page fault", log)) == 5, log
			assert len(re.findall(r"effect netflaky net:udp:9 net\.send udp 10\.0\.2\.2:\d+ from 9", log)) == 2, log
			assert "dead letter after 3 attempts" in log, log
		sent = pcap_udp_from_guest(dump, 9)
	assert sent == [b"attempt 1: flaky-1", b"attempt 1: after"], sent


def test_a_rollback_redelivers_tcp_bytes(ctx):
	"""Each DATA event of netflaky rolls back once after staging its echo:
	the retry gets the same bytes (the window was not reopened by the failed
	run), so 200 KiB come back exactly once, in order."""
	tcp = free_port()
	with test_shell.shell(ctx, extra_args=echo_net(tcp=tcp, guest=9)) as m:
		wait_address(m)
		assert "handler: added netflaky" in test_shell.run(m, "handler add /test/handlers/netflaky")[0]
		payload = os.urandom(200 * 1024)
		got = tcp_echo(tcp, payload)
		assert got == payload, (len(got), len(payload))
		out = test_shell.run(m, "handlers -v")[0]
		sub = re.search(r"net:tcp:9 queue 16: posted (\d+) delivered (\d+) coalesced 0 dropped 0 dead 0 pending 0", out)
		assert sub and sub.group(1) == sub.group(2), out
		log = test_shell.run(m, "log -h netflaky -t net:tcp:9 -n 400")[0]
		assert "rollback netflaky net:tcp:9" in log, log


def test_a_slow_handler_holds_the_sender_back_and_loses_nothing(ctx):
	"""netslow spins 40 ms on each of its first 24 DATA events: a sender
	writing 4 MiB as fast as it can is held back (the guest's window stays
	shut: after a second far less than all was accepted), and every byte
	comes back, in order."""
	tcp = free_port()
	with test_shell.shell(ctx, extra_args=echo_net(tcp=tcp, guest=10)) as m:
		wait_address(m)
		assert "handler: added netslow" in test_shell.run(m, "handler add /test/handlers/netslow")[0]
		payload = os.urandom(4 << 20)
		got = []
		with socket.create_connection(("127.0.0.1", tcp), timeout=60) as c:
			c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
			def reader():
				while True:
					data = c.recv(65536)
					if not data:
						return
					got.append(data)
			t = threading.Thread(target=reader)
			t.start()
			sent, t0, at_1s = 0, time.time(), None
			while sent < len(payload):
				if at_1s is None and time.time() - t0 >= 1.0:
					at_1s = sent
				try:
					sent += c.send(payload[sent:sent + 65536], socket.MSG_DONTWAIT)
				except BlockingIOError:
					time.sleep(0.001)
			c.shutdown(socket.SHUT_WR)
			t.join(120)
		got = b"".join(got)
		print("accepted from the sender in its first second: %s bytes" % at_1s)
		assert at_1s is not None and at_1s < 1 << 20, "the sender was not held back: %s bytes in 1 s" % at_1s
		assert got == payload, (len(got), len(payload))
		log = test_shell.run(m, "log -h netslow -n 5")[0]
		assert "netslow: %d bytes echoed" % len(payload) in log, log


def test_denied_subscription_and_send_are_errors_with_a_record(ctx):
	"""netnolisten (event granted, no net.listen) is refused at handler add,
	naming what it lacks; netmute may receive on UDP 11 but its reply and its
	send elsewhere fail with EACCES, each with a deny record; nothing is sent."""
	udp = free_port()
	with test_shell.shell(ctx, extra_args=echo_net(udp=udp, guest=11)) as m:
		wait_address(m)
		out = test_shell.run(m, "handler add /test/handlers/netnolisten")[0]
		assert "netnolisten asks for net:udp:12 without net.listen:udp:12" in out, out
		out = test_shell.run(m, "log -h netnolisten")[0]
		assert re.search(r"deny netnolisten net:udp:12 subscribe net\.listen:udp:12", out), out
		assert "handler: added netmute" in test_shell.run(m, "handler add /test/handlers/netmute")[0]
		assert udp_echo(udp, b"hello?", timeout=2, tries=1) is None
		out = test_shell.run(m, "log -h netmute")[0]
		assert re.search(r"deny netmute net:udp:11 optios_net_send net\.send:udp:10\.0\.2\.2:\d+", out), out
		assert "deny netmute net:udp:11 optios_net_send net.send:udp:10.0.2.2:5555" in out, out
		assert "netmute: reply: Permission denied" in out, out
		assert "netmute: send to 10.0.2.2:5555: Permission denied" in out, out
		assert "effect netmute" not in out, out


def test_echo_on_a_disk_answers_through_the_output_gate_and_after_a_reboot(ctx):
	"""With a disk (as `make run` has) each answer waits for its run's
	commit to be durable (the output gate: a `durable` record follows each
	echo run), and echo, restored from the disk at the next boot, binds its
	ports again and answers."""
	from test_persist import disk
	d = disk(ctx, "echo")
	udp, tcp = free_port(), free_port()
	for boot in range(2):
		with test_shell.shell(ctx, disks=[d], extra_args=echo_net(udp=udp, tcp=tcp)) as m:
			wait_address(m)
			if boot:
				assert "restored from the disk" in m.text(), m.text()[-2000:]
			assert udp_echo(udp, b"durable %d" % boot) == b"durable %d" % boot
			log = test_shell.run(m, "log -n 30")[0]
			assert re.search(r"commit echo net:udp:7 .*\n(.*\n)*.*durable", log), log
			payload = os.urandom(100000)
			assert tcp_echo(tcp, payload) == payload



# ---- malformed frames aimed at the handler's ports ----

def udp_segment(src, dst, sport, dport, payload, length=None, good_sum=True):
	from test_net import icmp_checksum
	length = length if length is not None else 8 + len(payload)
	pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, 8 + len(payload))
	hdr = struct.pack("!HHHH", sport, dport, length, 0)
	csum = icmp_checksum(pseudo + hdr + payload) or 0xffff
	if not good_sum:
		csum ^= 0x5a5a
	return struct.pack("!HHHH", sport, dport, length, csum) + payload


def test_malformed_frames_never_reach_the_handler_a_lying_udp_length_did(ctx):
	"""Raw frames from the host (QEMU's socket device) at UDP and TCP port 7,
	where echo is bound: bad checksums, lying lengths, cut headers, lone
	fragments, TCP segments of no connection, and random bytes behind valid
	headers. None becomes an event (echo's subscriptions: posted 0), the
	kernel stays up, and then one well-formed datagram is answered. (A UDP
	length field longer or shorter than the IP datagram used to pass: lwIP
	ignores it, and checks the checksum over the IP length; kernel/inet now
	drops such a datagram.)"""
	import random
	from test_net import GUEST_MAC, HOST_MAC, eth, ipv4, nic
	host = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	host.bind(("127.0.0.1", 0))
	host.settimeout(0.2)
	host_port = host.getsockname()[1]
	guest_port = free_port()
	netdev = "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (host_port, guest_port)
	append = "optios.net.eth0.mode=static optios.net.eth0.address=10.9.0.2 optios.net.eth0.netmask=255.255.255.0"
	src, dst, rng = "10.9.0.1", "10.9.0.2", random.Random(7)
	frames = []
	for n in (0, 1, 7, 300, 1400):
		payload = bytes(rng.getrandbits(8) for _ in range(n))
		frames.append(eth(ipv4(src, dst, 17, udp_segment(src, dst, 4000, 7, payload, good_sum=False))))
		frames.append(eth(ipv4(src, dst, 17, udp_segment(src, dst, 4000, 7, payload, length=n + 9))))
		frames.append(eth(ipv4(src, dst, 17, udp_segment(src, dst, 4000, 7, payload, length=7))))
		frames.append(eth(ipv4(src, dst, 17, udp_segment(src, dst, 4000, 7, payload)[:5])))
		frames.append(eth(ipv4(src, dst, 17, udp_segment(src, dst, 4000, 7, payload), ident=77, frag=0x2000)))
	for _ in range(500):
		flags = rng.getrandbits(8) & ~0x02  # anything but SYN: no connection is opened by these
		seg = struct.pack("!HHIIBBHHH", rng.randrange(1024, 65535), 7, rng.getrandbits(32), rng.getrandbits(32),
				  0x50, flags, 8192, rng.getrandbits(16), 0) + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 64)))
		frames.append(eth(ipv4(src, dst, 6, seg)))
		frames.append(eth(ipv4(src, dst, 17, bytes(rng.getrandbits(8) for _ in range(2)) + b"\x00\x07" +
				       bytes(rng.getrandbits(8) for _ in range(rng.randrange(4, 200))))))
	with test_shell.shell(ctx, append=append, extra_args=nic("virtio-net-pci", netdev)) as m:
		for i, f in enumerate(frames):
			host.sendto(f, ("127.0.0.1", guest_port))
			if i % 200 == 199:
				time.sleep(0.05)
		time.sleep(0.5)
		out = test_shell.run(m, "handlers -v")[0]
		if not re.search(r"net:udp:7 queue 64: posted 0 ", out):
			out += test_shell.run(m, "log -a -h echo")[0]  # which ones got through
		assert re.search(r"net:udp:7 queue 64: posted 0 ", out), out
		assert re.search(r"net:tcp:7 queue 64: posted 0 ", out), out
		good = eth(ipv4(src, dst, 17, udp_segment(src, dst, 4000, 7, b"well formed")))
		answer = None
		for _ in range(5):
			host.sendto(good, ("127.0.0.1", guest_port))
			end = time.time() + 1
			while time.time() < end and answer is None:
				try:
					data = host.recv(2048)
				except socket.timeout:
					continue
				if data[12:14] == b"\x08\x06" and data[20:22] == b"\x00\x01":  # the guest asks for 10.9.0.1
					reply = data[6:12] + HOST_MAC + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x02" + HOST_MAC + \
						socket.inet_aton(src) + data[22:28] + socket.inet_aton(dst)
					host.sendto(reply, ("127.0.0.1", guest_port))
				elif data[12:14] == b"\x08\x00" and data[23] == 17 and data[34:36] == b"\x00\x07":
					answer = data[42:42 + struct.unpack("!H", data[38:40])[0] - 8]
			if answer is not None:
				break
		assert answer == b"well formed", answer
		out = test_shell.run(m, "handlers -v")[0]
		assert re.search(r"net:udp:7 queue 64: posted 1 delivered 1 ", out), out
		assert "panic" not in m.text().lower()
	host.close()


def test_removing_the_handler_closes_its_ports_and_resets_its_connections(ctx):
	"""`handler remove echo` with a connection open: the connection is reset
	and nothing answers on port 7 any more; `handler add /apps/echo` binds the
	ports again and a new connection is echoed."""
	udp, tcp = free_port(), free_port()
	with test_shell.shell(ctx, extra_args=echo_net(udp=udp, tcp=tcp)) as m:
		wait_address(m)
		c = socket.create_connection(("127.0.0.1", tcp), timeout=10)
		c.sendall(b"first")
		assert c.recv(100) == b"first"
		test_shell.run(m, "handler remove echo")
		try:
			c.sendall(b"second")
			got = c.recv(100)
		except (ConnectionResetError, BrokenPipeError):
			got = b""
		assert got == b"", got
		c.close()
		assert udp_echo(udp, b"nobody", timeout=1, tries=1) is None
		assert "handler: added echo" in test_shell.run(m, "handler add /apps/echo")[0]
		assert udp_echo(udp, b"back") == b"back"
		payload = os.urandom(5000)
		assert tcp_echo(tcp, payload) == payload


def test_a_dead_letter_of_tcp_bytes_resets_its_connection(ctx):
	"""netflaky fails every attempt at bytes starting "doomed": after its
	retries the DATA event is a dead letter, and rather than go on with a
	hole in the stream the kernel resets the connection; the handler and
	other connections carry on."""
	tcp = free_port()
	with test_shell.shell(ctx, extra_args=echo_net(tcp=tcp, guest=9)) as m:
		wait_address(m)
		assert "handler: added netflaky" in test_shell.run(m, "handler add /test/handlers/netflaky")[0]
		with socket.create_connection(("127.0.0.1", tcp), timeout=10) as c:
			c.sendall(b"doomed bytes")
			try:
				got = c.recv(100)
			except ConnectionResetError:
				got = None
		assert got in (None, b""), got
		log = test_shell.run(m, "log -h netflaky -t net:tcp:9")[0]
		assert "dead letter after 3 attempts" in log, log
		assert tcp_echo(tcp, b"still here") == b"still here"
