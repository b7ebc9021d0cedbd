#include "core/consensus/bullshark.h"

#include <algorithm>

#include "core/common/check.h"
#include "core/consensus/consensus_time.h"

namespace gridledger::consensus {

std::vector<CommittedSubDag> Bullshark::OnCertificate(Dag& dag, Round round,
                                                      CertificateCostFn cost) {
  std::vector<CommittedSubDag> out;
  // Only a certificate of an odd round can add support to an anchor.
  if (round.value() < 3 || round.value() % 2 == 0) return out;
  const Round anchor_round = round - 1;
  if (anchor_round <= last_committed_round_) return out;
  const Vertex* anchor = dag.Get(anchor_round, committee_->Leader(anchor_round));
  if (anchor == nullptr) return out;
  const Digest anchor_digest = anchor->digest;

  size_t support = 0;
  for (uint32_t a = 0; a < committee_->size(); ++a) {
    const Vertex* v = dag.Get(round, ValidatorIndex(a));
    if (v == nullptr) continue;
    const auto& parents = v->certificate.header.parents;
    if (std::binary_search(parents.begin(), parents.end(), anchor_digest)) ++support;
  }
  if (support < committee_->validity()) return out;

  // Walk back over earlier uncommitted anchors linked by a path.
  std::vector<Digest> chain = {anchor_digest};
  for (uint64_t r = anchor_round.value() - 2; r > last_committed_round_.value(); r -= 2) {
    const Vertex* prev = dag.Get(Round(r), committee_->Leader(Round(r)));
    if (prev != nullptr && dag.HasPath(chain.back(), prev->digest)) {
      chain.push_back(prev->digest);
    }
  }

  // Oldest first.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Vertex* a = dag.Find(*it);
    GL_CHECK(a != nullptr);
    const Round previous = last_committed_round_;
    const uint64_t time_ms = AnchorTimeMs(dag, a->certificate.header);
    CommittedSubDag piece;
    CommitCost used;
    auto emit = [&](Round durable_round) {
      piece.index = next_index_++;
      piece.anchor_round = a->certificate.header.round;
      piece.anchor = *it;
      piece.last_committed_round = durable_round;
      piece.time_ms = time_ms;
      out.push_back(std::move(piece));
      piece = CommittedSubDag{};
      used = CommitCost{};
    };
    // The horizon is that of the previous commit, identical on every node.
    for (const Digest& d : dag.UncommittedHistory(*it, gc_round())) {
      const Vertex* v = dag.Find(d);
      const CommitCost c = cost(v->certificate);
      if (!piece.certificates.empty() &&
          (used.transactions + c.transactions > limits_.transactions_max ||
           used.bytes + c.bytes > limits_.bytes_max)) {
        emit(previous);
      }
      used.transactions += c.transactions;
      used.bytes += c.bytes;
      piece.certificates.push_back(v->certificate);
      dag.MarkCommitted(d);
    }
    GL_CHECK(!piece.certificates.empty() && CertificateDigest(piece.certificates.back()) == *it);
    emit(a->certificate.header.round);
    last_committed_round_ = a->certificate.header.round;
  }
  return out;
}

}  // namespace gridledger::consensus
