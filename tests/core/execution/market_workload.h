// Test helper: a seeded random market (registrations, tariffs, orders,
// cancels, readings, transfers) as a sequence of blocks with consensus
// times, plus the money invariant every market state must keep. Shared by the
// in-memory and the LMDB tests.
#ifndef GRIDLEDGER_TESTS_CORE_EXECUTION_MARKET_WORKLOAD_H_
#define GRIDLEDGER_TESTS_CORE_EXECUTION_MARKET_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/common/check.h"
#include "core/execution/market_params.h"
#include "core/execution/market_state.h"
#include "core/execution/memory_state.h"
#include "tests/core/execution/block_builder.h"

namespace gridledger::testing {

inline constexpr SliceId kMarketSlice(0);
inline PublicKey DsoKey() { return TestKey(900); }
inline PublicKey ProsumerKey(uint64_t i) { return TestKey(1000 + i); }
inline PublicKey MeterKey(uint64_t i) { return TestKey(2000 + i); }

// Short intervals, as benchmarks use them.
inline MarketConfig TestMarketConfig() {
  MarketConfig c;
  c.dso = DsoKey();
  c.timing = MarketTiming{1000, 200, 1500};
  c.limits.max_open_orders_per_account = 6;
  c.limits.max_orders_per_interval = 40;
  c.limits.max_intervals_ahead = 4;
  return c;
}

inline BlockTx MarketTx(const PublicKey& sender, uint64_t nonce, TxBody body) {
  Transaction tx;
  tx.slice = kMarketSlice;
  tx.nonce = Nonce(nonce);
  tx.sender = sender;
  tx.body = std::move(body);
  return MakeBlockTx(tx);
}

// Sum of balances + open escrow - debt: must equal the genesis supply.
inline int64_t MoneyInCirculation(const MemoryState& state) {
  Overlay overlay(state);
  MarketState market(&overlay);
  __int128 total = 0;
  for (const auto& [ref, acct] : state.SortedAccounts()) total += acct.balance.value();
  total += *market.Meta(MarketMeta::kTotalEscrow);
  total -= *market.Meta(MarketMeta::kTotalDebt);
  return static_cast<int64_t>(total);
}

// Generates blocks against the live state (nonces resync from it).
class MarketWorkload {
 public:
  MarketWorkload(uint64_t seed, uint64_t prosumers) : rng_(seed), prosumers_(prosumers) {}

  // Genesis funding: the DSO and every prosumer.
  uint64_t Fund(MemoryState* state) {
    uint64_t supply = 0;
    auto fund = [&](const PublicKey& k, uint64_t balance) {
      state->SetAccount(AccountRef{kMarketSlice, k}, AccountState{Amount(balance), Nonce(0)});
      supply += balance;
    };
    fund(DsoKey(), 50'000);
    for (uint64_t i = 0; i < prosumers_; ++i) fund(ProsumerKey(i), 100'000 + rng_() % 900'000);
    return supply;
  }

  // The first block: the DSO registers everyone and sets a tariff.
  std::vector<BlockTx> Setup() {
    std::vector<BlockTx> block;
    uint64_t n = 0;
    for (uint64_t i = 0; i < prosumers_; ++i) {
      block.push_back(MarketTx(DsoKey(), n++,
                               RegisterBody{ProsumerKey(i), AccountRole::kProsumer, PublicKey()}));
      block.push_back(
          MarketTx(DsoKey(), n++, RegisterBody{MeterKey(i), AccountRole::kMeter, ProsumerKey(i)}));
    }
    block.push_back(MarketTx(DsoKey(), n++,
                             SetTariffBody{PricePerKwh(20'000), PricePerKwh(300'000),
                                           PricePerKwh(50'000)}));
    return block;
  }

  // The next block at consensus time `now_ms`.
  std::vector<BlockTx> Next(const MemoryState& state, uint64_t now_ms) {
    std::vector<BlockTx> block;
    const uint64_t current = now_ms / 1000;
    auto next_nonce = [&](const PublicKey& k) {
      auto acct = state.GetAccount(AccountRef{kMarketSlice, k});
      GL_CHECK(acct.ok());
      return acct->has_value() ? (*acct)->next_nonce.value() : 0;
    };
    for (uint64_t i = 0; i < prosumers_; ++i) {
      const PublicKey p = ProsumerKey(i);
      const uint64_t roll = rng_() % 10;
      if (roll < 5) {
        const bool bid = rng_() % 2 == 0;
        const uint64_t interval = current + 1 + rng_() % 4;
        const uint64_t price = bid ? 20'000 + rng_() % 100'000 : rng_() % 100'000;
        // Two statements: the order of two rng_() calls in one expression is
        // unspecified, and the sequence must be the same on every build.
        const uint64_t energy_max = rng_() % 16 == 0 ? kMaxEnergyWh : 500;
        const uint64_t energy = 1 + rng_() % energy_max;
        // Now and then a nonce gap: held until a later transaction fills it.
        const uint64_t gap = rng_() % 12 == 0 ? 1 : 0;
        BlockTx tx = MarketTx(p, next_nonce(p) + gap,
                              OrderBody{bid ? OrderSide::kBid : OrderSide::kAsk,
                                        IntervalId(interval), EnergyWh(energy),
                                        PricePerKwh(price)});
        orders_.push_back(tx.id);
        block.push_back(std::move(tx));
      } else if (roll == 5 && !orders_.empty()) {
        block.push_back(MarketTx(p, next_nonce(p), CancelBody{orders_[rng_() % orders_.size()]}));
      } else if (roll == 6) {
        const PublicKey to = ProsumerKey(rng_() % prosumers_);
        if (to != p) {
          block.push_back(MarketTx(p, next_nonce(p),
                                   TransferBody{AccountRef{kMarketSlice, to},
                                                Amount(1 + rng_() % 3'000)}));
        }
      }
      // Meters report the last few intervals (some too early, late, twice).
      if (rng_() % 3 == 0 && current >= 2) {
        const uint64_t interval = current - 1 - rng_() % 3;
        if (interval == 0) continue;
        const PublicKey meter = MeterKey(rng_() % 8 == 0 ? (i + 1) % prosumers_ : i);
        block.push_back(MarketTx(meter, next_nonce(meter),
                                 MeterReadingBody{p, IntervalId(interval),
                                                  EnergyWh(rng_() % 6'000),
                                                  EnergyWh(rng_() % 6'000)}));
      }
    }
    return block;
  }

  // Consensus time advances by 0..400 ms, sometimes "backwards" (an anchor
  // with an earlier median: execution keeps the previous time).
  uint64_t NextTime(uint64_t now_ms) {
    if (rng_() % 10 == 0) return now_ms > 300 ? now_ms - 300 : 0;
    return now_ms + rng_() % 400;
  }

 private:
  std::mt19937_64 rng_;
  uint64_t prosumers_;
  std::vector<TxId> orders_;
};

}  // namespace gridledger::testing

#endif  // GRIDLEDGER_TESTS_CORE_EXECUTION_MARKET_WORKLOAD_H_
