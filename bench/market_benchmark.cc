// The market's execution cost (issue 10): the pay-as-clear auction alone on
// one interval's book (1k and 100k orders), an interval cleared inside a
// block over MemoryState (records read, trades paid, records written), and
// the CPU per executed ORDER (a block of bids over MemoryState).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "core/common/check.h"
#include "core/crypto/sha256.h"
#include "core/execution/executor.h"
#include "core/execution/market_clearing.h"
#include "core/execution/memory_state.h"
#include "core/tx/codec.h"

namespace gridledger {
namespace {

constexpr SliceId kSlice(0);

PublicKey Key(uint64_t n) {
  Bytes seed;
  ByteWriter(&seed).U64(n ^ 0x6d61726b6574ULL);
  return PublicKey(Sha256(seed).bytes);
}

std::vector<BookOrder> RandomBook(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<BookOrder> book;
  book.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const bool bid = rng() % 2 == 0;
    book.push_back(BookOrder{i, bid ? OrderSide::kBid : OrderSide::kAsk, 1 + rng() % 10'000,
                             (bid ? 40'000 : 20'000) + rng() % 100'000});
  }
  return book;
}

void BM_MarketClearBook(benchmark::State& state) {
  const std::vector<BookOrder> book = RandomBook(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) benchmark::DoNotOptimize(ClearBook(book));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MarketClearBook)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_MarketClearBook_smoke(benchmark::State& state) {
  const std::vector<BookOrder> book = RandomBook(100, 2);
  for (auto _ : state) benchmark::DoNotOptimize(ClearBook(book));
}
BENCHMARK(BM_MarketClearBook_smoke);

BlockTx Tx(const PublicKey& sender, uint64_t nonce, TxBody body) {
  Transaction tx;
  tx.slice = kSlice;
  tx.nonce = Nonce(nonce);
  tx.sender = sender;
  tx.body = std::move(body);
  BlockTx b;
  b.tx = tx;
  b.raw = Encode(tx);
  b.id = ComputeTxId(b.raw);
  return b;
}

MarketConfig BenchConfig() {
  MarketConfig c;
  c.dso = Key(0);
  c.timing = MarketTiming{1000, 200, 1000};
  return c;
}

// `accounts` prosumers registered, funded, each with `per_account` orders
// for interval 5 (half the accounts bid, half ask), executed at t = 0.
MemoryState MarketWithBook(const Executor& executor, size_t accounts, size_t per_account) {
  MemoryState state;
  state.SetAccount(AccountRef{kSlice, Key(0)}, AccountState{Amount(0), Nonce(0)});
  for (size_t a = 1; a <= accounts; ++a) {
    state.SetAccount(AccountRef{kSlice, Key(a)}, AccountState{Amount(uint64_t{1} << 40), Nonce(0)});
  }
  std::vector<BlockTx> setup;
  for (size_t a = 1; a <= accounts; ++a) {
    setup.push_back(Tx(Key(0), a - 1, RegisterBody{Key(a), AccountRole::kProsumer, PublicKey()}));
  }
  auto out = executor.ExecuteBlock(state, setup, 0);
  GL_CHECK(out.ok());
  state.Apply(*out);
  std::mt19937_64 rng(3);
  std::vector<BlockTx> orders;
  for (size_t a = 1; a <= accounts; ++a) {
    const bool bid = a % 2 == 0;
    for (size_t k = 0; k < per_account; ++k) {
      orders.push_back(Tx(Key(a), k,
                          OrderBody{bid ? OrderSide::kBid : OrderSide::kAsk, IntervalId(5),
                                    EnergyWh(1 + rng() % 10'000),
                                    PricePerKwh((bid ? 40'000 : 20'000) + rng() % 100'000)}));
    }
  }
  out = executor.ExecuteBlock(state, orders, 0);
  GL_CHECK(out.ok());
  for (const TxResult& r : out->results) GL_CHECK(r.ok());
  state.Apply(*out);
  return state;
}

// One block at interval 5's gate: the whole clearing as execution runs it.
void BM_MarketClearIntervalInBlock(benchmark::State& state) {
  const Executor executor(kSlice, {}, BenchConfig());
  const size_t per_account = 50;
  const MemoryState market =
      MarketWithBook(executor, static_cast<size_t>(state.range(0)) / per_account, per_account);
  for (auto _ : state) {
    auto out = executor.ExecuteBlock(market, {}, 4'800);
    GL_CHECK(out.ok());
    benchmark::DoNotOptimize(out->state_summary);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MarketClearIntervalInBlock)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond);

// CPU per executed ORDER: a block of `n` bids from registered prosumers.
void BM_MarketExecuteOrders(benchmark::State& state) {
  const Executor executor(kSlice, {}, BenchConfig());
  const size_t n = static_cast<size_t>(state.range(0));
  const MemoryState market = MarketWithBook(executor, n, 0);
  std::vector<BlockTx> orders;
  for (size_t a = 1; a <= n; ++a) {
    orders.push_back(Tx(Key(a), 0,
                        OrderBody{OrderSide::kBid, IntervalId(6), EnergyWh(1'000),
                                  PricePerKwh(50'000)}));
  }
  for (auto _ : state) {
    auto out = executor.ExecuteBlock(market, orders, 0);
    GL_CHECK(out.ok() && out->results.back().ok());
    benchmark::DoNotOptimize(out->state_summary);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_MarketExecuteOrders)->Arg(1'000);

void BM_MarketClearIntervalInBlock_smoke(benchmark::State& state) {
  const Executor executor(kSlice, {}, BenchConfig());
  const MemoryState market = MarketWithBook(executor, 20, 2);
  for (auto _ : state) benchmark::DoNotOptimize(executor.ExecuteBlock(market, {}, 4'800));
}
BENCHMARK(BM_MarketClearIntervalInBlock_smoke);

}  // namespace
}  // namespace gridledger
