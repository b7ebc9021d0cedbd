#include "core/consensus/dag.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "core/common/check.h"

namespace gridledger::consensus {

Dag::Dag(size_t committee_size, const std::vector<Certificate>& genesis)
    : committee_size_(committee_size) {
  for (const Certificate& c : genesis) {
    GL_CHECK(Insert(c, CertificateDigest(c), /*committed=*/true) == InsertResult::kInserted);
  }
}

Dag::InsertResult Dag::Insert(const Certificate& cert, const Digest& digest, bool committed) {
  const Round round = cert.header.round;
  GL_CHECK(round >= gc_round_);
  GL_CHECK(cert.header.author.value() < committee_size_);
  if (index_.contains(digest)) return InsertResult::kDuplicate;
  GL_CHECK(ParentsPresent(cert.header));
  auto& slots = rounds_[round.value()];
  if (slots.empty()) slots.resize(committee_size_);
  auto& slot = slots[cert.header.author.value()];
  if (slot.has_value()) return InsertResult::kConflict;
  slot = Vertex{cert, digest, committed};
  index_.emplace(digest, std::make_pair(round, cert.header.author));
  return InsertResult::kInserted;
}

const Vertex* Dag::Get(Round round, ValidatorIndex author) const {
  auto it = rounds_.find(round.value());
  if (it == rounds_.end() || author.value() >= committee_size_) return nullptr;
  const auto& slot = it->second[author.value()];
  return slot.has_value() ? &*slot : nullptr;
}

const Vertex* Dag::Find(const Digest& digest) const {
  auto it = index_.find(digest);
  if (it == index_.end()) return nullptr;
  return Get(it->second.first, it->second.second);
}

Vertex* Dag::MutableFind(const Digest& digest) {
  return const_cast<Vertex*>(static_cast<const Dag*>(this)->Find(digest));
}

bool Dag::ParentsPresent(const Header& header) const {
  if (header.round.value() == 0 || header.round <= gc_round_) return true;
  for (const Digest& p : header.parents) {
    const Vertex* v = Find(p);
    if (v == nullptr || v->certificate.header.round + 1 != header.round) return false;
  }
  for (const WeakLink& l : header.weak_parents) {
    if (l.round < gc_round_) continue;
    const Vertex* v = Find(l.certificate);
    if (v == nullptr || v->certificate.header.round != l.round) return false;
  }
  return true;
}

std::vector<Digest> Dag::MissingParents(const Header& header) const {
  std::vector<Digest> out;
  if (header.round.value() == 0 || header.round <= gc_round_) return out;
  for (const Digest& p : header.parents) {
    if (!Contains(p)) out.push_back(p);
  }
  for (const WeakLink& l : header.weak_parents) {
    if (l.round >= gc_round_ && !Contains(l.certificate)) out.push_back(l.certificate);
  }
  return out;
}

size_t Dag::CountAtRound(Round round) const {
  auto it = rounds_.find(round.value());
  if (it == rounds_.end()) return 0;
  size_t n = 0;
  for (const auto& slot : it->second) n += slot.has_value() ? 1 : 0;
  return n;
}

std::vector<Digest> Dag::DigestsAtRound(Round round) const {
  std::vector<Digest> out;
  auto it = rounds_.find(round.value());
  if (it == rounds_.end()) return out;
  for (const auto& slot : it->second) {
    if (slot.has_value()) out.push_back(slot->digest);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Dag::MarkCommitted(const Digest& digest) {
  Vertex* v = MutableFind(digest);
  GL_CHECK(v != nullptr);
  v->committed = true;
}

bool Dag::HasPath(const Digest& from, const Digest& to) const {
  const Vertex* target = Find(to);
  if (target == nullptr) return false;
  const Round target_round = target->certificate.header.round;
  // Breadth-first, one round at a time, never below the target's round.
  absl::flat_hash_set<Digest> frontier = {from};
  while (!frontier.empty()) {
    if (frontier.contains(to)) return true;
    absl::flat_hash_set<Digest> next;
    for (const Digest& d : frontier) {
      const Vertex* v = Find(d);
      if (v == nullptr || v->certificate.header.round <= target_round) continue;
      for (const Digest& p : v->certificate.header.parents) next.insert(p);
    }
    frontier = std::move(next);
  }
  return false;
}

absl::flat_hash_set<Digest> Dag::UncommittedReach(absl::Span<const Digest> from,
                                                  Round min_round) const {
  absl::flat_hash_set<Digest> reached;
  absl::flat_hash_set<Digest> seen(from.begin(), from.end());
  std::vector<Digest> stack(from.begin(), from.end());
  while (!stack.empty()) {
    Digest d = stack.back();
    stack.pop_back();
    const Vertex* v = Find(d);
    // Absent means below the GC horizon (insertion keeps histories complete above it).
    if (v == nullptr || v->committed || v->certificate.header.round < min_round) continue;
    reached.insert(d);
    for (const Digest& p : v->certificate.header.parents) {
      if (seen.insert(p).second) stack.push_back(p);
    }
    for (const WeakLink& l : v->certificate.header.weak_parents) {
      if (l.round >= min_round && seen.insert(l.certificate).second) {
        stack.push_back(l.certificate);
      }
    }
  }
  return reached;
}

std::vector<Digest> Dag::UncommittedHistory(const Digest& from, Round min_round) const {
  std::vector<std::pair<std::pair<uint64_t, uint32_t>, Digest>> found;
  for (const Digest& d : UncommittedReach({from}, min_round)) {
    const Header& h = Find(d)->certificate.header;
    found.push_back({{h.round.value(), h.author.value()}, d});
  }
  std::sort(found.begin(), found.end());
  std::vector<Digest> out;
  out.reserve(found.size());
  for (auto& f : found) out.push_back(f.second);
  return out;
}

std::vector<WeakLink> Dag::Unreached(const std::vector<Digest>& from, Round min_round,
                                     Round max_round, size_t limit) const {
  std::vector<WeakLink> out;
  if (limit == 0 || max_round < min_round) return out;
  // One walk from all parents: their histories overlap almost entirely.
  const absl::flat_hash_set<Digest> reached = UncommittedReach(from, min_round);
  for (auto it = rounds_.lower_bound(min_round.value());
       it != rounds_.end() && it->first <= max_round.value() && out.size() < limit; ++it) {
    for (const auto& slot : it->second) {
      if (!slot.has_value() || slot->committed || reached.contains(slot->digest)) continue;
      out.push_back(WeakLink{Round(it->first), slot->digest});
      if (out.size() == limit) break;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Digest> Dag::Prune(Round gc_round) {
  std::vector<Digest> batches;
  if (gc_round <= gc_round_) return batches;
  gc_round_ = gc_round;
  while (!rounds_.empty() && rounds_.begin()->first < gc_round.value()) {
    for (auto& slot : rounds_.begin()->second) {
      if (!slot.has_value()) continue;
      index_.erase(slot->digest);
      for (const Digest& b : slot->certificate.header.batches) batches.push_back(b);
    }
    rounds_.erase(rounds_.begin());
  }
  return batches;
}

}  // namespace gridledger::consensus
