// SHA-256 of gpu/math/sha256.h, compiled for the host, against OpenSSL and
// the core tagged-hash implementation.
#include "gpu/math/sha256.h"

#include <openssl/sha.h>

#include <array>
#include <string>
#include <vector>

#include "core/crypto/sha256.h"
#include "core/tx/codec.h"
#include "gpu/math/host_context.h"
#include "gtest/gtest.h"
#include "tests/gpu/test_rng.h"

namespace gridledger::gpu {
namespace {

using testing::TestRng;
constexpr uint32_t kMaxLength = 1000;

TEST(GpuSha256Test, EveryLengthZeroToThousandMatchesOpenssl) {
  TestRng rng(30);
  std::vector<uint8_t> data(kMaxLength);
  rng.FillMixed(data.data(), data.size());
  for (uint32_t len = 0; len <= kMaxLength; ++len) {
    std::array<uint8_t, 32> got, want;
    Sha256(data.data(), len, got.data());
    ::SHA256(data.data(), len, want.data());
    ASSERT_EQ(got, want) << "length " << len;
  }
}

TEST(GpuSha256Test, KnownAnswer) {
  const std::string abc = "abc";
  std::array<uint8_t, 32> got;
  Sha256(reinterpret_cast<const uint8_t*>(abc.data()), 3, got.data());
  EXPECT_EQ(HexEncode(ByteSpan(got.data(), 32)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(GpuSha256Test, TaggedMidstatesMatchCoreTaggedHash) {
  TestRng rng(31);
  const Digest chain_id = ::gridledger::Sha256(Bytes{'s', 'h', 'a'});
  const VerifyContext ctx = HostVerifyContextForChain(chain_id);
  const TxSignTag sign_tag(chain_id);
  struct Tag {
    absl::string_view name;
    const uint32_t* midstate;
  };
  const Tag tags[] = {{"BIP0340/challenge", ctx.challenge_midstate},
                      {kTagTxId, ctx.tx_id_midstate},
                      {sign_tag.view(), ctx.tx_sign_midstate}};
  std::vector<uint8_t> data(300);
  rng.FillMixed(data.data(), data.size());
  for (const Tag& tag : tags) {
    for (uint32_t len = 0; len <= data.size(); ++len) {
      Digest got;
      Sha256Finish(tag.midstate, kSha256BlockBytes, data.data(), len, got.data());
      ASSERT_EQ(got, TaggedHash(tag.name, ByteSpan(data.data(), len)))
          << tag.name << " length " << len;
    }
  }
}

// The challenge hash r || P || m from three separate 32-byte inputs, with no
// staging buffer: the same digest as the core tagged hash of the
// concatenation, and as big-endian words.
TEST(GpuSha256Test, Finish96MatchesCoreTaggedHashOfTheConcatenation) {
  TestRng rng(32);
  const VerifyContext& ctx = HostVerifyContext();
  for (int round = 0; round < 2000; ++round) {
    std::array<uint8_t, 96> data;
    rng.FillMixed(data.data(), data.size());
    uint32_t words[8];
    Sha256Finish96(ctx.challenge_midstate, kSha256BlockBytes, data.data(), data.data() + 32,
                   data.data() + 64, words);
    Digest got;
    Sha256StateToBytes(got.data(), words);
    ASSERT_EQ(got, TaggedHash("BIP0340/challenge", ByteSpan(data.data(), data.size())))
        << "round " << round;
  }
}

}  // namespace
}  // namespace gridledger::gpu
