// Checkpoints of one slice (DESIGN.md §3): after executing commit `sequence`,
// each validator signs what the slice's state is after it and the consensus
// position the commit leaves. 2f+1 signatures over the same checkpoint make
// it final (net/node/checkpoint_signer.h).
//
//   Checkpoint      chain_id 32 | slice u32 | sequence u64 | state_root 32 |
//                   receipts_root 32 | commit_digest 32             (140 B)
//   CheckpointVote  tag u8 (kCheckpointVoteTag) | Checkpoint | signer u32 |
//                   signature 64                                    (209 B)
//
// The vote travels over the slice's authenticated peer links in the same
// frame space as consensus Messages (core/consensus/messages.h): its tag is
// reserved there and the node routes it by that first byte. Decoding is
// strict: exact length, known tag, sequence >= 1 (the 108-byte checkpoints
// before commit_digest, 177-byte votes, are refused by length).
//
// Signing domain: digest = TaggedHash(kTagCheckpointV2, Checkpoint encoding);
// the chain id (genesis digest) and the slice are inside it, so a checkpoint
// signature of another network or slice never verifies here, and the tag
// differs from the 108-byte checkpoints' (kTagCheckpoint), so none of their
// signatures verifies as a checkpoint now.
// receipts_root commits to the commit's outgoing cross-slice receipts
// (core/execution/receipt.h); all zero for a commit without any.
// commit_digest is CommitPositionDigest of the commit: what a validator
// restored from a snapshot of `sequence` rejoins consensus at
// (net/node/state_sync.h), so one snapshot server cannot choose it.
#ifndef GRIDLEDGER_CORE_CONSENSUS_CHECKPOINT_H_
#define GRIDLEDGER_CORE_CONSENSUS_CHECKPOINT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/consensus/committee.h"
#include "core/consensus/signature_checker.h"

namespace gridledger::consensus {

// The message tag after the last consensus Message tag (messages.cc).
inline constexpr uint8_t kCheckpointVoteTag = 12;
inline constexpr size_t kCheckpointBytes = 32 + 4 + 8 + 32 + 32 + 32;
inline constexpr size_t kCheckpointVoteBytes = 1 + kCheckpointBytes + 4 + 64;

struct Checkpoint {
  Digest chain_id;
  SliceId slice;
  uint64_t sequence = 0;  // the store sequence of the commit (commit index + 1)
  Digest state_root;      // storage/state_root.h
  Digest receipts_root;   // core/execution/receipt.h; zero: no receipts
  Digest commit_digest{};  // CommitPositionDigest of the commit
  bool operator==(const Checkpoint&) const = default;
};

struct CheckpointVote {
  Checkpoint checkpoint;
  ValidatorIndex signer;
  Signature signature;
  bool operator==(const CheckpointVote&) const = default;
};

// The consensus position commit `sequence` leaves, as its validator
// persists it (storage/consensus_store.h): the last committed round stored
// with the commit (the anchor's round on the anchor's last piece, the round
// committed before it on earlier pieces, core/consensus/bullshark.h) and the
// commit record's bytes (storage/records.h: anchor digest, result count,
// state summary). Every honest validator persists the same for a sequence.
//   TaggedHash(kTagCommitPosition, round u64 | u32 len | commit_record)
Digest CommitPositionDigest(Round last_committed_round, ByteSpan commit_record);

void EncodeCheckpoint(const Checkpoint& c, ByteWriter& w);
absl::StatusOr<Checkpoint> DecodeCheckpoint(ByteReader& r);
Digest CheckpointDigest(const Checkpoint& c);

Bytes EncodeCheckpointVote(const CheckpointVote& v);
// InvalidArgument naming the field for anything but a well-formed vote.
absl::StatusOr<CheckpointVote> DecodeCheckpointVote(ByteSpan bytes);

// The vote is for this committee's chain and slice, from a member, and its
// signature verifies with the member's key. InvalidArgument (chain id, slice)
// or PermissionDenied (non-member, bad signature), naming the reason.
absl::Status VerifyCheckpointVote(const CheckpointVote& vote, const Committee& committee,
                                  SignatureChecker& checker);

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_CHECKPOINT_H_
