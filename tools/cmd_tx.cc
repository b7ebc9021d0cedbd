// `gridledger tx build|sign|decode`: build, sign and inspect transaction
// envelopes (core/tx/codec.h) as hex.
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/crypto/schnorr.h"
#include "core/tx/codec.h"
#include "tools/chain_flags.h"
#include "tools/cli.h"
#include "tools/command.h"
#include "tools/tx_body_options.h"

namespace gridledger::tools {
namespace {

constexpr char kTxFooter[] =
    "Signing and decode need the network: --chain_id=HEX (the genesis digest) or\n"
    "--genesis=FILE; a signature made for another network does not verify.\n"
    "Exit status: 0 ok; 1 bad input (the reason is printed); 2 usage;\n"
    "3 (decode) the envelope is well-formed but its signature does not verify.";
constexpr char kBuildFooter[] =
    "build options, by kind (all kinds: --slice --nonce and --sender_secret or --sender):\n"
    "  transfer       --to_slice --to --amount\n"
    "  order          --order_side=bid|ask --interval --energy_wh --limit_price\n"
    "  cancel         --order_id\n"
    "  meter_reading  --prosumer --interval --imported_wh --exported_wh\n"
    "  register       --account --role=prosumer|meter|dso [--bound_prosumer for a meter]\n"
    "  set_tariff     --grid_fee --shortfall_price --surplus_price";

constexpr int kExitBadSignature = kExitRejected;

// Every option of the three verbs (each declares only its own).
struct TxArgs {
  ChainOptions chain;
  std::string kind;
  uint32_t slice = 0;
  uint64_t nonce = 0;
  std::string sender_secret;
  std::string sender;
  TxBodyArgs body;
  std::string format = "text";
  std::string hex;  // sign, decode: the envelope
};

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "gridledger tx %s: %s\n", std::string(what).c_str(),
               std::string(status.message()).c_str());
  return kExitBadInput;
}

template <typename Fixed>
absl::StatusOr<Fixed> HexFlag(const std::string& value, absl::string_view name, bool required) {
  if (value.empty()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
    return Fixed();
  }
  GL_ASSIGN_OR_RETURN(auto bytes, HexDecodeFixed<Fixed::kSize>(value, absl::StrCat("--", name)));
  return Fixed(bytes);
}

absl::StatusOr<KeyPair> SenderKey(const TxArgs& a) {
  GL_ASSIGN_OR_RETURN(SecretKey secret, HexFlag<SecretKey>(a.sender_secret, "sender_secret", true));
  auto key = KeyPair::FromSecret(secret);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat("--sender_secret: ", key.status().message()));
  return key;
}

absl::StatusOr<TxBody> BodyFromFlags(TxKind kind, const TxBodyArgs& a) {
  switch (kind) {
    case TxKind::kTransfer: {
      GL_ASSIGN_OR_RETURN(PublicKey to, HexFlag<PublicKey>(a.to, "to", true));
      return TransferBody{AccountRef{SliceId(a.to_slice), to}, Amount(a.amount)};
    }
    case TxKind::kOrder: {
      const std::string side = absl::AsciiStrToLower(a.order_side);
      if (side != "bid" && side != "ask") {
        return absl::InvalidArgumentError("--order_side must be bid or ask");
      }
      return OrderBody{side == "bid" ? OrderSide::kBid : OrderSide::kAsk,
                       IntervalId(a.interval), EnergyWh(a.energy_wh),
                       PricePerKwh(a.limit_price)};
    }
    case TxKind::kCancel: {
      GL_ASSIGN_OR_RETURN(TxId id, HexFlag<TxId>(a.order_id, "order_id", true));
      return CancelBody{id};
    }
    case TxKind::kMeterReading: {
      GL_ASSIGN_OR_RETURN(PublicKey prosumer, HexFlag<PublicKey>(a.prosumer, "prosumer", true));
      return MeterReadingBody{prosumer, IntervalId(a.interval), EnergyWh(a.imported_wh),
                              EnergyWh(a.exported_wh)};
    }
    case TxKind::kRegister: {
      GL_ASSIGN_OR_RETURN(PublicKey account, HexFlag<PublicKey>(a.account, "account", true));
      const std::string role_name = absl::AsciiStrToLower(a.role);
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
      GL_ASSIGN_OR_RETURN(PublicKey bound, HexFlag<PublicKey>(a.bound_prosumer,
                                                              "bound_prosumer", false));
      return RegisterBody{account, role, bound};
    }
    case TxKind::kSetTariff:
      return SetTariffBody{PricePerKwh(a.grid_fee), PricePerKwh(a.shortfall_price),
                           PricePerKwh(a.surplus_price)};
  }
  return absl::InvalidArgumentError("--kind: not a transaction kind");
}

// The built envelope as hex: signed when --sender_secret is set, else unsigned.
absl::StatusOr<std::string> Build(const TxArgs& a) {
  const std::string& kind_name = a.kind;
  std::optional<TxKind> kind = TxKindFromName(kind_name);
  if (!kind.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kind: '", kind_name,
                     "' is not one of transfer, order, cancel, meter_reading, register, "
                     "set_tariff"));
  }
  Transaction tx;
  tx.slice = SliceId(a.slice);
  tx.nonce = Nonce(a.nonce);
  GL_ASSIGN_OR_RETURN(tx.body, BodyFromFlags(*kind, a.body));
  const bool sign = !a.sender_secret.empty();
  std::optional<KeyPair> key;
  if (sign) {
    if (!a.sender.empty()) {
      return absl::InvalidArgumentError("give --sender_secret or --sender, not both");
    }
    GL_ASSIGN_OR_RETURN(key, SenderKey(a));
    tx.sender = key->public_key();
  } else {
    GL_ASSIGN_OR_RETURN(tx.sender, HexFlag<PublicKey>(a.sender, "sender", false));
    if (tx.sender.IsZero()) {
      return absl::InvalidArgumentError("--sender_secret (to sign) or --sender is required");
    }
  }
  GL_RETURN_IF_ERROR(ValidateTransaction(tx));
  if (!sign) return HexEncode(EncodeUnsigned(tx));
  GL_ASSIGN_OR_RETURN(Digest chain_id, ChainIdFromOptions(a.chain));
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

absl::StatusOr<std::string> Sign(const TxArgs& a) {
  GL_ASSIGN_OR_RETURN(Bytes bytes, HexDecode(a.hex, "envelope hex"));
  GL_ASSIGN_OR_RETURN(Transaction tx, DecodeEither(bytes));
  GL_ASSIGN_OR_RETURN(KeyPair key, SenderKey(a));
  if (tx.sender != key.public_key()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sender: the envelope's sender ", tx.sender.Hex(), " is not --sender_secret's key ",
        key.public_key().Hex()));
  }
  GL_ASSIGN_OR_RETURN(Digest chain_id, ChainIdFromOptions(a.chain));
  SignTransaction(&tx, key, chain_id);
  return HexEncode(Encode(tx));
}

int RunDecode(const TxArgs& a) {
  const std::string& format = a.format;
  auto bytes = HexDecode(a.hex, "envelope hex");
  if (!bytes.ok()) return Fail("decode", bytes.status());
  auto tx = Decode(*bytes);
  if (!tx.ok()) return Fail("decode", tx.status());
  auto chain_id = ChainIdFromOptions(a.chain);
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
  CLI::App app("Build, sign and decode transaction envelopes (hex).", "gridledger tx");
  app.footer(kTxFooter);
  app.require_subcommand(1);
  TxArgs a;
  std::function<int()> run;

  CLI::App* build = app.add_subcommand(
      "build", "build (and with --sender_secret sign) a transaction; prints hex");
  build->footer(kBuildFooter);
  AddChoice(build, "--kind", &a.kind, "the transaction kind",
            {"transfer", "order", "cancel", "meter_reading", "register", "set_tariff"})
      ->required();
  AddNumber(build, "--slice", &a.slice, "the sender's home slice");
  AddNumber(build, "--nonce", &a.nonce, "the sender's next nonce");
  build->add_option("--sender_secret", a.sender_secret,
                    "sender secret key (64 hex digits); the envelope is signed with it. For "
                    "development only: a secret on the command line is visible to other users");
  build->add_option("--sender", a.sender,
                    "sender x-only public key (64 hex) when building unsigned "
                    "(no --sender_secret)");
  AddTransferOptions(build, &a.body);
  build->add_option("--order_side", a.body.order_side, "order: bid|ask")
      ->transform(CLI::IsMember({"bid", "ask"}, CLI::ignore_case));
  AddIntervalOption(build, &a.body);
  AddOrderOptions(build, &a.body);
  AddOrderIdOption(build, &a.body);
  AddReadingOptions(build, &a.body);
  AddRegisterOptions(build, &a.body, {"prosumer", "meter", "dso"});
  AddTariffOptions(build, &a.body);
  AddChainOptions(build, &a.chain);
  build->callback([&] {
    run = [&] {
      auto hex = Build(a);
      if (!hex.ok()) return Fail("build", hex.status());
      std::printf("%s\n", hex->c_str());
      return kExitOk;
    };
  });

  CLI::App* sign = app.add_subcommand("sign", "sign an unsigned or re-sign a signed envelope");
  sign->add_option("HEX", a.hex, "the envelope")->required();
  sign->add_option("--sender_secret", a.sender_secret,
                   "sender secret key (64 hex digits); must match the envelope's sender")
      ->required();
  AddChainOptions(sign, &a.chain);
  sign->callback([&] {
    run = [&] {
      auto hex = Sign(a);
      if (!hex.ok()) return Fail("sign", hex.status());
      std::printf("%s\n", hex->c_str());
      return kExitOk;
    };
  });

  CLI::App* decode = app.add_subcommand(
      "decode", "print an envelope's fields, id and signature check (exit 3: bad signature)");
  decode->add_option("HEX", a.hex, "the signed envelope")->required();
  AddChoice(decode, "--format", &a.format, "text (one field per line) or hex (one line)",
            {"text", "hex"});
  AddChainOptions(decode, &a.chain);
  decode->callback([&] { run = [&] { return RunDecode(a); }; });

  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  return run();
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(tx, "build, sign and decode transactions (hex)", gridledger::tools::RunTx);
