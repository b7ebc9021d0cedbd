// Final checkpoints (core/consensus/checkpoint.h) of this validator's slice,
// in the node store's LMDB environment:
//
//   checkpoints  sequence u64 -> version u8 (2) | Checkpoint (140) | n u32 |
//                                n x (signer u32 | signature 64)   (signers ascending)
//
// Version 1 records (108-byte checkpoints, before commit_digest) are refused:
// Open fails with FailedPrecondition saying to wipe the data directory.
//
// Each record carries the 2f+1 (or more) signatures that made it final, so
// it can be handed to anyone who knows the committee (an archive, a state
// sync, a destination slice) and checked there.
#ifndef GRIDLEDGER_NET_NODE_CHECKPOINT_STORE_H_
#define GRIDLEDGER_NET_NODE_CHECKPOINT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/consensus/checkpoint.h"
#include "core/consensus/committee.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"

namespace gridledger::node {

using storage::kCheckpointsTable;

struct SignedCheckpoint {
  consensus::Checkpoint checkpoint;
  std::vector<std::pair<ValidatorIndex, Signature>> signatures;  // signers ascending
  bool operator==(const SignedCheckpoint&) const = default;
};

Bytes EncodeSignedCheckpoint(const SignedCheckpoint& c);
// DataLoss for a corrupt record.
absl::StatusOr<SignedCheckpoint> DecodeSignedCheckpoint(ByteSpan record);

class CheckpointStore {
 public:
  // Opens (creating) the table in `env`, which must outlive the store.
  // FailedPrecondition for a table of another record version.
  static absl::StatusOr<std::unique_ptr<CheckpointStore>> Open(storage::LmdbEnv* env);

  // All of them in one synced write. InvalidArgument when one has fewer
  // than `quorum` signatures (our misuse would store an unfinal checkpoint).
  absl::Status Write(absl::Span<const SignedCheckpoint> finals, size_t quorum);
  // Write() that first offers itself, for up to `wait`, to the next write
  // another thread of the same environment starts (LmdbEnv::WriteRiding):
  // the same promise, and usually no synced commit of its own.
  absl::Status WriteRiding(absl::Span<const SignedCheckpoint> finals, size_t quorum,
                           absl::Duration wait);
  // The same inside the caller's write transaction (a restore writes its
  // snapshot's final checkpoint with the snapshot, all or nothing).
  absl::Status WriteIn(storage::WriteTxn& txn, absl::Span<const SignedCheckpoint> finals,
                       size_t quorum) const;
  // NotFound when sequence has no final checkpoint stored.
  absl::StatusOr<SignedCheckpoint> Get(uint64_t sequence) const;
  // The highest stored; nullopt when none.
  absl::StatusOr<std::optional<SignedCheckpoint>> Last() const;
  // The stored records of sequences [from, from + count), ascending (state
  // sync serves them as they are).
  absl::StatusOr<std::vector<Bytes>> Records(uint64_t from, uint32_t count) const;
  // The first sequence in [from, to] without a stored checkpoint; nullopt
  // when none is missing.
  absl::StatusOr<std::optional<uint64_t>> FirstMissing(uint64_t from, uint64_t to) const;

 private:
  CheckpointStore(storage::LmdbEnv* env, storage::LmdbTable table) : env_(env), table_(table) {}
  storage::LmdbEnv* env_;
  storage::LmdbTable table_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CHECKPOINT_STORE_H_
