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


def echo_net(udp=None, tcp=None, extra=""):
	"""QEMU arguments: a virtio-net card on user networking, host ports forwarded to 7."""
	fwd = ""
	if udp:
		fwd += ",hostfwd=udp:127.0.0.1:%d-:7" % udp
	if tcp:
		fwd += ",hostfwd=tcp:127.0.0.1:%d-:7" % tcp
	return ["-netdev", "user,id=n0" + fwd + extra, "-device", "virtio-net-pci,netdev=n0"]


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
