/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading sockets from the kernel, for every module that reports them: the socket behind a
 * file, whether it is an IPv4/IPv6 socket, and its two endpoints as 16-byte addresses
 * (IPv4 as v4-mapped IPv6) with host-order ports. CO-RE reads only.
 */
#ifndef VIGIL_BPF_SOCK_BPF_H_
#define VIGIL_BPF_SOCK_BPF_H_

#include "common.bpf.h"

#define VIGIL_AF_INET 2
#define VIGIL_AF_INET6 10
#define VIGIL_S_IFMT 0170000
#define VIGIL_S_IFSOCK 0140000
#define VIGIL_IPPROTO_TCP 6
#define VIGIL_IPPROTO_UDP 17

/* The struct sock behind `file` when it is a socket, else NULL. */
static __always_inline struct sock *file_sock(struct file *file) {
  if (!file) return NULL;
  if ((BPF_CORE_READ(file, f_inode, i_mode) & VIGIL_S_IFMT) != VIGIL_S_IFSOCK) return NULL;
  struct socket *sock = BPF_CORE_READ(file, private_data);
  return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/* The socket's address family when it is AF_INET or AF_INET6, else 0; with `fast` (a BTF
 * pointer from a tp_btf argument) read with a direct load. */
static __always_inline __u16 inet_family(struct sock *sk, const bool fast) {
  __u16 family = VREAD(fast, sk, __sk_common.skc_family);
  return family == VIGIL_AF_INET || family == VIGIL_AF_INET6 ? family : 0;
}

/* Writes an IPv4 address (network order, as the kernel keeps it) as ::ffff:a.b.c.d. */
static __always_inline void v4_mapped(__u8 *out, __u32 addr) {
  __builtin_memset(out, 0, 10);
  out[10] = 0xff;
  out[11] = 0xff;
  __builtin_memcpy(out + 12, &addr, 4);
}

static __always_inline __u16 net_to_host16(__u16 v) { return (__u16)((v >> 8) | (v << 8)); }

/* The local and remote endpoints of an inet socket of `family`. */
static __always_inline void sock_endpoints(struct sock *sk, __u16 family, __u8 *laddr,
                                           __u8 *raddr, __u16 *lport, __u16 *rport) {
  if (family == VIGIL_AF_INET6) {
    bpf_core_read(laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
    bpf_core_read(raddr, 16, &sk->__sk_common.skc_v6_daddr);
  } else {
    v4_mapped(laddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
    v4_mapped(raddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
  }
  /* inet_sport outlives the port's hash entry (skc_num is cleared once the socket is
   * closed and unhashed). */
  *lport = net_to_host16(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
  *rport = net_to_host16(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* Reads a sockaddr_in or sockaddr_in6 from user memory into a 16-byte address and a
 * host-order port. Returns its family (AF_INET, AF_INET6), or 0 when it is neither or
 * cannot be read. */
static __always_inline __u16 user_sockaddr(const void *uaddr, __u32 len, __u8 *addr,
                                           __u16 *port) {
  struct {
    __u16 family;
    __u16 port;
    __u32 v4_or_flowinfo;
    __u8 v6[16];
  } sa = {};
  if (!uaddr || len < 8) return 0;
  if (bpf_probe_read_user(&sa, len >= sizeof(sa) ? sizeof(sa) : 8, uaddr) != 0) return 0;
  if (sa.family == VIGIL_AF_INET) {
    v4_mapped(addr, sa.v4_or_flowinfo);
  } else if (sa.family == VIGIL_AF_INET6 && len >= sizeof(sa)) {
    __builtin_memcpy(addr, sa.v6, 16);
  } else {
    return 0;
  }
  *port = net_to_host16(sa.port);
  return sa.family;
}

#endif /* VIGIL_BPF_SOCK_BPF_H_ */
