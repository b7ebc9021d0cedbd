// LtHash16 (core/crypto/lthash.h): the per-entry cost of the state root
// (issue 12: CPU that is not signature checking). items/s = elements hashed.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/common/bytes.h"
#include "core/crypto/lthash.h"

namespace gridledger {
namespace {

// State elements are 60-250 bytes (an account is ~60, a tx record ~200).
std::vector<Bytes> MakeElements(size_t n, size_t size) {
  std::vector<Bytes> out(n, Bytes(size, 0));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < 8; ++j) out[i][j] = static_cast<uint8_t>(i >> (8 * j));
  }
  return out;
}

void BM_LtHashAdd(benchmark::State& state) {
  const std::vector<Bytes> elements = MakeElements(256, static_cast<size_t>(state.range(0)));
  LtHash16 h;
  size_t i = 0;
  for (auto _ : state) {
    h.Add(elements[i++ % elements.size()]);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LtHashAdd)->Arg(64)->Arg(200);

// An entry overwritten: the old element out, the new one in.
void BM_LtHashReplace(benchmark::State& state) {
  const std::vector<Bytes> elements = MakeElements(256, 64);
  LtHash16 h;
  size_t i = 0;
  for (auto _ : state) {
    const Bytes& old_element = elements[i % elements.size()];
    const Bytes& new_element = elements[(i + 1) % elements.size()];
    ++i;
    const ByteSpan old_span(old_element);
    const ByteSpan new_span(new_element);
    h.ReplaceParts({&old_span, 1}, {&new_span, 1});
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_LtHashReplace);

void BM_LtHashAdd_smoke(benchmark::State& state) {
  const std::vector<Bytes> elements = MakeElements(4, 64);
  LtHash16 h;
  for (auto _ : state) {
    for (const Bytes& e : elements) h.Add(e);
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_LtHashAdd_smoke)->Iterations(8);

}  // namespace
}  // namespace gridledger
