// Clearing (issue 10 item 5) against an independent brute-force reference:
// the reference never sorts; each step scans every remaining order for the
// best bid (highest price, then lowest sequence) and the best ask (lowest
// price, then lowest sequence), exactly as the rule is worded.
#include "core/execution/market_clearing.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace gridledger {
namespace {

ClearingResult Reference(const std::vector<BookOrder>& book) {
  std::vector<uint64_t> left;
  for (const BookOrder& o : book) left.push_back(o.energy_wh);
  auto best = [&](OrderSide side) -> int {
    int pick = -1;
    for (size_t i = 0; i < book.size(); ++i) {
      if (book[i].side != side || left[i] == 0) continue;
      if (pick < 0) {
        pick = static_cast<int>(i);
        continue;
      }
      const BookOrder& a = book[i];
      const BookOrder& b = book[pick];
      const bool better = side == OrderSide::kBid
                              ? (a.price_per_kwh > b.price_per_kwh ||
                                 (a.price_per_kwh == b.price_per_kwh && a.seq < b.seq))
                              : (a.price_per_kwh < b.price_per_kwh ||
                                 (a.price_per_kwh == b.price_per_kwh && a.seq < b.seq));
      if (better) pick = static_cast<int>(i);
    }
    return pick;
  };
  ClearingResult out;
  uint64_t last_bid = 0;
  uint64_t last_ask = 0;
  for (;;) {
    const int b = best(OrderSide::kBid);
    const int a = best(OrderSide::kAsk);
    if (b < 0 || a < 0 || book[b].price_per_kwh < book[a].price_per_kwh) break;
    const uint64_t q = std::min(left[b], left[a]);
    left[b] -= q;
    left[a] -= q;
    out.trades.push_back(ClearingTrade{book[b].seq, book[a].seq, q});
    out.cleared_wh += q;
    last_bid = book[b].price_per_kwh;
    last_ask = book[a].price_per_kwh;
  }
  if (!out.trades.empty()) out.price_per_kwh = (last_bid + last_ask) / 2;
  return out;
}

TEST(MarketClearingTest, WorkedExample) {
  // Bids 100 Wh @ 300, 50 Wh @ 200; asks 80 Wh @ 100, 100 Wh @ 250.
  const std::vector<BookOrder> book = {{1, OrderSide::kBid, 100, 300},
                                       {2, OrderSide::kBid, 50, 200},
                                       {3, OrderSide::kAsk, 80, 100},
                                       {4, OrderSide::kAsk, 100, 250}};
  const ClearingResult r = ClearBook(book);
  // 80 Wh bid1<-ask3, then 20 Wh bid1<-ask4 (300 >= 250), then bid2 200 < 250.
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_EQ(r.trades[0], (ClearingTrade{1, 3, 80}));
  EXPECT_EQ(r.trades[1], (ClearingTrade{1, 4, 20}));
  EXPECT_EQ(r.cleared_wh, 100u);
  EXPECT_EQ(r.price_per_kwh, std::optional<uint64_t>((300 + 250) / 2));
}

TEST(MarketClearingTest, NothingCrossesOrOneSidedBooksClearNothing) {
  EXPECT_EQ(ClearBook({}), ClearingResult{});
  EXPECT_EQ(ClearBook({{1, OrderSide::kBid, 10, 5}}), ClearingResult{});
  EXPECT_EQ(ClearBook({{1, OrderSide::kAsk, 10, 5}, {2, OrderSide::kAsk, 10, 0}}),
            ClearingResult{});
  EXPECT_EQ(ClearBook({{1, OrderSide::kBid, 10, 4}, {2, OrderSide::kAsk, 10, 5}}),
            ClearingResult{});
}

TEST(MarketClearingTest, EqualPricesTradeInSequenceOrderAndBothExhaustTogether) {
  const ClearingResult r = ClearBook({{7, OrderSide::kBid, 10, 50},
                                      {3, OrderSide::kBid, 10, 50},
                                      {9, OrderSide::kAsk, 10, 50},
                                      {4, OrderSide::kAsk, 10, 50}});
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_EQ(r.trades[0], (ClearingTrade{3, 4, 10}));
  EXPECT_EQ(r.trades[1], (ClearingTrade{7, 9, 10}));
  EXPECT_EQ(r.price_per_kwh, std::optional<uint64_t>(50));
}

TEST(MarketClearingTest, MatchesTheBruteForceReferenceOnRandomBooks) {
  std::mt19937_64 rng(2026);
  size_t crossed = 0;
  for (int trial = 0; trial < 12'000; ++trial) {
    const size_t n = rng() % 24;
    // Few distinct prices force ties; some books use the extreme bounds.
    const bool extreme = trial % 10 == 0;
    const uint64_t price_range = 1 + rng() % 6;
    std::vector<BookOrder> book;
    std::vector<uint64_t> seqs(n);
    for (size_t i = 0; i < n; ++i) seqs[i] = i * 3 + rng() % 3;
    std::shuffle(seqs.begin(), seqs.end(), rng);
    const uint64_t one_sided = rng() % 8;  // 0: bids only, 1: asks only
    for (size_t i = 0; i < n; ++i) {
      BookOrder o;
      o.seq = seqs[i];
      o.side = one_sided == 0 ? OrderSide::kBid
               : one_sided == 1 ? OrderSide::kAsk
                                : (rng() % 2 ? OrderSide::kBid : OrderSide::kAsk);
      o.energy_wh = extreme ? (rng() % 2 ? kMaxEnergyWh : 1) : 1 + rng() % 50;
      o.price_per_kwh = extreme ? (rng() % 2 ? kMaxPricePerKwh : 0)
                                : 100 * (rng() % price_range);
      if (o.side == OrderSide::kBid && o.price_per_kwh == 0) o.price_per_kwh = 1;
      book.push_back(o);
    }
    const ClearingResult got = ClearBook(book);
    ASSERT_EQ(got, Reference(book)) << "trial " << trial;
    if (got.price_per_kwh.has_value()) ++crossed;
  }
  EXPECT_GT(crossed, 3'000u);  // the books really exercised trading
}

}  // namespace
}  // namespace gridledger
