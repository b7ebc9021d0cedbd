// Where cross-slice receipts live in the slice's state: ordered key-value
// records beside the market's (core/execution/market_state.h), so they are
// written in the commit's single write, covered by the state root and the
// state summary, held by MemoryState and restored by a snapshot with no table
// of their own. Tags are lowercase letters the market does not use.
//
//   'r' destination u32 | number u64   Receipt (receipt.h)   outgoing, kept
//   's' destination u32                ReceiptCounter: next outgoing number,
//                                      amount sent so far (absent: 1, 0)
//   'q' sequence u64                   n u16 | n x (destination u32 | dest hash 32)
//                                      the commit's receipts by destination
//   'c' source u32                     ReceiptCounter: next incoming number to
//                                      credit, amount credited so far (absent: 1, 0)
//
// A receipt from source S numbered k is credited at its destination exactly
// when that destination's 'c' S record is above k; so "receipts in flight"
// are the outgoing ones numbered at or above the destination's 'c'. The
// amounts let each slice check its own money alone: balances + escrow - debt
// + sent - credited = its genesis supply.
#ifndef GRIDLEDGER_CORE_EXECUTION_RECEIPT_RECORDS_H_
#define GRIDLEDGER_CORE_EXECUTION_RECEIPT_RECORDS_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/execution/overlay.h"
#include "core/execution/receipt.h"
#include "core/execution/state_view.h"

namespace gridledger {

Bytes OutReceiptKey(SliceId destination, uint64_t number);
Bytes NextOutKey(SliceId destination);
Bytes CommitReceiptsKey(uint64_t sequence);
Bytes NextInKey(SliceId source);

// next u64 | amount u64.
struct ReceiptCounter {
  uint64_t next = 1;
  uint64_t amount = 0;
  bool operator==(const ReceiptCounter&) const = default;
};
Bytes EncodeCounter(const ReceiptCounter& counter);
Bytes EncodeDestinationHashes(absl::Span<const std::pair<SliceId, Digest>> hashes);
// DataLoss for a corrupt record.
absl::StatusOr<ReceiptCounter> DecodeCounter(ByteSpan value);
absl::StatusOr<std::vector<std::pair<SliceId, Digest>>> DecodeDestinationHashes(ByteSpan value);

// Readers over a committed state (relay, queries, totals). Errors: storage
// faults and DataLoss for corrupt records.
// The next receipt number `destination` needs from `source` (1: none yet).
absl::StatusOr<uint64_t> NextIncoming(const StateView& state, SliceId source);
// The next number this slice will give a receipt for `destination`.
absl::StatusOr<uint64_t> NextOutgoing(const StateView& state, SliceId destination);
absl::StatusOr<std::optional<Receipt>> OutgoingReceipt(const StateView& state,
                                                       SliceId destination, uint64_t number);
// Up to `limit` outgoing receipts for `destination` numbered >= first, ascending.
absl::StatusOr<std::vector<Receipt>> OutgoingReceiptsFrom(const StateView& state,
                                                          SliceId destination, uint64_t first,
                                                          size_t limit);
// The commit's (destination, dest hash) list; empty when it had no receipts.
absl::StatusOr<std::vector<std::pair<SliceId, Digest>>> CommitDestinations(
    const StateView& state, uint64_t sequence);
// Sum of amounts of the outgoing receipts for `destination` numbered >= first.
absl::StatusOr<uint64_t> OutgoingAmountFrom(const StateView& state, SliceId destination,
                                            uint64_t first);

// The same reads inside a block (through the executor's overlay).
absl::StatusOr<ReceiptCounter> ReadCounter(const Overlay& overlay, const Bytes& key);

// This slice's receipt totals over every other slice (counts are numbers
// given or credited; amounts in micro-units).
struct ReceiptTotals {
  uint64_t sent = 0;
  uint64_t sent_amount = 0;
  uint64_t credited = 0;
  uint64_t credited_amount = 0;
};
absl::StatusOr<ReceiptTotals> ReadReceiptTotals(const StateView& state);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_RECEIPT_RECORDS_H_
