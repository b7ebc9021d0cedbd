// Local RETURN_IF_ERROR / ASSIGN_OR_RETURN: Debian's Abseil (20220623) predates
// absl's own status macros.
#ifndef GRIDLEDGER_CORE_COMMON_STATUS_MACROS_H_
#define GRIDLEDGER_CORE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GL_RETURN_IF_ERROR(expr)                        \
  do {                                                  \
    ::absl::Status gl_status_ = (expr);                 \
    if (!gl_status_.ok()) [[unlikely]] return gl_status_; \
  } while (0)

#define GL_STATUS_CONCAT_INNER(a, b) a##b
#define GL_STATUS_CONCAT(a, b) GL_STATUS_CONCAT_INNER(a, b)

#define GL_ASSIGN_OR_RETURN(lhs, expr) \
  GL_ASSIGN_OR_RETURN_IMPL(GL_STATUS_CONCAT(gl_statusor_, __LINE__), lhs, expr)

#define GL_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                             \
  if (!statusor.ok()) [[unlikely]]                    \
    return std::move(statusor).status();              \
  lhs = std::move(statusor).value()

#endif  // GRIDLEDGER_CORE_COMMON_STATUS_MACROS_H_
