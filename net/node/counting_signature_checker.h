// The node's consensus signature checker: libsecp256k1 like SchnorrChecker,
// and each check counted as a "consensus" signature verification, so the
// cluster's CPU split includes the headers, votes and certificates the core
// verifies beside the transactions (issue 12 item 1).
#ifndef GRIDLEDGER_NET_NODE_COUNTING_SIGNATURE_CHECKER_H_
#define GRIDLEDGER_NET_NODE_COUNTING_SIGNATURE_CHECKER_H_

#include "core/consensus/signature_checker.h"
#include "net/metrics/node_metrics.h"

namespace gridledger::node {

class CountingSignatureChecker final : public consensus::SignatureChecker {
 public:
  // Before the first Verify; `metrics` may be null (nothing counted).
  void set_metrics(net::NodeMetrics* metrics) { metrics_ = metrics; }
  bool Verify(const PublicKey& key, const Digest& message, const Signature& signature) override {
    if (metrics_ != nullptr) metrics_->AddSignatureVerifications(net::SignatureKind::kConsensus, 1);
    return SchnorrVerify(key, message, signature);
  }

 private:
  net::NodeMetrics* metrics_ = nullptr;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COUNTING_SIGNATURE_CHECKER_H_
