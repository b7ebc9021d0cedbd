// Checkpoint votes (a peer's frame with tag 12, core/consensus/checkpoint.h)
// and stored final checkpoint records (net/node/checkpoint_store.h): no input
// crashes; every accepted vote re-encodes to exactly its bytes, and every
// accepted record too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/consensus/checkpoint.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "net/node/checkpoint_store.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

std::vector<std::string> Seeds() {
  using namespace consensus;
  std::vector<std::string> seeds;
  CheckpointVote vote;
  vote.checkpoint = Checkpoint{Sha256(Bytes{1}), SliceId(0), 42, Sha256(Bytes{2}), Digest(),
                               Sha256(Bytes{3})};
  vote.signer = ValidatorIndex(1);
  vote.signature = KeyPair::FromSeed(1).Sign(CheckpointDigest(vote.checkpoint));
  seeds.push_back(fuzz::SeedOf(EncodeCheckpointVote(vote)));
  node::SignedCheckpoint final_checkpoint;
  final_checkpoint.checkpoint = vote.checkpoint;
  final_checkpoint.signatures = {{ValidatorIndex(0), vote.signature},
                                 {ValidatorIndex(1), vote.signature},
                                 {ValidatorIndex(3), vote.signature}};
  seeds.push_back(fuzz::SeedOf(node::EncodeSignedCheckpoint(final_checkpoint)));
  return seeds;
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  const ByteSpan in(data, size);
  auto vote = consensus::DecodeCheckpointVote(in);
  if (vote.ok()) {
    const Bytes again = consensus::EncodeCheckpointVote(*vote);
    GL_FUZZ_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
  }
  auto record = node::DecodeSignedCheckpoint(in);
  if (record.ok()) {
    const Bytes again = node::EncodeSignedCheckpoint(*record);
    GL_FUZZ_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
  }
  return 0;
}
