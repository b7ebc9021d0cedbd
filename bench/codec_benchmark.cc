// Transaction codec throughput: encode and strict decode of a signed TRANSFER.
// items/s = transactions/s. Decode includes the recipient-key curve check.
#include <benchmark/benchmark.h>

#include "core/crypto/schnorr.h"
#include "core/tx/codec.h"

namespace gridledger {
namespace {

const Transaction& SampleTransfer() {
  static const Transaction tx = [] {
    KeyPair sender = KeyPair::FromSeed(11);
    Transaction t;
    t.slice = SliceId(1);
    t.nonce = Nonce(7);
    t.sender = sender.public_key();
    t.body = TransferBody{AccountRef{SliceId(2), KeyPair::FromSeed(12).public_key()},
                          Amount(1'000'000)};
    SignTransaction(&t, sender, Digest());  // the all-zero chain id: a benchmark network
    return t;
  }();
  return tx;
}

void BM_EncodeTransfer(benchmark::State& state) {
  const Transaction& tx = SampleTransfer();
  for (auto _ : state) benchmark::DoNotOptimize(Encode(tx));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeTransfer);
BENCHMARK(BM_EncodeTransfer)->Name("BM_EncodeTransfer_smoke")->Iterations(100);

void BM_DecodeTransfer(benchmark::State& state) {
  const Bytes bytes = Encode(SampleTransfer());
  for (auto _ : state) {
    auto tx = Decode(bytes);
    if (!tx.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(tx);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_DecodeTransfer);
BENCHMARK(BM_DecodeTransfer)->Name("BM_DecodeTransfer_smoke")->Iterations(100);

}  // namespace
}  // namespace gridledger
