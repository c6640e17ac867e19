#include "tests/support/helper_uring.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace vigil::testing {

long UringSubmit(const io_uring_sqe& prepared) {
  io_uring_params params{};
  const int ring = static_cast<int>(syscall(SYS_io_uring_setup, 1, &params));
  if (ring < 0) return -1;
  const size_t sq_size = params.sq_off.array + params.sq_entries * sizeof(unsigned);
  const size_t cq_size = params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe);
  const size_t ring_size = sq_size > cq_size ? sq_size : cq_size;  // IORING_FEAT_SINGLE_MMAP
  auto* sq = static_cast<char*>(mmap(nullptr, ring_size, PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING));
  auto* sqes = static_cast<io_uring_sqe*>(mmap(nullptr, params.sq_entries * sizeof(io_uring_sqe),
                                               PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                                               ring, IORING_OFF_SQES));
  if (sq == MAP_FAILED || sqes == MAP_FAILED || !(params.features & IORING_FEAT_SINGLE_MMAP)) {
    errno = ENOTSUP;
    return -1;
  }
  auto* tail = reinterpret_cast<unsigned*>(sq + params.sq_off.tail);
  const unsigned index = *tail & *reinterpret_cast<unsigned*>(sq + params.sq_off.ring_mask);
  sqes[index] = prepared;
  reinterpret_cast<unsigned*>(sq + params.sq_off.array)[index] = index;
  __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
  if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0) < 0) return -1;
  const unsigned head =
      __atomic_load_n(reinterpret_cast<unsigned*>(sq + params.cq_off.head), __ATOMIC_ACQUIRE);
  const unsigned cq_mask = *reinterpret_cast<unsigned*>(sq + params.cq_off.ring_mask);
  const int res = reinterpret_cast<io_uring_cqe*>(sq + params.cq_off.cqes)[head & cq_mask].res;
  close(ring);
  if (res < 0) {
    errno = -res;
    return -1;
  }
  return res;
}

}  // namespace vigil::testing
