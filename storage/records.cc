#include "storage/records.h"

#include <algorithm>

#include "core/tx/codec.h"

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
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

// A held market transaction: version | id | held_sequence | raw_len | raw;
// the envelope must decode and match the key.
absl::StatusOr<HeldTx> DecodeHeldEnvelopeRecord(const HeldKey& key, ByteSpan record) {
  constexpr absl::string_view kTable = "held";
  ByteReader r(record);
  GL_ASSIGN_OR_RETURN(uint8_t version, Read(kTable, r.U8("version")));
  (void)version;
  HeldTx held;
  GL_ASSIGN_OR_RETURN(held.btx.id.bytes, Read(kTable, r.Fixed<32>("id")));
  GL_ASSIGN_OR_RETURN(held.held_sequence, Read(kTable, r.U64("held_sequence")));
  GL_ASSIGN_OR_RETURN(uint16_t raw_bytes, Read(kTable, r.U16("raw_len")));
  if (raw_bytes > kMaxRawTxBytes) return Corrupt(kTable, "raw transaction too long");
  GL_ASSIGN_OR_RETURN(ByteSpan raw, Read(kTable, r.Raw(raw_bytes, "raw")));
  if (r.remaining() != 0) {
    return Corrupt(kTable, absl::StrCat(r.remaining(), " trailing bytes"));
  }
  absl::StatusOr<Transaction> tx = Decode(raw);
  if (!tx.ok()) return Corrupt(kTable, absl::StrCat("envelope: ", tx.status().message()));
  if (tx->kind() == TxKind::kTransfer || tx->slice != key.account.slice ||
      tx->sender != key.account.key || tx->nonce != key.nonce) {
    return Corrupt(kTable, "envelope does not match its key");
  }
  held.btx.tx = *std::move(tx);
  held.btx.raw.assign(raw.begin(), raw.end());
  return held;
}

}  // namespace

absl::StatusOr<Bytes> EncodeTxRecord(const StoredTx& tx) {
  Bytes out;
  out.reserve(TxRecordBytes(tx));
  GL_RETURN_IF_ERROR(AppendTxRecord(tx, &out));
  return out;
}

absl::Status AppendTxRecord(const StoredTx& tx, Bytes* out) {
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
  ByteWriter w(out);
  w.U8(kRecordVersion);
  w.U8(static_cast<uint8_t>(tx.status()));
  w.U8(static_cast<uint8_t>(tx.code));
  w.U64(tx.commit_sequence);
  w.U32(tx.index);
  w.U16(static_cast<uint16_t>(tx.reason.size()));
  w.Raw(ByteSpan(reinterpret_cast<const uint8_t*>(tx.reason.data()), tx.reason.size()));
  w.U16(static_cast<uint16_t>(tx.raw.size()));
  w.Raw(tx.raw);
  return absl::OkStatus();
}

StoredTx StoredTxView::Own() const {
  StoredTx tx;
  tx.code = code;
  tx.reason.assign(reason.begin(), reason.end());
  tx.commit_sequence = commit_sequence;
  tx.index = index;
  tx.raw.assign(raw.begin(), raw.end());
  return tx;
}

absl::StatusOr<StoredTx> DecodeTxRecord(ByteSpan record) {
  GL_ASSIGN_OR_RETURN(const StoredTxView view, DecodeTxRecordView(record));
  return view.Own();
}

absl::StatusOr<StoredTxView> DecodeTxRecordView(ByteSpan record) {
  constexpr absl::string_view kTable = "txs";
  if (record.size() < kTxRecordMinBytes) {
    return Corrupt(kTable, absl::StrCat("size ", record.size(), " bytes, below minimum ",
                                        kTxRecordMinBytes));
  }
  ByteReader r(record);
  StoredTxView tx;
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
  tx.reason = absl::string_view(reinterpret_cast<const char*>(reason.data()), reason.size());
  GL_ASSIGN_OR_RETURN(uint16_t raw_bytes, Read(kTable, r.U16("raw_len")));
  if (raw_bytes > kMaxRawTxBytes) return Corrupt(kTable, "raw transaction too long");
  GL_ASSIGN_OR_RETURN(tx.raw, Read(kTable, r.Raw(raw_bytes, "raw")));
  if (r.remaining() != 0) {
    return Corrupt(kTable, absl::StrCat(r.remaining(), " trailing bytes"));
  }
  if (tx.code == TxResultCode::kSuccess ? !tx.reason.empty() : tx.reason.empty()) {
    return Corrupt(kTable, "reason must be empty exactly on success");
  }
  return tx;
}

std::array<uint8_t, kTxLogKeyBytes> EncodeTxLogKey(uint64_t sequence, const TxId& id) {
  std::array<uint8_t, kTxLogKeyBytes> key;
  PutBigEndian(sequence, 8, key.data());
  std::copy(id.span().begin(), id.span().end(), key.begin() + 8);
  return key;
}

absl::StatusOr<std::pair<uint64_t, TxId>> DecodeTxLogKey(ByteSpan key) {
  constexpr absl::string_view kTable = "tx_log key";
  GL_RETURN_IF_ERROR(CheckSize(kTable, key, kTxLogKeyBytes));
  ByteReader r(key);
  GL_ASSIGN_OR_RETURN(uint64_t sequence, Read(kTable, r.U64("sequence")));
  GL_ASSIGN_OR_RETURN(auto id, Read(kTable, r.Fixed<32>("id")));
  return std::make_pair(sequence, TxId(id));
}

std::array<uint8_t, kAcctLogKeyBytes> EncodeAcctLogKey(uint64_t sequence, ByteSpan account_key) {
  GL_CHECK(account_key.size() == kAccountKeyBytes);
  std::array<uint8_t, kAcctLogKeyBytes> key;
  PutBigEndian(sequence, 8, key.data());
  std::copy(account_key.begin(), account_key.end(), key.begin() + 8);
  return key;
}

absl::StatusOr<std::pair<uint64_t, ByteSpan>> DecodeAcctLogKey(ByteSpan key) {
  constexpr absl::string_view kTable = "acct_log key";
  GL_RETURN_IF_ERROR(CheckSize(kTable, key, kAcctLogKeyBytes));
  ByteReader r(key);
  GL_ASSIGN_OR_RETURN(uint64_t sequence, Read(kTable, r.U64("sequence")));
  return std::make_pair(sequence, key.subspan(8));
}

absl::StatusOr<uint64_t> DecodeTxIndexValue(ByteSpan value) {
  constexpr absl::string_view kTable = "txs";
  GL_RETURN_IF_ERROR(CheckSize(kTable, value, kTxIndexValueBytes));
  ByteReader r(value);
  GL_ASSIGN_OR_RETURN(uint64_t sequence, Read(kTable, r.U64("sequence")));
  if (sequence == 0) return Corrupt(kTable, "sequence 0");
  return sequence;
}

std::array<uint8_t, kAccountKeyBytes> EncodeAccountKey(const AccountRef& account) {
  std::array<uint8_t, kAccountKeyBytes> key;
  PutBigEndian(account.slice.value(), 4, key.data());
  std::copy(account.key.span().begin(), account.key.span().end(), key.begin() + 4);
  return key;
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

std::array<uint8_t, kAccountRecordBytes> EncodeAccountRecord(const AccountState& state) {
  std::array<uint8_t, kAccountRecordBytes> record;
  record[0] = kRecordVersion;
  PutBigEndian(state.balance.value(), 8, record.data() + 1);
  PutBigEndian(state.next_nonce.value(), 8, record.data() + 9);
  return record;
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

std::array<uint8_t, kCommitKeyBytes> EncodeCommitKey(uint64_t sequence) {
  std::array<uint8_t, kCommitKeyBytes> key;
  PutBigEndian(sequence, 8, key.data());
  return key;
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

namespace {

void WriteHeldKey(ByteWriter& w, const HeldKey& key) {
  w.U32(key.account.slice.value());
  w.Raw(key.account.key.span());
  w.U64(key.nonce.value());
}

absl::StatusOr<HeldKey> ReadHeldKey(absl::string_view table, ByteReader& r) {
  HeldKey key;
  GL_ASSIGN_OR_RETURN(uint32_t slice, Read(table, r.U32("slice")));
  key.account.slice = SliceId(slice);
  GL_ASSIGN_OR_RETURN(key.account.key.bytes, Read(table, r.Fixed<32>("key")));
  GL_ASSIGN_OR_RETURN(uint64_t nonce, Read(table, r.U64("nonce")));
  key.nonce = Nonce(nonce);
  return key;
}

}  // namespace

Bytes EncodeHeldKey(const HeldKey& key) {
  Bytes out;
  out.reserve(kHeldKeyBytes);
  ByteWriter w(&out);
  WriteHeldKey(w, key);
  return out;
}

absl::StatusOr<HeldKey> DecodeHeldKey(ByteSpan key) {
  GL_RETURN_IF_ERROR(CheckSize("held key", key, kHeldKeyBytes));
  ByteReader r(key);
  return ReadHeldKey("held key", r);
}

absl::StatusOr<Bytes> EncodeHeldRecord(const HeldTx& held) {
  if (held.btx.raw.size() > kMaxRawTxBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "held record raw: ", held.btx.raw.size(), " bytes exceeds kMaxRawTxBytes=",
        kMaxRawTxBytes));
  }
  const auto* body = std::get_if<TransferBody>(&held.btx.tx.body);
  Bytes out;
  if (body == nullptr) {
    // Market kinds: the envelope alone (version kHeldEnvelopeVersion); the
    // decoder re-decodes it with the strict codec.
    ByteWriter w(&out);
    w.U8(kHeldEnvelopeVersion);
    w.Raw(held.btx.id.span());
    w.U64(held.held_sequence);
    w.U16(static_cast<uint16_t>(held.btx.raw.size()));
    w.Raw(held.btx.raw);
    return out;
  }
  out.reserve(kHeldRecordMinBytes + held.btx.raw.size());
  ByteWriter w(&out);
  w.U8(kRecordVersion);
  w.Raw(held.btx.id.span());
  w.U64(held.held_sequence);
  w.U8(held.btx.tx.version);
  w.U32(body->to.slice.value());
  w.Raw(body->to.key.span());
  w.U64(body->amount.value());
  w.Raw(held.btx.tx.signature.span());
  w.U16(static_cast<uint16_t>(held.btx.raw.size()));
  w.Raw(held.btx.raw);
  return out;
}

absl::StatusOr<HeldTx> DecodeHeldRecord(ByteSpan key, ByteSpan record) {
  constexpr absl::string_view kTable = "held";
  GL_ASSIGN_OR_RETURN(HeldKey held_key, DecodeHeldKey(key));
  if (!record.empty() && record[0] == kHeldEnvelopeVersion) {
    return DecodeHeldEnvelopeRecord(held_key, record);
  }
  if (record.size() < kHeldRecordMinBytes) {
    return Corrupt(kTable, absl::StrCat("size ", record.size(), " bytes, below minimum ",
                                        kHeldRecordMinBytes));
  }
  ByteReader r(record);
  GL_ASSIGN_OR_RETURN(uint8_t version, Read(kTable, r.U8("version")));
  GL_RETURN_IF_ERROR(CheckVersion(kTable, version));
  HeldTx held;
  GL_ASSIGN_OR_RETURN(held.btx.id.bytes, Read(kTable, r.Fixed<32>("id")));
  GL_ASSIGN_OR_RETURN(held.held_sequence, Read(kTable, r.U64("held_sequence")));
  // The executed fields are stored as such: a held transaction does not
  // depend on the codec of a later release decoding its envelope again.
  Transaction& tx = held.btx.tx;
  GL_ASSIGN_OR_RETURN(tx.version, Read(kTable, r.U8("tx_version")));
  tx.slice = held_key.account.slice;
  tx.sender = held_key.account.key;
  tx.nonce = held_key.nonce;
  TransferBody body;
  GL_ASSIGN_OR_RETURN(uint32_t to_slice, Read(kTable, r.U32("to_slice")));
  body.to.slice = SliceId(to_slice);
  GL_ASSIGN_OR_RETURN(body.to.key.bytes, Read(kTable, r.Fixed<32>("to_key")));
  GL_ASSIGN_OR_RETURN(uint64_t amount, Read(kTable, r.U64("amount")));
  body.amount = Amount(amount);
  tx.body = body;
  GL_ASSIGN_OR_RETURN(tx.signature.bytes, Read(kTable, r.Fixed<64>("signature")));
  GL_ASSIGN_OR_RETURN(uint16_t raw_bytes, Read(kTable, r.U16("raw_len")));
  if (raw_bytes > kMaxRawTxBytes) return Corrupt(kTable, "raw transaction too long");
  GL_ASSIGN_OR_RETURN(ByteSpan raw, Read(kTable, r.Raw(raw_bytes, "raw")));
  if (r.remaining() != 0) {
    return Corrupt(kTable, absl::StrCat(r.remaining(), " trailing bytes"));
  }
  held.btx.raw.assign(raw.begin(), raw.end());
  return held;
}

Bytes EncodeHeldExpiryKey(uint64_t held_sequence, const HeldKey& key) {
  Bytes out;
  out.reserve(kHeldExpiryKeyBytes);
  ByteWriter w(&out);
  w.U64(held_sequence);
  WriteHeldKey(w, key);
  return out;
}

absl::StatusOr<std::pair<uint64_t, HeldKey>> DecodeHeldExpiryKey(ByteSpan key) {
  constexpr absl::string_view kTable = "held_expiry key";
  GL_RETURN_IF_ERROR(CheckSize(kTable, key, kHeldExpiryKeyBytes));
  ByteReader r(key);
  GL_ASSIGN_OR_RETURN(uint64_t held_sequence, Read(kTable, r.U64("held_sequence")));
  GL_ASSIGN_OR_RETURN(HeldKey held_key, ReadHeldKey(kTable, r));
  return std::make_pair(held_sequence, held_key);
}

Bytes EncodeReleasedRecord(absl::Span<const TxId> ids) {
  Bytes out;
  out.reserve(ids.size() * TxId::kSize);
  for (const TxId& id : ids) out.insert(out.end(), id.bytes.begin(), id.bytes.end());
  return out;
}

absl::StatusOr<std::vector<TxId>> DecodeReleasedRecord(ByteSpan record) {
  if (record.size() % TxId::kSize != 0) {
    return Corrupt("released", absl::StrCat("size ", record.size(), " is not a multiple of 32"));
  }
  std::vector<TxId> ids;
  ids.reserve(record.size() / TxId::kSize);
  for (size_t at = 0; at < record.size(); at += TxId::kSize) {
    ids.push_back(TxId::FromSpan(record.subspan(at, TxId::kSize)));
  }
  return ids;
}

}  // namespace gridledger::storage
