// io_uring for vigil-test-helper: one request submitted through a ring of its own.
#ifndef VIGIL_TESTS_SUPPORT_HELPER_URING_H_
#define VIGIL_TESTS_SUPPORT_HELPER_URING_H_

#include <linux/io_uring.h>

namespace vigil::testing {

// Submits one prepared request through a new io_uring and waits for it: the kernel does
// the operation without its syscall. Returns the request's result (-1 and errno on error).
long UringSubmit(const io_uring_sqe& prepared);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_HELPER_URING_H_
