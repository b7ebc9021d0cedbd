// An account's next nonce as a validator reports it (GetAccount), for load
// that continues on a ledger that has already run.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_NONCE_QUERY_H_
#define GRIDLEDGER_TOOLS_LOADGEN_NONCE_QUERY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/common/types.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::loadgen {

// 0 for an account the ledger does not hold yet; Unavailable when the
// validator does not answer within `deadline_ms`.
absl::StatusOr<uint64_t> QueryNextNonce(gridledger::v1::Ledger::Stub& stub, uint32_t slice,
                                        const PublicKey& key, int64_t deadline_ms);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_NONCE_QUERY_H_
