#include "core/execution/receipt_lookup.h"

#include <utility>
#include <vector>

#include "core/common/status_macros.h"
#include "core/execution/receipt_records.h"

namespace gridledger {
namespace {

// The lowest receipt number for `destination` whose commit sequence is at
// least `sequence` (NextOutgoing when there is none).
absl::StatusOr<uint64_t> FirstNumberAtOrAfter(const StateView& state, SliceId destination,
                                              uint64_t sequence) {
  uint64_t lo = 1;
  GL_ASSIGN_OR_RETURN(uint64_t hi, NextOutgoing(state, destination));
  while (lo < hi) {  // invariant: the answer is in [lo, hi]
    const uint64_t mid = lo + (hi - lo) / 2;
    GL_ASSIGN_OR_RETURN(std::optional<Receipt> r, OutgoingReceipt(state, destination, mid));
    if (!r.has_value()) return absl::DataLossError("receipt numbers have a gap");
    if (r->sequence < sequence) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

absl::StatusOr<std::optional<Receipt>> FindReceiptOfTx(const StateView& state, uint64_t sequence,
                                                       const TxId& tx) {
  GL_ASSIGN_OR_RETURN(auto destinations, CommitDestinations(state, sequence));
  for (const auto& [destination, hash] : destinations) {
    GL_ASSIGN_OR_RETURN(uint64_t first, FirstNumberAtOrAfter(state, destination, sequence));
    GL_ASSIGN_OR_RETURN(std::vector<Receipt> receipts,
                        OutgoingReceiptsFrom(state, destination, first,
                                             kMaxReceiptsPerDestination));
    for (const Receipt& r : receipts) {
      if (r.sequence != sequence) break;
      if (r.source_tx == tx) return r;
    }
  }
  return std::optional<Receipt>();
}

}  // namespace gridledger
