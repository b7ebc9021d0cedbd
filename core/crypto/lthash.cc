#define OPENSSL_SUPPRESS_DEPRECATED  // the low-level API copies a midstate cheaply
#include "core/crypto/lthash.h"

#include <openssl/sha.h>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/crypto/sha256.h"

namespace gridledger {
namespace {

// Writes the element's expansion into `out`.
void Expand(ByteSpan element, std::array<uint16_t, LtHash16::kLanes>& out) {
  const Digest seed = TaggedHashCached(kTagLtHashElement, element);
  SHA256_CTX base;
  GL_CHECK(SHA256_Init(&base) == 1);
  GL_CHECK(SHA256_Update(&base, seed.data(), seed.size()) == 1);
  constexpr size_t kLanesPerBlock = 16;
  for (uint32_t k = 0; k < LtHash16::kLanes / kLanesPerBlock; ++k) {
    const uint8_t counter[4] = {static_cast<uint8_t>(k >> 24), static_cast<uint8_t>(k >> 16),
                                static_cast<uint8_t>(k >> 8), static_cast<uint8_t>(k)};
    SHA256_CTX ctx = base;
    uint8_t block[32];
    GL_CHECK(SHA256_Update(&ctx, counter, sizeof(counter)) == 1);
    GL_CHECK(SHA256_Final(block, &ctx) == 1);
    for (size_t i = 0; i < kLanesPerBlock; ++i) {
      out[k * kLanesPerBlock + i] =
          static_cast<uint16_t>(block[2 * i] | static_cast<uint16_t>(block[2 * i + 1]) << 8);
    }
  }
}

}  // namespace

absl::StatusOr<LtHash16> LtHash16::Parse(ByteSpan bytes) {
  if (bytes.size() != kBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("lthash16: ", bytes.size(), " bytes, expected ", kBytes));
  }
  LtHash16 h;
  for (size_t i = 0; i < kLanes; ++i) {
    h.lanes_[i] = static_cast<uint16_t>(bytes[2 * i] | static_cast<uint16_t>(bytes[2 * i + 1]) << 8);
  }
  return h;
}

void LtHash16::Add(ByteSpan element) {
  std::array<uint16_t, kLanes> e;
  Expand(element, e);
  for (size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] + e[i]);
}

void LtHash16::Remove(ByteSpan element) {
  std::array<uint16_t, kLanes> e;
  Expand(element, e);
  for (size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] - e[i]);
}

void LtHash16::Add(const LtHash16& other) {
  for (size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] + other.lanes_[i]);
}

void LtHash16::Remove(const LtHash16& other) {
  for (size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] - other.lanes_[i]);
}

Bytes LtHash16::Serialize() const {
  Bytes out(kBytes);
  for (size_t i = 0; i < kLanes; ++i) {
    out[2 * i] = static_cast<uint8_t>(lanes_[i]);
    out[2 * i + 1] = static_cast<uint8_t>(lanes_[i] >> 8);
  }
  return out;
}

Digest LtHash16::Root() const { return TaggedHashCached(kTagLtHashDigest, Serialize()); }

}  // namespace gridledger
