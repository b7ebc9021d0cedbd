// The node's consensus signature checker: libsecp256k1 like SchnorrChecker,
// each real check counted as a "consensus" signature verification (so the
// cluster's CPU split includes the headers, votes and certificates the core
// verifies beside the transactions, issue 12 item 1), and a bounded memory of
// the valid (key, message, signature) triples it checked or this validator
// signed. A peer's certificate repeats two signatures the core has usually
// seen already: the author's header signature (checked when the header came
// to be voted on) and this validator's own vote. Of a certificate's four
// checks (header and 2f+1 votes, f = 1) those two are then lookups, which
// is a third of the consensus thread's verifications per round. Only valid
// triples are remembered: an invalid signature is always really checked,
// and fails. Thread-safe: the core, the checkpoint pool and commit sync share it.
#ifndef GRIDLEDGER_NET_NODE_COUNTING_SIGNATURE_CHECKER_H_
#define GRIDLEDGER_NET_NODE_COUNTING_SIGNATURE_CHECKER_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "core/consensus/signature_checker.h"
#include "net/metrics/node_metrics.h"

namespace gridledger::node {

// Triples remembered (128 bytes each, twice: set and FIFO): a few rounds'
// headers and votes of a committee of up to ~100.
inline constexpr size_t kValidSignaturesMax = 4096;

class CountingSignatureChecker final : public consensus::SignatureChecker {
 public:
  explicit CountingSignatureChecker(size_t remembered_max = kValidSignaturesMax)
      : remembered_max_(remembered_max) {}
  // Before the first Verify; `metrics` may be null (nothing counted).
  void set_metrics(net::NodeMetrics* metrics) { metrics_ = metrics; }
  bool Verify(const PublicKey& key, const Digest& message, const Signature& signature) override;
  void NoteSigned(const PublicKey& key, const Digest& message,
                  const Signature& signature) override;
  // Real verifications so far (tests).
  uint64_t verifications() const;

 private:
  void Remember(const consensus::SignatureTriple& triple) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t remembered_max_;
  net::NodeMetrics* metrics_ = nullptr;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<consensus::SignatureTriple> valid_ ABSL_GUARDED_BY(mu_);
  std::deque<consensus::SignatureTriple> order_ ABSL_GUARDED_BY(mu_);  // oldest first, for eviction
  uint64_t verifications_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COUNTING_SIGNATURE_CHECKER_H_
