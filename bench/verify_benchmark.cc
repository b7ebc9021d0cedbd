// Signature verification and hashing throughput: libsecp256k1 on one core vs.
// the CPU pool (and the GPU backend when built). items/s = verifications/s.
#include <benchmark/benchmark.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/crypto/xonly_key_cache.h"
#include "core/verify/cpu_batch_verifier.h"

namespace gridledger {
namespace {

std::vector<VerifyItem> MakeItems(size_t n) {
  // 64 distinct keys reused: key parsing cost is the same as with unique keys.
  std::vector<KeyPair> keys;
  for (int i = 0; i < 64; ++i) keys.push_back(KeyPair::FromSeed(1000 + i));
  std::vector<VerifyItem> items(n);
  for (size_t i = 0; i < n; ++i) {
    const KeyPair& kp = keys[i % keys.size()];
    Bytes m;
    ByteWriter(&m).U64(i);
    items[i].key = kp.public_key();
    items[i].message = Sha256(m);
    items[i].signature = kp.Sign(items[i].message);
  }
  return items;
}

const std::vector<VerifyItem>& Items(size_t n) {
  static std::vector<VerifyItem> cache;
  if (cache.size() < n) cache = MakeItems(n);
  return cache;
}

void BM_Sha256TxSized(benchmark::State& state) {
  Bytes tx(static_cast<size_t>(state.range(0)), 0xab);
  for (auto _ : state) benchmark::DoNotOptimize(TaggedHashCached(kTagTxId, tx));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256TxSized)->Arg(142)->Arg(256);
BENCHMARK(BM_Sha256TxSized)->Name("BM_Sha256TxSized_smoke")->Arg(142)->Iterations(10);

void BM_VerifySingleCore(benchmark::State& state) {
  const auto& items = Items(1024);
  size_t i = 0;
  for (auto _ : state) {
    const VerifyItem& it = items[i++ % 1024];
    benchmark::DoNotOptimize(SchnorrVerify(it.key, it.message, it.signature));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifySingleCore);
BENCHMARK(BM_VerifySingleCore)->Name("BM_VerifySingleCore_smoke")->Iterations(8);

// The path before the key cache: every verify parses its key (lift_x). The
// ratio to BM_VerifySingleCore, in one run, is what the cache saves.
void BM_VerifySingleCoreParsingKey(benchmark::State& state) {
  const auto& items = Items(1024);
  size_t i = 0;
  for (auto _ : state) {
    const VerifyItem& it = items[i++ % 1024];
    secp256k1_xonly_pubkey xonly;
    bool ok = secp256k1_xonly_pubkey_parse(SecpContext(), &xonly, it.key.data()) == 1;
    ok = ok && secp256k1_schnorrsig_verify(SecpContext(), it.signature.data(),
                                           it.message.data(), 32, &xonly) == 1;
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifySingleCoreParsingKey);
BENCHMARK(BM_VerifySingleCoreParsingKey)->Name("BM_VerifySingleCoreParsingKey_smoke")->Iterations(8);

void BM_ParseXOnlyKey(benchmark::State& state) {
  const auto& items = Items(1024);
  const bool cached = state.range(0) == 1;
  size_t i = 0;
  for (auto _ : state) {
    const PublicKey& key = items[i++ % 64].key;
    secp256k1_xonly_pubkey xonly;
    benchmark::DoNotOptimize(cached ? ParseXOnlyKeyCached(key, &xonly)
                                    : secp256k1_xonly_pubkey_parse(SecpContext(), &xonly,
                                                                   key.data()) == 1);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(cached ? "cached" : "libsecp256k1");
}
BENCHMARK(BM_ParseXOnlyKey)->Arg(0)->Arg(1);

void BM_VerifyCpuPool(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& all = Items(n);
  absl::Span<const VerifyItem> items(all.data(), n);
  static CpuBatchVerifier verifier(0);
  std::vector<uint8_t> results(n);
  for (auto _ : state) {
    auto status = verifier.Verify(items, absl::MakeSpan(results));
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
  }
  for (uint8_t r : results) {
    if (r != 1) state.SkipWithError("valid signature rejected");
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["threads"] = verifier.threads();
}
BENCHMARK(BM_VerifyCpuPool)->Arg(1024)->Arg(16384)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyCpuPool)->Name("BM_VerifyCpuPool_smoke")->Arg(64)->Iterations(2);

}  // namespace
}  // namespace gridledger
