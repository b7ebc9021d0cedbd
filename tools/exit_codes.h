// The exit statuses every `gridledger` command uses, so scripts can branch on
// them (README.md, `gridledger CMD --help`). A parse error (unknown option,
// bad or out-of-range value, missing required option) is kExitUsage.
#ifndef GRIDLEDGER_TOOLS_EXIT_CODES_H_
#define GRIDLEDGER_TOOLS_EXIT_CODES_H_

namespace gridledger::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRejected = 3;     // refused, FAILED, or (tx decode) a bad signature
inline constexpr int kExitNotFound = 4;     // unknown transaction or account
inline constexpr int kExitPending = 5;      // admitted, not final in time
inline constexpr int kExitUnreachable = 6;  // the node did not answer

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_EXIT_CODES_H_
