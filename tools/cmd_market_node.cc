// `gridledger market register|tariff|bid|ask|cancel|reading`: the market's
// transactions signed with a key file and submitted to a node (the DSO
// registers accounts and sets the tariff, prosumers place and cancel orders,
// meters report readings). Each signs with its key's next nonce from the
// node, for the node's slice and the network given by --chain_id/--genesis.
// Exit status as `gridledger submit` (tools/api_client.h): 0 every
// transaction accepted (and with --wait executed successfully), 1 bad input,
// 2 usage, 3 refused or FAILED (the reason is printed), 4 an account the
// command needs is unknown, 5 --wait ran out before a result was final,
// 6 the node did not answer.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/bytes.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/crypto/key_file.h"
#include "tools/api_client.h"
#include "tools/command.h"
#include "tools/market_client.h"
#include "tools/readings_csv.h"

// Body flags shared with `gridledger tx build` (tools/cmd_tx.cc).
ABSL_DECLARE_FLAG(uint64_t, interval);
ABSL_DECLARE_FLAG(uint64_t, energy_wh);
ABSL_DECLARE_FLAG(uint64_t, limit_price);
ABSL_DECLARE_FLAG(std::string, order_id);
ABSL_DECLARE_FLAG(std::string, prosumer);
ABSL_DECLARE_FLAG(uint64_t, imported_wh);
ABSL_DECLARE_FLAG(uint64_t, exported_wh);
ABSL_DECLARE_FLAG(std::string, account);
ABSL_DECLARE_FLAG(std::string, role);
ABSL_DECLARE_FLAG(std::string, bound_prosumer);
ABSL_DECLARE_FLAG(uint64_t, grid_fee);
ABSL_DECLARE_FLAG(uint64_t, shortfall_price);
ABSL_DECLARE_FLAG(uint64_t, surplus_price);

ABSL_FLAG(std::string, key, "",
          "market: the signer's key file (gridledger keys new --out=FILE); for reading --csv a "
          "comma-separated list, one per meter in the file");
ABSL_FLAG(std::string, csv, "",
          "market reading: bulk readings, meter,interval,imported_wh,exported_wh");

namespace gridledger::tools {

constexpr char kMarketNodeUsage[] =
    "usage (talk to a node; all take --node=HOST:PORT, --chain_id=HEX or --genesis=FILE,\n"
    "       --key=FILE, and optionally --wait [--wait_ms=30000] --json --tls_ca=PEM):\n"
    "  gridledger market register --account=HEX --role=prosumer|meter [--bound_prosumer=HEX]"
    "   (DSO key)\n"
    "  gridledger market tariff --grid_fee=N --shortfall_price=N --surplus_price=N   (DSO key)\n"
    "  gridledger market bid|ask --interval=K --energy_wh=N --limit_price=N   (prosumer key)\n"
    "  gridledger market cancel --order_id=HEX   (the order's owner)\n"
    "  gridledger market reading --interval=K --imported_wh=N --exported_wh=N [--prosumer=HEX]"
    "   (meter key)\n"
    "  gridledger market reading --csv=FILE --key=M1.key[,M2.key...]\n"
    "     CSV lines meter,interval,imported_wh,exported_wh ('#' comments)\n"
    "offline: gridledger market clear --book=FILE\n"
    "exit: 0 ok, 1 bad input, 2 usage, 3 refused or failed, 4 unknown account,\n"
    "      5 not final within --wait_ms, 6 node unreachable\n";

namespace {

template <typename Fixed>
absl::StatusOr<Fixed> HexFlag(const absl::Flag<std::string>& flag, absl::string_view name) {
  const std::string value = absl::GetFlag(flag);
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  GL_ASSIGN_OR_RETURN(auto bytes, HexDecodeFixed<Fixed::kSize>(value, absl::StrCat("--", name)));
  return Fixed(bytes);
}

absl::StatusOr<std::vector<KeyPair>> KeysFromFlag() {
  const std::string list = absl::GetFlag(FLAGS_key);
  if (list.empty()) return absl::InvalidArgumentError("--key=FILE (the signer's key) is required");
  std::vector<KeyPair> keys;
  for (absl::string_view path : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    absl::StatusOr<KeyPair> key = ReadKeyFile(std::string(path), "--key");
    // A missing file is bad input here, not an unknown account.
    if (!key.ok()) return absl::InvalidArgumentError(key.status().message());
    keys.push_back(*key);
  }
  return keys;
}

absl::StatusOr<KeyPair> OneKey() {
  GL_ASSIGN_OR_RETURN(std::vector<KeyPair> keys, KeysFromFlag());
  if (keys.size() != 1) return absl::InvalidArgumentError("--key: give exactly one key file");
  return keys[0];
}

absl::StatusOr<TxBody> BodyFor(const std::string& verb) {
  if (verb == "register") {
    GL_ASSIGN_OR_RETURN(PublicKey account, HexFlag<PublicKey>(FLAGS_account, "account"));
    const std::string role = absl::AsciiStrToLower(absl::GetFlag(FLAGS_role));
    if (role == "prosumer") {
      if (!absl::GetFlag(FLAGS_bound_prosumer).empty()) {
        return absl::InvalidArgumentError("--bound_prosumer is for --role=meter only");
      }
      return RegisterBody{account, AccountRole::kProsumer, PublicKey()};
    }
    if (role != "meter") return absl::InvalidArgumentError("--role must be prosumer or meter");
    GL_ASSIGN_OR_RETURN(PublicKey bound,
                        HexFlag<PublicKey>(FLAGS_bound_prosumer, "bound_prosumer"));
    return RegisterBody{account, AccountRole::kMeter, bound};
  }
  if (verb == "tariff") {
    return SetTariffBody{PricePerKwh(absl::GetFlag(FLAGS_grid_fee)),
                         PricePerKwh(absl::GetFlag(FLAGS_shortfall_price)),
                         PricePerKwh(absl::GetFlag(FLAGS_surplus_price))};
  }
  if (verb == "bid" || verb == "ask") {
    return OrderBody{verb == "bid" ? OrderSide::kBid : OrderSide::kAsk,
                     IntervalId(absl::GetFlag(FLAGS_interval)),
                     EnergyWh(absl::GetFlag(FLAGS_energy_wh)),
                     PricePerKwh(absl::GetFlag(FLAGS_limit_price))};
  }
  GL_ASSIGN_OR_RETURN(TxId order, HexFlag<TxId>(FLAGS_order_id, "order_id"));  // cancel
  return CancelBody{order};
}

// The prosumer a meter reports for: --prosumer, else its binding on the ledger.
absl::StatusOr<PublicKey> ProsumerOf(MarketSession& session, const PublicKey& meter,
                                     bool use_flag) {
  if (use_flag && !absl::GetFlag(FLAGS_prosumer).empty()) {
    return HexFlag<PublicKey>(FLAGS_prosumer, "prosumer");
  }
  absl::StatusOr<v1::MarketAccount> account = session.Account(meter);
  if (absl::IsNotFound(account.status())) {
    return absl::NotFoundError(absl::StrCat("meter ", meter.Hex(), " is not registered"));
  }
  GL_RETURN_IF_ERROR(account.status());
  if (account->role() != v1::MARKET_ROLE_METER) {
    return absl::InvalidArgumentError(absl::StrCat("account ", meter.Hex(), " is a ",
                                                   v1::MarketRole_Name(account->role()),
                                                   ", not a meter"));
  }
  return PublicKey::FromSpan(ByteSpan(
      reinterpret_cast<const uint8_t*>(account->bound_prosumer().data()),
      account->bound_prosumer().size()));
}

// One transaction from one key.
int RunSingle(const std::string& verb) {
  absl::StatusOr<KeyPair> key = OneKey();
  if (!key.ok()) return ReportMarketFailure(key.status());
  absl::StatusOr<TxBody> body = verb == "reading" ? absl::StatusOr<TxBody>(TxBody{})
                                                   : BodyFor(verb);
  if (!body.ok()) return ReportMarketFailure(body.status());
  auto session = MarketSession::Open();
  if (!session.ok()) return ReportMarketFailure(session.status());
  if (verb == "reading") {
    absl::StatusOr<PublicKey> prosumer = ProsumerOf(**session, key->public_key(), true);
    if (!prosumer.ok()) return ReportMarketFailure(prosumer.status());
    body = MeterReadingBody{*prosumer, IntervalId(absl::GetFlag(FLAGS_interval)),
                            EnergyWh(absl::GetFlag(FLAGS_imported_wh)),
                            EnergyWh(absl::GetFlag(FLAGS_exported_wh))};
  }
  absl::StatusOr<uint64_t> nonce = (*session)->NextNonce(key->public_key());
  if (!nonce.ok()) return ReportMarketFailure(nonce.status());
  absl::StatusOr<Bytes> tx = (*session)->Sign(*key, *nonce, std::move(*body));
  if (!tx.ok()) return ReportMarketFailure(tx.status());
  return (*session)->SubmitAndReport({*tx}, {verb});
}

// Every reading of the CSV, each signed by its meter's key with consecutive
// nonces in file order. Nothing is submitted unless every line is good.
int RunCsv(const std::string& path) {
  absl::StatusOr<std::vector<KeyPair>> keys = KeysFromFlag();
  if (!keys.ok()) return ReportMarketFailure(keys.status());
  absl::flat_hash_map<PublicKey, KeyPair> by_meter;
  for (const KeyPair& k : *keys) by_meter.emplace(k.public_key(), k);
  absl::StatusOr<std::string> text = ReadFileBounded(path, kMaxReadingsFileBytes, "--csv");
  if (!text.ok()) return ReportMarketFailure(absl::InvalidArgumentError(text.status().message()));
  absl::StatusOr<std::vector<ReadingLine>> lines = ParseReadingsCsv(*text);
  if (!lines.ok()) return ReportMarketFailure(lines.status());
  for (const ReadingLine& r : *lines) {
    if (!by_meter.contains(r.meter)) {
      return ReportMarketFailure(absl::InvalidArgumentError(absl::StrCat(
          "readings line ", r.line, ": no key for meter ", r.meter.Hex(), " in --key")));
    }
  }
  if (lines->empty()) return ReportMarketFailure(absl::InvalidArgumentError("--csv: no readings"));
  auto session = MarketSession::Open();
  if (!session.ok()) return ReportMarketFailure(session.status());
  struct Meter {
    PublicKey prosumer;
    uint64_t next_nonce;
  };
  absl::flat_hash_map<PublicKey, Meter> meters;
  std::vector<Bytes> txs;
  std::vector<std::string> labels;
  for (const ReadingLine& r : *lines) {
    auto it = meters.find(r.meter);
    if (it == meters.end()) {
      absl::StatusOr<PublicKey> prosumer = ProsumerOf(**session, r.meter, false);
      absl::StatusOr<uint64_t> nonce =
          prosumer.ok() ? (*session)->NextNonce(r.meter) : prosumer.status();
      if (!nonce.ok()) {
        return ReportMarketFailure(absl::Status(
            nonce.status().code(), absl::StrCat("readings line ", r.line, ": ",
                                                nonce.status().message())));
      }
      it = meters.emplace(r.meter, Meter{*prosumer, *nonce}).first;
    }
    absl::StatusOr<Bytes> tx = (*session)->Sign(
        by_meter.at(r.meter), it->second.next_nonce++,
        MeterReadingBody{it->second.prosumer, IntervalId(r.interval), EnergyWh(r.imported_wh),
                         EnergyWh(r.exported_wh)});
    if (!tx.ok()) {
      return ReportMarketFailure(absl::InvalidArgumentError(
          absl::StrCat("readings line ", r.line, ": ", tx.status().message())));
    }
    txs.push_back(*std::move(tx));
    labels.push_back(absl::StrCat("reading line ", r.line));
  }
  return (*session)->SubmitAndReport(txs, labels);
}

}  // namespace

// Called by `gridledger market` (cmd_market.cc) for every verb but `clear`.
int RunMarketNode(int argc, char** argv) {
  std::vector<std::string> args = ParseFlags(argc, argv, kMarketNodeUsage);
  if (args.size() != 1) {
    std::fprintf(stderr, "%s", kMarketNodeUsage);
    return kExitUsage;
  }
  const std::string& verb = args[0];
  if (const std::string csv = absl::GetFlag(FLAGS_csv); verb == "reading" && !csv.empty()) {
    return RunCsv(csv);
  }
  if (verb == "register" || verb == "tariff" || verb == "bid" || verb == "ask" ||
      verb == "cancel" || verb == "reading") {
    return RunSingle(verb);
  }
  std::fprintf(stderr, "gridledger market: unknown verb '%s'\n%s", verb.c_str(), kMarketNodeUsage);
  return kExitUsage;
}

}  // namespace gridledger::tools
