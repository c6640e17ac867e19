/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the network module (bpf/net.bpf.c): TCP and UDP connections of IPv4 and IPv6
 * sockets. Every type shares one record layout, vigil_net_event.
 * Plain C with fixed-width types only; bump VIGIL_ABI_VERSION when a layout changes.
 */
#ifndef VIGIL_BPF_ABI_NET_H_
#define VIGIL_BPF_ABI_NET_H_

#include "vigil_event.h"

enum vigil_net_event_type {
  VIGIL_EVENT_CONNECT = 15, /* outbound TCP connection, or UDP connect/send to a new peer */
  VIGIL_EVENT_ACCEPT = 16,  /* inbound TCP connection taken by accept */
  VIGIL_EVENT_LISTEN = 17,  /* a TCP socket starts listening */
  VIGIL_EVENT_BIND = 18,    /* a socket is bound to a local address (bind) */
  VIGIL_EVENT_CLOSE = 19,   /* a TCP connection ended */
};

/* How the event came about (vigil_net_event.origin). */
enum vigil_net_origin {
  VIGIL_NET_SYSCALL = 1, /* at the exit of connect, accept, accept4, bind, sendto, sendmsg */
  VIGIL_NET_STATE = 2,   /* at a TCP state change (completion of a connect, end of a connection) */
};

/* vigil_net_event.flags */
#define VIGIL_NET_SERVER 0x1u      /* the local side is the server (accepted, listening, bound) */
#define VIGIL_NET_IPV6 0x2u        /* an IPv6 socket (addresses may still be v4-mapped) */
#define VIGIL_NET_IO_URING 0x4u    /* started by an io_uring request (IORING_OP_CONNECT/ACCEPT) */
#define VIGIL_NET_COMPAT 0x8u      /* issued through the 32-bit syscall table */
#define VIGIL_NET_UDP_SEND 0x10u   /* a UDP datagram to a peer this socket had not sent to */
#define VIGIL_NET_ASYNC 0x20u      /* the outcome of a connect that returned EINPROGRESS */
#define VIGIL_NET_UNATTRIBUTED 0x40u /* the owning process is not known (header is the
                                      * context the kernel was in) */

/* One network event. Addresses are 16 bytes, IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d);
 * ports in host byte order; 0 where not known. */
struct vigil_net_event {
  struct vigil_event_header hdr;
  __s64 result;         /* 0, the accepted fd, or -errno (-EINPROGRESS: connect pending) */
  __u64 duration_ns;    /* close: since the connection was established; else 0 */
  __u64 bytes_received; /* close: bytes received (tcp_sock.bytes_received: a FIN counts 1) */
  __u64 bytes_sent;     /* close: payload bytes sent, retransmissions included (bytes_sent) */
  __u8 laddr[16];       /* local address */
  __u8 raddr[16];       /* remote address */
  __u16 lport;
  __u16 rport;
  __u8 protocol; /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
  __u8 origin;   /* enum vigil_net_origin */
  __u16 fd;      /* the socket's descriptor where a syscall named it (accept: the new one);
                  * 65535 when not known */
  __u32 flags;
  __u32 reserved;
};

/* Most connections the module follows at once (outbound pending or established, inbound
 * established): the LRU table that carries each one's owner to its close. */
#define VIGIL_NET_CONNS_MAX 32768

#endif /* VIGIL_BPF_ABI_NET_H_ */
