// State sync's snapshot of the execution state (issue 11 item 4): the
// entries of every table the state root covers (kStateTables, in that order,
// each in key order) cut into chunks, assembled and checked on the receiving
// side, and written into a store in ONE write transaction.
//
// The tables a snapshot carries are exactly kStateTables (state_root.h):
// a table added there (with its TableOf line) is snapshotted and verified
// with no change here. Everything else the restored store needs is derived
// (held_expiry and the held count from the held entries) or comes with the
// restore (the commit record and root of the snapshot's sequence).
//
//   chunk  n u32 | n x (table u8 | key_len u16 | key | value_len u32 | value)
//
// Decoding is strict: a known state table, key and value within their
// bounds, entries strictly ascending by (table position, key) across the
// whole snapshot (so no entry twice and one order), no trailing bytes. The
// assembled snapshot's LtHash, computed from scratch, must equal the final
// checkpoint's state root before anything is written.
#ifndef GRIDLEDGER_STORAGE_STATE_SNAPSHOT_H_
#define GRIDLEDGER_STORAGE_STATE_SNAPSHOT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/lthash.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"
#include "storage/records.h"
#include "storage/state_root.h"

namespace gridledger::storage {

// One chunk's bytes (it travels in one peer message with a small header).
inline constexpr size_t kSnapshotChunkBytesMax = size_t{1} << 20;
// The whole snapshot, held in memory by the server that cut it and by the
// node assembling it; a larger state is refused with a reason.
inline constexpr size_t kSnapshotBytesMax = size_t{1} << 30;
inline constexpr size_t kSnapshotKeyBytesMax = 1024;
inline constexpr size_t kSnapshotValueBytesMax = size_t{64} << 10;
inline constexpr size_t kSnapshotChunksMax = kSnapshotBytesMax / 1024;

// Cuts a stream of items into chunks `n u32 | n items` of at most
// `chunk_bytes_max` bytes (or one item alone when larger) and `items_max`
// items: the state chunks here, the consensus chunks of state sync.
class ChunkCutter {
 public:
  explicit ChunkCutter(size_t chunk_bytes_max, size_t items_max = SIZE_MAX)
      : chunk_bytes_max_(chunk_bytes_max), items_max_(items_max) {}
  // The writer for the next item of `item_bytes` (a new chunk when it would
  // not fit the current one).
  ByteWriter Next(size_t item_bytes);
  std::vector<Bytes> Finish();

 private:
  void Seal();
  size_t chunk_bytes_max_;
  size_t items_max_;
  std::vector<Bytes> chunks_;
  Bytes body_;
  uint32_t count_ = 0;
};

struct SnapshotEntry {
  StateTable table;
  Bytes key;
  Bytes value;
};

// The state of `txn` cut into chunks of at most `chunk_bytes_max` bytes
// (at least one entry each). ResourceExhausted past `total_bytes_max`.
absl::StatusOr<std::vector<Bytes>> CutStateChunks(const Txn& txn, const NodeTables& tables,
                                                  size_t chunk_bytes_max = kSnapshotChunkBytesMax,
                                                  size_t total_bytes_max = kSnapshotBytesMax);

// Chunks, in order, of one snapshot: decoded strictly, hashed as they come.
class SnapshotAssembler {
 public:
  explicit SnapshotAssembler(size_t total_bytes_max = kSnapshotBytesMax)
      : total_bytes_max_(total_bytes_max) {}

  // InvalidArgument naming what is wrong (nothing of the chunk is kept);
  // ResourceExhausted past the total bound.
  absl::Status Add(ByteSpan chunk);

  // The state root of what was added (LtHash from scratch).
  Digest Root() const { return hash_.Root(); }
  const LtHash16& hash() const { return hash_; }
  const std::vector<SnapshotEntry>& entries() const { return entries_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t total_bytes_max_;
  LtHash16 hash_;
  std::vector<SnapshotEntry> entries_;
  size_t bytes_ = 0;
};

// Where the restored store stands: the snapshot's sequence, the final
// checkpoint's state root, and the commit record the server stored for it.
struct SnapshotPoint {
  uint64_t sequence = 0;
  Digest state_root;
  CommitMeta commit;
};

// Replaces the store's execution state in `txn` by the snapshot: clears the
// state tables and the derived ones, writes the entries (txs in the
// transaction store's layout, storage/tx_store.h, merged through
// point.sequence: NodeStore resets its recent run), rebuilds the hold's
// expiry index and count, and records the commit, its root, the running
// hash, the state summary, the last committed sequence and
// kMetaStateSyncedFrom. FailedPrecondition unless the assembled root equals
// `point.state_root`; DataLoss for a held entry that does not decode.
absl::Status WriteSnapshot(WriteTxn& txn, const NodeTables& tables,
                           const SnapshotAssembler& snapshot, const SnapshotPoint& point);

// kMetaStateSyncedFrom; nullopt when the store never was state-synced.
absl::StatusOr<std::optional<uint64_t>> ReadStateSyncedFrom(const Txn& txn,
                                                            const NodeTables& tables);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_STATE_SNAPSHOT_H_
