#include "sensor/probes/ring_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
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
  reader->map_fd_.reset(bpf_map_create(BPF_MAP_TYPE_RINGBUF, "vigil_events", 0, 0,
                                       static_cast<uint32_t>(size), nullptr));
  if (reader->map_fd_.get() < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a ", size, "-byte BPF ring buffer: ", strerror(errno),
        errno == EPERM ? " (needs CAP_BPF, and CAP_SYS_RESOURCE or a high enough memlock limit)"
                       : ""));
  }
  reader->ring_ =
      ring_buffer__new(reader->map_fd_.get(), &RingReader::OnSample, reader.get(), nullptr);
  if (reader->ring_ == nullptr) {
    return absl::InternalError(absl::StrCat("cannot map the ring buffer: ", strerror(errno)));
  }
  // Our own read-only view of the two position pages, for Positions().
  reader->page_ = page;
  void* cons = mmap(nullptr, page, PROT_READ, MAP_SHARED, reader->map_fd_.get(), 0);
  void* prod = mmap(nullptr, page, PROT_READ, MAP_SHARED, reader->map_fd_.get(), page);
  if (cons == MAP_FAILED || prod == MAP_FAILED) {
    if (cons != MAP_FAILED) munmap(cons, page);
    if (prod != MAP_FAILED) munmap(prod, page);
    return absl::InternalError(
        absl::StrCat("cannot map the ring buffer positions: ", strerror(errno)));
  }
  reader->consumer_pos_ = static_cast<const uint64_t*>(cons);
  reader->producer_pos_ = static_cast<const uint64_t*>(prod);
  return reader;
}

RingReader::~RingReader() {
  if (consumer_pos_ != nullptr) munmap(const_cast<uint64_t*>(consumer_pos_), page_);
  if (producer_pos_ != nullptr) munmap(const_cast<uint64_t*>(producer_pos_), page_);
  ring_buffer__free(ring_);
}

RingPositions RingReader::Positions() const {
  RingPositions p;
  p.consumer = __atomic_load_n(consumer_pos_, __ATOMIC_ACQUIRE);
  p.producer = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE);
  return p;
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
