#include "sensor/probes/ring_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace vigil::sensor::probes {

absl::StatusOr<std::unique_ptr<RingReader>> RingReader::Create(size_t bytes, RecordSink* sink) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t size = page;
  while (size < bytes) size <<= 1;
  std::unique_ptr<RingReader> reader(new RingReader());
  reader->bytes_ = size;
  reader->sink_ = sink;
  reader->map_fd_ = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "vigil_events", 0, 0,
                                   static_cast<uint32_t>(size), nullptr);
  if (reader->map_fd_ < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a ", size, "-byte BPF ring buffer: ", strerror(errno),
        errno == EPERM ? " (needs CAP_BPF, and CAP_SYS_RESOURCE or a high enough memlock limit)"
                       : ""));
  }
  reader->ring_ = ring_buffer__new(reader->map_fd_, &RingReader::OnSample, reader.get(), nullptr);
  if (reader->ring_ == nullptr) {
    return absl::InternalError(absl::StrCat("cannot map the ring buffer: ", strerror(errno)));
  }
  return reader;
}

RingReader::~RingReader() {
  ring_buffer__free(ring_);
  if (map_fd_ >= 0) close(map_fd_);
}

int RingReader::epoll_fd() const { return ring_buffer__epoll_fd(ring_); }

int RingReader::OnSample(void* ctx, void* data, size_t size) {
  static_cast<RingReader*>(ctx)->sink_->OnRecord(data, size);
  return 0;
}

absl::StatusOr<int> RingReader::Consume() {
  const int n = ring_buffer__consume(ring_);
  if (n < 0) return absl::InternalError(absl::StrCat("consuming ring buffer: ", strerror(-n)));
  return n;
}

}  // namespace vigil::sensor::probes
