// OpenSSL's low-level SHA256_* API is deprecated in 3.0 but is the only one that
// lets us copy a midstate cheaply; EVP would allocate per message.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/crypto/sha256.h"

#include <openssl/sha.h>

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "core/common/check.h"

namespace gridledger {

struct Sha256Hasher::State {
  SHA256_CTX ctx;
};

Sha256Hasher::Sha256Hasher() : state_(std::make_unique<State>()) {
  GL_CHECK(SHA256_Init(&state_->ctx) == 1);
}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(const Sha256Hasher& other)
    : state_(std::make_unique<State>(*other.state_)) {}
Sha256Hasher& Sha256Hasher::operator=(const Sha256Hasher& other) {
  *state_ = *other.state_;
  return *this;
}

Sha256Hasher Sha256Hasher::Tagged(absl::string_view tag) {
  Digest tag_hash = Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(tag.data()), tag.size()));
  Sha256Hasher h;
  h.Update(tag_hash.span());
  h.Update(tag_hash.span());
  return h;
}

Sha256Hasher& Sha256Hasher::Update(ByteSpan data) {
  GL_CHECK(SHA256_Update(&state_->ctx, data.data(), data.size()) == 1);
  return *this;
}

Digest Sha256Hasher::Finish() {
  Digest out;
  GL_CHECK(SHA256_Final(out.data(), &state_->ctx) == 1);
  return out;
}

Digest Sha256(ByteSpan data) {
  Digest out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Digest TaggedHash(absl::string_view tag, ByteSpan data) {
  return Sha256Hasher::Tagged(tag).Update(data).Finish();
}

Digest TaggedHashCached(absl::string_view tag, ByteSpan data) {
  // Tags are a handful of compile-time constants; the map stays tiny and is
  // read-mostly. thread_local avoids a lock on the hot path, and keeping the
  // raw SHA256_CTX (not a Sha256Hasher) avoids a heap allocation per hash.
  thread_local absl::flat_hash_map<std::string, SHA256_CTX> midstates;
  auto it = midstates.find(tag);
  if (it == midstates.end()) {
    it = midstates.emplace(std::string(tag), Sha256Hasher::Tagged(tag).state_->ctx).first;
  }
  SHA256_CTX ctx = it->second;
  GL_CHECK(SHA256_Update(&ctx, data.data(), data.size()) == 1);
  Digest out;
  GL_CHECK(SHA256_Final(out.data(), &ctx) == 1);
  return out;
}

}  // namespace gridledger
