// File identity: the (device, inode number) pair that names one file whatever path reaches
// it (a hard link, a bind mount, a handle, /proc/PID/root/...). Events that carry the
// identity of the file they touched expose it as a field of type `file` (FieldType::kFile,
// e.g. fd.file), which rules test against the identities of listed paths.
//
// Devices are kept as stat(2) reports st_dev (glibc's makedev(major, minor)). The kernel's
// records carry the superblock's s_dev, encoded major << 20 | minor; KernelDevToUser and
// UserDevToKernel convert between the two.
#ifndef VIGIL_EVENT_FILE_ID_H_
#define VIGIL_EVENT_FILE_ID_H_

#include <sys/sysmacros.h>

#include <cstdint>
#include <utility>

namespace vigil::event {

// One file's identity: st_dev (user-space encoding) and st_ino.
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;

  friend bool operator==(const FileId& a, const FileId& b) {
    return a.dev == b.dev && a.ino == b.ino;
  }
  friend bool operator!=(const FileId& a, const FileId& b) { return !(a == b); }
  friend bool operator<(const FileId& a, const FileId& b) {
    return a.dev != b.dev ? a.dev < b.dev : a.ino < b.ino;
  }
  template <typename H>
  friend H AbslHashValue(H h, const FileId& id) {
    return H::combine(std::move(h), id.dev, id.ino);
  }
};

// Bits of the minor number in the kernel's internal device encoding (MINORBITS).
inline constexpr int kKernelMinorBits = 20;

// The kernel's internal device number (super_block.s_dev: major << 20 | minor) as stat(2)
// reports it in st_dev.
inline uint64_t KernelDevToUser(uint32_t kdev) {
  return makedev(kdev >> kKernelMinorBits, kdev & ((1u << kKernelMinorBits) - 1));
}

// st_dev as the kernel encodes it internally (major << 20 | minor); the inverse of
// KernelDevToUser for every device the kernel can name (major < 4096, minor < 2^20).
inline uint32_t UserDevToKernel(uint64_t dev) {
  return static_cast<uint32_t>((major(dev) << kKernelMinorBits) |
                               (minor(dev) & ((1u << kKernelMinorBits) - 1)));
}

}  // namespace vigil::event

#endif  // VIGIL_EVENT_FILE_ID_H_
