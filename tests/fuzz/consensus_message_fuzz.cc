// Consensus message codec (what a peer's frame payload decodes to): no input
// crashes or allocates past the bounds; every accepted message re-encodes to
// exactly its bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/consensus/committee.h"
#include "core/consensus/messages.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

std::vector<std::string> Seeds() {
  using namespace consensus;
  std::vector<std::string> seeds;
  Batch batch;
  batch.slice = SliceId(0);
  batch.author = ValidatorIndex(1);
  batch.transactions = {Bytes(120, 0xab), Bytes(7, 0x01)};
  seeds.push_back(fuzz::SeedOf(EncodeMessage(Message{batch})));
  Header header;
  header.slice = SliceId(0);
  header.round = Round(3);
  header.author = ValidatorIndex(2);
  header.parents = {Sha256(Bytes{1}), Sha256(Bytes{2}), Sha256(Bytes{3})};
  std::sort(header.parents.begin(), header.parents.end());
  header.batches = {BatchDigest(batch)};
  seeds.push_back(fuzz::SeedOf(EncodeMessage(Message{header})));
  Certificate cert;
  cert.header = header;
  seeds.push_back(fuzz::SeedOf(EncodeMessage(Message{cert})));
  seeds.push_back(fuzz::SeedOf(
      EncodeMessage(Message{CertificateRequest{{Sha256(Bytes{9})}, Round(1), Round(4)}})));
  seeds.push_back(fuzz::SeedOf(EncodeMessage(Message{BatchRequest{{Sha256(Bytes{8})}}})));
  seeds.push_back(fuzz::SeedOf(EncodeMessage(Message{BatchResponse{{batch}}})));
  seeds.push_back(fuzz::SeedOf(EncodeMessage(Message{CertificateResponse{{cert}}})));
  return seeds;
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  auto message = consensus::DecodeMessage(ByteSpan(data, size));
  if (message.ok()) {
    const Bytes again = consensus::EncodeMessage(*message);
    GL_FUZZ_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
  }
  return 0;
}
