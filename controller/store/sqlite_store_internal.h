// What the files defining SqliteStore's members (sqlite_store.cc, sqlite_alerts.cc,
// sqlite_fleet.cc) share: the definitions of its private Read and Write templates, which
// hand a callback a connection under that connection's mutex. Internal to controller/store.
#ifndef VIGIL_CONTROLLER_STORE_SQLITE_STORE_INTERNAL_H_
#define VIGIL_CONTROLLER_STORE_SQLITE_STORE_INTERNAL_H_

#include <utility>

#include "absl/synchronization/mutex.h"
#include "controller/store/sqlite_handle.h"
#include "controller/store/sqlite_store.h"

namespace vigil::controller {

template <typename Fn>
auto SqliteStore::Write(Fn&& fn) {
  absl::MutexLock lock(&write_mu_);
  return fn(*writer_);
}

template <typename Fn>
auto SqliteStore::Read(Fn&& fn) {
  if (reader_ == nullptr) return Write(std::forward<Fn>(fn));
  absl::MutexLock lock(&read_mu_);
  return fn(*reader_);
}

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_STORE_SQLITE_STORE_INTERNAL_H_
