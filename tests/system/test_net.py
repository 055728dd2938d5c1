"""The network as a user and the host see it (docs/NETWORK.md): virtio-net
and e1000 under QEMU user networking (DHCP gives 10.0.2.15, the gateway
10.0.2.2 answers `ping`, `net` shows the counters move); the stack's own
self-tests on a live device (a UDP endpoint, idle with the network up); a
static address and DNS through a server on the host; and frames the host
injects raw (QEMU's socket network device) - random and malformed - which
must never crash the kernel, after which it still answers an echo request."""

import os
import random
import re
import socket
import struct
import tempfile
import threading
import time

import optios
import qemu
import test_shell

TIMEOUT = 120
USER_NET = "user,id=n0"


def nic(device, netdev=USER_NET):
	return ["-netdev", netdev, "-device", "%s,netdev=n0" % device]


def run(m, cmd, timeout=20):
	return test_shell.run(m, cmd, timeout)[0]


def counters(out):
	"""{"rx": frames, "tx": frames, "irqs": n} of `net`'s output."""
	rx = re.search(r"^  rx (\d+) frames", out, re.M)
	tx = re.search(r"^  tx (\d+) frames", out, re.M)
	irqs = re.search(r"^  interrupts (\d+)", out, re.M)
	assert rx and tx and irqs, "net shows no counters:\n" + out
	return {"rx": int(rx.group(1)), "tx": int(tx.group(1)), "irqs": int(irqs.group(1))}


def dhcp_ping_and_counters(ctx, device, driver, irq_kind, machine_type=None):
	with test_shell.shell(ctx, extra_args=nic(device), machine_type=machine_type) as m:
		m.wait_for(r"eth0: address 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 \(DHCP\)\r?\n",
			   timeout=15, start=0)
		optios.settle(m)  # the log line may land after the prompt: let it end first
		assert re.search(r"pci: \S+ \w+:\w+ Ethernet controller: driver %s \(%s\)" % (driver, irq_kind), m.text())
		before = run(m, "net")
		assert re.search(r"^eth0: %s, MAC 52:54:00:12:34:56, MTU 1500, link up$" % driver, before, re.M), before
		assert "  inet 10.0.2.15/24 gateway 10.0.2.2 (DHCP)\n" in before, before
		assert "  dns 10.0.2.3\n" in before, before
		out = run(m, "ping -c 3 -i 200 10.0.2.2", timeout=30)
		assert out.startswith("PING 10.0.2.2 (10.0.2.2): 56 data bytes\n"), out
		assert len(re.findall(r"^64 bytes from 10\.0\.2\.2: seq=\d ttl=\d+ time=[\d.]+ ms$", out, re.M)) == 3, out
		assert "3 packets transmitted, 3 received, 0% packet loss" in out, out
		after = run(m, "net eth0")
		b, a = counters(before), counters(after)
		assert a["rx"] >= b["rx"] + 3 and a["tx"] >= b["tx"] + 3 and a["irqs"] > b["irqs"], (before, after)
		assert "driver %s, %s" % (driver, irq_kind) in run(m, "lspci")


def test_virtio_net_dhcp_and_ping(ctx):
	"""virtio-net (MSI-X) under user networking: DHCP's 10.0.2.15, `ping 10.0.2.2`
	answered three times, `net`'s frame and interrupt counters moving."""
	dhcp_ping_and_counters(ctx, "virtio-net-pci", "virtio-net", "MSI-X")


def test_e1000_dhcp_and_ping(ctx):
	"""Intel 82540EM (QEMU's e1000; INTx through the I/O APIC): the same."""
	dhcp_ping_and_counters(ctx, "e1000", "e1000", "INTx")


def test_e1000_on_q35(ctx):
	"""e1000 on q35 (ECAM configuration, INTx routed by the firmware there)."""
	dhcp_ping_and_counters(ctx, "e1000", "e1000", "INTx", machine_type="q35")


def net_selftests(ctx, spec, device="virtio-net-pci", netdev=USER_NET, timeout=90):
	with ctx.machine("kernel", append="optios.test=" + spec, extra_args=nic(device, netdev), silence=30) as m:
		verdict = m.wait_exit(timeout=timeout)
		return m.text(), verdict


def test_stack_selftests_on_virtio_net(ctx):
	"""In-kernel: DHCP then an echo of 100 bytes; a UDP endpoint reading a file
	from QEMU's TFTP server; then idle with the network up: no interrupt
	but the one that ends the wait (figures in the log)."""
	tftp = tempfile.mkdtemp(prefix="optios-tftp-")
	with open(os.path.join(tftp, "optios.txt"), "w") as f:
		f.write("OptiOS over UDP\n")
	text, verdict = net_selftests(ctx, "net_dhcp_ping,net_udp_tftp,net_idle", netdev=USER_NET + ",tftp=" + tftp)
	assert re.search(r"selftest:   TFTP from 10\.0\.2\.2:\d+: 16 bytes", text), text[-2000:]
	idle = re.search(r"network up, idle 5000 ms \(([\w-]+)\) after (\d+) ms: (\d+) timer interrupt\(s\) "
			 r"\((\d+) re-arms\), (\d+) other, (\d+) frames in", text)
	assert idle, "no idle report: %s" % verdict
	assert idle.group(5) == "0" and idle.group(6) == "0", idle.group(0)
	assert verdict.kind == qemu.PASS, "net self-tests: %s\n%s" % (verdict, text[-3000:])


def test_stack_selftests_on_e1000(ctx):
	"""The same DHCP, echo and idle checks on e1000 (INTx)."""
	text, verdict = net_selftests(ctx, "net_dhcp_ping,net_idle", device="e1000")
	assert verdict.kind == qemu.PASS, "net self-tests on e1000: %s\n%s" % (verdict, text[-3000:])


def free_port():
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


def test_tcp_endpoints(ctx):
	"""The kernel's TCP endpoints (inet_tcp_*), in-kernel: 64 KiB echoed by
	`cat` behind QEMU's guestfwd at 10.0.2.100:7, the receive window closing
	while nothing is consumed and reopening as the owner consumes; then a
	listener on 8080 that this test reaches through hostfwd, which answers
	and sees the host close."""
	port = free_port()
	netdev = USER_NET + ",guestfwd=tcp:10.0.2.100:7-cmd:cat,hostfwd=tcp:127.0.0.1:%d-:8080" % port
	with ctx.machine("kernel", append="optios.test=net_tcp", extra_args=nic("virtio-net-pci", netdev),
			 silence=40) as m:
		m.wait_for(r"selftest:   listening on TCP 8080", timeout=60)
		with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
			c.sendall(b"ping\n")
			got = b""
			while not got.endswith(b"\n"):
				data = c.recv(100)
				assert data, "the guest closed without answering: %r" % got
				got += data
		assert got == b"hello from OptiOS: ping\n", got
		verdict = m.wait_exit(timeout=60)
		text = m.text()
	echo = re.search(r"TCP echo of 65536 bytes through 10\.0\.2\.100:7 in (\d+) ms; (\d+) bytes in while nothing "
			 r"was consumed \(window (\d+)\)", text)
	assert echo and 0 < int(echo.group(2)) <= int(echo.group(3)), text[-2000:]
	assert verdict.kind == qemu.PASS, "net_tcp: %s\n%s" % (verdict, text[-3000:])


# ---- DNS through a server on the host ----

def dns_answer(query, names):
	"""A DNS response to query: an A record if the name is in names, else NXDOMAIN."""
	qid, _flags, qd = struct.unpack(">HHH", query[:6])
	pos, labels = 12, []
	while query[pos]:
		labels.append(query[pos + 1:pos + 1 + query[pos]].decode())
		pos += 1 + query[pos]
	question = query[12:pos + 5]
	name = ".".join(labels)
	if name in names:
		answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(names[name])
		return struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + answer
	return struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question


def serve_dns(sock, names, stop):
	while not stop.is_set():
		try:
			data, peer = sock.recvfrom(512)
		except socket.timeout:
			continue
		try:
			sock.sendto(dns_answer(data, names), peer)
		except (IndexError, struct.error):
			pass


def test_static_address_and_dns_from_the_host(ctx):
	"""/etc/net.conf's keys (here from the command line, optios.net.KEY=VALUE):
	a static 10.0.2.16, the DNS server 10.0.2.2 - which QEMU maps to the
	host, where this test answers. `ping NAME` resolves and is answered; an
	unknown name is "unknown host"; a malformed setting is reported."""
	sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	try:
		sock.bind(("127.0.0.1", 53))
	except OSError as e:
		raise AssertionError("cannot listen on 127.0.0.1:53 for the guest's DNS queries: %s" % e)
	sock.settimeout(0.2)
	stop = threading.Event()
	t = threading.Thread(target=serve_dns, args=(sock, {"gateway.optios.test": "10.0.2.2"}, stop), daemon=True)
	t.start()
	append = ("optios.net.eth0.mode=static optios.net.eth0.address=10.0.2.16 optios.net.eth0.gateway=10.0.2.2 "
		  "optios.net.dns.1=10.0.2.2 optios.net.dns.2=10.0.2.300")
	try:
		with test_shell.shell(ctx, append=append, extra_args=nic("virtio-net-pci")) as m:
			assert "eth0: address 10.0.2.16 netmask 255.255.255.0 gateway 10.0.2.2 (static)" in m.text()
			assert re.search(r"dns\.2: \"10\.0\.2\.300\" is not an IPv4 address", m.text()), m.text()
			out = run(m, "net")
			assert "  inet 10.0.2.16/24 gateway 10.0.2.2 (static)\n  dns 10.0.2.2\n" in out, out
			out = run(m, "ping -c 1 gateway.optios.test", timeout=30)
			assert out.startswith("PING gateway.optios.test (10.0.2.2): 56 data bytes\n"), out
			assert "1 packets transmitted, 1 received" in out, out
			out = run(m, "ping -c 1 nowhere.optios.test", timeout=30)
			assert out == "ping: nowhere.optios.test: unknown host\nping: exited with status 2\n", out
	finally:
		stop.set()
		t.join()
		sock.close()


def test_ping_is_a_capability(ctx):
	"""net.ping is granted to ping and BusyBox (its ping's raw ICMP socket),
	net.resolve to ping alone; a bad host or
	option is a clear error."""
	with test_shell.shell(ctx, extra_args=nic("virtio-net-pci")) as m:
		assert run(m, "policy who-can net.ping") == "who can net.ping:\n" \
			"  busybox (/bin/busybox) by net.ping\n  ping (/bin/ping) by net.ping\n"  # busybox: its raw ICMP socket
		out = run(m, "ping")
		assert out.startswith("usage: ping"), out
		out = run(m, "ping -s 99999 10.0.2.2")
		assert out.startswith("usage: ping"), out


def test_ping_without_a_network(ctx):
	"""No network device: `net` says so, `ping` says the network is unreachable."""
	with test_shell.shell(ctx) as m:
		assert run(m, "net") == "net: no network interfaces\n"
		out = run(m, "ping -c 1 10.0.2.2")
		assert out == "PING 10.0.2.2 (10.0.2.2): 56 data bytes\nping: 10.0.2.2: Network unreachable\n" \
			"ping: exited with status 1\n", out


# ---- frames from the host, raw ----

def icmp_checksum(data):
	if len(data) % 2:
		data += b"\0"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	s = (s >> 16) + (s & 0xffff)
	s += s >> 16
	return ~s & 0xffff


GUEST_MAC = bytes.fromhex("525400123456")
HOST_MAC = bytes.fromhex("525400abcdef")


def ipv4(src, dst, proto, payload, ident=1, frag=0, ttl=64, ihl=5, total=None):
	hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total or 20 + len(payload), ident, frag, ttl, proto, 0,
			  socket.inet_aton(src), socket.inet_aton(dst))
	hdr = hdr[:10] + struct.pack("!H", icmp_checksum(hdr)) + hdr[12:]
	return hdr + payload


def eth(payload, ethertype=0x0800, dst=GUEST_MAC):
	return dst + HOST_MAC + struct.pack("!H", ethertype) + payload


def echo_request(seq, data=b"optios"):
	icmp = struct.pack("!BBHHH", 8, 0, 0, 0x1234, seq) + data
	icmp = icmp[:2] + struct.pack("!H", icmp_checksum(icmp)) + icmp[4:]
	return eth(ipv4("10.9.0.1", "10.9.0.2", 1, icmp))


def malformed_frames(rng):
	"""Frames a careless or hostile peer sends: every header cut short or lying.
	(None empty: QEMU's socket backend takes an empty datagram for the end
	of the connection and stops reading.)"""
	frames = [b"\x00", GUEST_MAC, eth(b""), eth(b"\x45"), eth(b"\x45" + b"\0" * 18)]
	frames += [eth(b"\x00\x01\x08\x00\x06\x04\x00\x01"), eth(b"\xff" * 28, ethertype=0x0806)]  # ARP cut, ARP junk
	frames += [eth(ipv4("10.9.0.1", "10.9.0.2", 1, b"", total=1500))]  # length beyond the frame
	frames += [eth(ipv4("10.9.0.1", "10.9.0.2", 1, b"\0" * 40, ihl=15))]  # options past the data
	frames += [eth(ipv4("10.9.0.1", "10.9.0.2", 1, b"\x08\0", ihl=4))]  # header shorter than allowed
	frames += [eth(ipv4("10.9.0.1", "10.9.0.2", 6, b"\0" * 8))]  # TCP header cut
	frames += [eth(ipv4("10.9.0.1", "10.9.0.2", 17, b"\0\x35\0\x44\0\xff\0\0"))]  # UDP length lies
	frames += [eth(ipv4("10.9.0.1", "10.9.0.2", 17, b"\0" * 100, ident=9, frag=0x2000 | off))
		   for off in (0, 0, 5, 1000, 8191)]  # overlapping, repeated and far fragments
	frames += [eth(ipv4("10.9.0.1", "255.255.255.255", 17, b"\0\x43\0\x44\0\x10\0\0" + b"\x02" * 8))]  # DHCP junk
	frames += [eth(ipv4("10.9.0.1", "10.9.0.2", 1, b"\x08"))]  # ICMP cut
	for _ in range(3000):
		n = rng.choice([rng.randrange(1, 64), rng.randrange(1, 1600)])
		frame = bytes(rng.getrandbits(8) for _ in range(n))
		if rng.random() < 0.5 and n >= 34:  # a frame for us that parses further
			frame = GUEST_MAC + frame[6:12] + rng.choice([b"\x08\x00", b"\x08\x06"]) + frame[14:]
			if frame[12:14] == b"\x08\x00":
				frame = frame[:14] + bytes([0x45]) + frame[15:]
		frames.append(frame)
	return frames


def test_malformed_and_random_frames_never_crash(ctx):
	"""QEMU's socket network device carries raw frames between the host and
	the guest (static 10.9.0.2 by the command line): 3,000+ random and
	malformed frames (cut headers, lying lengths, junk ARP, DHCP and
	fragments) go in; the kernel stays up, counts them, and then still
	answers an ICMP echo request from the host."""
	host = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	host.bind(("127.0.0.1", 0))
	host.settimeout(0.2)
	host_port = host.getsockname()[1]
	probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	probe.bind(("127.0.0.1", 0))
	guest_port = probe.getsockname()[1]
	probe.close()
	netdev = "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (host_port, guest_port)
	append = "optios.net.eth0.mode=static optios.net.eth0.address=10.9.0.2 optios.net.eth0.netmask=255.255.255.0"
	rng = random.Random(12)
	with test_shell.shell(ctx, append=append, extra_args=nic("virtio-net-pci", netdev)) as m:
		assert "eth0: address 10.9.0.2 netmask 255.255.255.0 gateway 0.0.0.0 (static)" in m.text()
		frames = malformed_frames(rng)
		for i, f in enumerate(frames):
			host.sendto(f, ("127.0.0.1", guest_port))
			if i % 200 == 199:
				time.sleep(0.05)  # QEMU's socket queue is finite: let the guest drain it
		out = run(m, "net")
		c = counters(out)
		assert c["rx"] > 1000, out
		assert "panic" not in m.text().lower()
		# Still alive and answering: an echo request from the host gets its reply.
		# (Its source 10.9.0.1 is unknown to the guest: it ARPs for it first.)
		replies = []
		for seq in range(1, 6):
			host.sendto(echo_request(seq), ("127.0.0.1", guest_port))
			end = time.time() + 1
			while time.time() < end:
				try:
					data = host.recv(2048)
				except socket.timeout:
					continue
				if data[12:14] == b"\x08\x06" and data[20:22] == b"\x00\x01":  # the guest asks for 10.9.0.1
					reply = data[6:12] + HOST_MAC + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x02" + HOST_MAC + \
						socket.inet_aton("10.9.0.1") + data[22:28] + socket.inet_aton("10.9.0.2")
					host.sendto(reply, ("127.0.0.1", guest_port))
				elif data[12:14] == b"\x08\x00" and data[23] == 1 and data[34] == 0:  # ICMP echo reply
					replies.append(struct.unpack("!H", data[40:42])[0])
			if replies:
				break
		assert replies, "no echo reply after the malformed frames"
		assert run(m, "echo alive") == "alive\n"
	host.close()
