/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network module: TCP and UDP connections of IPv4 and IPv6 sockets, with the process
 * behind each.
 *
 * TCP is followed through its state changes (sock:inet_sock_set_state), which fire for
 * every connection whatever started it (connect, io_uring, TCP Fast Open): the state
 * change to SYN_SENT runs in the connecting task and notes its owner in `net_conns`; the
 * end of SYN_SENT gives the connect's outcome, the change to CLOSE the end of the
 * connection (duration and byte counts) for its owner. Passive connections are noted when
 * they become established and get their owner at accept. The exits of connect, accept,
 * accept4, bind, sendto and sendmsg (one table lookup at the exit of every syscall, as in
 * the file module) give what only the syscall knows: its result and descriptor, failed
 * connects, the accepting process, UDP peers. Accepts made by io_uring are read at their
 * completion (io_uring_complete, Linux 6.0+); its connects need nothing more than the state
 * change.
 */
#include "common.bpf.h"
#include "abi/net.h"
#include "sock.bpf.h"

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7
#define TCP_LISTEN 10

#define VIGIL_O_NONBLOCK 04000
#define VIGIL_EINPROGRESS 115
#define VIGIL_ECONNABORTED 103

/* net_conn.flags */
#define CONN_BY_SYSCALL 0x1 /* started by a connect syscall, whose exit reports it */
#define CONN_RETURNED 0x2   /* ... which has returned EINPROGRESS: the state change reports */
#define CONN_COMPLETED 0x4  /* ... which has not returned, but the outcome is known */
#define CONN_UNOWNED 0x8    /* passive, not accepted yet */
#define CONN_IO_URING 0x10  /* started by an io_uring request */

/* One followed TCP connection: who owns it and since when. */
struct net_conn {
  struct vigil_event_header hdr; /* the owner, as at connect or accept */
  __u64 start_ns;                /* established (or SYN_SENT until then) */
  __u32 flags;                   /* CONN_* */
  __s32 result;                  /* with CONN_COMPLETED: 0 or -errno */
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, VIGIL_NET_CONNS_MAX);
  __type(key, __u64); /* struct sock * */
  __type(value, struct net_conn);
} net_conns SEC(".maps");

/* A UDP socket's peers already reported (socket, address, port). */
struct udp_peer {
  __u64 sk;
  __u8 addr[16];
  __u16 port;
  __u16 pad[3];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, struct udp_peer);
  __type(value, __u8);
} udp_peers SEC(".maps");

/* Syscalls whose exits the module reads (table bytes, enum below). */
enum net_syscall {
  NET_SYS_CONNECT = 1,
  NET_SYS_ACCEPT = 2,
  NET_SYS_BIND = 3,
  NET_SYS_SENDTO = 4,
  NET_SYS_SENDMSG = 5,
};

#define X64_CONNECT 42
#define IA32_CONNECT 362
#define X64_IO_URING_ENTER 426

static const __u16 net_syscalls[512] = {
    [42] = NET_SYS_CONNECT, [43] = NET_SYS_ACCEPT, [288] = NET_SYS_ACCEPT,
    [49] = NET_SYS_BIND,    [44] = NET_SYS_SENDTO, [46] = NET_SYS_SENDMSG,
    /* ia32 */
    [362] = NET_SYS_CONNECT << 8, [364] = NET_SYS_ACCEPT << 8, [361] = NET_SYS_BIND << 8,
    [369] = NET_SYS_SENDTO << 8,  [370] = NET_SYS_SENDMSG << 8,
};

#define NET_TYPES                                                                     \
  ((1u << VIGIL_EVENT_CONNECT) | (1u << VIGIL_EVENT_ACCEPT) | (1u << VIGIL_EVENT_LISTEN) | \
   (1u << VIGIL_EVENT_BIND) | (1u << VIGIL_EVENT_CLOSE))

static __always_inline bool wanted(__u32 mask) { return filter_cfg.type_mask & mask; }

/* The syscall the current task is in (its saved registers), or -1 in none. */
static __always_inline long current_syscall(void) {
  return BPF_CORE_READ(current_user_regs(), orig_ax);
}

/* Builds a record for `sk` in the scratch buffer, its header from `owner` (a saved
 * header) or, when NULL, from the current task; the caller fills what is specific to it
 * and submits. NULL without scratch. */
static __always_inline struct vigil_net_event *net_record(__u16 type,
                                                          const struct vigil_event_header *owner,
                                                          struct sock *sk, __u16 family,
                                                          __s64 result, __u8 origin, __u32 fd,
                                                          __u32 flags, const bool fast) {
  struct vigil_scratch *s = get_scratch();
  if (!s) return NULL;
  struct vigil_net_event *e = (struct vigil_net_event *)s->record;
  if (owner) {
    e->hdr = *owner;
    e->hdr.type = type;
    e->hdr.ts_boot_ns = bpf_ktime_get_boot_ns();
  } else {
    fill_header_from(&e->hdr, type, fast);
    attribute_to_process(&e->hdr);
  }
  e->hdr.size = sizeof(*e);
  e->result = result;
  e->duration_ns = 0;
  e->bytes_received = 0;
  e->bytes_sent = 0;
  sock_endpoints(sk, family, e->laddr, e->raddr, &e->lport, &e->rport);
  e->protocol = BPF_CORE_READ(sk, sk_protocol);
  e->origin = origin;
  e->fd = fd > 0xffff ? 0xffff : fd;
  e->flags = flags | (family == VIGIL_AF_INET6 ? VIGIL_NET_IPV6 : 0);
  e->reserved = 0;
  return e;
}

/* net_record() and submit at once. */
static __always_inline void emit_net(__u16 type, const struct vigil_event_header *owner,
                                     struct sock *sk, __u16 family, __s64 result, __u8 origin,
                                     __u32 fd, __u32 flags, const bool fast) {
  struct vigil_net_event *e =
      net_record(type, owner, sk, family, result, origin, fd, flags, fast);
  if (e) submit(e, sizeof(*e));
}

/* ---- TCP state changes ---- */

/* CLOSE -> SYN_SENT, in the connecting task: note the owner. A connect syscall reports its
 * own outcome at its exit, which fills the owner in only if it returns EINPROGRESS; so the
 * header is read here only when the connection's close is wanted or something other than
 * the syscall connects. */
static __always_inline void on_syn_sent(struct sock *sk) {
  if (!wanted((1u << VIGIL_EVENT_CONNECT) | (1u << VIGIL_EVENT_CLOSE)) || is_self()) return;
  struct net_conn c = {};
  const long nr = current_syscall();
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  const bool compat = BPF_CORE_READ(task, thread_info.status) & TS_COMPAT;
  if (nr == (compat ? IA32_CONNECT : X64_CONNECT)) c.flags = CONN_BY_SYSCALL;
  if ((BPF_CORE_READ(task, flags) & VIGIL_PF_IO_WORKER) || (!compat && nr == X64_IO_URING_ENTER))
    c.flags |= CONN_IO_URING;
  /* A blocking connect syscall reports its outcome at its exit, and nothing else is needed
   * later unless the close is wanted: nothing to note. */
  if (c.flags == CONN_BY_SYSCALL && !wanted(1u << VIGIL_EVENT_CLOSE) &&
      !(BPF_CORE_READ(sk, sk_socket, file, f_flags) & VIGIL_O_NONBLOCK))
    return;
  c.start_ns = bpf_ktime_get_boot_ns();
  if (!(c.flags & CONN_BY_SYSCALL) || wanted(1u << VIGIL_EVENT_CLOSE)) {
    fill_header(&c.hdr, VIGIL_EVENT_CONNECT);
    attribute_to_process(&c.hdr);
  }
  __u64 key = (__u64)sk;
  bpf_map_update_elem(&net_conns, &key, &c, BPF_ANY);
}

/* SYN_SENT -> ESTABLISHED or CLOSE: the connect's outcome. A connect syscall still running
 * reports it at its exit; otherwise (io_uring, a connect that returned EINPROGRESS) it is
 * reported here, for the owner. */
static __always_inline void on_connect_done(struct sock *sk, __u16 family, bool established) {
  __u64 key = (__u64)sk;
  struct net_conn *c = bpf_map_lookup_elem(&net_conns, &key);
  if (!c) return;
  __s32 result = 0;
  if (!established) {
    result = -BPF_CORE_READ(sk, sk_err);
    if (result == 0) result = -VIGIL_ECONNABORTED;
  }
  if ((c->flags & CONN_BY_SYSCALL) && !(c->flags & CONN_RETURNED)) {
    c->result = result;
    c->flags |= CONN_COMPLETED;
  } else if (type_enabled(VIGIL_EVENT_CONNECT)) {
    __u32 flags = c->flags & CONN_RETURNED ? VIGIL_NET_ASYNC : 0;
    if (c->flags & CONN_IO_URING) flags |= VIGIL_NET_IO_URING;
    emit_net(VIGIL_EVENT_CONNECT, &c->hdr, sk, family, result, VIGIL_NET_STATE, 0xffff, flags,
             false);
  }
  if (established && wanted(1u << VIGIL_EVENT_CLOSE)) {
    c->start_ns = bpf_ktime_get_boot_ns();
  } else if (!(c->flags & CONN_BY_SYSCALL) || (c->flags & CONN_RETURNED)) {
    /* done with it (a connect syscall still running reads the outcome at its exit) */
    bpf_map_delete_elem(&net_conns, &key);
  }
}

/* A followed connection ended: report it for its owner, with duration and byte counts. */
static __always_inline void on_close(struct sock *sk, __u16 family) {
  __u64 key = (__u64)sk;
  struct net_conn *c = bpf_map_lookup_elem(&net_conns, &key);
  if (!c) return;
  if (!(c->flags & CONN_UNOWNED) && type_enabled(VIGIL_EVENT_CLOSE)) {
    const __u32 flags = c->hdr.type == VIGIL_EVENT_ACCEPT ? VIGIL_NET_SERVER : 0;
    struct vigil_net_event *e =
        net_record(VIGIL_EVENT_CLOSE, &c->hdr, sk, family, 0, VIGIL_NET_STATE, 0xffff, flags,
                   false);
    if (e) {
      e->duration_ns = e->hdr.ts_boot_ns - c->start_ns;
      struct tcp_sock *tp = (struct tcp_sock *)sk;
      e->bytes_received = BPF_CORE_READ(tp, bytes_received);
      e->bytes_sent = BPF_CORE_READ(tp, bytes_sent);
      submit(e, sizeof(*e));
    }
  }
  bpf_map_delete_elem(&net_conns, &key);
}

/* Every TCP state change of every socket: most (FIN_WAIT1, CLOSE_WAIT, ...) stop at the
 * first test; in tp_btf (`fast`) the socket's fields are read with direct loads. */
static __always_inline void on_state(struct sock *sk, int oldstate, int newstate,
                                     const bool fast) {
  if (newstate != TCP_SYN_SENT && oldstate != TCP_SYN_SENT && newstate != TCP_ESTABLISHED &&
      newstate != TCP_LISTEN && newstate != TCP_CLOSE)
    return;
  if (!wanted(NET_TYPES)) return;
  if (newstate == TCP_CLOSE && oldstate != TCP_SYN_SENT && !wanted(1u << VIGIL_EVENT_CLOSE)) {
    /* no close wanted: entries of established connections are not kept either */
    return;
  }
  if (VREAD(fast, sk, sk_protocol) != VIGIL_IPPROTO_TCP) return;
  const __u16 family = inet_family(sk, fast);
  if (!family) return;
  if (newstate == TCP_SYN_SENT) {
    on_syn_sent(sk);
  } else if (oldstate == TCP_SYN_SENT) {
    if (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE)
      on_connect_done(sk, family, newstate == TCP_ESTABLISHED);
  } else if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
    if (!wanted(1u << VIGIL_EVENT_CLOSE)) return; /* only the close needs the start time */
    struct net_conn c = {};
    c.start_ns = bpf_ktime_get_boot_ns();
    c.flags = CONN_UNOWNED;
    __u64 key = (__u64)sk;
    bpf_map_update_elem(&net_conns, &key, &c, BPF_NOEXIST);
  } else if (newstate == TCP_LISTEN) {
    if (type_enabled(VIGIL_EVENT_LISTEN) && !is_self())
      emit_net(VIGIL_EVENT_LISTEN, NULL, sk, family, 0, VIGIL_NET_STATE, 0xffff, VIGIL_NET_SERVER,
               fast);
  } else if (newstate == TCP_CLOSE) {
    on_close(sk, family);
  }
}

/* ---- syscall exits ---- */

/* The socket behind descriptor `fd` of `task` when it is an IPv4/IPv6 socket of TCP or
 * UDP; *family and *proto are set. */
static __always_inline struct sock *inet_sock_of_fd(struct task_struct *task, long fd,
                                                    __u16 *family, __u16 *proto) {
  struct sock *sk = file_sock(task_fd_file(task, fd, false));
  if (!sk) return NULL;
  *family = inet_family(sk, false);
  if (!*family) return NULL;
  *proto = BPF_CORE_READ(sk, sk_protocol);
  return *proto == VIGIL_IPPROTO_TCP || *proto == VIGIL_IPPROTO_UDP ? sk : NULL;
}

/* The remote endpoint named by the syscall (sockaddr at `uaddr`), written over the
 * record's when the socket no longer has one (a failed connect is disconnected). */
static __always_inline void remote_from_user(struct vigil_net_event *e, const void *uaddr,
                                             __u32 len) {
  if (e->rport != 0) return;
  user_sockaddr(uaddr, len, e->raddr, &e->rport);
}

static __always_inline void connect_exit(struct sock *sk, __u16 family, long fd, long ret,
                                         const void *uaddr, __u32 len, __u32 flags,
                                         const bool tcp, const bool fast) {
  struct net_conn *pending = NULL;
  if (tcp) {
    __u64 key = (__u64)sk;
    struct net_conn *c = bpf_map_lookup_elem(&net_conns, &key);
    if (c) {
      if (c->flags & CONN_IO_URING) flags |= VIGIL_NET_IO_URING;
      if (ret == -VIGIL_EINPROGRESS && (c->flags & CONN_COMPLETED)) {
        ret = c->result; /* settled before the syscall returned */
      } else if (ret == -VIGIL_EINPROGRESS) {
        c->flags |= CONN_RETURNED;
        pending = c; /* its outcome is reported later, for this owner */
      }
      c->flags &= ~CONN_BY_SYSCALL;
    }
  } else {
    __u8 addr[16];
    __u16 port = 0;
    /* connect(AF_UNSPEC) dissolves a UDP association: nothing to report. */
    if (ret == 0 && !user_sockaddr(uaddr, len, addr, &port)) return;
  }
  if (!type_enabled(VIGIL_EVENT_CONNECT)) return;
  struct vigil_net_event *e =
      net_record(VIGIL_EVENT_CONNECT, NULL, sk, family, ret, VIGIL_NET_SYSCALL, fd, flags, fast);
  if (!e) return;
  if (pending) pending->hdr = e->hdr;
  remote_from_user(e, uaddr, len);
  submit(e, sizeof(*e));
}

/* A UDP datagram sent to an explicit address: reported the first time this socket sends
 * to that peer (udp_peers remembers the most recent peers). */
static __always_inline void udp_send_exit(struct sock *sk, __u16 family, long fd,
                                          const void *uaddr, __u32 len, __u32 flags,
                                          const bool fast) {
  struct udp_peer key = {.sk = (__u64)sk};
  if (!user_sockaddr(uaddr, len, key.addr, &key.port)) return;
  __u8 one = 1;
  if (bpf_map_update_elem(&udp_peers, &key, &one, BPF_NOEXIST) != 0) return;
  if (!type_enabled(VIGIL_EVENT_CONNECT)) return;
  struct vigil_net_event *e = net_record(VIGIL_EVENT_CONNECT, NULL, sk, family, 0,
                                         VIGIL_NET_SYSCALL, fd, flags | VIGIL_NET_UDP_SEND, fast);
  if (!e) return;
  __builtin_memcpy(e->raddr, key.addr, 16);
  e->rport = key.port;
  submit(e, sizeof(*e));
}

/* accept/accept4 returned a new connection: its owner is the accepting process. */
static __always_inline void accept_exit(struct sock *sk, __u16 family, long fd, __u32 flags,
                                        const bool fast) {
  struct vigil_net_event *e = net_record(VIGIL_EVENT_ACCEPT, NULL, sk, family, fd,
                                         VIGIL_NET_SYSCALL, fd, flags | VIGIL_NET_SERVER, fast);
  if (!e) return;
  if (wanted(1u << VIGIL_EVENT_CLOSE)) {
    __u64 key = (__u64)sk;
    struct net_conn *c = bpf_map_lookup_elem(&net_conns, &key);
    if (c) {
      c->hdr = e->hdr;
      c->flags &= ~CONN_UNOWNED;
    } else {
      struct net_conn fresh = {};
      fresh.hdr = e->hdr;
      fresh.start_ns = e->hdr.ts_boot_ns;
      bpf_map_update_elem(&net_conns, &key, &fresh, BPF_ANY);
    }
  }
  if (type_enabled(VIGIL_EVENT_ACCEPT)) submit(e, sizeof(*e));
}

/* Syscall argument n (0..5) from the saved registers, by the table the call went through. */
#define NET_ARG(n)                                                                              \
  (compat ? (__u64)(__u32)((n) == 0   ? VREAD(fast, regs, bx)                                   \
                           : (n) == 1 ? VREAD(fast, regs, cx)                                   \
                           : (n) == 2 ? VREAD(fast, regs, dx)                                   \
                           : (n) == 4 ? VREAD(fast, regs, di)                                   \
                                      : VREAD(fast, regs, bp))                                  \
          : (n) == 0 ? VREAD(fast, regs, di)                                                    \
          : (n) == 1 ? VREAD(fast, regs, si)                                                    \
          : (n) == 2 ? VREAD(fast, regs, dx)                                                    \
          : (n) == 4 ? VREAD(fast, regs, r8)                                                    \
                     : VREAD(fast, regs, r9))

/* The exit of every syscall: one table lookup stops all but the socket calls the module
 * reads. In tp_btf (`fast`) the saved registers are read with direct loads. */
static __always_inline void net_sys_exit(struct pt_regs *regs, __u64 nr, long ret,
                                         const bool fast) {
  struct task_struct *task = NULL;
  bool compat = false;
  const __u32 op = syscall_table_byte(net_syscalls, nr, &task, &compat, false);
  if (!op) return;
  if (!wanted(NET_TYPES)) {
    count(VIGIL_STAT_FILTERED_TYPE);
    return;
  }
  if (op == NET_SYS_ACCEPT &&
      (ret < 0 || !wanted((1u << VIGIL_EVENT_ACCEPT) | (1u << VIGIL_EVENT_CLOSE))))
    return;
  if ((op == NET_SYS_SENDTO || op == NET_SYS_SENDMSG) &&
      (ret < 0 || !wanted(1u << VIGIL_EVENT_CONNECT)))
    return;
  if (is_self()) return;
  const __u32 flags = compat ? VIGIL_NET_COMPAT : 0;
  __u16 family = 0;
  __u16 proto = 0;
  if (op == NET_SYS_ACCEPT) {
    struct sock *sk = inet_sock_of_fd(task, ret, &family, &proto);
    if (sk && proto == VIGIL_IPPROTO_TCP) accept_exit(sk, family, ret, flags, fast);
    return;
  }
  __u64 arg[6] = {};
  arg[0] = NET_ARG(0);
  arg[1] = NET_ARG(1);
  arg[2] = NET_ARG(2);
  if (op == NET_SYS_SENDTO) {
    arg[4] = NET_ARG(4);
    arg[5] = NET_ARG(5);
  }
  struct sock *sk = inet_sock_of_fd(task, (int)arg[0], &family, &proto);
  if (!sk) return;
  /* datagrams to new peers: UDP only */
  if ((op == NET_SYS_SENDTO || op == NET_SYS_SENDMSG) && proto != VIGIL_IPPROTO_UDP) return;
  switch (op) {
    case NET_SYS_CONNECT:
      connect_exit(sk, family, (int)arg[0], ret, (const void *)arg[1], arg[2], flags,
                   proto == VIGIL_IPPROTO_TCP, fast);
      break;
    case NET_SYS_BIND:
      if (type_enabled(VIGIL_EVENT_BIND)) {
        struct vigil_net_event *e = net_record(VIGIL_EVENT_BIND, NULL, sk, family, ret,
                                               VIGIL_NET_SYSCALL, arg[0], flags | VIGIL_NET_SERVER,
                                               fast);
        if (!e) break;
        if (ret < 0) user_sockaddr((const void *)arg[1], arg[2], e->laddr, &e->lport);
        submit(e, sizeof(*e));
      }
      break;
    case NET_SYS_SENDTO:
      udp_send_exit(sk, family, arg[0], (const void *)arg[4], arg[5], flags, fast);
      break;
    case NET_SYS_SENDMSG: {
      /* struct msghdr starts with msg_name and msg_namelen (compat: two 32-bit words) */
      __u64 name = 0;
      __u32 namelen = 0;
      if (compat) {
        __u32 words[2] = {};
        bpf_probe_read_user(words, sizeof(words), (void *)arg[1]);
        name = words[0];
        namelen = words[1];
      } else {
        bpf_probe_read_user(&name, sizeof(name), (void *)arg[1]);
        bpf_probe_read_user(&namelen, sizeof(namelen), (void *)(arg[1] + 8));
      }
      udp_send_exit(sk, family, arg[0], (const void *)name, namelen, flags, fast);
      break;
    }
  }
}

/* ---- io_uring ---- */

/* io_uring_complete (Linux 6.0+ request layout): an IORING_OP_ACCEPT that completed with a
 * descriptor is reported like accept's exit, for the task completing it (the submitter, or
 * an io-wq worker of its process) and flagged io_uring. An accept into a fixed-file slot
 * has no descriptor, and multishot accepts post their completions without the request: not
 * seen (docs/events.md). */
static __always_inline void uring_accept_done(struct io_kiocb *req) {
  if (BPF_CORE_READ(req, opcode) != bpf_core_enum_value(enum io_uring_op, IORING_OP_ACCEPT))
    return;
  if (!wanted((1u << VIGIL_EVENT_ACCEPT) | (1u << VIGIL_EVENT_CLOSE))) return;
  const __s32 fd = BPF_CORE_READ(req, cqe.res);
  if (fd < 0 || BPF_CORE_READ((struct io_accept *)req, file_slot) || is_self()) return;
  __u16 family = 0;
  __u16 proto = 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct sock *sk = inet_sock_of_fd(task, fd, &family, &proto);
  if (sk && proto == VIGIL_IPPROTO_TCP) accept_exit(sk, family, fd, VIGIL_NET_IO_URING, false);
}

/* ---- tp_btf ---- */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate) {
  on_state((struct sock *)sk, oldstate, newstate, true);
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret) {
  net_sys_exit(regs, regs->orig_ax, ret, true);
  return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(btf_uring_complete, void *ring, void *req) {
  uring_accept_done((struct io_kiocb *)req);
  return 0;
}

/* ---- raw_tp ---- */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate) {
  on_state((struct sock *)sk, oldstate, newstate, false);
  return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret) {
  net_sys_exit(regs, BPF_CORE_READ(regs, orig_ax), ret, false);
  return 0;
}

SEC("raw_tp/io_uring_complete")
int BPF_PROG(raw_uring_complete, void *ring, void *req) {
  uring_accept_done((struct io_kiocb *)req);
  return 0;
}

/* ---- classic tracepoint ---- */
SEC("tracepoint/sock/inet_sock_set_state")
int tp_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx) {
  on_state((struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate, false);
  return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tp_sys_exit(struct trace_event_raw_sys_exit *ctx) {
  net_sys_exit(current_user_regs(), ctx->id, ctx->ret, false);
  return 0;
}

SEC("tracepoint/io_uring/io_uring_complete")
int tp_uring_complete(struct trace_event_raw_io_uring_complete *ctx) {
  uring_accept_done((struct io_kiocb *)ctx->req);
  return 0;
}
