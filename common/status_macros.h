// Small status-propagation macros: Debian's abseil ships none.
#ifndef VIGIL_COMMON_STATUS_MACROS_H_
#define VIGIL_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define VIGIL_CONCAT_INNER_(a, b) a##b
#define VIGIL_CONCAT_(a, b) VIGIL_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` (an absl::Status) is not OK.
#define VIGIL_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status vigil_status_ = (expr);         \
    if (!vigil_status_.ok()) return vigil_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status on error, otherwise
// moves the value into `lhs` (which may be a declaration such as `auto x`).
#define VIGIL_ASSIGN_OR_RETURN(lhs, rexpr) \
  VIGIL_ASSIGN_OR_RETURN_IMPL_(VIGIL_CONCAT_(vigil_statusor_, __LINE__), lhs, rexpr)

#define VIGIL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // VIGIL_COMMON_STATUS_MACROS_H_
