// The certified DAG of one slice, in memory: at most one certificate per
// (round, author), each inserted only after its parents (unless its parents are
// below the garbage-collection round). Rounds live in an ordered map, so
// iteration is deterministic; the digest index stores (round, author), never
// pointers, because flat_hash_map moves its elements on rehash.
#ifndef GRIDLEDGER_CORE_CONSENSUS_DAG_H_
#define GRIDLEDGER_CORE_CONSENSUS_DAG_H_

#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "core/consensus/messages.h"

namespace gridledger::consensus {

struct Vertex {
  Certificate certificate;
  Digest digest;
  bool committed = false;  // already ordered by some committed anchor
};

class Dag {
 public:
  // Starts with the genesis certificates at round 0 (treated as committed).
  Dag(size_t committee_size, const std::vector<Certificate>& genesis);

  enum class InsertResult { kInserted, kDuplicate, kConflict };
  // Misuse (assertion): the round is below gc_round(), or a parent is missing
  // while the certificate's round is above gc_round(). kConflict: another
  // certificate already holds (round, author) — only possible with > f faults.
  InsertResult Insert(const Certificate& cert, const Digest& digest, bool committed);

  bool Contains(const Digest& digest) const { return index_.contains(digest); }
  const Vertex* Find(const Digest& digest) const;
  const Vertex* Get(Round round, ValidatorIndex author) const;
  // True when every parent, strong and weak, is present (a weak one with the
  // round its link names) or lies below the GC horizon.
  bool ParentsPresent(const Header& header) const;
  // The digests of the header's parents and weak links at or above the GC
  // horizon that are not in the DAG (to fetch).
  std::vector<Digest> MissingParents(const Header& header) const;
  size_t CountAtRound(Round round) const;
  // Digests of the round's certificates, ascending (a header's parent list).
  std::vector<Digest> DigestsAtRound(Round round) const;
  Round highest_round() const { return rounds_.empty() ? Round(0) : Round(rounds_.rbegin()->first); }
  Round gc_round() const { return gc_round_; }

  void MarkCommitted(const Digest& digest);
  // True when `to` is reachable from `from` through strong parent links
  // (the commit rule's paths; weak links never count).
  bool HasPath(const Digest& from, const Digest& to) const;
  // `from`'s causal history through strong parents and weak links, with round
  // >= min_round, not yet committed, sorted by (round, author): Bullshark's
  // deterministic flattening. A weak link below min_round is not followed
  // (its target was decided by an earlier commit's horizon).
  std::vector<Digest> UncommittedHistory(const Digest& from, Round min_round) const;
  // Uncommitted certificates of rounds min_round..max_round that the
  // uncommitted histories of `from` do not reach, by (round, author): what a
  // new header should weak-link. At most `limit`.
  std::vector<WeakLink> Unreached(const std::vector<Digest>& from, Round min_round,
                                  Round max_round, size_t limit) const;

  // Drops every round below gc_round; returns the dropped certificates' batch digests.
  std::vector<Digest> Prune(Round gc_round);
  size_t size() const { return index_.size(); }

 private:
  Vertex* MutableFind(const Digest& digest);
  // The uncommitted certificates of round >= min_round reachable from `from`
  // through strong parents and weak links at or above min_round.
  absl::flat_hash_set<Digest> UncommittedReach(absl::Span<const Digest> from,
                                               Round min_round) const;
  size_t committee_size_;
  Round gc_round_{0};
  std::map<uint64_t, std::vector<std::optional<Vertex>>> rounds_;
  absl::flat_hash_map<Digest, std::pair<Round, ValidatorIndex>> index_;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_DAG_H_
