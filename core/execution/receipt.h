// Cross-slice receipts (DESIGN.md §3, issue 11 item 2). A TRANSFER whose
// recipient lives in another slice debits the sender at the source and emits
// a Receipt; the destination credits it once a final checkpoint of the
// source covers it.
//
//   Receipt   source u32 | sequence u64 | index u32 | number u64 |
//             destination u32 | to 32 | amount u64 | source tx 32   (100 B)
//
// `index` is the receipt's position among commit `sequence`'s receipts for
// that destination; `number` counts the receipts from `source` to
// `destination`: 1, 2, 3, ... with no gap, so the destination credits them in
// source order and knows the next one it needs.
//
// Receipts root (the checkpoint's receipts_root) of one commit: its receipts
// grouped by destination (ascending), each group in index order and cut into
// chunks of kReceiptsPerChunk:
//   chunk hash = TaggedHash(kTagReceiptChunk, receipts of the chunk)
//   dest hash  = TaggedHash(kTagReceiptDestination, destination u32 | chunk hashes)
//   root       = TaggedHash(kTagReceiptsRoot, n u32 | n x (destination u32 | dest hash))
// and all zero for a commit without receipts. So an import for one chunk of
// one destination carries that chunk, the destination's chunk hashes and the
// other destinations' hashes: never the other slices' receipts.
//
//   ReceiptImport  tag u8 (kReceiptImportTag) | Checkpoint (140) |
//                  nsig u16 | nsig x (signer u32 | signature 64)  (signers ascending) |
//                  destination u32 | chunk u16 | nchunks u16 | nchunks x hash 32 |
//                  nother u16 | nother x (destination u32 | hash 32) (ascending, not ours) |
//                  nreceipts u16 | nreceipts x Receipt
// It travels in the destination's batches as one entry: its first byte is
// never a transaction envelope's version (kTxVersion), and it is at most
// consensus::kMaxTransactionBytes long. Decoding is strict (exact length,
// every count within its bound, orders strict).
#ifndef GRIDLEDGER_CORE_EXECUTION_RECEIPT_H_
#define GRIDLEDGER_CORE_EXECUTION_RECEIPT_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/consensus/checkpoint.h"

namespace gridledger {

struct Genesis;

inline constexpr uint8_t kReceiptImportTag = 0xF1;
inline constexpr size_t kReceiptBytes = 4 + 8 + 4 + 8 + 4 + 32 + 8 + 32;
inline constexpr size_t kReceiptsPerChunk = 16;
inline constexpr size_t kMaxReceiptChunks = 32;
// Receipts of one commit for one destination; a cross-slice transfer beyond
// it fails (kCrossSlice, "receipt limit") and may be sent again.
inline constexpr size_t kMaxReceiptsPerDestination = kReceiptsPerChunk * kMaxReceiptChunks;
// An import is one batch entry (consensus::kMaxTransactionBytes).
inline constexpr size_t kMaxReceiptImportBytes = 4096;

inline constexpr absl::string_view kTagReceiptChunk = "gridledger/receipts/chunk";
inline constexpr absl::string_view kTagReceiptDestination = "gridledger/receipts/destination";
inline constexpr absl::string_view kTagReceiptsRoot = "gridledger/receipts/root";

struct Receipt {
  SliceId source;
  uint64_t sequence = 0;
  uint32_t index = 0;
  uint64_t number = 0;
  SliceId destination;
  PublicKey to;
  Amount amount;
  TxId source_tx;
  bool operator==(const Receipt&) const = default;
};

void EncodeReceipt(const Receipt& r, ByteWriter& w);
Bytes EncodeReceipt(const Receipt& r);
absl::StatusOr<Receipt> DecodeReceipt(ByteReader& r);

// Chunk hashes of one destination's receipts (index order).
std::vector<Digest> ReceiptChunkHashes(absl::Span<const Receipt> receipts);
Digest DestinationHash(SliceId destination, absl::Span<const Digest> chunk_hashes);
// The root over (destination, dest hash) pairs, ascending by destination;
// zero when empty.
Digest ReceiptsRootOf(absl::Span<const std::pair<SliceId, Digest>> destinations);
// The (destination, dest hash) pairs of one commit's receipts, which must be
// sorted by (destination, index).
std::vector<std::pair<SliceId, Digest>> DestinationHashes(absl::Span<const Receipt> receipts);

// What every slice needs to check another slice's final checkpoint: the
// chain id and every slice's committee (genesis order).
struct CrossSliceConfig {
  Digest chain_id;
  std::vector<std::vector<PublicKey>> committees;  // by slice id
  static CrossSliceConfig FromGenesis(const Genesis& genesis);
  bool HasSlice(SliceId slice) const { return slice.value() < committees.size(); }
  // 2f+1 of the slice's committee (n = 3f+1 + r).
  size_t Quorum(SliceId slice) const;
};

struct ReceiptImport {
  consensus::Checkpoint checkpoint;
  std::vector<std::pair<ValidatorIndex, Signature>> signatures;  // signers ascending
  SliceId destination;
  uint16_t chunk = 0;
  std::vector<Digest> chunk_hashes;  // the destination's, all of them
  std::vector<std::pair<SliceId, Digest>> others;  // other destinations, ascending
  std::vector<Receipt> receipts;  // the chunk's
  bool operator==(const ReceiptImport&) const = default;
};

// InvalidArgument when the import would exceed kMaxReceiptImportBytes.
absl::StatusOr<Bytes> EncodeReceiptImport(const ReceiptImport& import);
// InvalidArgument naming the field for anything but a well-formed import.
absl::StatusOr<ReceiptImport> DecodeReceiptImport(ByteSpan bytes);
inline bool IsReceiptImport(ByteSpan entry) {
  return !entry.empty() && entry[0] == kReceiptImportTag;
}

// The imports (one per chunk, in order) that carry commit `checkpoint`'s
// receipts for `destination`: `receipts` are ALL of that commit's receipts
// for it (index order), `destinations` the commit's (destination, dest hash)
// list. InvalidArgument when they do not match or an import would not fit.
absl::StatusOr<std::vector<Bytes>> MakeReceiptImports(
    const consensus::Checkpoint& checkpoint,
    absl::Span<const std::pair<ValidatorIndex, Signature>> signatures, SliceId destination,
    absl::Span<const Receipt> receipts,
    absl::Span<const std::pair<SliceId, Digest>> destinations);

// Everything about an import that does not depend on the destination's
// state: for this chain, from a known other slice to `self`, at least 2f+1
// distinct members of the SOURCE committee signed the checkpoint digest (and
// every signature listed verifies), the receipts are the chunk they claim
// (source, sequence, destination, index, consecutive numbers, amount > 0,
// full chunks but the last) and hash up to the checkpoint's receipts root.
// InvalidArgument / PermissionDenied with the reason otherwise.
absl::Status VerifyReceiptImport(const ReceiptImport& import, const CrossSliceConfig& config,
                                 SliceId self);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_RECEIPT_H_
