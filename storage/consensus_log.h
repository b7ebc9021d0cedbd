// The consensus records' write-ahead log (ConsensusStore): how a group of
// persistence records is written as one log entry, and the in-memory view of
// records that are durable in a log but not yet merged into LMDB, which the
// store's reads consult so a record is readable as soon as Persist returns.
//
// Entry: count u32, then per record a tag u8 and its body:
//   1 last voted   author u32 | round u64 | header digest 32
//   2 own header   EncodeHeader
//   3 certificate  EncodeCertificate
//   4 batch        EncodeBatch
#ifndef GRIDLEDGER_STORAGE_CONSENSUS_LOG_H_
#define GRIDLEDGER_STORAGE_CONSENSUS_LOG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/common/bytes.h"
#include "core/consensus/messages.h"
#include "core/consensus/persistence.h"

namespace gridledger::storage {

// Records in one entry, at most (a bound on what a decode allocates).
inline constexpr uint32_t kMaxLogEntryRecords = 1u << 20;

Bytes EncodeLogEntry(absl::Span<const consensus::PersistRecord> records);
// InvalidArgument for bytes EncodeLogEntry did not write.
absl::StatusOr<std::vector<consensus::PersistRecord>> DecodeLogEntry(ByteSpan entry);

// Records of one log not yet in LMDB: kept in order for the merge, and
// indexed for reads. Not thread-safe (the store locks it).
class UnmergedRecords {
 public:
  void Add(const consensus::PersistRecord& record);
  // Folds `other`'s indexes into this one's by Add's rules (the highest
  // round wins for a last vote and for the own header; certificates and
  // batches join), leaving the records for the merge alone: the one view of
  // both logs that ConsensusStore::Load reads.
  void AddIndexesOf(const UnmergedRecords& other);
  // The records in order, for the merge; the indexes stay until Clear.
  std::vector<consensus::PersistRecord> TakeRecords() { return std::move(records_); }
  void Clear();

  bool empty() const { return certs_.empty() && batches_.empty() && voted_.empty() && !own_; }
  const absl::flat_hash_map<uint32_t, consensus::LastVotedRecord>& voted() const { return voted_; }
  const std::optional<consensus::Header>& own_header() const { return own_; }
  // Keyed by (round, certificate digest), as the cons_certs table.
  const std::map<std::pair<uint64_t, Digest>, consensus::Certificate>& certificates() const {
    return certs_;
  }
  const consensus::Certificate* FindCertificate(Round round, const Digest& digest) const;
  std::shared_ptr<const consensus::Batch> FindBatch(const Digest& digest) const;
  const absl::flat_hash_map<Digest, std::shared_ptr<const consensus::Batch>>& batches() const {
    return batches_;
  }

 private:
  void KeepVote(const consensus::LastVotedRecord& vote);
  void KeepOwnHeader(const consensus::Header& header);

  std::vector<consensus::PersistRecord> records_;
  absl::flat_hash_map<uint32_t, consensus::LastVotedRecord> voted_;  // the highest round
  std::optional<consensus::Header> own_;                            // the highest round
  std::map<std::pair<uint64_t, Digest>, consensus::Certificate> certs_;
  absl::flat_hash_map<Digest, std::shared_ptr<const consensus::Batch>> batches_;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_CONSENSUS_LOG_H_
