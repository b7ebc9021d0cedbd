// Parsing a large genesis (issue 14: 200,000 accounts took 1.5 s and 220 MB
// as [[account]] tables): the compact `accounts` string against the tables,
// the same accounts. Keys are derived once, outside the timing.
#include <benchmark/benchmark.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/execution/genesis.h"

namespace gridledger {
namespace {

Genesis Large(int64_t accounts) {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  g.slices.push_back(GenesisSlice{SliceId(0), {GenesisValidator{KeyPair::FromSeed(2).public_key(),
                                                                "127.0.0.1", 7001}}});
  for (int64_t a = 0; a < accounts; ++a) {
    g.accounts.push_back(GenesisAccount{
        AccountRef{SliceId(0), KeyPair::FromSeed(10'000 + static_cast<uint64_t>(a)).public_key()},
        Amount(1'000'000)});
  }
  return g;
}

// The same Genesis as [[account]] tables (what SerializeGenesis writes at or
// below kCompactAccountsAbove accounts).
std::string AsTables(const Genesis& g) {
  std::string out = absl::StrCat("version = 2\ndso = \"", g.dso.Hex(), "\"\n[[slice]]\nid = 0\n",
                                 "[[slice.validator]]\nindex = 0\nkey = \"",
                                 g.slices[0].validators[0].key.Hex(),
                                 "\"\naddress = \"127.0.0.1:7001\"\n");
  for (const GenesisAccount& a : g.accounts) {
    absl::StrAppend(&out, "\n[[account]]\nslice = 0\nkey = \"", a.account.key.Hex(),
                    "\"\nbalance = ", a.balance.value(), "\n");
  }
  return out;
}

void Parse(benchmark::State& state, bool compact) {
  const Genesis g = Large(state.range(0));
  const std::string text = compact ? SerializeGenesis(g) : AsTables(g);
  for (auto _ : state) {
    auto parsed = ParseGenesis(text);
    GL_CHECK(parsed.ok() && parsed->accounts.size() == g.accounts.size());
    benchmark::DoNotOptimize(parsed);
  }
  state.counters["text_bytes"] = static_cast<double>(text.size());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_GenesisParseCompact(benchmark::State& state) { Parse(state, true); }
void BM_GenesisParseTables(benchmark::State& state) { Parse(state, false); }
BENCHMARK(BM_GenesisParseCompact)->Arg(20'000)->Arg(200'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GenesisParseTables)->Arg(20'000)->Arg(200'000)->Unit(benchmark::kMillisecond);

void BM_GenesisParseCompact_smoke(benchmark::State& state) { Parse(state, true); }
BENCHMARK(BM_GenesisParseCompact_smoke)->Arg(kCompactAccountsAbove + 1);

}  // namespace
}  // namespace gridledger
