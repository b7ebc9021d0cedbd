// OpenSSL's low-level SHA256_* API (deprecated in 3.0) is the one that lets
// a midstate be copied; see core/crypto/sha256.cc.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/crypto/lthash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <bit>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/crypto/sha256.h"

namespace gridledger {
namespace {

using Lanes = std::array<uint16_t, LtHash16::kLanes>;

// TaggedHash(kTagLtHashElement, concatenation of parts), from the tag's
// midstate computed once (TaggedHashCached looks the tag up by name on every
// call, and a caller would have to join the parts first).
Digest ElementSeed(absl::Span<const ByteSpan> parts) {
  static const SHA256_CTX kMidstate = [] {
    const Digest tag = Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(kTagLtHashElement.data()),
                                       kTagLtHashElement.size()));
    SHA256_CTX ctx;
    GL_CHECK(SHA256_Init(&ctx) == 1);
    GL_CHECK(SHA256_Update(&ctx, tag.data(), tag.size()) == 1);
    GL_CHECK(SHA256_Update(&ctx, tag.data(), tag.size()) == 1);
    return ctx;
  }();
  SHA256_CTX ctx = kMidstate;
  for (ByteSpan part : parts) GL_CHECK(SHA256_Update(&ctx, part.data(), part.size()) == 1);
  Digest out;
  GL_CHECK(SHA256_Final(out.data(), &ctx) == 1);
  return out;
}

// Writes the element's expansion into `out`: the ChaCha20 keystream
// (RFC 8439; counter and nonce 0) keyed by the element's tagged SHA-256.
void Expand(absl::Span<const ByteSpan> parts, Lanes& out) {
  const Digest seed = ElementSeed(parts);
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
  int written = 0;
  GL_CHECK(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, seed.data(), kIv) == 1);
  if constexpr (std::endian::native == std::endian::little) {
    // The keystream's little-endian u16s are the lanes as they lie in memory:
    // written in place, with no conversion pass.
    GL_CHECK(EVP_EncryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &written,
                               kZeros, sizeof(kZeros)) == 1);
    GL_CHECK(written == static_cast<int>(sizeof(kZeros)));
  } else {
    uint8_t stream[LtHash16::kBytes];
    GL_CHECK(EVP_EncryptUpdate(ctx.get(), stream, &written, kZeros, sizeof(kZeros)) == 1);
    GL_CHECK(written == static_cast<int>(sizeof(stream)));
    for (size_t i = 0; i < LtHash16::kLanes; ++i) {
      out[i] = static_cast<uint16_t>(stream[2 * i] | static_cast<uint16_t>(stream[2 * i + 1]) << 8);
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

void LtHash16::Add(ByteSpan element) { AddParts({&element, 1}); }

void LtHash16::Remove(ByteSpan element) { RemoveParts({&element, 1}); }

void LtHash16::AddParts(absl::Span<const ByteSpan> parts) {
  Lanes e;
  Expand(parts, e);
  for (size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] + e[i]);
}

void LtHash16::RemoveParts(absl::Span<const ByteSpan> parts) {
  Lanes e;
  Expand(parts, e);
  for (size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] - e[i]);
}

void LtHash16::ReplaceParts(absl::Span<const ByteSpan> old_parts,
                            absl::Span<const ByteSpan> new_parts) {
  Lanes old_e;
  Lanes new_e;
  Expand(old_parts, old_e);
  Expand(new_parts, new_e);
  for (size_t i = 0; i < kLanes; ++i) {
    lanes_[i] = static_cast<uint16_t>(lanes_[i] + new_e[i] - old_e[i]);
  }
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
