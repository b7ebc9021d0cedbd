#include "net/node/latency_anatomy.h"

#include <variant>

#include "absl/time/time.h"
#include "core/consensus/messages.h"

namespace gridledger::node {

bool LatencyAnatomy::SealsOwnBatch(const std::vector<consensus::Action>& actions,
                                   ValidatorIndex me) {
  for (const consensus::Action& action : actions) {
    const auto* persist = std::get_if<consensus::PersistAction>(&action);
    if (persist == nullptr) continue;
    const auto* record = std::get_if<consensus::BatchRecord>(&persist->record);
    if (record != nullptr && record->batch->author == me) return true;
  }
  return false;
}

void LatencyAnatomy::Observe(net::NodeMetrics* metrics, net::LatencyStage stage, int64_t from_ns,
                             int64_t to_ns) {
  if (metrics == nullptr || to_ns < from_ns) return;
  metrics->ObserveStage(stage, absl::Nanoseconds(to_ns - from_ns));
}

void LatencyAnatomy::OnAdmitted(int64_t now_ns, bool sealed) {
  if (!open_since_ns_.has_value()) open_since_ns_ = now_ns;
  if (!sealed) return;
  if (seal_starts_.size() >= kMaxAnatomyBatches) seal_starts_.pop_front();
  seal_starts_.push_back(*open_since_ns_);
  open_since_ns_.reset();
}

void LatencyAnatomy::OnOwnBatch(const consensus::Batch& batch, int64_t now_ns) {
  // A seal an admission reported comes first (in order); otherwise the timer
  // sealed the open batch. Restored transactions have neither.
  std::optional<int64_t> start;
  if (!seal_starts_.empty()) {
    start = seal_starts_.front();
    seal_starts_.pop_front();
  } else if (open_since_ns_.has_value()) {
    start = open_since_ns_;
    open_since_ns_.reset();
  }
  if (!start.has_value()) return;
  Observe(metrics_, net::LatencyStage::kBatch, *start, now_ns);
  const Digest digest = consensus::BatchDigest(batch);
  if (!sealed_at_.emplace(digest, now_ns).second) return;
  sealed_order_.push_back(digest);
  while (sealed_order_.size() > kMaxAnatomyBatches) {
    sealed_at_.erase(sealed_order_.front());
    sealed_order_.pop_front();
  }
}

void LatencyAnatomy::OnAction(const consensus::Action& action, int64_t now_ns) {
  if (const auto* persist = std::get_if<consensus::PersistAction>(&action)) {
    if (const auto* b = std::get_if<consensus::BatchRecord>(&persist->record)) {
      if (b->batch->author == me_) OnOwnBatch(*b->batch, now_ns);
    } else if (const auto* h = std::get_if<consensus::OwnHeaderRecord>(&persist->record)) {
      for (const Digest& d : h->header.batches) {
        auto it = sealed_at_.find(d);
        if (it == sealed_at_.end()) continue;
        Observe(metrics_, net::LatencyStage::kHeader, it->second, now_ns);
        sealed_at_.erase(it);  // its sealed_order_ entry goes when it reaches the front
      }
      while (!sealed_order_.empty() && !sealed_at_.contains(sealed_order_.front())) {
        sealed_order_.pop_front();
      }
      header_at_[h->header.round.value()] = now_ns;
      while (header_at_.size() > kMaxAnatomyRounds) header_at_.erase(header_at_.begin());
    } else if (const auto* c = std::get_if<consensus::CertificateRecord>(&persist->record)) {
      const consensus::Header& header = c->certificate.header;
      if (header.author != me_) return;
      auto it = header_at_.find(header.round.value());
      if (it == header_at_.end()) return;
      Observe(metrics_, net::LatencyStage::kCertificate, it->second, now_ns);
      header_at_.erase(header_at_.begin(), std::next(it));  // older headers will not certify
      certified_at_[header.round.value()] = now_ns;
      while (certified_at_.size() > kMaxAnatomyRounds) certified_at_.erase(certified_at_.begin());
    }
  } else if (const auto* commit = std::get_if<consensus::CommitAction>(&action)) {
    for (const consensus::Certificate& cert : commit->sub_dag.certificates) {
      if (cert.header.author != me_) continue;
      auto it = certified_at_.find(cert.header.round.value());
      if (it == certified_at_.end()) continue;
      Observe(metrics_, net::LatencyStage::kCommit, it->second, now_ns);
      certified_at_.erase(it);
    }
  }
}

void LatencyAnatomy::ObserveExecuted(net::NodeMetrics* metrics, int64_t commit_ns,
                                     int64_t executed_ns) {
  Observe(metrics, net::LatencyStage::kExecute, commit_ns, executed_ns);
}

}  // namespace gridledger::node
