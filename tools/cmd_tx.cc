// `gridledger tx build|sign|decode`: build, sign and inspect transaction
// envelopes (core/tx/codec.h) as hex.
//
// Abseil flags are process-wide: another command that needs --slice, --nonce,
// --kind, --to, --account ... should ABSL_DECLARE_FLAG them from here rather
// than define them again (a second definition is a link error).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/crypto/schnorr.h"
#include "core/tx/codec.h"
#include "tools/chain_flags.h"
#include "tools/command.h"

// Envelope.
ABSL_FLAG(std::string, kind, "", "tx build: transfer|order|cancel|meter_reading|register|set_tariff");
ABSL_FLAG(uint32_t, slice, 0, "tx build: the sender's home slice");
ABSL_FLAG(uint64_t, nonce, 0, "tx build: the sender's next nonce");
ABSL_FLAG(std::string, sender_secret, "",
          "tx build/sign: sender secret key (64 hex digits); the envelope is signed with it. "
          "For development only: a secret on the command line is visible to other users");
ABSL_FLAG(std::string, sender, "",
          "tx build: sender x-only public key (64 hex) when building unsigned "
          "(no --sender_secret)");
// TRANSFER.
ABSL_FLAG(uint32_t, to_slice, 0, "transfer: recipient's home slice");
ABSL_FLAG(std::string, to, "", "transfer: recipient x-only public key (64 hex)");
ABSL_FLAG(uint64_t, amount, 0, "transfer: amount in micro-units (> 0)");
// ORDER / METER_READING.
ABSL_FLAG(std::string, order_side, "", "order: bid|ask");
ABSL_FLAG(uint64_t, interval, 0, "order, meter_reading: 15-minute interval id (unix s / 900)");
ABSL_FLAG(uint64_t, energy_wh, 0, "order: energy in Wh");
ABSL_FLAG(uint64_t, limit_price, 0, "order: limit price in micro-units per kWh");
// CANCEL.
ABSL_FLAG(std::string, order_id, "", "cancel: id of the ORDER transaction (64 hex)");
// METER_READING.
ABSL_FLAG(std::string, prosumer, "", "meter_reading: the metered prosumer's key (64 hex)");
ABSL_FLAG(uint64_t, imported_wh, 0, "meter_reading: energy imported from the grid, Wh");
ABSL_FLAG(uint64_t, exported_wh, 0, "meter_reading: energy exported to the grid, Wh");
// REGISTER.
ABSL_FLAG(std::string, account, "", "register: the account's key (64 hex)");
ABSL_FLAG(std::string, role, "", "register: prosumer|meter|dso");
ABSL_FLAG(std::string, bound_prosumer, "", "register: for a meter, its prosumer's key (64 hex)");
// SET_TARIFF.
ABSL_FLAG(uint64_t, grid_fee, 0, "set_tariff: grid fee, micro-units per kWh");
ABSL_FLAG(uint64_t, shortfall_price, 0, "set_tariff: imbalance price per kWh delivered short");
ABSL_FLAG(uint64_t, surplus_price, 0, "set_tariff: imbalance price per kWh delivered in excess");
// decode.
ABSL_FLAG(std::string, format, "text", "tx decode: text (one field per line) or hex (one line)");

namespace gridledger::tools {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "gridledger tx build --kind=KIND [flags]   build (and with --sender_secret sign) a "
    "transaction; prints hex\n"
    "gridledger tx sign HEX --sender_secret=SK  sign an unsigned or re-sign a signed envelope\n"
    "gridledger tx decode HEX [--format=text|hex]  print fields, id and signature check\n"
    "\n"
    "Signing and decode need the network: --chain_id=HEX (the genesis digest) or\n"
    "--genesis=FILE; a signature made for another network does not verify.\n"
    "build flags, by kind (all kinds: --slice --nonce and --sender_secret or --sender):\n"
    "  transfer       --to_slice --to --amount\n"
    "  order          --order_side=bid|ask --interval --energy_wh --limit_price\n"
    "  cancel         --order_id\n"
    "  meter_reading  --prosumer --interval --imported_wh --exported_wh\n"
    "  register       --account --role=prosumer|meter|dso [--bound_prosumer for a meter]\n"
    "  set_tariff     --grid_fee --shortfall_price --surplus_price\n"
    "\n"
    "Exit status: 0 ok; 1 bad input (the reason is printed); 2 usage;\n"
    "3 (decode) the envelope is well-formed but its signature does not verify.\n";

constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBadSignature = 3;

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "gridledger tx %s: %s\n", std::string(what).c_str(),
               std::string(status.message()).c_str());
  return kExitBadInput;
}

template <typename Fixed>
absl::StatusOr<Fixed> HexFlag(const absl::Flag<std::string>& flag, absl::string_view name,
                              bool required) {
  const std::string value = absl::GetFlag(flag);
  if (value.empty()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
    return Fixed();
  }
  GL_ASSIGN_OR_RETURN(auto bytes, HexDecodeFixed<Fixed::kSize>(value, absl::StrCat("--", name)));
  return Fixed(bytes);
}

absl::StatusOr<KeyPair> SenderKey() {
  GL_ASSIGN_OR_RETURN(SecretKey secret,
                      HexFlag<SecretKey>(FLAGS_sender_secret, "sender_secret", true));
  auto key = KeyPair::FromSecret(secret);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat("--sender_secret: ", key.status().message()));
  return key;
}

absl::StatusOr<TxBody> BodyFromFlags(TxKind kind) {
  switch (kind) {
    case TxKind::kTransfer: {
      GL_ASSIGN_OR_RETURN(PublicKey to, HexFlag<PublicKey>(FLAGS_to, "to", true));
      return TransferBody{AccountRef{SliceId(absl::GetFlag(FLAGS_to_slice)), to},
                          Amount(absl::GetFlag(FLAGS_amount))};
    }
    case TxKind::kOrder: {
      const std::string side = absl::AsciiStrToLower(absl::GetFlag(FLAGS_order_side));
      if (side != "bid" && side != "ask") {
        return absl::InvalidArgumentError("--order_side must be bid or ask");
      }
      return OrderBody{side == "bid" ? OrderSide::kBid : OrderSide::kAsk,
                       IntervalId(absl::GetFlag(FLAGS_interval)),
                       EnergyWh(absl::GetFlag(FLAGS_energy_wh)),
                       PricePerKwh(absl::GetFlag(FLAGS_limit_price))};
    }
    case TxKind::kCancel: {
      GL_ASSIGN_OR_RETURN(TxId id, HexFlag<TxId>(FLAGS_order_id, "order_id", true));
      return CancelBody{id};
    }
    case TxKind::kMeterReading: {
      GL_ASSIGN_OR_RETURN(PublicKey prosumer, HexFlag<PublicKey>(FLAGS_prosumer, "prosumer", true));
      return MeterReadingBody{prosumer, IntervalId(absl::GetFlag(FLAGS_interval)),
                              EnergyWh(absl::GetFlag(FLAGS_imported_wh)),
                              EnergyWh(absl::GetFlag(FLAGS_exported_wh))};
    }
    case TxKind::kRegister: {
      GL_ASSIGN_OR_RETURN(PublicKey account, HexFlag<PublicKey>(FLAGS_account, "account", true));
      const std::string role_name = absl::AsciiStrToLower(absl::GetFlag(FLAGS_role));
      AccountRole role;
      if (role_name == "prosumer") {
        role = AccountRole::kProsumer;
      } else if (role_name == "meter") {
        role = AccountRole::kMeter;
      } else if (role_name == "dso") {
        role = AccountRole::kDso;
      } else {
        return absl::InvalidArgumentError("--role must be prosumer, meter or dso");
      }
      GL_ASSIGN_OR_RETURN(PublicKey bound, HexFlag<PublicKey>(FLAGS_bound_prosumer,
                                                              "bound_prosumer", false));
      return RegisterBody{account, role, bound};
    }
    case TxKind::kSetTariff:
      return SetTariffBody{PricePerKwh(absl::GetFlag(FLAGS_grid_fee)),
                           PricePerKwh(absl::GetFlag(FLAGS_shortfall_price)),
                           PricePerKwh(absl::GetFlag(FLAGS_surplus_price))};
  }
  return absl::InvalidArgumentError("--kind: not a transaction kind");
}

// The built envelope as hex: signed when --sender_secret is set, else unsigned.
absl::StatusOr<std::string> Build() {
  const std::string kind_name = absl::GetFlag(FLAGS_kind);
  std::optional<TxKind> kind = TxKindFromName(kind_name);
  if (!kind.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kind: '", kind_name,
                     "' is not one of transfer, order, cancel, meter_reading, register, "
                     "set_tariff"));
  }
  Transaction tx;
  tx.slice = SliceId(absl::GetFlag(FLAGS_slice));
  tx.nonce = Nonce(absl::GetFlag(FLAGS_nonce));
  GL_ASSIGN_OR_RETURN(tx.body, BodyFromFlags(*kind));
  const bool sign = !absl::GetFlag(FLAGS_sender_secret).empty();
  std::optional<KeyPair> key;
  if (sign) {
    if (!absl::GetFlag(FLAGS_sender).empty()) {
      return absl::InvalidArgumentError("give --sender_secret or --sender, not both");
    }
    GL_ASSIGN_OR_RETURN(key, SenderKey());
    tx.sender = key->public_key();
  } else {
    GL_ASSIGN_OR_RETURN(tx.sender, HexFlag<PublicKey>(FLAGS_sender, "sender", false));
    if (tx.sender.IsZero()) {
      return absl::InvalidArgumentError("--sender_secret (to sign) or --sender is required");
    }
  }
  GL_RETURN_IF_ERROR(ValidateTransaction(tx));
  if (!sign) return HexEncode(EncodeUnsigned(tx));
  GL_ASSIGN_OR_RETURN(Digest chain_id, ChainIdFromFlags());
  SignTransaction(&tx, *key, chain_id);
  return HexEncode(Encode(tx));
}

// Accepts an unsigned envelope (EncodeUnsigned) or a signed one.
absl::StatusOr<Transaction> DecodeEither(ByteSpan bytes) {
  if (bytes.size() >= 2) {
    std::optional<TxKind> kind;
    if (bytes[1] >= static_cast<uint8_t>(TxKind::kTransfer) &&
        bytes[1] <= static_cast<uint8_t>(TxKind::kSetTariff)) {
      kind = static_cast<TxKind>(bytes[1]);
    }
    if (kind.has_value() && bytes.size() == kTxHeaderBytes + TxBodyBytes(*kind)) {
      return DecodeUnsigned(bytes);
    }
  }
  return Decode(bytes);
}

absl::StatusOr<std::string> Sign(absl::string_view hex) {
  GL_ASSIGN_OR_RETURN(Bytes bytes, HexDecode(hex, "envelope hex"));
  GL_ASSIGN_OR_RETURN(Transaction tx, DecodeEither(bytes));
  GL_ASSIGN_OR_RETURN(KeyPair key, SenderKey());
  if (tx.sender != key.public_key()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sender: the envelope's sender ", tx.sender.Hex(), " is not --sender_secret's key ",
        key.public_key().Hex()));
  }
  GL_ASSIGN_OR_RETURN(Digest chain_id, ChainIdFromFlags());
  SignTransaction(&tx, key, chain_id);
  return HexEncode(Encode(tx));
}

int RunDecode(absl::string_view hex) {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "hex") {
    std::fprintf(stderr, "gridledger tx decode: --format must be text or hex\n");
    return kExitUsage;
  }
  auto bytes = HexDecode(hex, "envelope hex");
  if (!bytes.ok()) return Fail("decode", bytes.status());
  auto tx = Decode(*bytes);
  if (!tx.ok()) return Fail("decode", tx.status());
  auto chain_id = ChainIdFromFlags();
  if (!chain_id.ok()) return Fail("decode", chain_id.status());
  const TxId id = ComputeTxId(*bytes);
  const bool valid = VerifyTransactionSignature(*tx, *chain_id);
  if (format == "hex") {
    std::printf("id=%s signature_valid=%d bytes=%s\n", id.Hex().c_str(), valid ? 1 : 0,
                HexEncode(*bytes).c_str());
  } else {
    std::printf("%sid: %s\nsignature_valid: %s\n", DescribeTransaction(*tx).c_str(),
                id.Hex().c_str(), valid ? "yes" : "NO");
  }
  return valid ? 0 : kExitBadSignature;
}

int RunTx(int argc, char** argv) {
  std::vector<std::string> args = ParseFlags(argc, argv, kUsage);
  if (args.empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return kExitUsage;
  }
  const std::string& verb = args[0];
  if (verb == "build" && args.size() == 1) {
    auto hex = Build();
    if (!hex.ok()) return Fail("build", hex.status());
    std::printf("%s\n", hex->c_str());
    return 0;
  }
  if (verb == "sign" && args.size() == 2) {
    auto hex = Sign(args[1]);
    if (!hex.ok()) return Fail("sign", hex.status());
    std::printf("%s\n", hex->c_str());
    return 0;
  }
  if (verb == "decode" && args.size() == 2) return RunDecode(args[1]);
  std::fprintf(stderr, "gridledger tx: bad arguments\n%s", kUsage);
  return kExitUsage;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(tx, "build, sign and decode transactions (hex)", gridledger::tools::RunTx);
