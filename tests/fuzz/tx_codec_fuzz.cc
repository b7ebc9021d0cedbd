// Transaction codec: no input crashes; every accepted envelope re-encodes to
// exactly its bytes (strictness), and the same for unsigned envelopes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/tx/codec.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

std::vector<std::string> Seeds() {
  const KeyPair sender = KeyPair::FromSeed(1);
  const PublicKey other = KeyPair::FromSeed(2).public_key();
  const Digest chain = Sha256(Bytes{'f', 'u', 'z', 'z'});
  std::vector<TxBody> bodies = {
      TransferBody{AccountRef{SliceId(0), other}, Amount(5)},
      OrderBody{OrderSide::kBid, IntervalId(1'900'000), EnergyWh(1000), PricePerKwh(250)},
      CancelBody{Sha256(Bytes{1})},
      MeterReadingBody{other, IntervalId(1'900'000), EnergyWh(10), EnergyWh(20)},
      RegisterBody{other, AccountRole::kProsumer, PublicKey()},
      SetTariffBody{PricePerKwh(10), PricePerKwh(20), PricePerKwh(5)},
  };
  std::vector<std::string> seeds;
  for (TxBody& body : bodies) {
    Transaction tx;
    tx.slice = SliceId(0);
    tx.nonce = Nonce(3);
    tx.sender = sender.public_key();
    tx.body = std::move(body);
    if (!ValidateTransaction(tx).ok()) continue;  // keep only what the codec accepts
    SignTransaction(&tx, sender, chain);
    seeds.push_back(fuzz::SeedOf(Encode(tx)));
    seeds.push_back(fuzz::SeedOf(EncodeUnsigned(tx)));
  }
  return seeds;
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  const ByteSpan bytes(data, size);
  if (auto tx = Decode(bytes); tx.ok()) {
    const Bytes again = Encode(*tx);
    GL_FUZZ_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    GL_FUZZ_ASSERT(ValidateTransaction(*tx).ok());
  }
  if (auto tx = DecodeUnsigned(bytes); tx.ok()) {
    const Bytes again = EncodeUnsigned(*tx);
    GL_FUZZ_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
  }
  return 0;
}
