#include "core/execution/market_clearing.h"

#include <algorithm>

namespace gridledger {

ClearingResult ClearBook(const std::vector<BookOrder>& book) {
  std::vector<BookOrder> bids;
  std::vector<BookOrder> asks;
  for (const BookOrder& o : book) (o.side == OrderSide::kBid ? bids : asks).push_back(o);
  std::sort(bids.begin(), bids.end(), [](const BookOrder& a, const BookOrder& b) {
    return a.price_per_kwh != b.price_per_kwh ? a.price_per_kwh > b.price_per_kwh : a.seq < b.seq;
  });
  std::sort(asks.begin(), asks.end(), [](const BookOrder& a, const BookOrder& b) {
    return a.price_per_kwh != b.price_per_kwh ? a.price_per_kwh < b.price_per_kwh : a.seq < b.seq;
  });
  ClearingResult out;
  size_t i = 0;
  size_t j = 0;
  uint64_t bid_left = bids.empty() ? 0 : bids[0].energy_wh;
  uint64_t ask_left = asks.empty() ? 0 : asks[0].energy_wh;
  uint64_t last_bid_price = 0;
  uint64_t last_ask_price = 0;
  while (i < bids.size() && j < asks.size() &&
         bids[i].price_per_kwh >= asks[j].price_per_kwh) {
    const uint64_t q = std::min(bid_left, ask_left);
    out.trades.push_back(ClearingTrade{bids[i].seq, asks[j].seq, q});
    out.cleared_wh += q;
    last_bid_price = bids[i].price_per_kwh;
    last_ask_price = asks[j].price_per_kwh;
    bid_left -= q;
    ask_left -= q;
    if (bid_left == 0 && ++i < bids.size()) bid_left = bids[i].energy_wh;
    if (ask_left == 0 && ++j < asks.size()) ask_left = asks[j].energy_wh;
  }
  if (!out.trades.empty()) out.price_per_kwh = (last_bid_price + last_ask_price) / 2;
  return out;
}

}  // namespace gridledger
