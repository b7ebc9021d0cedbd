#include "core/consensus/commit_verifier.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/consensus/consensus_time.h"
#include "core/consensus/core.h"

namespace gridledger::consensus {
namespace {

absl::Status Refuse(uint64_t index, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("commit ", index, ": ", why));
}

CommitCost CostOf(absl::Span<const std::shared_ptr<const Batch>> batches) {
  CommitCost cost;
  for (const auto& b : batches) {
    cost.transactions += b->transactions.size();
    cost.bytes += BatchPayloadBytes(*b);
  }
  return cost;
}

bool Exceeds(const CommitCost& c) {
  return c.transactions > kMaxCommitTransactions || c.bytes > kMaxCommitBytes;
}

}  // namespace

CommitChainState CommitVerifier::StateFrom(const PersistedState& persisted) const {
  CommitChainState state;
  state.next_index = persisted.next_commit_index;
  state.last_committed_round = persisted.last_committed_round;
  const Round gc = GcRoundAfter(state.last_committed_round);
  if (gc.value() == 0) {
    for (const Certificate& c : GenesisCertificates(*committee_)) {
      state.committed.emplace(CertificateDigest(c),
                              CommittedVertex{Round(0), c.header.author, {}});
    }
  }
  const absl::flat_hash_set<Digest> committed(persisted.committed_certificates.begin(),
                                              persisted.committed_certificates.end());
  for (const Certificate& c : persisted.certificates) {
    const Digest d = CertificateDigest(c);
    if (c.header.round < gc || !committed.contains(d)) continue;
    state.committed.emplace(d, CommittedVertex{c.header.round, c.header.author, c.header.parents,
                                               c.header.timestamp_ms});
    const Round r = state.last_committed_round;
    if (Committee::IsAnchorRound(r) && c.header.round == r &&
        c.header.author == committee_->Leader(r)) {
      state.last_anchor = d;
    }
  }
  return state;
}

absl::Status CommitVerifier::CheckAnchor(const CommitChainState& state,
                                         absl::Span<const CommittedSubDag> pieces) const {
  const CommittedSubDag& last = pieces.back();
  const uint64_t first_index = pieces.front().index;
  const Round anchor_round = last.anchor_round;
  const Round previous = state.last_committed_round;
  const Round gc = GcRoundAfter(previous);

  // Sequence and piece records.
  for (size_t j = 0; j < pieces.size(); ++j) {
    const CommittedSubDag& p = pieces[j];
    if (p.index != state.next_index + j) {
      return Refuse(p.index, absl::StrCat("expected commit index ", state.next_index + j,
                                          " (a gap or a repeat)"));
    }
    if (p.anchor != last.anchor || p.anchor_round != anchor_round) {
      return Refuse(p.index, "pieces of one anchor name different anchors");
    }
    const Round want = j + 1 == pieces.size() ? anchor_round : previous;
    if (p.last_committed_round != want) {
      return Refuse(p.index, absl::StrCat("last_committed_round ", p.last_committed_round.value(),
                                          ", expected ", want.value()));
    }
    if (p.certificates.empty()) return Refuse(p.index, "no certificates");
  }
  if (!Committee::IsAnchorRound(anchor_round) || anchor_round <= previous) {
    return Refuse(first_index, absl::StrCat("anchor round ", anchor_round.value(),
                                            " is not an anchor round after ", previous.value()));
  }
  const Certificate& anchor = last.certificates.back();
  if (CertificateDigest(anchor) != last.anchor || anchor.header.round != anchor_round ||
      anchor.header.author != committee_->Leader(anchor_round)) {
    return Refuse(last.index, "the anchor is not the last certificate, or not the round's leader");
  }

  // Certificates: order, horizon, signatures, batches.
  absl::flat_hash_map<Digest, const Certificate*> group;
  std::optional<std::pair<uint64_t, uint32_t>> previous_key;
  for (const CommittedSubDag& p : pieces) {
    size_t next_batch = 0;
    for (const Certificate& c : p.certificates) {
      const Header& h = c.header;
      const std::pair<uint64_t, uint32_t> key{h.round.value(), h.author.value()};
      if (previous_key.has_value() && !(*previous_key < key)) {
        return Refuse(p.index, "certificates not in strict (round, author) order");
      }
      previous_key = key;
      if (h.round < gc || h.round > anchor_round) {
        return Refuse(p.index, absl::StrCat("certificate of round ", h.round.value(),
                                            " outside [", gc.value(), ", ",
                                            anchor_round.value(), "]"));
      }
      if (h.batches.size() > params_.header_batches_max) {
        return Refuse(p.index, "certificate over header_batches_max");
      }
      const Digest d = CertificateDigest(c);
      if (state.committed.contains(d)) {
        return Refuse(p.index, "a certificate committed before is committed again");
      }
      if (absl::Status valid = VerifyCertificate(c, d, *committee_, *checker_); !valid.ok()) {
        return Refuse(p.index, valid.message());
      }
      for (const Digest& bd : h.batches) {
        if (next_batch >= p.batches.size()) return Refuse(p.index, "a batch is missing");
        const Batch& b = *p.batches[next_batch++];
        if (BatchDigest(b) != bd || b.author != h.author) {
          return Refuse(p.index, "a batch does not match its certificate");
        }
        if (absl::Status shape = VerifyBatchShape(b, *committee_, params_.batch_bytes,
                                                  params_.batch_txs_max);
            !shape.ok()) {
          return Refuse(p.index, shape.message());
        }
      }
      group.emplace(d, &c);
    }
    if (next_batch != p.batches.size()) return Refuse(p.index, "batches beyond its certificates");
  }

  // Exactly the uncommitted history: parents at or above the horizon are in
  // it or committed before, and everything is reachable from the anchor.
  for (const auto& [d, c] : group) {
    const Round r = c->header.round;
    if (r.value() == 0 || Round(r.value() - 1) < gc) continue;
    for (const Digest& parent : c->header.parents) {
      Round parent_round;
      if (auto g = group.find(parent); g != group.end()) {
        parent_round = g->second->header.round;
      } else if (auto s = state.committed.find(parent); s != state.committed.end()) {
        parent_round = s->second.round;
      } else {
        return Refuse(first_index, absl::StrCat("history incomplete: a parent of a round-",
                                                r.value(), " certificate is neither in the "
                                                "commit nor committed before"));
      }
      if (parent_round.value() + 1 != r.value()) {
        return Refuse(first_index, "a parent from the wrong round");
      }
    }
  }
  // Weak links at or above the horizon too (dag.h UncommittedHistory).
  for (const auto& [d, c] : group) {
    for (const WeakLink& l : c->header.weak_parents) {
      if (l.round < gc) continue;
      Round linked_round;
      if (auto g = group.find(l.certificate); g != group.end()) {
        linked_round = g->second->header.round;
      } else if (auto s = state.committed.find(l.certificate); s != state.committed.end()) {
        linked_round = s->second.round;
      } else {
        return Refuse(first_index, absl::StrCat("history incomplete: a weak link of a round-",
                                                c->header.round.value(), " certificate is "
                                                "neither in the commit nor committed before"));
      }
      if (linked_round != l.round) return Refuse(first_index, "a weak link names the wrong round");
    }
  }
  absl::flat_hash_set<Digest> reached = {last.anchor};
  std::vector<Digest> stack = {last.anchor};
  while (!stack.empty()) {
    const Digest d = stack.back();
    stack.pop_back();
    const Header& h = group.at(d)->header;
    for (const Digest& parent : h.parents) {
      if (group.contains(parent) && reached.insert(parent).second) stack.push_back(parent);
    }
    for (const WeakLink& l : h.weak_parents) {
      if (l.round >= gc && group.contains(l.certificate) && reached.insert(l.certificate).second) {
        stack.push_back(l.certificate);
      }
    }
  }
  if (reached.size() != group.size()) {
    return Refuse(first_index, absl::StrCat(group.size() - reached.size(),
                                            " certificates not in the anchor's history"));
  }
  // Another leader between the previous anchor and this one that the anchor
  // reaches through strong parents would have been committed before it (the
  // walk back follows strong paths; a leader reached only by a weak link is
  // ordered like any certificate).
  absl::flat_hash_set<Digest> strong = {last.anchor};
  stack = {last.anchor};
  while (!stack.empty()) {
    const Digest d = stack.back();
    stack.pop_back();
    const Header& h = group.at(d)->header;
    if (d != last.anchor && Committee::IsAnchorRound(h.round) && h.round > previous &&
        h.author == committee_->Leader(h.round)) {
      return Refuse(first_index, absl::StrCat("skips the anchor of round ", h.round.value(),
                                              " that its history contains"));
    }
    for (const Digest& parent : h.parents) {
      if (group.contains(parent) && strong.insert(parent).second) stack.push_back(parent);
    }
  }

  // The walk back: the anchor reaches the previous one through the round
  // after it (an earlier piece of this anchor may hold that link).
  if (state.last_anchor.has_value()) {
    bool linked = false;
    auto links = [&](const std::vector<Digest>& parents, Round round) {
      return round.value() == previous.value() + 1 &&
             std::binary_search(parents.begin(), parents.end(), *state.last_anchor);
    };
    for (const auto& [d, c] : group) linked |= links(c->header.parents, c->header.round);
    for (const auto& [d, v] : state.committed) linked |= links(v.parents, v.round);
    if (!linked) return Refuse(first_index, "the anchor has no path to the previous anchor");
  }

  // Greedy cut to the commit limits, as Bullshark cuts.
  for (size_t j = 0; j < pieces.size(); ++j) {
    const CommitCost cost = CostOf(pieces[j].batches);
    if (pieces[j].certificates.size() > 1 && Exceeds(cost)) {
      return Refuse(pieces[j].index, "a piece over the commit limits");
    }
    if (j + 1 < pieces.size()) {
      const size_t first_batches = pieces[j + 1].certificates.front().header.batches.size();
      const CommitCost next =
          CostOf(absl::MakeConstSpan(pieces[j + 1].batches).subspan(0, first_batches));
      if (!Exceeds(CommitCost{cost.transactions + next.transactions, cost.bytes + next.bytes})) {
        return Refuse(pieces[j].index, "a piece cut before the commit limits");
      }
    }
  }
  return absl::OkStatus();
}

void CommitVerifier::Apply(absl::Span<const CommittedSubDag> pieces,
                           CommitChainState* state) const {
  for (const CommittedSubDag& p : pieces) {
    for (const Certificate& c : p.certificates) {
      state->committed.emplace(CertificateDigest(c),
                               CommittedVertex{c.header.round, c.header.author, c.header.parents,
                                               c.header.timestamp_ms});
    }
  }
  state->next_index += pieces.size();
  state->last_committed_round = pieces.back().anchor_round;
  state->last_anchor = pieces.back().anchor;
  const Round gc = GcRoundAfter(state->last_committed_round);
  absl::erase_if(state->committed, [&](const auto& e) { return e.second.round < gc; });
}

CommitVerifyResult CommitVerifier::Verify(const CommitChainState& state,
                                          absl::Span<const CommittedSubDag> commits,
                                          absl::Span<const Certificate> support) const {
  CommitVerifyResult result;
  // Whole anchors, each checked against the state the previous one left.
  std::vector<std::pair<size_t, size_t>> anchors;  // [begin, end) into commits
  CommitChainState current = state;
  size_t begin = 0;
  // Verified certificates of the round after each anchor, by anchor round + 1.
  std::vector<const Certificate*> verified;
  for (size_t i = 0; i < commits.size(); ++i) {
    if (commits[i].last_committed_round != commits[i].anchor_round) continue;
    const auto pieces = commits.subspan(begin, i + 1 - begin);
    if (absl::Status s = CheckAnchor(current, pieces); !s.ok()) {
      result.error = s;
      break;
    }
    // Consensus time, as Bullshark computes it: the anchor (last of the last
    // piece) and its parents, found among these pieces or earlier commits.
    absl::flat_hash_map<Digest, uint64_t> piece_times;
    const Header* anchor = nullptr;
    for (const CommittedSubDag& p : pieces) {
      for (const Certificate& c : p.certificates) {
        const Digest d = CertificateDigest(c);
        piece_times.emplace(d, c.header.timestamp_ms);
        if (d == pieces.back().anchor) anchor = &c.header;
      }
    }
    std::vector<uint64_t> parent_times;
    if (anchor != nullptr) {
      for (const Digest& parent : anchor->parents) {
        if (auto it = piece_times.find(parent); it != piece_times.end()) {
          parent_times.push_back(it->second);
        } else if (auto c = current.committed.find(parent); c != current.committed.end()) {
          parent_times.push_back(c->second.timestamp_ms);
        }
      }
    }
    result.time_ms.resize(i + 1, MedianMs(std::move(parent_times)));
    Apply(pieces, &current);
    for (const CommittedSubDag& p : pieces) {
      for (const Certificate& c : p.certificates) verified.push_back(&c);
    }
    anchors.emplace_back(begin, i + 1);
    begin = i + 1;
  }
  for (const Certificate& c : support) {
    if (VerifyCertificate(c, CertificateDigest(c), *committee_, *checker_).ok()) {
      verified.push_back(&c);
    }
  }

  // The latest anchor with f+1 verified links from the next round proves
  // itself and, through the walk back, every anchor before it.
  size_t proven_anchors = 0;
  for (size_t k = anchors.size(); k > 0 && proven_anchors == 0; --k) {
    const CommittedSubDag& last = commits[anchors[k - 1].second - 1];
    absl::flat_hash_set<uint32_t> authors;
    for (const Certificate* c : verified) {
      const auto& parents = c->header.parents;
      if (c->header.round.value() == last.anchor_round.value() + 1 &&
          std::binary_search(parents.begin(), parents.end(), last.anchor)) {
        authors.insert(c->header.author.value());
      }
    }
    if (authors.size() >= committee_->validity()) proven_anchors = k;
  }
  result.state = state;
  for (size_t k = 0; k < proven_anchors; ++k) {
    const auto pieces = commits.subspan(anchors[k].first, anchors[k].second - anchors[k].first);
    Apply(pieces, &result.state);
    result.proven += pieces.size();
  }
  return result;
}

}  // namespace gridledger::consensus
