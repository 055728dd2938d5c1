/*
 * string.h - what lwIP includes as <string.h> (memcpy, memset, memcmp,
 * memmove, strlen, strncmp, ...): the kernel's own, lib/lib.h. Only lwIP's
 * sources see this directory (the Makefile's LWIP_CFLAGS).
 */
#ifndef OPTIOS_LWIP_STRING_H
#define OPTIOS_LWIP_STRING_H
#include "lib/lib.h"
#endif
