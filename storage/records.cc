#include "storage/records.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace gridledger::storage {
namespace {

absl::Status Corrupt(absl::string_view table, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt ", table, " record: ", what));
}

// Runs a decode step; any reader failure on stored bytes is corruption.
template <typename T>
absl::StatusOr<T> Read(absl::string_view table, absl::StatusOr<T> value) {
  if (!value.ok()) return Corrupt(table, value.status().message());
  return value;
}

absl::Status CheckSize(absl::string_view table, ByteSpan record, size_t expected) {
  if (record.size() != expected) {
    return Corrupt(table, absl::StrCat("size ", record.size(), " bytes, expected ", expected));
  }
  return absl::OkStatus();
}

absl::Status CheckVersion(absl::string_view table, uint8_t version) {
  if (version != kRecordVersion) {
    return Corrupt(table, absl::StrCat("version ", version, ", expected ", kRecordVersion));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Bytes> EncodeTxRecord(const StoredTx& tx) {
  if (tx.reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tx record reason: ", tx.reason.size(), " bytes exceeds kMaxReasonBytes=", kMaxReasonBytes));
  }
  if (tx.raw.size() > kMaxRawTxBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tx record raw: ", tx.raw.size(), " bytes exceeds kMaxRawTxBytes=", kMaxRawTxBytes));
  }
  if (static_cast<uint8_t>(tx.code) > kMaxTxResultCode) {
    return absl::InvalidArgumentError("tx record code: out of range");
  }
  if (tx.code == TxResultCode::kSuccess ? !tx.reason.empty() : tx.reason.empty()) {
    return absl::InvalidArgumentError("tx record reason: must be empty exactly on success");
  }
  Bytes out;
  out.reserve(kTxRecordMinBytes + tx.reason.size() + tx.raw.size());
  ByteWriter w(&out);
  w.U8(kRecordVersion);
  w.U8(static_cast<uint8_t>(tx.status()));
  w.U8(static_cast<uint8_t>(tx.code));
  w.U64(tx.commit_sequence);
  w.U32(tx.index);
  w.U16(static_cast<uint16_t>(tx.reason.size()));
  w.Raw(ByteSpan(reinterpret_cast<const uint8_t*>(tx.reason.data()), tx.reason.size()));
  w.U16(static_cast<uint16_t>(tx.raw.size()));
  w.Raw(tx.raw);
  return out;
}

absl::StatusOr<StoredTx> DecodeTxRecord(ByteSpan record) {
  constexpr absl::string_view kTable = "txs";
  if (record.size() < kTxRecordMinBytes) {
    return Corrupt(kTable, absl::StrCat("size ", record.size(), " bytes, below minimum ",
                                        kTxRecordMinBytes));
  }
  ByteReader r(record);
  StoredTx tx;
  GL_ASSIGN_OR_RETURN(uint8_t version, Read(kTable, r.U8("version")));
  GL_RETURN_IF_ERROR(CheckVersion(kTable, version));
  GL_ASSIGN_OR_RETURN(uint8_t status, Read(kTable, r.U8("status")));
  GL_ASSIGN_OR_RETURN(uint8_t code, Read(kTable, r.U8("code")));
  if (code > kMaxTxResultCode) return Corrupt(kTable, absl::StrCat("result code ", code));
  tx.code = static_cast<TxResultCode>(code);
  if (status != static_cast<uint8_t>(tx.status())) {
    return Corrupt(kTable, absl::StrCat("status ", status, " disagrees with code ", code));
  }
  GL_ASSIGN_OR_RETURN(tx.commit_sequence, Read(kTable, r.U64("commit_sequence")));
  GL_ASSIGN_OR_RETURN(tx.index, Read(kTable, r.U32("index")));
  GL_ASSIGN_OR_RETURN(uint16_t reason_bytes, Read(kTable, r.U16("reason_len")));
  if (reason_bytes > kMaxReasonBytes) return Corrupt(kTable, "reason too long");
  GL_ASSIGN_OR_RETURN(ByteSpan reason, Read(kTable, r.Raw(reason_bytes, "reason")));
  tx.reason.assign(reason.begin(), reason.end());
  GL_ASSIGN_OR_RETURN(uint16_t raw_bytes, Read(kTable, r.U16("raw_len")));
  if (raw_bytes > kMaxRawTxBytes) return Corrupt(kTable, "raw transaction too long");
  GL_ASSIGN_OR_RETURN(ByteSpan raw, Read(kTable, r.Raw(raw_bytes, "raw")));
  tx.raw.assign(raw.begin(), raw.end());
  if (r.remaining() != 0) {
    return Corrupt(kTable, absl::StrCat(r.remaining(), " trailing bytes"));
  }
  if (tx.code == TxResultCode::kSuccess ? !tx.reason.empty() : tx.reason.empty()) {
    return Corrupt(kTable, "reason must be empty exactly on success");
  }
  return tx;
}

Bytes EncodeAccountKey(const AccountRef& account) {
  Bytes out;
  out.reserve(kAccountKeyBytes);
  ByteWriter w(&out);
  w.U32(account.slice.value());
  w.Raw(account.key.span());
  return out;
}

absl::StatusOr<AccountRef> DecodeAccountKey(ByteSpan key) {
  GL_RETURN_IF_ERROR(CheckSize("accounts key", key, kAccountKeyBytes));
  ByteReader r(key);
  AccountRef ref;
  GL_ASSIGN_OR_RETURN(uint32_t slice, Read("accounts key", r.U32("slice")));
  ref.slice = SliceId(slice);
  GL_ASSIGN_OR_RETURN(ref.key.bytes, Read("accounts key", r.Fixed<32>("key")));
  return ref;
}

Bytes EncodeAccountRecord(const AccountState& state) {
  Bytes out;
  out.reserve(kAccountRecordBytes);
  ByteWriter w(&out);
  w.U8(kRecordVersion);
  w.U64(state.balance.value());
  w.U64(state.next_nonce.value());
  return out;
}

absl::StatusOr<AccountState> DecodeAccountRecord(ByteSpan record) {
  constexpr absl::string_view kTable = "accounts";
  GL_RETURN_IF_ERROR(CheckSize(kTable, record, kAccountRecordBytes));
  ByteReader r(record);
  GL_ASSIGN_OR_RETURN(uint8_t version, Read(kTable, r.U8("version")));
  GL_RETURN_IF_ERROR(CheckVersion(kTable, version));
  AccountState state;
  GL_ASSIGN_OR_RETURN(uint64_t balance, Read(kTable, r.U64("balance")));
  GL_ASSIGN_OR_RETURN(uint64_t nonce, Read(kTable, r.U64("next_nonce")));
  state.balance = Amount(balance);
  state.next_nonce = Nonce(nonce);
  return state;
}

Bytes EncodeCommitKey(uint64_t sequence) {
  Bytes out;
  ByteWriter(&out).U64(sequence);
  return out;
}

absl::StatusOr<uint64_t> DecodeCommitKey(ByteSpan key) {
  GL_RETURN_IF_ERROR(CheckSize("commits key", key, kCommitKeyBytes));
  ByteReader r(key);
  return Read("commits key", r.U64("sequence"));
}

Bytes EncodeCommitRecord(const CommitMeta& meta) {
  Bytes out;
  out.reserve(kCommitRecordBytes);
  ByteWriter w(&out);
  w.U8(kRecordVersion);
  w.Raw(meta.anchor.span());
  w.U32(meta.num_txs);
  w.Raw(meta.state_summary.span());
  return out;
}

absl::StatusOr<CommitMeta> DecodeCommitRecord(ByteSpan record) {
  constexpr absl::string_view kTable = "commits";
  GL_RETURN_IF_ERROR(CheckSize(kTable, record, kCommitRecordBytes));
  ByteReader r(record);
  GL_ASSIGN_OR_RETURN(uint8_t version, Read(kTable, r.U8("version")));
  GL_RETURN_IF_ERROR(CheckVersion(kTable, version));
  CommitMeta meta;
  GL_ASSIGN_OR_RETURN(meta.anchor.bytes, Read(kTable, r.Fixed<32>("anchor")));
  GL_ASSIGN_OR_RETURN(meta.num_txs, Read(kTable, r.U32("num_txs")));
  GL_ASSIGN_OR_RETURN(meta.state_summary.bytes, Read(kTable, r.Fixed<32>("state_summary")));
  return meta;
}

}  // namespace gridledger::storage
