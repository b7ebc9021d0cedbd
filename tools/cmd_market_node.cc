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
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/bytes.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/crypto/key_file.h"
#include "tools/api_client.h"
#include "tools/cli.h"
#include "tools/command.h"
#include "tools/market_client.h"
#include "tools/readings_csv.h"
#include "tools/tx_body_options.h"

namespace gridledger::tools {

namespace {

// Every option of the verbs (each verb declares only its own).
struct MarketArgs {
  MarketOptions options;
  std::string key;  // key file; for reading --csv a comma-separated list
  std::string csv;
  TxBodyArgs body;
};

template <typename Fixed>
absl::StatusOr<Fixed> HexFlag(const std::string& value, absl::string_view name) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  GL_ASSIGN_OR_RETURN(auto bytes, HexDecodeFixed<Fixed::kSize>(value, absl::StrCat("--", name)));
  return Fixed(bytes);
}

absl::StatusOr<std::vector<KeyPair>> KeysFromFlag(const MarketArgs& a) {
  const std::string& list = a.key;
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

absl::StatusOr<KeyPair> OneKey(const MarketArgs& a) {
  GL_ASSIGN_OR_RETURN(std::vector<KeyPair> keys, KeysFromFlag(a));
  if (keys.size() != 1) return absl::InvalidArgumentError("--key: give exactly one key file");
  return keys[0];
}

absl::StatusOr<TxBody> BodyFor(const std::string& verb, const MarketArgs& a) {
  if (verb == "register") {
    GL_ASSIGN_OR_RETURN(PublicKey account, HexFlag<PublicKey>(a.body.account, "account"));
    const std::string role = absl::AsciiStrToLower(a.body.role);
    if (role == "prosumer") {
      if (!a.body.bound_prosumer.empty()) {
        return absl::InvalidArgumentError("--bound_prosumer is for --role=meter only");
      }
      return RegisterBody{account, AccountRole::kProsumer, PublicKey()};
    }
    if (role != "meter") return absl::InvalidArgumentError("--role must be prosumer or meter");
    GL_ASSIGN_OR_RETURN(PublicKey bound,
                        HexFlag<PublicKey>(a.body.bound_prosumer, "bound_prosumer"));
    return RegisterBody{account, AccountRole::kMeter, bound};
  }
  if (verb == "tariff") {
    return SetTariffBody{PricePerKwh(a.body.grid_fee), PricePerKwh(a.body.shortfall_price),
                         PricePerKwh(a.body.surplus_price)};
  }
  if (verb == "bid" || verb == "ask") {
    return OrderBody{verb == "bid" ? OrderSide::kBid : OrderSide::kAsk,
                     IntervalId(a.body.interval), EnergyWh(a.body.energy_wh),
                     PricePerKwh(a.body.limit_price)};
  }
  GL_ASSIGN_OR_RETURN(TxId order, HexFlag<TxId>(a.body.order_id, "order_id"));  // cancel
  return CancelBody{order};
}

// The prosumer a meter reports for: --prosumer, else its binding on the ledger.
absl::StatusOr<PublicKey> ProsumerOf(MarketSession& session, const PublicKey& meter,
                                     const std::string& prosumer_flag) {
  if (!prosumer_flag.empty()) return HexFlag<PublicKey>(prosumer_flag, "prosumer");
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
int RunSingle(const std::string& verb, const MarketArgs& a) {
  absl::StatusOr<KeyPair> key = OneKey(a);
  if (!key.ok()) return ReportMarketFailure(key.status());
  absl::StatusOr<TxBody> body = verb == "reading" ? absl::StatusOr<TxBody>(TxBody{})
                                                   : BodyFor(verb, a);
  if (!body.ok()) return ReportMarketFailure(body.status());
  auto session = MarketSession::Open(a.options);
  if (!session.ok()) return ReportMarketFailure(session.status());
  if (verb == "reading") {
    absl::StatusOr<PublicKey> prosumer =
        ProsumerOf(**session, key->public_key(), a.body.prosumer);
    if (!prosumer.ok()) return ReportMarketFailure(prosumer.status());
    body = MeterReadingBody{*prosumer, IntervalId(a.body.interval),
                            EnergyWh(a.body.imported_wh), EnergyWh(a.body.exported_wh)};
  }
  absl::StatusOr<uint64_t> nonce = (*session)->NextNonce(key->public_key());
  if (!nonce.ok()) return ReportMarketFailure(nonce.status());
  absl::StatusOr<Bytes> tx = (*session)->Sign(*key, *nonce, std::move(*body));
  if (!tx.ok()) return ReportMarketFailure(tx.status());
  return (*session)->SubmitAndReport({*tx}, {verb});
}

// Every reading of the CSV, each signed by its meter's key with consecutive
// nonces in file order. Nothing is submitted unless every line is good.
int RunCsv(const MarketArgs& a) {
  const std::string& path = a.csv;
  absl::StatusOr<std::vector<KeyPair>> keys = KeysFromFlag(a);
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
  auto session = MarketSession::Open(a.options);
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
      absl::StatusOr<PublicKey> prosumer = ProsumerOf(**session, r.meter, "");
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

// Declares the verbs that talk to a node under `gridledger market`
// (cmd_market.cc); once a verb's options parse, *run is set to it.
void AddMarketNodeCommands(CLI::App* market, std::function<int()>* run) {
  auto a = std::make_shared<MarketArgs>();
  auto verb = [&](const char* name, const char* help) {
    CLI::App* sub = market->add_subcommand(name, help);
    sub->add_option("--key", a->key, "the signer's key file (gridledger keys new --out=FILE)")
        ->required();
    AddMarketOptions(sub, &a->options);
    sub->callback([a, run, name = std::string(name)] {
      *run = [a, name] { return RunSingle(name, *a); };
    });
    return sub;
  };
  CLI::App* reg = verb("register", "register an account as a prosumer or meter (DSO key)");
  AddRegisterOptions(reg, &a->body, {"prosumer", "meter"});
  reg->get_option("--account")->required();
  reg->get_option("--role")->required();

  CLI::App* tariff = verb("tariff", "set the tariff from the next interval (DSO key)");
  AddTariffOptions(tariff, &a->body);

  for (const char* side : {"bid", "ask"}) {
    CLI::App* order = verb(side, side == std::string("bid") ? "buy energy in an interval "
                                                              "(prosumer key)"
                                                            : "sell energy in an interval "
                                                              "(prosumer key)");
    AddIntervalOption(order, &a->body);
    AddOrderOptions(order, &a->body);
  }

  CLI::App* cancel = verb("cancel", "cancel an open order (the order's owner)");
  AddOrderIdOption(cancel, &a->body)->required();

  CLI::App* reading = verb("reading", "a meter's reading for an interval (meter key), or bulk "
                                      "readings from --csv");
  AddIntervalOption(reading, &a->body);
  AddReadingOptions(reading, &a->body);
  reading->add_option("--csv", a->csv,
                      "bulk readings, lines meter,interval,imported_wh,exported_wh ('#' "
                      "comments); --key then lists one key file per meter, comma-separated");
  reading->callback([a, run] {
    *run = [a] { return a->csv.empty() ? RunSingle("reading", *a) : RunCsv(*a); };
  });
}

}  // namespace gridledger::tools
