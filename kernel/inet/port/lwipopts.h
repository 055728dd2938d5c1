/*
 * lwipopts.h - how OptiOS builds lwIP 2.1.3 (kernel/inet: the port).
 *
 * One execution context, no OS: NO_SYS with the raw API. lwIP is entered
 * only from kernel context outside interrupts (the network work loop,
 * kernel/net; system calls; self-tests), and the kernel is not
 * preemptible, so no two calls overlap and no locking is needed
 * (SYS_LIGHTWEIGHT_PROT 0). Interrupts never touch it.
 *
 * Memory: no static pools. Every pool and the heap come from the kernel
 * heap through inet_mem_alloc (MEM_LIBC_MALLOC, MEMP_MEM_MALLOC), which
 * charges a budget set by /etc/kernel.conf (net.memory_kib): a flood of
 * frames or connections fails allocations inside lwIP (counted, dropped),
 * never the kernel.
 *
 * Timers: LWIP_TIMERS_CUSTOM - kernel/inet/timers.c implements
 * sys_check_timeouts and sys_timeouts_sleeptime on real deadlines (a timer
 * runs only while its module has something to time), so an idle system
 * takes no periodic interrupt.
 *
 * Protocols: IPv4 (ARP, ICMP, IP reassembly), UDP, TCP, raw (ICMP echo), a
 * DHCP client and DNS. No IPv6, IGMP, AutoIP, sockets or netconn.
 */
#ifndef OPTIOS_LWIPOPTS_H
#define OPTIOS_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_TIMERS 1
#define LWIP_TIMERS_CUSTOM 1

#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#include <stddef.h>
void *inet_mem_alloc(size_t size);
void *inet_mem_calloc(size_t n, size_t size);
void inet_mem_free(void *p);
#define mem_clib_malloc inet_mem_alloc
#define mem_clib_calloc inet_mem_calloc
#define mem_clib_free inet_mem_free
/* Pool sizes do not bound anything with MEMP_MEM_MALLOC; the budget does.
 * PBUF_POOL_SIZE still sizes nothing; the buffer is one full frame. */
#define PBUF_POOL_BUFSIZE 1536

/* Two bytes before each Ethernet header: the IP header then starts 4-byte
 * aligned (lwIP keeps pointers inside it while reassembling fragments). */
#define ETH_PAD_SIZE 2

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0 /* the lease at once; QEMU's server does not hand out used addresses */
#define LWIP_DNS 1
#define DNS_TABLE_SIZE 8
#define DNS_MAX_SERVERS 2
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0
#define LWIP_SINGLE_NETIF 0
#define LWIP_STATS 0
#define LWIP_CHECKSUM_ON_COPY 0

#define TCP_MSS 1460
#define TCP_WND (16 * TCP_MSS)
#define TCP_SND_BUF (16 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 1
/* Listeners reuse their address (tcp.c sets SOF_REUSEADDR, Linux's
 * SO_REUSEADDR): a port whose last connection we closed first, now in
 * TIME_WAIT for two minutes, can be listened on again at once; a second
 * listener on a port is still refused (lwIP's tcp_listen checks). */
#define SO_REUSE 1
#define MEMP_NUM_TCP_SEG TCP_SND_QUEUELEN

#ifdef KDEBUG
#define LWIP_NOASSERT_ON_ERROR 0
#else
#define LWIP_NOASSERT 1
#endif

#endif
