#include "core/consensus/checkpoint.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"

namespace gridledger::consensus {

Digest CommitPositionDigest(Round last_committed_round, ByteSpan commit_record) {
  Bytes buf;
  buf.reserve(8 + 4 + commit_record.size());
  ByteWriter w(&buf);
  w.U64(last_committed_round.value());
  w.U32(static_cast<uint32_t>(commit_record.size()));
  w.Raw(commit_record);
  return TaggedHashCached(kTagCommitPosition, buf);
}

void EncodeCheckpoint(const Checkpoint& c, ByteWriter& w) {
  w.Raw(c.chain_id.span());
  w.U32(c.slice.value());
  w.U64(c.sequence);
  w.Raw(c.state_root.span());
  w.Raw(c.receipts_root.span());
  w.Raw(c.commit_digest.span());
}

absl::StatusOr<Checkpoint> DecodeCheckpoint(ByteReader& r) {
  Checkpoint c;
  GL_ASSIGN_OR_RETURN(auto chain_id, r.Fixed<32>("checkpoint.chain_id"));
  c.chain_id = Digest(chain_id);
  GL_ASSIGN_OR_RETURN(uint32_t slice, r.U32("checkpoint.slice"));
  c.slice = SliceId(slice);
  GL_ASSIGN_OR_RETURN(c.sequence, r.U64("checkpoint.sequence"));
  if (c.sequence == 0) return absl::InvalidArgumentError("checkpoint.sequence: must be >= 1");
  GL_ASSIGN_OR_RETURN(auto root, r.Fixed<32>("checkpoint.state_root"));
  c.state_root = Digest(root);
  GL_ASSIGN_OR_RETURN(auto receipts, r.Fixed<32>("checkpoint.receipts_root"));
  c.receipts_root = Digest(receipts);
  GL_ASSIGN_OR_RETURN(auto commit, r.Fixed<32>("checkpoint.commit_digest"));
  c.commit_digest = Digest(commit);
  return c;
}

Digest CheckpointDigest(const Checkpoint& c) {
  Bytes buf;
  buf.reserve(kCheckpointBytes);
  ByteWriter w(&buf);
  EncodeCheckpoint(c, w);
  return TaggedHashCached(kTagCheckpointV2, buf);
}

Bytes EncodeCheckpointVote(const CheckpointVote& v) {
  Bytes out;
  out.reserve(kCheckpointVoteBytes);
  ByteWriter w(&out);
  w.U8(kCheckpointVoteTag);
  EncodeCheckpoint(v.checkpoint, w);
  w.U32(v.signer.value());
  w.Raw(v.signature.span());
  return out;
}

absl::StatusOr<CheckpointVote> DecodeCheckpointVote(ByteSpan bytes) {
  if (bytes.size() != kCheckpointVoteBytes) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint_vote: ", bytes.size(),
                                                   " bytes, expected ", kCheckpointVoteBytes));
  }
  ByteReader r(bytes);
  GL_ASSIGN_OR_RETURN(uint8_t tag, r.U8("checkpoint_vote.tag"));
  if (tag != kCheckpointVoteTag) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint_vote.tag: ", tag));
  }
  CheckpointVote v;
  GL_ASSIGN_OR_RETURN(v.checkpoint, DecodeCheckpoint(r));
  GL_ASSIGN_OR_RETURN(uint32_t signer, r.U32("checkpoint_vote.signer"));
  v.signer = ValidatorIndex(signer);
  GL_ASSIGN_OR_RETURN(auto signature, r.Fixed<64>("checkpoint_vote.signature"));
  v.signature = Signature(signature);
  GL_RETURN_IF_ERROR(r.ExpectEnd("checkpoint_vote"));
  return v;
}

absl::Status VerifyCheckpointVote(const CheckpointVote& vote, const Committee& committee,
                                  SignatureChecker& checker) {
  const Checkpoint& c = vote.checkpoint;
  if (c.chain_id != committee.chain_id()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint vote for chain id ",
                                                   c.chain_id.ShortHex(), ", ours is ",
                                                   committee.chain_id().ShortHex()));
  }
  if (c.slice != committee.slice()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint vote for slice ", c.slice.value(),
                                                   ", ours is ", committee.slice().value()));
  }
  if (!committee.Contains(vote.signer)) {
    return absl::PermissionDeniedError(
        absl::StrCat("checkpoint vote signer ", vote.signer.value(), " is not a member"));
  }
  if (!checker.Verify(committee.key(vote.signer), CheckpointDigest(c), vote.signature)) {
    return absl::PermissionDeniedError(absl::StrCat("checkpoint vote of validator ",
                                                    vote.signer.value(), " at sequence ",
                                                    c.sequence, ": bad signature"));
  }
  return absl::OkStatus();
}

}  // namespace gridledger::consensus
