// BatchVerifier: the one interface through which every signature in the ledger
// is checked. Backends (CPU pool, CUDA) must agree bit for bit with
// libsecp256k1's secp256k1_schnorrsig_verify.
#ifndef GRIDLEDGER_CORE_VERIFY_BATCH_VERIFIER_H_
#define GRIDLEDGER_CORE_VERIFY_BATCH_VERIFIER_H_

#include <cstdint>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/common/types.h"

namespace gridledger {

struct VerifyItem {
  PublicKey key;
  Digest message;
  Signature signature;
};

class BatchVerifier {
 public:
  virtual ~BatchVerifier() = default;
  virtual absl::string_view name() const = 0;

  // results[i] = 1 when items[i] verifies, else 0. results.size() must equal
  // items.size() (misuse: assertion). A non-OK status means the backend failed
  // (e.g. a CUDA error); results are then unspecified.
  virtual absl::Status Verify(absl::Span<const VerifyItem> items,
                              absl::Span<uint8_t> results) = 0;

  // For each raw transaction envelope (core/tx/transaction.h): ids[i] =
  // TaggedHash(kTagTxId, tx), and valid[i] = 1 when the envelope is long enough
  // to hold a header and signature and its signature verifies under its sender
  // over TaggedHash(TxSignTag(chain_id), tx without signature): a transaction
  // signed for another network is invalid here. Decoding rules beyond the
  // layout are the codec's job. Backends fuse hashing and verification so the
  // bytes are touched (or copied to a device) once.
  virtual absl::Status VerifyTransactions(const Digest& chain_id,
                                          absl::Span<const ByteSpan> txs,
                                          absl::Span<Digest> ids,
                                          absl::Span<uint8_t> valid) = 0;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_VERIFY_BATCH_VERIFIER_H_
