// Network actions of vigil-test-helper, for the network module's real-kernel tests. Every
// address is on loopback or assigned by the helper to loopback inside a network namespace
// it creates itself (--netns), so no packet leaves the test's own namespaces.
//
//   net [--netns] [--cgroup DIR] ACTION ADDR PORT
//     --netns       unshare a new network namespace, bring lo up and, when ADDR is an IPv4
//                   address outside 127/8, assign it to lo there
//     --cgroup DIR  first move this process into the cgroup DIR (a container's, say)
//   ACTION:
//     pair          listen on ADDR:PORT, connect to it, accept, exchange bytes, close both
//     uring         as pair, with the connect and the accept made by io_uring
//                   (IORING_OP_CONNECT, IORING_OP_ACCEPT)
//     refused       connect to ADDR:PORT, where nothing listens (must fail ECONNREFUSED)
//     timeout       fill a backlog-0 listener's queue, then connect with one SYN retry
//                   (must fail ETIMEDOUT)
//     inprogress    as timeout with a non-blocking connect (EINPROGRESS), then wait for
//                   its outcome
//     udp           send two datagrams to ADDR:PORT and one to ADDR:PORT+1 from one socket
//     listen        listen on ADDR:PORT for a moment
//   Exits 0 when the action went as described, 1 (with the reason on stderr) otherwise.
#ifndef VIGIL_TESTS_SUPPORT_HELPER_NET_H_
#define VIGIL_TESTS_SUPPORT_HELPER_NET_H_

namespace vigil::testing {

// Runs `net ARGS` (argv without "net"); returns the exit code.
int NetCommand(int argc, char** argv);

// Runs argv[0] with argv as a child, waits, and returns its exit status (1 when it could
// not run or was killed).
int RunChild(char** argv);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_HELPER_NET_H_
