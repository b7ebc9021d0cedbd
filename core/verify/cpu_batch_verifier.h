// CPU backend of BatchVerifier: libsecp256k1 over a pool of all cores. This is
// the reference semantics every other backend is tested against.
#ifndef GRIDLEDGER_CORE_VERIFY_CPU_BATCH_VERIFIER_H_
#define GRIDLEDGER_CORE_VERIFY_CPU_BATCH_VERIFIER_H_

#include "core/common/thread_pool.h"
#include "core/verify/batch_verifier.h"

namespace gridledger {

class CpuBatchVerifier final : public BatchVerifier {
 public:
  // threads = 0: all cores. The pool's workers are named `pool_name` and
  // run `nice_increment` above the nice of the constructing thread
  // (ThreadPool); the calling thread keeps its own.
  explicit CpuBatchVerifier(int threads = 0, int nice_increment = 0,
                            const char* pool_name = "gl-verify-pool");
  absl::string_view name() const override { return "cpu"; }
  int threads() const { return pool_.size(); }
  int nice_increment() const { return nice_increment_; }
  const char* pool_name() const { return pool_name_; }

  absl::Status Verify(absl::Span<const VerifyItem> items,
                      absl::Span<uint8_t> results) override;
  absl::Status VerifyTransactions(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                  absl::Span<Digest> ids,
                                  absl::Span<uint8_t> valid) override;

 private:
  ThreadPool pool_;
  const int nice_increment_;
  const char* const pool_name_;  // a string literal, as ThreadPool takes it
};

// Single-transaction reference used by the CPU backend and by tests of others:
// computes the id and checks the envelope signature for network `chain_id`
// (see BatchVerifier).
bool VerifyTransactionEnvelope(const Digest& chain_id, ByteSpan tx, Digest* id);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_VERIFY_CPU_BATCH_VERIFIER_H_
