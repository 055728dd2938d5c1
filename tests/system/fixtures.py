"""fixtures.py - tiny throwaway guests for testing the harness itself.

Each is a flat multiboot1 image with the "a.out kludge" header (flags bit 16:
the header gives the load addresses, so no ELF is needed), loaded at 1 MiB by
QEMU's -kernel and entered in 32-bit protected mode with interrupts off and
paging off. The code is a few hand-assembled i386 instructions, each written
out below with its mnemonic; they exist so the harness can be shown a triple
fault, a pvpanic, a failing exit code or a silent guest on purpose, without
depending on (or changing) the OptiOS kernel.
"""

import struct

LOAD_ADDR = 0x100000
HEADER_SIZE = 32
MB1_MAGIC = 0x1BADB002
MB1_AOUT_KLUDGE = 1 << 16


def image(code, data=b""):
	"""A multiboot1 image whose entry point is `code`; `data` follows the code
	at data_addr(code)."""
	total = HEADER_SIZE + len(code) + len(data)
	end = LOAD_ADDR + total
	checksum = (-(MB1_MAGIC + MB1_AOUT_KLUDGE)) & 0xFFFFFFFF
	header = struct.pack("<8I", MB1_MAGIC, MB1_AOUT_KLUDGE, checksum,
			     LOAD_ADDR, LOAD_ADDR, end, end, LOAD_ADDR + HEADER_SIZE)
	return header + code + data


def data_addr(code_len):
	return LOAD_ADDR + HEADER_SIZE + code_len


# ---- instructions (32-bit mode) ----
def mov_dx(port):
	return b"\x66\xba" + struct.pack("<H", port)  # mov dx, imm16


def mov_al(v):
	return b"\xb0" + bytes([v])  # mov al, imm8


OUT_DX_AL = b"\xee"  # out dx, al
HALT_FOREVER = b"\xfa\xf4\xeb\xfd"  # cli; 1: hlt; jmp 1b


def print_serial(text):
	"""Write text to COM1 (QEMU needs no UART set-up to transmit)."""
	code = mov_dx(0x3F8)
	for b in text.encode("latin-1"):
		code += mov_al(b) + OUT_DX_AL
	return code


def debug_exit(value):
	return mov_al(value) + b"\xe6\xf4"  # out 0xf4, al: QEMU exits with 2*value+1


def pvpanic():
	return mov_dx(0x505) + mov_al(1) + OUT_DX_AL  # pvpanic "guest panicked" bit


def delay(loops):
	return b"\xb9" + struct.pack("<I", loops) + b"\xe2\xfe"  # mov ecx, n; 1: loop 1b


def jmp_back(distance_to_start):
	"""jmp rel8 to a label `distance_to_start` bytes before this jmp."""
	rel = -(distance_to_start + 2)
	assert -128 <= rel < 0
	return b"\xeb" + struct.pack("<b", rel)


# ---- the guests ----
def triple_fault():
	"""Says hello, loads an empty IDT and executes ud2: #UD, then #GP and #DF
	find no gate either, and the CPU shuts down (a triple fault)."""
	prefix = print_serial("fixture: triple fault\n")
	code_len = len(prefix) + 7 + 2 + len(HALT_FOREVER)
	lidt = b"\x0f\x01\x1d" + struct.pack("<I", data_addr(code_len))  # lidt [zero_idtr]
	code = prefix + lidt + b"\x0f\x0b" + HALT_FOREVER  # ud2
	assert len(code) == code_len
	return image(code, data=bytes(8))  # zero_idtr: limit 0, base 0


def panic(text="fixture: panic\n"):
	return image(print_serial(text) + pvpanic() + HALT_FOREVER)


def exit_with(value, text=""):
	return image(print_serial(text) + debug_exit(value) + HALT_FOREVER)


def print_then_hang(text):
	"""Prints text, then halts with interrupts off: silent from then on."""
	return image(print_serial(text) + HALT_FOREVER)


def chatter(ch=".", loops=2000000):
	"""Prints `ch` forever, with a delay between (never silent, never done)."""
	body = mov_dx(0x3F8) + mov_al(ord(ch)) + OUT_DX_AL + delay(loops)
	return image(body + jmp_back(len(body)))


def keyboard_echo():
	"""Prints a ready line, then polls the i8042 and sends every byte read
	from its data port (keyboard scancodes, as translated by the controller)
	to COM1 unchanged."""
	poll = b"\xe4\x64" + b"\xa8\x01" + b"\x74\xfa"  # 1: in al, 0x64; test al, 1; jz 1b
	forward = b"\xe4\x60" + mov_dx(0x3F8) + OUT_DX_AL  # in al, 0x60; out to COM1
	loop = poll + forward
	return image(print_serial("fixture: keyboard\n") + loop + jmp_back(len(loop)))


def serial_echo():
	"""Prints a ready line, then polls COM1 and sends back every byte received."""
	poll = mov_dx(0x3FD) + b"\xec" + b"\xa8\x01"  # 1: in al, dx (LSR); test al, 1 (data ready)
	poll += b"\x74" + bytes([256 - (len(poll) + 2)])  # jz 1b
	loop = poll + mov_dx(0x3F8) + b"\xec" + OUT_DX_AL  # in al, dx; out dx, al
	return image(print_serial("fixture: serial\n") + loop + jmp_back(len(loop)))
