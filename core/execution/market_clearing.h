// Pay-as-clear double auction for one interval's book (issue 10, item 5).
// Bids sort by price descending then sequence ascending; asks by price
// ascending then sequence ascending. While the best remaining bid's price >=
// the best remaining ask's price, they trade q = min(remaining bid, remaining
// ask) and the walk moves past whichever is exhausted (both if both). The
// uniform price is floor((last traded bid price + last traded ask price) / 2).
// Sequences are unique per book, so the order is total: the result is a pure
// function of the book.
#ifndef GRIDLEDGER_CORE_EXECUTION_MARKET_CLEARING_H_
#define GRIDLEDGER_CORE_EXECUTION_MARKET_CLEARING_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "core/tx/transaction.h"

namespace gridledger {

struct BookOrder {
  uint64_t seq = 0;  // unique in the book: tie-break after price
  OrderSide side = OrderSide::kBid;
  uint64_t energy_wh = 0;
  uint64_t price_per_kwh = 0;  // micro-units per kWh
  bool operator==(const BookOrder&) const = default;
};

struct ClearingTrade {
  uint64_t bid_seq = 0;
  uint64_t ask_seq = 0;
  uint64_t energy_wh = 0;
  bool operator==(const ClearingTrade&) const = default;
};

struct ClearingResult {
  std::optional<uint64_t> price_per_kwh;  // nullopt when nothing crosses
  uint64_t cleared_wh = 0;
  std::vector<ClearingTrade> trades;  // in walk order
  bool operator==(const ClearingResult&) const = default;
};

// Energies and prices within the codec bounds (kMaxEnergyWh,
// kMaxPricePerKwh) and at most 2^32 orders keep every sum inside uint64.
ClearingResult ClearBook(const std::vector<BookOrder>& book);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_MARKET_CLEARING_H_
