// Names and sizes of transaction kinds.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "core/common/check.h"
#include "core/tx/codec.h"
#include "core/tx/transaction.h"

namespace gridledger {

absl::string_view TxKindName(TxKind kind) {
  switch (kind) {
    case TxKind::kTransfer: return "TRANSFER";
    case TxKind::kOrder: return "ORDER";
    case TxKind::kCancel: return "CANCEL";
    case TxKind::kMeterReading: return "METER_READING";
    case TxKind::kRegister: return "REGISTER";
    case TxKind::kSetTariff: return "SET_TARIFF";
  }
  return "UNKNOWN";
}

std::optional<TxKind> TxKindFromName(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(absl::StrReplaceAll(name, {{"-", "_"}}));
  for (uint8_t k = static_cast<uint8_t>(TxKind::kTransfer);
       k <= static_cast<uint8_t>(TxKind::kSetTariff); ++k) {
    if (TxKindName(static_cast<TxKind>(k)) == upper) return static_cast<TxKind>(k);
  }
  return std::nullopt;
}

size_t TxBodyBytes(TxKind kind) {
  switch (kind) {
    case TxKind::kTransfer: return 4 + 32 + 8;          // to.slice, to.key, amount
    case TxKind::kOrder: return 1 + 8 + 8 + 8;          // side, interval, energy, price
    case TxKind::kCancel: return 32;                    // order id
    case TxKind::kMeterReading: return 32 + 8 + 8 + 8;  // prosumer, interval, in, out
    case TxKind::kRegister: return 32 + 1 + 32;         // account, role, bound prosumer
    case TxKind::kSetTariff: return 8 + 8 + 8;          // fee, shortfall, surplus
  }
  GL_CHECK_MSG(false, "TxBodyBytes: not a TxKind");
  return 0;
}

size_t TxEncodedBytes(TxKind kind) {
  return kTxHeaderBytes + TxBodyBytes(kind) + kTxSignatureBytes;
}

}  // namespace gridledger
