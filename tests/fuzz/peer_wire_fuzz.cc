// What a peer's bytes meet after TLS, in order: length-prefixed frames
// (net/transport/frame.h) checked against the frame bound before any payload
// is buffered, the first frame decoded as the validator Auth
// (net/transport/peer_auth.h) and checked against a session binding, every
// later frame decoded as a consensus message. No input crashes; accepted
// Auth and messages re-encode to exactly their bytes; a fuzzed Auth never
// verifies under a key that did not sign for this session.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/consensus/messages.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "net/transport/frame.h"
#include "net/transport/peer_auth.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

// Small, so the fuzzer reaches the refusal path as well as payloads.
constexpr size_t kFuzzMaxFrameBytes = 4096;

const KeyPair& Signer() {
  static const KeyPair k = KeyPair::FromSeed(21);
  return k;
}
const PublicKey& Verifier() {
  static const PublicKey k = KeyPair::FromSeed(22).public_key();
  return k;
}
const Digest& Chain() {
  static const Digest d = Sha256(Bytes{'w', 'i', 'r', 'e'});
  return d;
}
net::ChannelBinding Binding() {
  net::ChannelBinding b;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 7 + 1);
  return b;
}

void AppendFrame(std::string* out, const Bytes& payload) {
  const net::FrameHeader h = net::EncodeFrameHeader(static_cast<uint32_t>(payload.size()));
  out->append(h.begin(), h.end());
  out->append(payload.begin(), payload.end());
}

std::vector<std::string> Seeds() {
  std::string stream;
  AppendFrame(&stream, net::EncodePeerAuth(net::SignPeerAuth(Signer(), Binding(), Chain(),
                                                             Verifier(),
                                                             net::PeerRole::kClient)));
  consensus::BatchRequest request{{Sha256(Bytes{3})}};
  AppendFrame(&stream, consensus::EncodeMessage(consensus::Message{request}));
  consensus::Batch batch;
  batch.slice = SliceId(0);
  batch.author = ValidatorIndex(1);
  batch.transactions = {Bytes(100, 0x42)};
  AppendFrame(&stream, consensus::EncodeMessage(consensus::Message{batch}));
  return {stream};
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  size_t at = 0;
  bool first = true;
  while (size - at >= net::kFrameHeaderBytes) {
    net::FrameHeader header;
    std::copy(data + at, data + at + net::kFrameHeaderBytes, header.begin());
    at += net::kFrameHeaderBytes;
    const uint32_t length = net::DecodeFrameHeader(header);
    if (!net::CheckFrameLength(length, kFuzzMaxFrameBytes).ok()) return 0;  // connection closed
    if (size - at < length) return 0;  // waits for more bytes
    const ByteSpan payload(data + at, length);
    at += length;
    if (first) {
      first = false;
      auto auth = net::DecodePeerAuth(payload);
      if (!auth.ok()) return 0;  // handshake refused
      const Bytes again = net::EncodePeerAuth(*auth);
      GL_FUZZ_ASSERT(std::equal(again.begin(), again.end(), payload.begin(), payload.end()));
      const bool verifies = net::VerifyPeerAuth(*auth, Binding(), Chain(), Verifier(),
                                                net::PeerRole::kClient);
      // Only Signer() ever signed for this session: nothing else may verify.
      if (verifies) GL_FUZZ_ASSERT(auth->key == Signer().public_key());
      if (!verifies) return 0;
      continue;
    }
    auto message = consensus::DecodeMessage(payload);
    if (!message.ok()) continue;  // the core drops it with a reason
    const Bytes again = consensus::EncodeMessage(*message);
    GL_FUZZ_ASSERT(std::equal(again.begin(), again.end(), payload.begin(), payload.end()));
  }
  return 0;
}
