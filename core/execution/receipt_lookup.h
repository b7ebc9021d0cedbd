// Which receipt a committed cross-slice TRANSFER emitted, so a client can
// follow it from "debited, receipt pending" at the source to "credited" at
// the destination (GetTransaction). Found from the committed state alone:
// the commit's destinations ('q'), then, per destination, a binary search
// over the receipt numbers (they rise with the commit sequence) for the
// commit's first receipt and a scan of at most kMaxReceiptsPerDestination.
#ifndef GRIDLEDGER_CORE_EXECUTION_RECEIPT_LOOKUP_H_
#define GRIDLEDGER_CORE_EXECUTION_RECEIPT_LOOKUP_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "core/common/types.h"
#include "core/execution/receipt.h"
#include "core/execution/state_view.h"

namespace gridledger {

// The receipt that transaction `tx`, executed in commit `sequence`, emitted;
// nullopt when that commit emitted none for it. Errors: storage faults and
// DataLoss for corrupt records.
absl::StatusOr<std::optional<Receipt>> FindReceiptOfTx(const StateView& state, uint64_t sequence,
                                                       const TxId& tx);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_RECEIPT_LOOKUP_H_
