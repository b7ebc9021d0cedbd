// Always-on invariant checks. Misuse of an API or a broken invariant is a bug:
// abort near the cause (as libsecp256k1's ARG_CHECK does). Bad *input* is never
// checked with these; it gets an absl::Status.
#ifndef GRIDLEDGER_CORE_COMMON_CHECK_H_
#define GRIDLEDGER_CORE_COMMON_CHECK_H_

namespace gridledger::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const char* message);
}  // namespace gridledger::internal

#define GL_CHECK(condition)                                                   \
  do {                                                                        \
    if (!(condition)) [[unlikely]]                                            \
      ::gridledger::internal::CheckFailed(__FILE__, __LINE__, #condition, ""); \
  } while (0)

#define GL_CHECK_MSG(condition, message)                                      \
  do {                                                                        \
    if (!(condition)) [[unlikely]]                                            \
      ::gridledger::internal::CheckFailed(__FILE__, __LINE__, #condition,     \
                                          (message));                         \
  } while (0)

#endif  // GRIDLEDGER_CORE_COMMON_CHECK_H_
