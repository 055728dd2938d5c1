/*
 * stdlib.h - what lwIP includes as <stdlib.h>: atoi only (netif_find's
 * "et0"-style names), defined in kernel/inet/port.c. Only lwIP's sources
 * see this directory (the Makefile's rule for lwIP objects).
 */
#ifndef OPTIOS_LWIP_STDLIB_H
#define OPTIOS_LWIP_STDLIB_H
int atoi(const char *s);
#endif
