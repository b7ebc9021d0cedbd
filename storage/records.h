// Binary records of the node store's tables: fixed, versioned, big-endian.
// Encoders check their input before it is written (InvalidArgument); decoders
// check sizes and ranges of what was read back and report a corrupt record as
// DataLoss naming the table.
//
//   txs       key TxId (32)             -> version u8 | status u8 | code u8 |
//                                          commit_seq u64 | index u32 |
//                                          reason_len u16 | reason | raw_len u16 | raw
//   accounts  key slice u32 | key (32)  -> version u8 | balance u64 | next_nonce u64  (17 B)
//   commits   key sequence u64          -> version u8 | anchor (32) | num_txs u32 |
//                                          state_summary (32)                  (69 B)
//   meta      key name (ASCII)          -> value (see node_store.h)
#ifndef GRIDLEDGER_STORAGE_RECORDS_H_
#define GRIDLEDGER_STORAGE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
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

// One entry of the transaction index.
struct StoredTx {
  TxResultCode code = TxResultCode::kSuccess;
  std::string reason;
  uint64_t commit_sequence = 0;
  uint32_t index = 0;  // position in its commit
  Bytes raw;           // the signed envelope

  TxStatus status() const {
    return code == TxResultCode::kSuccess ? TxStatus::kCommitted : TxStatus::kFailed;
  }
  bool operator==(const StoredTx&) const = default;
};

struct CommitMeta {
  Digest anchor;         // the committed round's anchor digest
  uint32_t num_txs = 0;  // transactions in the block, duplicates included
  Digest state_summary;  // after executing the block
  bool operator==(const CommitMeta&) const = default;
};

absl::StatusOr<Bytes> EncodeTxRecord(const StoredTx& tx);
absl::StatusOr<StoredTx> DecodeTxRecord(ByteSpan record);

Bytes EncodeAccountKey(const AccountRef& account);
absl::StatusOr<AccountRef> DecodeAccountKey(ByteSpan key);
Bytes EncodeAccountRecord(const AccountState& state);
absl::StatusOr<AccountState> DecodeAccountRecord(ByteSpan record);

// Big-endian, so the commits table iterates in sequence order.
Bytes EncodeCommitKey(uint64_t sequence);
absl::StatusOr<uint64_t> DecodeCommitKey(ByteSpan key);
Bytes EncodeCommitRecord(const CommitMeta& meta);
absl::StatusOr<CommitMeta> DecodeCommitRecord(ByteSpan record);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_RECORDS_H_
