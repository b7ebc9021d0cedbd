#include "gpu/math/host_context.h"

#include <memory>

#include "core/crypto/sha256.h"
#include "core/tx/codec.h"
#include "core/tx/transaction.h"

namespace gridledger::gpu {

static_assert(kEnvelopeSenderOffset == kTxSenderOffset);
static_assert(kEnvelopeHeaderBytes == kTxHeaderBytes);
static_assert(kEnvelopeSignatureBytes == kTxSignatureBytes);

namespace {

void Midstate(uint32_t out[8], absl::string_view tag) {
  Sha256TaggedMidstate(out, reinterpret_cast<const uint8_t*>(tag.data()),
                       static_cast<uint32_t>(tag.size()));
}

std::unique_ptr<HostVerifyTables> Build() {
  auto t = std::make_unique<HostVerifyTables>();
  BuildGTables(t->g_table, t->g_lambda_table);
  Midstate(t->context.challenge_midstate, "BIP0340/challenge");
  Midstate(t->context.tx_id_midstate, kTagTxId);
  TxSignMidstate(Digest(), t->context.tx_sign_midstate);
  t->context.g_table = t->g_table;
  t->context.g_lambda_table = t->g_lambda_table;
  return t;
}

}  // namespace

void TxSignMidstate(const Digest& chain_id, uint32_t out[8]) {
  Midstate(out, TxSignTag(chain_id).view());
}

VerifyContext HostVerifyContextForChain(const Digest& chain_id) {
  VerifyContext ctx = HostVerifyContext();
  TxSignMidstate(chain_id, ctx.tx_sign_midstate);
  return ctx;
}

const HostVerifyTables& GetHostVerifyTables() {
  static const HostVerifyTables* tables = Build().release();
  return *tables;
}

}  // namespace gridledger::gpu
