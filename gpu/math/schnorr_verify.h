// BIP-340 verification and the transaction-envelope check, written once for
// the CUDA kernel and the host. Semantics are libsecp256k1's
// secp256k1_xonly_pubkey_parse + secp256k1_schnorrsig_verify: reject x >= p or
// x not on the curve, r >= p, s >= n, R at infinity, odd R.y, R.x != r.
#ifndef GRIDLEDGER_GPU_MATH_SCHNORR_VERIFY_H_
#define GRIDLEDGER_GPU_MATH_SCHNORR_VERIFY_H_

#include "gpu/math/ecmult.h"
#include "gpu/math/sha256.h"

namespace gridledger::gpu {

// Envelope layout (core/tx/transaction.h; host_context.cc asserts they agree).
inline constexpr uint32_t kEnvelopeSenderOffset = 14;
inline constexpr uint32_t kEnvelopeHeaderBytes = 46;
inline constexpr uint32_t kEnvelopeSignatureBytes = 64;

// Everything a verification reads besides its inputs. Pointers refer to host
// or device memory, matching where the code runs.
struct VerifyContext {
  uint32_t challenge_midstate[8];  // tag "BIP0340/challenge"
  uint32_t tx_id_midstate[8];      // kTagTxId
  uint32_t tx_sign_midstate[8];    // TxSignTag(chain id)
  const GeStorage* g_table;        // kGTableSize odd multiples of G
  const GeStorage* g_lambda_table;  // the same times lambda
};

// Inputs may be any bytes (range checks are part of verification): x-only key (32 B),
// message (32 B), signature r || s (64 B).
GL_HD inline bool SchnorrVerify(const VerifyContext& ctx, const uint8_t* pubkey,
                                const uint8_t* msg, const uint8_t* sig) {
  Fe rx, px;
  Sc s, e;
  if (!FeSetBytes(&rx, sig)) return false;
  if (ScSetBytes(&s, sig + 32)) return false;
  if (!FeSetBytes(&px, pubkey)) return false;
  Ge p;
  if (!GeLiftX(&p, px)) return false;

  // e = SHA256_challenge(r || P || m) mod n; overflow is not an error here.
  uint32_t hash[8];
  Sha256Finish96(ctx.challenge_midstate, kSha256BlockBytes, sig, pubkey, msg, hash);
  ScSetBigEndianWords(&e, hash);

  Gej rj;
  EcmultSGMinusEP(&rj, ctx.g_table, ctx.g_lambda_table, p, s, e);
  if (rj.infinity) return false;
  Ge r;
  GeSetGej(&r, rj);
  if (FeIsOdd(r.y)) return false;
  return FeEqual(r.x, rx);
}

// The fused per-transaction pass (BatchVerifier::VerifyTransactions): writes
// the transaction id and returns whether the envelope's signature verifies.
GL_HD inline bool VerifyEnvelope(const VerifyContext& ctx, const uint8_t* tx, uint32_t size,
                                 uint8_t id[32]) {
  Sha256Finish(ctx.tx_id_midstate, kSha256BlockBytes, tx, size, id);
  if (size < kEnvelopeHeaderBytes + kEnvelopeSignatureBytes) return false;
  const uint32_t signed_size = size - kEnvelopeSignatureBytes;
  uint8_t msg[32];
  Sha256Finish(ctx.tx_sign_midstate, kSha256BlockBytes, tx, signed_size, msg);
  return SchnorrVerify(ctx, tx + kEnvelopeSenderOffset, msg, tx + signed_size);
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_SCHNORR_VERIFY_H_
