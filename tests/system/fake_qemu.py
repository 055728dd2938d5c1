#!/usr/bin/env python3
"""fake_qemu.py - stands in for qemu-system-x86_64 in test_harness.py: it
speaks just enough QMP (greeting, qmp_capabilities) on the -qmp socket, then
exits with status 0 the way QEMU does after a guest's ACPI power-off, except
that its SHUTDOWN event reaches the socket only FAKE_QEMU_LATE seconds after
the process is gone (a child keeps the connection and sends it). That is the
order a loaded machine can show the harness: the exit first, the event later."""

import json
import os
import socket
import sys
import time


def qmp_path(argv):
	spec = argv[argv.index("-qmp") + 1]  # unix:PATH,server=on,wait=off
	return spec[len("unix:"):].split(",")[0]


def main():
	late = float(os.environ.get("FAKE_QEMU_LATE", "1.0"))
	server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	server.bind(qmp_path(sys.argv))
	server.listen(1)
	conn, _ = server.accept()
	conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
	request = json.loads(conn.makefile("rb").readline())
	conn.sendall(json.dumps({"return": {}, "id": request.get("id")}).encode() + b"\n")
	sys.stdout.write("fake guest: powering off\n")
	sys.stdout.flush()
	if os.fork() == 0:  # the child holds the connection past the exit
		devnull = os.open(os.devnull, os.O_RDWR)
		for fd in (0, 1, 2):  # not the serial pipes: those end with the process
			os.dup2(devnull, fd)
		time.sleep(late)
		event = {"event": "SHUTDOWN", "data": {"guest": True, "reason": "guest-shutdown"},
			 "timestamp": {"seconds": 0, "microseconds": 0}}
		conn.sendall(json.dumps(event).encode() + b"\n")
		conn.close()
		os._exit(0)
	os._exit(0)


if __name__ == "__main__":
	main()
