/*
 * termios.h (ABI) - the terminal ioctls of the consoles: the Linux x86_64
 * numbers and layouts, shared by the kernel and host tools. A C library
 * (musl) has its own struct termios with the same leading fields; TCGETS
 * and TCSETS* transfer the kernel's 36-byte struct optios_termios, as
 * Linux does (musl's 60-byte struct holds it, followed by two speed words the
 * kernel never touches).
 */
#ifndef OPTIOS_ABI_TERMIOS_H
#define OPTIOS_ABI_TERMIOS_H

#include <stdint.h>

#define OPTIOS_NCCS 19

struct optios_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[OPTIOS_NCCS];
};

struct optios_winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* ioctl commands (the argument's size is that of the struct named). */
#define OPTIOS_TCGETS 0x5401 /* out: struct optios_termios */
#define OPTIOS_TCSETS 0x5402 /* in: struct optios_termios, now */
#define OPTIOS_TCSETSW 0x5403 /* in: after output drains (at once here) */
#define OPTIOS_TCSETSF 0x5404 /* in: and discard pending input */
#define OPTIOS_TIOCGPGRP 0x540F /* out: int, the foreground process group */
#define OPTIOS_TIOCSPGRP 0x5410 /* in: int, a process group of the caller's session */
#define OPTIOS_TIOCGWINSZ 0x5413 /* out: struct optios_winsize */
#define OPTIOS_TIOCSWINSZ 0x5414 /* in: struct optios_winsize (ignored: the size is the screen's) */

/* c_cc indices */
#define OPTIOS_VINTR 0
#define OPTIOS_VQUIT 1
#define OPTIOS_VERASE 2
#define OPTIOS_VKILL 3
#define OPTIOS_VEOF 4
#define OPTIOS_VTIME 5
#define OPTIOS_VMIN 6
#define OPTIOS_VSUSP 10

/* c_iflag */
#define OPTIOS_ICRNL 0000400
/* c_oflag */
#define OPTIOS_OPOST 0000001
#define OPTIOS_ONLCR 0000004
/* c_cflag */
#define OPTIOS_CS8 0000060
#define OPTIOS_CREAD 0000200
#define OPTIOS_B38400 0000017
/* c_lflag */
#define OPTIOS_ISIG 0000001
#define OPTIOS_ICANON 0000002
#define OPTIOS_ECHO 0000010
#define OPTIOS_ECHOE 0000020
#define OPTIOS_ECHOK 0000040
#define OPTIOS_ECHOCTL 0001000
#define OPTIOS_ECHOKE 0004000
#define OPTIOS_IEXTEN 0100000

#endif
