// The transaction envelope (DESIGN.md §4), version 1:
//
//   version u8 | kind u8 | slice u32 | nonce u64 | sender 32 | body | signature 64
//
// All integers big-endian. Each kind has a fixed body size, so decoding is
// strict: a short or long input is rejected. The signature is BIP-340 over
// TaggedHash(TxSignTag(chain id), every byte before it); the transaction id is
// TaggedHash(kTagTxId, all signed bytes). The chain id is the genesis digest
// (GenesisDigest), so a transaction signed for one network never verifies on
// another: the id needs no chain id of its own, it covers the signature.
#ifndef GRIDLEDGER_CORE_TX_TRANSACTION_H_
#define GRIDLEDGER_CORE_TX_TRANSACTION_H_

#include <cstddef>
#include <cstdint>
#include "absl/strings/string_view.h"
#include <variant>

#include "core/common/types.h"

namespace gridledger {

inline constexpr uint8_t kTxVersion = 1;
// Envelope offsets, shared with the GPU backend that parses raw bytes.
inline constexpr size_t kTxSenderOffset = 14;
inline constexpr size_t kTxHeaderBytes = 46;  // everything before the body
inline constexpr size_t kTxSignatureBytes = 64;
inline constexpr size_t kTxMaxBytes = 256;  // the largest kind fits with room

// Value bounds enforced by the codec (core/tx/codec.h). They keep every
// energy x price product and its sums over an interval far inside uint64:
// 1e7 Wh x 1e9 micro-units/kWh = 1e16, leaving a factor of ~1800 of headroom.
inline constexpr uint64_t kMaxEnergyWh = 10'000'000;        // 10 MWh per order or reading
inline constexpr uint64_t kMaxPricePerKwh = 1'000'000'000;  // 1000 currency units per kWh

enum class TxKind : uint8_t {
  kTransfer = 1,
  kOrder = 2,
  kCancel = 3,
  kMeterReading = 4,
  kRegister = 5,
  kSetTariff = 6,
};
absl::string_view TxKindName(TxKind kind);

enum class OrderSide : uint8_t { kBid = 1, kAsk = 2 };
enum class AccountRole : uint8_t { kProsumer = 1, kMeter = 2, kDso = 3 };

// Codec rules: amount > 0; `to.key` a valid x-only key; not to (slice, sender).
struct TransferBody {
  AccountRef to;
  Amount amount;
  auto operator<=>(const TransferBody&) const = default;
};

// Pay-as-clear double auction order for one 15-minute interval.
// Codec rules: side 1 or 2; interval > 0; 0 < energy <= kMaxEnergyWh;
// limit_price <= kMaxPricePerKwh, and > 0 for a bid (an ask at 0 takes any price).
struct OrderBody {
  OrderSide side;
  IntervalId interval;
  EnergyWh energy;
  PricePerKwh limit_price;
  auto operator<=>(const OrderBody&) const = default;
};

// Codec rule: order_id (the id of the ORDER transaction) is not all-zero.
struct CancelBody {
  TxId order_id;
  auto operator<=>(const CancelBody&) const = default;
};

// Signed by the meter's own key (the envelope sender). Codec rules: prosumer a
// valid x-only key other than the sender; interval > 0; both energies
// <= kMaxEnergyWh (0 is a valid reading).
struct MeterReadingBody {
  PublicKey prosumer;
  IntervalId interval;
  EnergyWh imported;
  EnergyWh exported;
  auto operator<=>(const MeterReadingBody&) const = default;
};

// DSO-signed. `bound_prosumer` is set for a meter and all-zero otherwise.
// Codec rules: role 1..3; account (and a meter's bound_prosumer) a valid x-only
// key; a meter is not bound to itself.
struct RegisterBody {
  PublicKey account;
  AccountRole role;
  PublicKey bound_prosumer;
  auto operator<=>(const RegisterBody&) const = default;
};

// DSO-signed; takes effect from the interval after the one it commits in.
// Codec rule: each price <= kMaxPricePerKwh (0 is meaningful for all three).
struct SetTariffBody {
  PricePerKwh grid_fee;
  PricePerKwh imbalance_shortfall_price;  // charged per kWh delivered short
  PricePerKwh imbalance_surplus_price;    // paid per kWh delivered in excess
  auto operator<=>(const SetTariffBody&) const = default;
};

using TxBody = std::variant<TransferBody, OrderBody, CancelBody, MeterReadingBody,
                            RegisterBody, SetTariffBody>;

struct Transaction {
  uint8_t version = kTxVersion;
  SliceId slice;
  Nonce nonce;
  PublicKey sender;
  TxBody body;
  Signature signature;

  TxKind kind() const { return static_cast<TxKind>(body.index() + 1); }
  bool operator==(const Transaction&) const = default;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_TX_TRANSACTION_H_
