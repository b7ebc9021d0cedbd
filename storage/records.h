// Binary records of the node store's tables: fixed, versioned, big-endian.
// Encoders check their input before it is written (InvalidArgument); decoders
// check sizes and ranges of what was read back and report a corrupt record as
// DataLoss naming the table.
//
//   tx_log    key commit_seq u64 | TxId (32)
//                                       -> the tx record: version u8 | status u8 | code u8 |
//                                          commit_seq u64 | index u32 |
//                                          reason_len u16 | reason | raw_len u16 | raw
//   txs       key TxId (32)             -> commit_seq u64 of its tx_log record (8 B)
//   accounts  key slice u32 | key (32)  -> version u8 | balance u64 | next_nonce u64  (17 B)
//   commits   key sequence u64          -> version u8 | anchor (32) | num_txs u32 |
//                                          state_summary (32)                  (69 B)
//   held      key slice u32 | key (32) | nonce u64 (44)
//                                       -> version u8 | id (32) | held_sequence u64 |
//                                          tx_version u8 | to_slice u32 | to_key (32) |
//                                          amount u64 | signature (64) | raw_len u16 | raw
//                                       (market kinds: version 2 | id (32) |
//                                          held_sequence u64 | raw_len u16 | raw)
//   held_expiry key held_sequence u64 | held key (52) -> version u8 (1 B)
//   released  key sequence u64          -> ids (32 each) released from the hold
//   market    key (1..64 B)             -> value (<= 256 B), layouts in
//                                          core/execution/market_state.h
//   meta      key name (ASCII)          -> value (see node_store.h)
#ifndef GRIDLEDGER_STORAGE_RECORDS_H_
#define GRIDLEDGER_STORAGE_RECORDS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/execution/block_tx.h"
#include "core/execution/state_view.h"
#include "core/execution/tx_result.h"
#include "core/tx/transaction.h"

namespace gridledger::storage {

inline constexpr uint8_t kRecordVersion = 1;
inline constexpr size_t kMaxReasonBytes = 256;
inline constexpr size_t kMaxRawTxBytes = kTxMaxBytes;
inline constexpr size_t kAccountKeyBytes = 36;
inline constexpr size_t kAccountRecordBytes = 17;
inline constexpr size_t kCommitKeyBytes = 8;
inline constexpr size_t kCommitRecordBytes = 69;
inline constexpr size_t kTxRecordMinBytes = 1 + 1 + 1 + 8 + 4 + 2 + 2;
inline constexpr size_t kHeldKeyBytes = 44;
inline constexpr size_t kHeldRecordMinBytes = 1 + 32 + 8 + 1 + 4 + 32 + 8 + 64 + 2;
inline constexpr size_t kHeldExpiryKeyBytes = 8 + kHeldKeyBytes;
// A held market transaction's record version: the envelope only.
inline constexpr uint8_t kHeldEnvelopeVersion = 2;
// market: key and value bytes as core/execution/market_state.h builds them.
inline constexpr size_t kMaxMarketKeyBytes = 64;
inline constexpr size_t kMaxMarketValueBytes = 256;

// One entry of the transaction index.
struct StoredTx {
  TxResultCode code = TxResultCode::kSuccess;
  std::string reason;
  uint64_t commit_sequence = 0;
  uint32_t index = 0;  // position in its commit
  Bytes raw;           // the signed envelope

  TxStatus status() const { return StatusOf(code); }
  bool operator==(const StoredTx&) const = default;
};

struct CommitMeta {
  Digest anchor;  // the committed round's anchor digest
  // Result positions in the commit: the block's transactions (duplicates
  // included), then those released from the nonce hold.
  uint32_t num_txs = 0;
  Digest state_summary;  // after executing the block
  bool operator==(const CommitMeta&) const = default;
};

// A tx record as it lies in the store: reason and envelope point into the
// record (valid while its transaction lives). The commit stream reads these,
// so it copies no envelope per transaction.
struct StoredTxView {
  TxResultCode code = TxResultCode::kSuccess;
  absl::string_view reason;
  uint64_t commit_sequence = 0;
  uint32_t index = 0;
  ByteSpan raw;

  TxStatus status() const { return StatusOf(code); }
  StoredTx Own() const;
};

absl::StatusOr<Bytes> EncodeTxRecord(const StoredTx& tx);
// Appends the same bytes to `out` (a block's records share one buffer);
// on error nothing is appended.
absl::Status AppendTxRecord(const StoredTx& tx, Bytes* out);
// The size of tx's record.
inline size_t TxRecordBytes(const StoredTx& tx) {
  return kTxRecordMinBytes + tx.reason.size() + tx.raw.size();
}
absl::StatusOr<StoredTx> DecodeTxRecord(ByteSpan record);
// The same checks as DecodeTxRecord, without copying.
absl::StatusOr<StoredTxView> DecodeTxRecordView(ByteSpan record);
inline constexpr size_t kTxLogKeyBytes = 8 + 32;
inline constexpr size_t kTxIndexValueBytes = 8;
// Big-endian sequence first: a commit's records follow the previous commit's.
// Fixed-size keys and records come in arrays: no heap allocation per record
// on the commit path (issue 12 item 4).
std::array<uint8_t, kTxLogKeyBytes> EncodeTxLogKey(uint64_t sequence, const TxId& id);
absl::StatusOr<std::pair<uint64_t, TxId>> DecodeTxLogKey(ByteSpan key);

// acct_log (storage/account_store.h): commit sequence u64 BE | account key.
inline constexpr size_t kAcctLogKeyBytes = 8 + 36;
std::array<uint8_t, kAcctLogKeyBytes> EncodeAcctLogKey(uint64_t sequence, ByteSpan account_key);
// (sequence, account key); DataLoss when malformed.
absl::StatusOr<std::pair<uint64_t, ByteSpan>> DecodeAcctLogKey(ByteSpan key);
absl::StatusOr<uint64_t> DecodeTxIndexValue(ByteSpan value);

std::array<uint8_t, kAccountKeyBytes> EncodeAccountKey(const AccountRef& account);
absl::StatusOr<AccountRef> DecodeAccountKey(ByteSpan key);
std::array<uint8_t, kAccountRecordBytes> EncodeAccountRecord(const AccountState& state);
absl::StatusOr<AccountState> DecodeAccountRecord(ByteSpan record);

// Big-endian, so the commits table iterates in sequence order.
std::array<uint8_t, kCommitKeyBytes> EncodeCommitKey(uint64_t sequence);
absl::StatusOr<uint64_t> DecodeCommitKey(ByteSpan key);
Bytes EncodeCommitRecord(const CommitMeta& meta);
absl::StatusOr<CommitMeta> DecodeCommitRecord(ByteSpan record);

// The nonce hold. A held record keeps the transfer's executed fields (sender,
// slice and nonce are its key) next to the envelope.
Bytes EncodeHeldKey(const HeldKey& key);
absl::StatusOr<HeldKey> DecodeHeldKey(ByteSpan key);
absl::StatusOr<Bytes> EncodeHeldRecord(const HeldTx& held);
absl::StatusOr<HeldTx> DecodeHeldRecord(ByteSpan key, ByteSpan record);
// Big-endian held sequence first, so the table iterates in expiry order.
Bytes EncodeHeldExpiryKey(uint64_t held_sequence, const HeldKey& key);
absl::StatusOr<std::pair<uint64_t, HeldKey>> DecodeHeldExpiryKey(ByteSpan key);
Bytes EncodeReleasedRecord(absl::Span<const TxId> ids);
absl::StatusOr<std::vector<TxId>> DecodeReleasedRecord(ByteSpan record);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_RECORDS_H_
