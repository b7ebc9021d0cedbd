#include "net/node/checkpoint_store.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace gridledger::node {
namespace {

// Version 2: the checkpoint carries commit_digest (140 bytes); version 1
// records hold 108-byte checkpoints signed in the retired domain.
constexpr uint8_t kCheckpointRecordVersion = 2;
constexpr int kRecordVersion = kCheckpointRecordVersion;  // printable

Bytes SequenceKey(uint64_t sequence) {
  Bytes key;
  ByteWriter(&key).U64(sequence);
  return key;
}

absl::Status Corrupt(const absl::Status& s) {
  return absl::DataLossError(absl::StrCat("corrupt checkpoints record: ", s.message()));
}

}  // namespace

Bytes EncodeSignedCheckpoint(const SignedCheckpoint& c) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(kCheckpointRecordVersion);
  consensus::EncodeCheckpoint(c.checkpoint, w);
  w.U32(static_cast<uint32_t>(c.signatures.size()));
  for (const auto& [signer, signature] : c.signatures) {
    w.U32(signer.value());
    w.Raw(signature.span());
  }
  return out;
}

absl::StatusOr<SignedCheckpoint> DecodeSignedCheckpoint(ByteSpan record) {
  ByteReader r(record);
  absl::StatusOr<uint8_t> version = r.U8("version");
  if (!version.ok()) return Corrupt(version.status());
  if (*version != kCheckpointRecordVersion) {
    return absl::DataLossError(absl::StrCat("corrupt checkpoints record: version ", *version));
  }
  SignedCheckpoint c;
  absl::StatusOr<consensus::Checkpoint> checkpoint = consensus::DecodeCheckpoint(r);
  if (!checkpoint.ok()) return Corrupt(checkpoint.status());
  c.checkpoint = *checkpoint;
  absl::StatusOr<uint32_t> n = r.U32("signatures");
  if (!n.ok()) return Corrupt(n.status());
  if (*n > consensus::Committee::kMaxValidators) {
    return absl::DataLossError(absl::StrCat("corrupt checkpoints record: ", *n, " signatures"));
  }
  for (uint32_t i = 0; i < *n; ++i) {
    absl::StatusOr<uint32_t> signer = r.U32("signer");
    if (!signer.ok()) return Corrupt(signer.status());
    absl::StatusOr<std::array<uint8_t, 64>> signature = r.Fixed<64>("signature");
    if (!signature.ok()) return Corrupt(signature.status());
    if (!c.signatures.empty() && c.signatures.back().first.value() >= *signer) {
      return absl::DataLossError("corrupt checkpoints record: signers not ascending");
    }
    c.signatures.emplace_back(ValidatorIndex(*signer), Signature(*signature));
  }
  absl::Status end = r.ExpectEnd("checkpoints record");
  if (!end.ok()) return Corrupt(end);
  return c;
}

namespace {

// A table written by another record version is refused at open with what
// to do (as NodeStore::CheckLayout refuses another store layout), instead
// of failing later as corrupt records served to peers. One build writes
// every record of a store, so the first and last tell.
absl::Status CheckRecordVersion(storage::LmdbEnv& env, storage::LmdbTable table) {
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env.BeginRead());
  GL_ASSIGN_OR_RETURN(storage::Cursor cursor, txn.OpenCursor(table));
  for (int end = 0; end < 2; ++end) {
    GL_ASSIGN_OR_RETURN(bool on, end == 0 ? cursor.First() : cursor.Last());
    if (!on) return absl::OkStatus();  // empty
    if (cursor.value().empty()) return Corrupt(absl::InvalidArgumentError("empty record"));
    const int version = cursor.value()[0];
    if (version == kRecordVersion) continue;
    if (version > kRecordVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", env.dir(), " holds final checkpoints of record version ", version,
          ", written by a newer build; this build reads version ", kRecordVersion,
          " only: run the newer build (or a later one) on this data directory"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", env.dir(), " holds final checkpoints of record version ", version,
        " (checkpoints without the commit digest, signed in a retired domain); this build "
        "reads version ", kRecordVersion, " only: wipe the data directory ",
        env.dir(), " and restart the node (it catches up from its peers)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CheckpointStore>> CheckpointStore::Open(storage::LmdbEnv* env) {
  GL_ASSIGN_OR_RETURN(storage::LmdbTable table, env->OpenTable(kCheckpointsTable));
  GL_RETURN_IF_ERROR(CheckRecordVersion(*env, table));
  return std::unique_ptr<CheckpointStore>(new CheckpointStore(env, table));
}

absl::Status CheckpointStore::Write(absl::Span<const SignedCheckpoint> finals, size_t quorum) {
  return env_->Write([&](storage::WriteTxn& txn) { return WriteIn(txn, finals, quorum); });
}

absl::Status CheckpointStore::WriteRiding(absl::Span<const SignedCheckpoint> finals,
                                          size_t quorum, absl::Duration wait) {
  return env_->WriteRiding([&](storage::WriteTxn& txn) { return WriteIn(txn, finals, quorum); },
                           wait);
}

absl::Status CheckpointStore::WriteIn(storage::WriteTxn& txn,
                                      absl::Span<const SignedCheckpoint> finals,
                                      size_t quorum) const {
  for (const SignedCheckpoint& c : finals) {
    if (c.signatures.size() < quorum) {
      return absl::InvalidArgumentError(absl::StrCat(
          "checkpoint ", c.checkpoint.sequence, ": ", c.signatures.size(),
          " signatures, a final one needs ", quorum));
    }
  }
  for (const SignedCheckpoint& c : finals) {
    GL_RETURN_IF_ERROR(
        txn.Put(table_, SequenceKey(c.checkpoint.sequence), EncodeSignedCheckpoint(c)));
  }
  return absl::OkStatus();
}

absl::StatusOr<SignedCheckpoint> CheckpointStore::Get(uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(ByteSpan record, txn.Get(table_, SequenceKey(sequence)));
  return DecodeSignedCheckpoint(record);
}

absl::StatusOr<std::optional<SignedCheckpoint>> CheckpointStore::Last() const {
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(storage::Cursor cursor, txn.OpenCursor(table_));
  // Keys are big-endian sequences: the last key is the highest.
  GL_ASSIGN_OR_RETURN(bool on, cursor.Last());
  if (!on) return std::optional<SignedCheckpoint>();
  GL_ASSIGN_OR_RETURN(SignedCheckpoint c, DecodeSignedCheckpoint(cursor.value()));
  return std::optional<SignedCheckpoint>(std::move(c));
}

absl::StatusOr<std::vector<Bytes>> CheckpointStore::Records(uint64_t from,
                                                            uint32_t count) const {
  std::vector<Bytes> out;
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(storage::Cursor cursor, txn.OpenCursor(table_));
  GL_ASSIGN_OR_RETURN(bool on, cursor.SeekAtLeast(SequenceKey(from)));
  while (on && out.size() < count) {
    ByteReader r(cursor.key());
    GL_ASSIGN_OR_RETURN(uint64_t sequence, r.U64("checkpoint sequence"));
    if (sequence >= from + count) break;
    out.emplace_back(cursor.value().begin(), cursor.value().end());
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  return out;
}

absl::StatusOr<std::optional<uint64_t>> CheckpointStore::FirstMissing(uint64_t from,
                                                                      uint64_t to) const {
  if (from > to) return std::optional<uint64_t>();
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(storage::Cursor cursor, txn.OpenCursor(table_));
  GL_ASSIGN_OR_RETURN(bool on, cursor.SeekAtLeast(SequenceKey(from)));
  uint64_t expected = from;
  while (on && expected <= to) {
    ByteReader r(cursor.key());
    GL_ASSIGN_OR_RETURN(uint64_t sequence, r.U64("checkpoint sequence"));
    if (sequence != expected) break;
    ++expected;
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  if (expected > to) return std::optional<uint64_t>();
  return std::optional<uint64_t>(expected);
}

}  // namespace gridledger::node
