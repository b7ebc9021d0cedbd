// The state sync protocol's messages (issue 11 item 4), over the slice's
// authenticated peer links next to consensus messages and checkpoint votes:
// the first byte is kStateSyncTag (the node routes by it), the second the
// kind. Every message is bounded in bytes (a chunk by
// storage::kSnapshotChunkBytesMax, a checkpoint answer by
// kCheckpointsPerRequest records), and decoding is strict: known kind,
// every field in range, no trailing bytes; a failure is InvalidArgument
// naming the field.
//
//   ManifestRequest     tag | 1
//   Manifest            tag | 2 | available u8 | sequence u64 | last_committed_round u64 |
//                       state_root 32 | commit record (u32 len, <= kManifestCommitBytesMax) |
//                       state_chunks u32 | consensus_chunks u32
//   ChunkRequest        tag | 3 | sequence u64 | index u32
//   Chunk               tag | 4 | sequence u64 | index u32 | payload (u32 len,
//                       <= kSnapshotConsensusChunkBytesMax) (empty: gone)
//   CheckpointRequest   tag | 5 | from u64 | count u32 (1..kCheckpointsPerRequest)
//   Checkpoints         tag | 6 | n u32 | n x record (u32 len, checkpoint_store.h encoding)
//
// A snapshot is the server's state at one commit (`sequence`): state chunks
// (storage/state_snapshot.h) then consensus chunks, each
//   n u32 | n x (kind u8 ('c' certificate, 'b' batch) | u32 len | messages.h encoding)
// the committed certificates from the GC horizon of last_committed_round up
// to it, then their batches: what the restored validator needs to verify
// the commits after it and to rebuild its DAG there (certificates come
// before the batches that refer to them).
#ifndef GRIDLEDGER_NET_NODE_STATE_SYNC_WIRE_H_
#define GRIDLEDGER_NET_NODE_STATE_SYNC_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/consensus/checkpoint.h"
#include "core/consensus/messages.h"

namespace gridledger::node {

// Far from the consensus tags (1..11) and the checkpoint vote (12).
inline constexpr uint8_t kStateSyncTag = 20;
inline constexpr uint32_t kCheckpointsPerRequest = 64;
inline constexpr size_t kManifestCommitBytesMax = 1024;
inline constexpr size_t kSignedCheckpointBytesMax = 1 + consensus::kCheckpointBytes + 4 + 68 * 1024;
inline constexpr size_t kSnapshotConsensusItemsPerChunkMax = 4096;
// A consensus chunk may hold one batch larger than a state chunk (a batch is
// bounded by batch_bytes; the transport frame, 4 MiB, bounds the message).
inline constexpr size_t kSnapshotConsensusChunkBytesMax = size_t{3} << 20;

struct ManifestRequest {
  bool operator==(const ManifestRequest&) const = default;
};
struct SnapshotManifest {
  bool available = false;  // false: the server has no snapshot to give now
  uint64_t sequence = 0;
  uint64_t last_committed_round = 0;
  Digest state_root;  // the server's own root at `sequence` (the checkpoint decides)
  Bytes commit_record;
  uint32_t state_chunks = 0;
  uint32_t consensus_chunks = 0;
  bool operator==(const SnapshotManifest&) const = default;
};
struct ChunkRequest {
  uint64_t sequence = 0;
  uint32_t index = 0;
  bool operator==(const ChunkRequest&) const = default;
};
struct SnapshotChunk {
  uint64_t sequence = 0;
  uint32_t index = 0;
  Bytes payload;  // empty: the server no longer has that snapshot
  bool operator==(const SnapshotChunk&) const = default;
};
struct CheckpointRequest {
  uint64_t from = 0;
  uint32_t count = 0;
  bool operator==(const CheckpointRequest&) const = default;
};
struct CheckpointsAnswer {
  std::vector<Bytes> records;  // SignedCheckpoint encodings, ascending sequence
  bool operator==(const CheckpointsAnswer&) const = default;
};

using StateSyncMessage = std::variant<ManifestRequest, SnapshotManifest, ChunkRequest,
                                      SnapshotChunk, CheckpointRequest, CheckpointsAnswer>;

Bytes EncodeStateSync(const StateSyncMessage& message);
absl::StatusOr<StateSyncMessage> DecodeStateSync(ByteSpan bytes);

struct ConsensusPart {
  std::vector<consensus::Certificate> certificates;
  std::vector<consensus::Batch> batches;
};
// Consensus chunks of a snapshot, each at most `chunk_bytes_max` unless one
// item alone is larger (a batch is bounded by the consensus parameters).
std::vector<Bytes> CutConsensusChunks(const ConsensusPart& part, size_t chunk_bytes_max);
// One consensus chunk, strictly: at least one item, each decoding exactly,
// appended to `part`.
absl::Status DecodeConsensusChunk(ByteSpan chunk, ConsensusPart* part);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_STATE_SYNC_WIRE_H_
