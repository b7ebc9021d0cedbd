#include "core/crypto/lthash.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/crypto/sha256.h"

namespace gridledger {
namespace {

// Writes the element's expansion into `out`: the ChaCha20 keystream
// (RFC 8439; counter and nonce 0) keyed by the element's tagged SHA-256.
void Expand(ByteSpan element, std::array<uint16_t, LtHash16::kLanes>& out) {
  const Digest seed = TaggedHashCached(kTagLtHashElement, element);
  // One context per thread, its cipher set once: EVP allocates, and
  // expansions are per state entry. Passing the cipher on every init made
  // OpenSSL 3 fetch its implementation again (two allocations per call);
  // a null cipher keeps the context's and only sets key and IV.
  thread_local std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx = [] {
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> c(EVP_CIPHER_CTX_new(),
                                                                       &EVP_CIPHER_CTX_free);
    GL_CHECK(c != nullptr);
    GL_CHECK(EVP_EncryptInit_ex(c.get(), EVP_chacha20(), nullptr, nullptr, nullptr) == 1);
    return c;
  }();
  static constexpr uint8_t kIv[16] = {};  // 32-bit block counter 0 | 96-bit nonce 0
  static constexpr uint8_t kZeros[LtHash16::kBytes] = {};
  uint8_t stream[LtHash16::kBytes];
  int written = 0;
  GL_CHECK(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, seed.data(), kIv) == 1);
  GL_CHECK(EVP_EncryptUpdate(ctx.get(), stream, &written, kZeros, sizeof(kZeros)) == 1);
  GL_CHECK(written == static_cast<int>(sizeof(stream)));
  for (size_t i = 0; i < LtHash16::kLanes; ++i) {
    out[i] = static_cast<uint16_t>(stream[2 * i] | static_cast<uint16_t>(stream[2 * i + 1]) << 8);
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
