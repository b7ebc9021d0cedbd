// OpenSSL BIGNUM reference arithmetic for the field and scalar tests.
#ifndef GRIDLEDGER_TESTS_GPU_BN_REF_H_
#define GRIDLEDGER_TESTS_GPU_BN_REF_H_

#include <openssl/bn.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace gridledger::gpu::testing {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using BnCtx = std::unique_ptr<BN_CTX, BnCtxFree>;

inline Bn BnNew() { return Bn(BN_new()); }
inline BnCtx BnCtxNew() { return BnCtx(BN_CTX_new()); }

inline Bn BnFromBytes(const uint8_t* b32) { return Bn(BN_bin2bn(b32, 32, nullptr)); }
inline Bn BnFromHex(const char* hex) {
  BIGNUM* b = nullptr;
  BN_hex2bn(&b, hex);
  return Bn(b);
}
inline std::array<uint8_t, 32> BnToBytes(const BIGNUM* b) {
  std::array<uint8_t, 32> out{};
  BN_bn2binpad(b, out.data(), 32);
  return out;
}
inline std::string BnHex(const BIGNUM* b) {
  char* s = BN_bn2hex(b);
  std::string out(s);
  OPENSSL_free(s);
  return out;
}

inline const BIGNUM* FieldP() {
  static const BIGNUM* p =
      BnFromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F").release();
  return p;
}
inline const BIGNUM* OrderN() {
  static const BIGNUM* n =
      BnFromHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141").release();
  return n;
}

}  // namespace gridledger::gpu::testing

#endif  // GRIDLEDGER_TESTS_GPU_BN_REF_H_
