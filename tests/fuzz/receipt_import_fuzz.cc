// Cross-slice receipt imports (core/execution/receipt.h): the bytes a
// relaying validator of another slice sends over gridledger.v1.Receipts and
// that travel as batch entries, and the receipt records the slice keeps
// (receipt_records.h). No input crashes; an accepted import re-encodes to
// exactly its bytes and then goes through VerifyReceiptImport against a
// fixed two-slice config (the seeds are signed for it, so the fuzzer reaches
// the hash and signature checks); accepted records re-encode to their bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/execution/receipt.h"
#include "core/execution/receipt_records.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

constexpr size_t kCommitteeSize = 4;

// Slice 0 sends to slice 1; slice 0's committee are seeds 1..4.
const CrossSliceConfig& Config() {
  static const CrossSliceConfig config = [] {
    CrossSliceConfig c;
    c.chain_id = Sha256(Bytes{7});
    for (uint64_t slice = 0; slice < 2; ++slice) {
      std::vector<PublicKey> keys;
      for (uint64_t i = 0; i < kCommitteeSize; ++i) {
        keys.push_back(KeyPair::FromSeed(1 + slice * kCommitteeSize + i).public_key());
      }
      c.committees.push_back(std::move(keys));
    }
    return c;
  }();
  return config;
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const CrossSliceConfig& config = Config();
  for (size_t count : {size_t{1}, size_t{3}, kReceiptsPerChunk + 2}) {
    std::vector<Receipt> receipts;
    for (size_t i = 0; i < count; ++i) {
      Receipt r;
      r.source = SliceId(0);
      r.sequence = 9;
      r.index = static_cast<uint32_t>(i);
      r.number = 5 + i;
      r.destination = SliceId(1);
      r.to = KeyPair::FromSeed(100 + i).public_key();
      r.amount = Amount(1000 + i);
      r.source_tx = Sha256(Bytes{static_cast<uint8_t>(i)});
      receipts.push_back(r);
    }
    // Another destination beside ours, so `others` is not empty.
    const std::vector<std::pair<SliceId, Digest>> destinations = {
        {SliceId(1), DestinationHash(SliceId(1), ReceiptChunkHashes(receipts))},
        {SliceId(3), Sha256(Bytes{3})}};
    consensus::Checkpoint checkpoint{config.chain_id, SliceId(0), 9, Sha256(Bytes{2}),
                                     ReceiptsRootOf(destinations)};
    std::vector<std::pair<ValidatorIndex, Signature>> signatures;
    for (uint32_t i = 0; i < 3; ++i) {
      signatures.emplace_back(ValidatorIndex(i), KeyPair::FromSeed(1 + i).Sign(
                                                     consensus::CheckpointDigest(checkpoint)));
    }
    auto imports = MakeReceiptImports(checkpoint, signatures, SliceId(1), receipts, destinations);
    if (!imports.ok()) std::abort();
    for (const Bytes& b : *imports) {
      // The seeds must verify, or the fuzzer never reaches the signature checks.
      auto decoded = DecodeReceiptImport(b);
      if (!decoded.ok() || !VerifyReceiptImport(*decoded, config, SliceId(1)).ok()) std::abort();
      seeds.push_back(fuzz::SeedOf(b));
    }
  }
  seeds.push_back(fuzz::SeedOf(EncodeCounter(ReceiptCounter{3, 5000})));
  seeds.push_back(fuzz::SeedOf(
      EncodeDestinationHashes({{SliceId(1), Sha256(Bytes{1})}, {SliceId(2), Sha256(Bytes{2})}})));
  return seeds;
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  using fuzz::SameBytes;
  const ByteSpan in(data, size);
  auto import = DecodeReceiptImport(in);
  if (import.ok()) {
    auto again = EncodeReceiptImport(*import);
    GL_FUZZ_ASSERT(again.ok() && SameBytes(*again, data, size));
    // Verification reads what decoding bounded (chunk, receipts): data, never an abort.
    (void)VerifyReceiptImport(*import, Config(), SliceId(1));
    (void)VerifyReceiptImport(*import, Config(), import->destination);
  }
  auto counter = DecodeCounter(in);
  if (counter.ok()) GL_FUZZ_ASSERT(SameBytes(EncodeCounter(*counter), data, size));
  auto hashes = DecodeDestinationHashes(in);
  if (hashes.ok()) GL_FUZZ_ASSERT(SameBytes(EncodeDestinationHashes(*hashes), data, size));
  return 0;
}
