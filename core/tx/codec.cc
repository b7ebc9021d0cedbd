#include "core/tx/codec.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include <algorithm>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"
#include "core/crypto/xonly_key_cache.h"

namespace gridledger {
namespace {

// Transaction::kind() is body.index() + 1: pin the variant order to TxKind.
template <TxKind kKind, typename Body>
constexpr bool kBodyAt =
    std::is_same_v<std::variant_alternative_t<static_cast<size_t>(kKind) - 1, TxBody>, Body>;
static_assert(kBodyAt<TxKind::kTransfer, TransferBody>);
static_assert(kBodyAt<TxKind::kOrder, OrderBody>);
static_assert(kBodyAt<TxKind::kCancel, CancelBody>);
static_assert(kBodyAt<TxKind::kMeterReading, MeterReadingBody>);
static_assert(kBodyAt<TxKind::kRegister, RegisterBody>);
static_assert(kBodyAt<TxKind::kSetTariff, SetTariffBody>);
static_assert(std::variant_size_v<TxBody> == static_cast<size_t>(TxKind::kSetTariff));
static_assert(kTxSenderOffset == 1 + 1 + 4 + 8 && kTxHeaderBytes == kTxSenderOffset + 32);

// ---- encoding ---------------------------------------------------------------

void EncodeBody(const TransferBody& b, ByteWriter& w) {
  w.U32(b.to.slice.value());
  w.Raw(b.to.key.span());
  w.U64(b.amount.value());
}
void EncodeBody(const OrderBody& b, ByteWriter& w) {
  w.U8(static_cast<uint8_t>(b.side));
  w.U64(b.interval.value());
  w.U64(b.energy.value());
  w.U64(b.limit_price.value());
}
void EncodeBody(const CancelBody& b, ByteWriter& w) { w.Raw(b.order_id.span()); }
void EncodeBody(const MeterReadingBody& b, ByteWriter& w) {
  w.Raw(b.prosumer.span());
  w.U64(b.interval.value());
  w.U64(b.imported.value());
  w.U64(b.exported.value());
}
void EncodeBody(const RegisterBody& b, ByteWriter& w) {
  w.Raw(b.account.span());
  w.U8(static_cast<uint8_t>(b.role));
  w.Raw(b.bound_prosumer.span());
}
void EncodeBody(const SetTariffBody& b, ByteWriter& w) {
  w.U64(b.grid_fee.value());
  w.U64(b.imbalance_shortfall_price.value());
  w.U64(b.imbalance_surplus_price.value());
}

// ---- parsing (layout only; values are checked by Validate*) -----------------

template <typename Fixed>
absl::StatusOr<Fixed> ReadFixed(ByteReader& r, absl::string_view field) {
  GL_ASSIGN_OR_RETURN(auto bytes, r.Fixed<Fixed::kSize>(field));
  return Fixed(bytes);
}

template <typename Strong>
absl::StatusOr<Strong> ReadU64(ByteReader& r, absl::string_view field) {
  GL_ASSIGN_OR_RETURN(uint64_t v, r.U64(field));
  return Strong(v);
}

absl::StatusOr<TxBody> ParseBody(TxKind kind, ByteReader& r) {
  switch (kind) {
    case TxKind::kTransfer: {
      TransferBody b;
      GL_ASSIGN_OR_RETURN(uint32_t to_slice, r.U32("transfer.to.slice"));
      b.to.slice = SliceId(to_slice);
      GL_ASSIGN_OR_RETURN(b.to.key, ReadFixed<PublicKey>(r, "transfer.to.key"));
      GL_ASSIGN_OR_RETURN(b.amount, ReadU64<Amount>(r, "transfer.amount"));
      return b;
    }
    case TxKind::kOrder: {
      OrderBody b;
      GL_ASSIGN_OR_RETURN(uint8_t side, r.U8("order.side"));
      b.side = static_cast<OrderSide>(side);
      GL_ASSIGN_OR_RETURN(b.interval, ReadU64<IntervalId>(r, "order.interval"));
      GL_ASSIGN_OR_RETURN(b.energy, ReadU64<EnergyWh>(r, "order.energy_wh"));
      GL_ASSIGN_OR_RETURN(b.limit_price, ReadU64<PricePerKwh>(r, "order.limit_price"));
      return b;
    }
    case TxKind::kCancel: {
      CancelBody b;
      GL_ASSIGN_OR_RETURN(b.order_id, ReadFixed<TxId>(r, "cancel.order_id"));
      return b;
    }
    case TxKind::kMeterReading: {
      MeterReadingBody b;
      GL_ASSIGN_OR_RETURN(b.prosumer, ReadFixed<PublicKey>(r, "meter_reading.prosumer"));
      GL_ASSIGN_OR_RETURN(b.interval, ReadU64<IntervalId>(r, "meter_reading.interval"));
      GL_ASSIGN_OR_RETURN(b.imported, ReadU64<EnergyWh>(r, "meter_reading.imported_wh"));
      GL_ASSIGN_OR_RETURN(b.exported, ReadU64<EnergyWh>(r, "meter_reading.exported_wh"));
      return b;
    }
    case TxKind::kRegister: {
      RegisterBody b;
      GL_ASSIGN_OR_RETURN(b.account, ReadFixed<PublicKey>(r, "register.account"));
      GL_ASSIGN_OR_RETURN(uint8_t role, r.U8("register.role"));
      b.role = static_cast<AccountRole>(role);
      GL_ASSIGN_OR_RETURN(b.bound_prosumer,
                          ReadFixed<PublicKey>(r, "register.bound_prosumer"));
      return b;
    }
    case TxKind::kSetTariff: {
      SetTariffBody b;
      GL_ASSIGN_OR_RETURN(b.grid_fee, ReadU64<PricePerKwh>(r, "set_tariff.grid_fee"));
      GL_ASSIGN_OR_RETURN(b.imbalance_shortfall_price,
                          ReadU64<PricePerKwh>(r, "set_tariff.shortfall_price"));
      GL_ASSIGN_OR_RETURN(b.imbalance_surplus_price,
                          ReadU64<PricePerKwh>(r, "set_tariff.surplus_price"));
      return b;
    }
  }
  GL_CHECK_MSG(false, "ParseBody: kind not checked by the caller");
  return absl::InternalError("unreachable");
}

// ---- value rules --------------------------------------------------------------

absl::Status OutOfRange(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("out of range: ", field, " ", why));
}
absl::Status NonCanonical(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("non-canonical: ", field, " ", why));
}

// kTrustCertified: DecodeCertified's bytes, whose keys were checked before
// they were certified (codec.h).
enum class KeyRule : bool { kCheck, kTrustCertified };

// A key that can never sign (x >= p, or no curve point) would make an account
// that can never spend: money or a role sent there is lost, so reject it here.
// The sender needs no such check: its signature cannot verify.
absl::Status CheckKey(const PublicKey& key, absl::string_view field, KeyRule rule) {
  if (rule == KeyRule::kTrustCertified) return absl::OkStatus();
  secp256k1_xonly_pubkey parsed;
  if (!ParseXOnlyKeyCached(key, &parsed)) {
    return OutOfRange(field, "is not a valid BIP-340 x-only public key");
  }
  return absl::OkStatus();
}

absl::Status CheckInterval(IntervalId interval, absl::string_view field) {
  // Interval 0 is 1970-01-01T00:00Z: never a real market slot, so it can only
  // be an unset field.
  if (interval.value() == 0) return OutOfRange(field, "must be positive");
  return absl::OkStatus();
}

absl::Status CheckAtMost(uint64_t value, uint64_t max, absl::string_view field) {
  if (value > max) return OutOfRange(field, absl::StrCat(value, " exceeds ", max));
  return absl::OkStatus();
}

absl::Status ValidateBody(const Transaction& tx, const TransferBody& b, KeyRule keys) {
  GL_RETURN_IF_ERROR(CheckKey(b.to.key, "transfer.to.key", keys));
  if (b.amount.value() == 0) return OutOfRange("transfer.amount", "must be positive");
  if (b.to.slice == tx.slice && b.to.key == tx.sender) {
    // Only the nonce would change: a no-op that still costs a slot.
    return NonCanonical("transfer.to", "is the sender's own account");
  }
  return absl::OkStatus();
}

absl::Status ValidateBody(const Transaction&, const OrderBody& b, KeyRule) {
  if (b.side != OrderSide::kBid && b.side != OrderSide::kAsk) {
    return OutOfRange("order.side", absl::StrCat(static_cast<int>(b.side),
                                                 " is neither 1 (bid) nor 2 (ask)"));
  }
  GL_RETURN_IF_ERROR(CheckInterval(b.interval, "order.interval"));
  if (b.energy.value() == 0) return OutOfRange("order.energy_wh", "must be positive");
  GL_RETURN_IF_ERROR(CheckAtMost(b.energy.value(), kMaxEnergyWh, "order.energy_wh"));
  // An ask at 0 sells at any clearing price; a bid at 0 could never buy
  // anything a seller asks a price for, so it is a mistake.
  if (b.side == OrderSide::kBid && b.limit_price.value() == 0) {
    return OutOfRange("order.limit_price", "must be positive for a bid");
  }
  GL_RETURN_IF_ERROR(
      CheckAtMost(b.limit_price.value(), kMaxPricePerKwh, "order.limit_price"));
  return absl::OkStatus();
}

absl::Status ValidateBody(const Transaction&, const CancelBody& b, KeyRule) {
  // Ids are SHA-256 outputs; all-zero means "unset".
  if (b.order_id.IsZero()) return OutOfRange("cancel.order_id", "is all-zero");
  return absl::OkStatus();
}

absl::Status ValidateBody(const Transaction& tx, const MeterReadingBody& b, KeyRule keys) {
  GL_RETURN_IF_ERROR(CheckKey(b.prosumer, "meter_reading.prosumer", keys));
  if (b.prosumer == tx.sender) {
    return OutOfRange("meter_reading.prosumer", "is the sender; a meter reports for a prosumer");
  }
  GL_RETURN_IF_ERROR(CheckInterval(b.interval, "meter_reading.interval"));
  GL_RETURN_IF_ERROR(CheckAtMost(b.imported.value(), kMaxEnergyWh, "meter_reading.imported_wh"));
  GL_RETURN_IF_ERROR(CheckAtMost(b.exported.value(), kMaxEnergyWh, "meter_reading.exported_wh"));
  return absl::OkStatus();
}

absl::Status ValidateBody(const Transaction&, const RegisterBody& b, KeyRule keys) {
  GL_RETURN_IF_ERROR(CheckKey(b.account, "register.account", keys));
  switch (b.role) {
    case AccountRole::kProsumer:
    case AccountRole::kDso:
      if (!b.bound_prosumer.IsZero()) {
        return NonCanonical("register.bound_prosumer", "must be all-zero unless role is meter");
      }
      return absl::OkStatus();
    case AccountRole::kMeter:
      if (b.bound_prosumer.IsZero()) {
        return OutOfRange("register.bound_prosumer", "must be set for a meter");
      }
      GL_RETURN_IF_ERROR(CheckKey(b.bound_prosumer, "register.bound_prosumer", keys));
      if (b.bound_prosumer == b.account) {
        return OutOfRange("register.bound_prosumer", "is the meter's own account");
      }
      return absl::OkStatus();
  }
  return OutOfRange("register.role", absl::StrCat(static_cast<int>(b.role),
                                                  " is not 1 (prosumer), 2 (meter) or 3 (dso)"));
}

absl::Status ValidateBody(const Transaction&, const SetTariffBody& b, KeyRule) {
  // Zero is meaningful for all three (no fee, no imbalance charge or payment).
  GL_RETURN_IF_ERROR(CheckAtMost(b.grid_fee.value(), kMaxPricePerKwh, "set_tariff.grid_fee"));
  GL_RETURN_IF_ERROR(CheckAtMost(b.imbalance_shortfall_price.value(), kMaxPricePerKwh,
                                 "set_tariff.shortfall_price"));
  GL_RETURN_IF_ERROR(CheckAtMost(b.imbalance_surplus_price.value(), kMaxPricePerKwh,
                                 "set_tariff.surplus_price"));
  return absl::OkStatus();
}

std::string RoleName(AccountRole role) {
  switch (role) {
    case AccountRole::kProsumer: return "prosumer";
    case AccountRole::kMeter: return "meter";
    case AccountRole::kDso: return "dso";
  }
  return absl::StrCat("invalid(", static_cast<int>(role), ")");
}

std::string SideName(OrderSide side) {
  switch (side) {
    case OrderSide::kBid: return "bid";
    case OrderSide::kAsk: return "ask";
  }
  return absl::StrCat("invalid(", static_cast<int>(side), ")");
}

void DescribeBody(const TransferBody& b, std::string& out) {
  absl::StrAppend(&out, "transfer.to.slice: ", b.to.slice.value(), "\n",
                  "transfer.to.key: ", b.to.key.Hex(), "\n",
                  "transfer.amount: ", b.amount.value(), "\n");
}
void DescribeBody(const OrderBody& b, std::string& out) {
  absl::StrAppend(&out, "order.side: ", SideName(b.side), "\n",
                  "order.interval: ", b.interval.value(), "\n",
                  "order.energy_wh: ", b.energy.value(), "\n",
                  "order.limit_price: ", b.limit_price.value(), "\n");
}
void DescribeBody(const CancelBody& b, std::string& out) {
  absl::StrAppend(&out, "cancel.order_id: ", b.order_id.Hex(), "\n");
}
void DescribeBody(const MeterReadingBody& b, std::string& out) {
  absl::StrAppend(&out, "meter_reading.prosumer: ", b.prosumer.Hex(), "\n",
                  "meter_reading.interval: ", b.interval.value(), "\n",
                  "meter_reading.imported_wh: ", b.imported.value(), "\n",
                  "meter_reading.exported_wh: ", b.exported.value(), "\n");
}
void DescribeBody(const RegisterBody& b, std::string& out) {
  absl::StrAppend(&out, "register.account: ", b.account.Hex(), "\n",
                  "register.role: ", RoleName(b.role), "\n",
                  "register.bound_prosumer: ", b.bound_prosumer.Hex(), "\n");
}
void DescribeBody(const SetTariffBody& b, std::string& out) {
  absl::StrAppend(&out, "set_tariff.grid_fee: ", b.grid_fee.value(), "\n",
                  "set_tariff.shortfall_price: ", b.imbalance_shortfall_price.value(), "\n",
                  "set_tariff.surplus_price: ", b.imbalance_surplus_price.value(), "\n");
}

}  // namespace

Bytes EncodeUnsigned(const Transaction& tx) {
  Bytes out;
  out.reserve(TxEncodedBytes(tx.kind()));
  ByteWriter w(&out);
  w.U8(tx.version);
  w.U8(static_cast<uint8_t>(tx.kind()));
  w.U32(tx.slice.value());
  w.U64(tx.nonce.value());
  w.Raw(tx.sender.span());
  GL_CHECK(out.size() == kTxHeaderBytes);
  std::visit([&](const auto& body) { EncodeBody(body, w); }, tx.body);
  GL_CHECK(out.size() == kTxHeaderBytes + TxBodyBytes(tx.kind()));
  return out;
}

Bytes Encode(const Transaction& tx) {
  Bytes out = EncodeUnsigned(tx);
  ByteWriter(&out).Raw(tx.signature.span());
  return out;
}

namespace {
absl::Status ValidateWith(const Transaction& tx, KeyRule keys) {
  if (tx.version != kTxVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown version: ", static_cast<int>(tx.version), " (supported: ",
        static_cast<int>(kTxVersion), ")"));
  }
  return std::visit([&](const auto& body) { return ValidateBody(tx, body, keys); }, tx.body);
}
}  // namespace

absl::Status ValidateTransaction(const Transaction& tx) {
  return ValidateWith(tx, KeyRule::kCheck);
}

namespace {
// Decode and DecodeUnsigned: the same rules, with or without the signature.
absl::StatusOr<Transaction> DecodeEnvelope(ByteSpan bytes, bool has_signature,
                                           KeyRule keys = KeyRule::kCheck) {
  const size_t max_bytes = has_signature ? kTxMaxBytes : kTxMaxBytes - kTxSignatureBytes;
  if (bytes.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "too large: transaction is ", bytes.size(), " bytes, limit ", max_bytes));
  }
  ByteReader r(bytes);
  Transaction tx;
  GL_ASSIGN_OR_RETURN(tx.version, r.U8("version"));
  if (tx.version != kTxVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown version: ", static_cast<int>(tx.version), " (supported: ",
        static_cast<int>(kTxVersion), ")"));
  }
  GL_ASSIGN_OR_RETURN(uint8_t kind_byte, r.U8("kind"));
  if (kind_byte < static_cast<uint8_t>(TxKind::kTransfer) ||
      kind_byte > static_cast<uint8_t>(TxKind::kSetTariff)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown kind: ", static_cast<int>(kind_byte), " (known: 1..6)"));
  }
  const TxKind kind = static_cast<TxKind>(kind_byte);
  GL_ASSIGN_OR_RETURN(uint32_t slice, r.U32("slice"));
  tx.slice = SliceId(slice);
  GL_ASSIGN_OR_RETURN(uint64_t nonce, r.U64("nonce"));
  tx.nonce = Nonce(nonce);
  GL_ASSIGN_OR_RETURN(tx.sender, ReadFixed<PublicKey>(r, "sender"));
  GL_ASSIGN_OR_RETURN(tx.body, ParseBody(kind, r));
  GL_CHECK(tx.kind() == kind);
  if (has_signature) {
    GL_ASSIGN_OR_RETURN(tx.signature, ReadFixed<Signature>(r, "signature"));
    GL_RETURN_IF_ERROR(r.ExpectEnd("signature"));
  } else {
    GL_RETURN_IF_ERROR(r.ExpectEnd(absl::StrCat(TxKindName(kind), " body")));
  }
  GL_RETURN_IF_ERROR(ValidateWith(tx, keys));
  return tx;
}
}  // namespace

absl::StatusOr<Transaction> Decode(ByteSpan bytes) { return DecodeEnvelope(bytes, true); }

absl::StatusOr<Transaction> DecodeCertified(ByteSpan bytes) {
  return DecodeEnvelope(bytes, true, KeyRule::kTrustCertified);
}

absl::StatusOr<Transaction> DecodeUnsigned(ByteSpan bytes) {
  return DecodeEnvelope(bytes, false);
}

TxSignTag::TxSignTag(const Digest& chain_id) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  char* out = std::copy(kTagTxSign.begin(), kTagTxSign.end(), chars_.data());
  *out++ = '/';
  for (uint8_t b : chain_id.span()) {
    *out++ = kHexDigits[b >> 4];
    *out++ = kHexDigits[b & 0xf];
  }
  GL_CHECK(out == chars_.data() + chars_.size());
}

Digest SigningHash(const Digest& chain_id, ByteSpan unsigned_bytes) {
  return TaggedHashCached(TxSignTag(chain_id).view(), unsigned_bytes);
}

TxId ComputeTxId(ByteSpan signed_bytes) { return TaggedHashCached(kTagTxId, signed_bytes); }

TxId TransactionId(const Transaction& tx) { return ComputeTxId(Encode(tx)); }

void SignTransaction(Transaction* tx, const KeyPair& key, const Digest& chain_id,
                     const std::array<uint8_t, 32>& aux) {
  GL_CHECK_MSG(tx->sender == key.public_key(), "SignTransaction: sender is not the key's");
  tx->signature = key.Sign(SigningHash(chain_id, EncodeUnsigned(*tx)), aux);
}

bool VerifyTransactionSignature(const Transaction& tx, const Digest& chain_id) {
  return SchnorrVerify(tx.sender, SigningHash(chain_id, EncodeUnsigned(tx)), tx.signature);
}

std::string DescribeTransaction(const Transaction& tx) {
  std::string out;
  absl::StrAppend(&out, "version: ", static_cast<int>(tx.version), "\n",
                  "kind: ", TxKindName(tx.kind()), "\n",
                  "slice: ", tx.slice.value(), "\n",
                  "nonce: ", tx.nonce.value(), "\n",
                  "sender: ", tx.sender.Hex(), "\n");
  std::visit([&](const auto& body) { DescribeBody(body, out); }, tx.body);
  absl::StrAppend(&out, "signature: ", tx.signature.Hex(), "\n");
  return out;
}

}  // namespace gridledger
