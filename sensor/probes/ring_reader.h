// RingReader: the shared BPF ring buffer every probe module writes to, and its consumer.
#ifndef VIGIL_SENSOR_PROBES_RING_READER_H_
#define VIGIL_SENSOR_PROBES_RING_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

struct ring_buffer;

namespace vigil::sensor::probes {

// Receives each record in place (the memory is valid only during the call).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void OnRecord(const void* data, size_t size) = 0;
};

// The ring's byte positions: how far the kernel has written and the consumer has read.
// Both only grow; producer - consumer is what waits to be consumed.
struct RingPositions {
  uint64_t consumer = 0;
  uint64_t producer = 0;
  uint64_t pending() const { return producer > consumer ? producer - consumer : 0; }
};

// Owns the ring-buffer map (created here, then shared with every module by fd) and the
// libbpf consumer. Consumption happens on the caller's thread.
class RingReader {
 public:
  // Creates a ring buffer of `bytes` (rounded up to a power of two, at least one page)
  // delivering records to `sink`, which must outlive the reader.
  static absl::StatusOr<std::unique_ptr<RingReader>> Create(size_t bytes, RecordSink* sink);
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // The ring-buffer map fd, for bpf_map__reuse_fd.
  int map_fd() const { return map_fd_.get(); }
  // An fd that becomes readable when the kernel wakes the consumer (for epoll).
  int epoll_fd() const;
  // Delivers every record available now. Returns how many, or an error.
  absl::StatusOr<int> Consume();
  size_t size_bytes() const { return bytes_; }
  // The current positions; safe to call from any thread (for the watchdog and metrics).
  RingPositions Positions() const;

 private:
  RingReader() = default;
  static int OnSample(void* ctx, void* data, size_t size);

  UniqueFd map_fd_;
  size_t bytes_ = 0;
  ring_buffer* ring_ = nullptr;
  RecordSink* sink_ = nullptr;
  size_t page_ = 0;
  const uint64_t* consumer_pos_ = nullptr;
  const uint64_t* producer_pos_ = nullptr;
};

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_RING_READER_H_
