// The validator Auth message alone (net/transport/peer_auth.h): strict decode
// round-trips, and verification of any decoded Auth against a fixed session
// never crashes and never succeeds for a key that did not sign.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "net/transport/peer_auth.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

net::ChannelBinding Binding() {
  net::ChannelBinding b;
  b.fill(0x5c);
  return b;
}

std::vector<std::string> Seeds() {
  const Digest chain = Sha256(Bytes{'a', 'u', 't', 'h'});
  const KeyPair me = KeyPair::FromSeed(31);
  const PublicKey peer = KeyPair::FromSeed(32).public_key();
  std::vector<std::string> seeds;
  for (net::PeerRole role : {net::PeerRole::kClient, net::PeerRole::kServer}) {
    seeds.push_back(
        fuzz::SeedOf(net::EncodePeerAuth(net::SignPeerAuth(me, Binding(), chain, peer, role))));
  }
  return seeds;
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  auto auth = net::DecodePeerAuth(ByteSpan(data, size));
  if (!auth.ok()) return 0;
  const Bytes again = net::EncodePeerAuth(*auth);
  GL_FUZZ_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
  // Only KeyPair::FromSeed(31) ever signed for this binding: any other key
  // must fail, whatever the fuzzer put in the signature.
  const PublicKey verifier = KeyPair::FromSeed(32).public_key();
  if (auth->key != KeyPair::FromSeed(31).public_key()) {
    GL_FUZZ_ASSERT(!net::VerifyPeerAuth(*auth, Binding(), auth->chain_id, verifier,
                                        net::PeerRole::kClient));
  }
  return 0;
}
