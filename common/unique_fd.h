// UniqueFd: sole owner of a file descriptor, closed when the owner goes away.
#ifndef VIGIL_COMMON_UNIQUE_FD_H_
#define VIGIL_COMMON_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace vigil {

// Owns one descriptor (or none: -1). Move-only; closes on destruction and on reset.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  // The descriptor, still owned; -1 when none.
  int get() const { return fd_; }
  // True when a descriptor is held.
  bool valid() const { return fd_ >= 0; }
  // Closes the held descriptor (if any) and takes `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace vigil

#endif  // VIGIL_COMMON_UNIQUE_FD_H_
