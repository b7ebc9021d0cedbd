// `gridledger query market interval|settlement|tariff|account|events`: the
// DSO market API (ledger.proto) from the shell, printed like the other
// queries (tools/cmd_query.cc): "name: value" lines, or one JSON object per
// answer with --json; keys and ids in hex.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "nlohmann/json.hpp"
#include "tools/api_client.h"
#include "tools/decimal.h"
#include "tools/query_market.h"

namespace gridledger::tools {

namespace {

using json = nlohmann::ordered_json;

int Bad(const std::string& message) {
  std::fprintf(stderr, "gridledger query: %s\n", message.c_str());
  return kExitBadInput;
}

bool ParseInterval(const std::string& text, uint64_t* out) {
  return ParseCanonicalU64(text, UINT64_MAX, out) && *out > 0;
}

std::string KeyBytes(const std::array<uint8_t, 32>& key) {
  return std::string(key.begin(), key.end());
}

const char* StatusName(v1::IntervalStatus s) {
  switch (s) {
    case v1::INTERVAL_STATUS_OPEN: return "open";
    case v1::INTERVAL_STATUS_CLOSED: return "closed";
    case v1::INTERVAL_STATUS_CLEARED: return "cleared";
    case v1::INTERVAL_STATUS_SETTLED: return "settled";
    default: return "unknown";
  }
}

json TradeJson(const v1::MarketTrade& t) {
  return json{{"index", t.index()},
              {"buyer", HexOfBytesField(t.buyer())},
              {"seller", HexOfBytesField(t.seller())},
              {"bid_seq", t.bid_seq()},
              {"ask_seq", t.ask_seq()},
              {"energy_wh", t.energy_wh()},
              {"paid", t.paid()},
              {"grid_fee_paid", t.grid_fee_paid()}};
}

json SettlementJson(const v1::MarketSettlement& s) {
  return json{{"account", HexOfBytesField(s.account())},
              {"interval", s.interval()},
              {"delivered_wh", s.delivered_wh()},
              {"contracted_wh", s.contracted_wh()},
              {"imbalance_wh", s.imbalance_wh()},
              {"paid_to_dso", s.paid_to_dso()},
              {"paid_by_dso", s.paid_by_dso()},
              {"missing_reading", s.missing_reading()}};
}

int Interval(const NodeOptions& options, v1::Ledger::Stub& stub, uint32_t slice,
             const std::string& k_text, uint32_t max_trades, uint32_t first_trade) {
  v1::GetMarketIntervalRequest request;
  request.set_slice(slice);  // read by archive nodes
  uint64_t k = 0;
  if (!ParseInterval(k_text, &k)) return Bad(absl::StrCat("interval '", k_text, "' is not > 0"));
  request.set_interval(k);
  request.set_max_trades(max_trades);
  request.set_first_trade(first_trade);
  v1::MarketInterval r;
  auto ctx = RpcContext(options.timeout_ms);
  grpc::Status s = stub.GetMarketInterval(ctx.get(), request, &r);
  if (!s.ok()) return ReportRpcFailure("query", s);
  json j{{"slice", r.slice()},
         {"interval", r.interval()},
         {"status", StatusName(r.status())},
         {"start_ms", r.start_ms()},
         {"gate_closes_at_ms", r.gate_closes_at_ms()},
         {"end_ms", r.end_ms()},
         {"reading_window_closes_at_ms", r.reading_window_closes_at_ms()},
         {"consensus_time_ms", r.consensus_time_ms()},
         {"as_of_commit_sequence", r.as_of_commit_sequence()},
         {"orders", r.orders()}};
  if (r.status() == v1::INTERVAL_STATUS_OPEN || r.status() == v1::INTERVAL_STATUS_CLOSED) {
    j["depth"] = json{{"bid_orders", r.depth().bid_orders()},
                      {"bid_wh", r.depth().bid_wh()},
                      {"ask_orders", r.depth().ask_orders()},
                      {"ask_wh", r.depth().ask_wh()}};
  } else {
    j["clearing_price_per_kwh"] =
        r.has_clearing_price_per_kwh() ? json(r.clearing_price_per_kwh()) : json(nullptr);
    j["cleared_wh"] = r.cleared_wh();
    j["grid_fee_per_kwh"] = r.grid_fee_per_kwh();
    j["trades_total"] = r.trades_total();
    json trades = json::array();
    for (const v1::MarketTrade& t : r.trades()) trades.push_back(TradeJson(t));
    j["trades"] = trades;
    j["next_trade"] = r.next_trade();
  }
  PrintAnswer(j, options.json);
  return kExitOk;
}

int Settlement(const NodeOptions& options, v1::Ledger::Stub& stub, uint32_t slice,
               const std::string& account_hex, const std::string& k_text) {
  auto key = HexDecodeFixed<PublicKey::kSize>(account_hex, "account key");
  if (!key.ok()) return Bad(std::string(key.status().message()));
  uint64_t k = 0;
  if (!ParseInterval(k_text, &k)) return Bad(absl::StrCat("interval '", k_text, "' is not > 0"));
  v1::GetSettlementRequest request;
  request.set_slice(slice);  // read by archive nodes
  request.set_account(KeyBytes(*key));
  request.set_interval(k);
  v1::SettlementResponse r;
  auto ctx = RpcContext(options.timeout_ms);
  grpc::Status s = stub.GetSettlement(ctx.get(), request, &r);
  if (!s.ok()) return ReportRpcFailure("query", s);
  json j = SettlementJson(r.settlement());
  j["bought_wh"] = r.bought_wh();
  j["sold_wh"] = r.sold_wh();
  if (r.has_reading()) {
    j["imported_wh"] = r.imported_wh();
    j["exported_wh"] = r.exported_wh();
  }
  j["debt"] = r.debt();
  j["as_of_commit_sequence"] = r.as_of_commit_sequence();
  PrintAnswer(j, options.json);
  return kExitOk;
}

// `k_text` empty: the current interval.
int Tariff(const NodeOptions& options, v1::Ledger::Stub& stub, uint32_t slice,
           const std::string& k_text) {
  v1::GetTariffRequest request;
  request.set_slice(slice);  // read by archive nodes
  if (!k_text.empty()) {
    uint64_t k = 0;
    if (!ParseInterval(k_text, &k)) return Bad(absl::StrCat("interval '", k_text, "' is not > 0"));
    request.set_interval(k);
  }
  v1::TariffResponse r;
  auto ctx = RpcContext(options.timeout_ms);
  grpc::Status s = stub.GetTariff(ctx.get(), request, &r);
  if (!s.ok()) return ReportRpcFailure("query", s);
  PrintAnswer(json{{"slice", r.slice()},
                   {"interval", r.interval()},
                   {"effective_from_interval", r.has_effective_from_interval()
                                                   ? json(r.effective_from_interval())
                                                   : json(nullptr)},
                   {"grid_fee_per_kwh", r.grid_fee_per_kwh()},
                   {"shortfall_price_per_kwh", r.shortfall_price_per_kwh()},
                   {"surplus_price_per_kwh", r.surplus_price_per_kwh()},
                   {"consensus_time_ms", r.consensus_time_ms()},
                   {"as_of_commit_sequence", r.as_of_commit_sequence()}},
              options.json);
  return kExitOk;
}

int Account(const NodeOptions& options, v1::Ledger::Stub& stub, uint32_t slice,
            const std::string& account_hex) {
  auto key = HexDecodeFixed<PublicKey::kSize>(account_hex, "account key");
  if (!key.ok()) return Bad(std::string(key.status().message()));
  v1::GetMarketAccountRequest request;
  request.set_slice(slice);  // read by archive nodes
  request.set_account(KeyBytes(*key));
  v1::MarketAccount r;
  auto ctx = RpcContext(options.timeout_ms);
  grpc::Status s = stub.GetMarketAccount(ctx.get(), request, &r);
  if (!s.ok()) return ReportRpcFailure("query", s);
  json j{{"slice", r.slice()}, {"account", account_hex}, {"role", v1::MarketRole_Name(r.role())}};
  if (!r.bound_prosumer().empty()) j["bound_prosumer"] = HexOfBytesField(r.bound_prosumer());
  if (!r.meter().empty()) j["meter"] = HexOfBytesField(r.meter());
  j["open_orders"] = r.open_orders();
  j["debt"] = r.debt();
  j["as_of_commit_sequence"] = r.as_of_commit_sequence();
  PrintAnswer(j, options.json);
  return kExitOk;
}

json EventJson(const v1::MarketEvent& e) {
  json j{{"commit_sequence", e.commit_sequence()},
         {"index_in_commit", e.index_in_commit()},
         {"consensus_time_ms", e.consensus_time_ms()}};
  switch (e.event_case()) {
    case v1::MarketEvent::kOrderAccepted: {
      const v1::OrderAccepted& o = e.order_accepted();
      j["event"] = "order_accepted";
      j["tx_id"] = HexOfBytesField(o.tx_id());
      j["owner"] = HexOfBytesField(o.owner());
      j["side"] = o.side() == v1::MARKET_SIDE_BID ? "bid" : "ask";
      j["interval"] = o.interval();
      j["energy_wh"] = o.energy_wh();
      j["limit_price_per_kwh"] = o.limit_price_per_kwh();
      if (o.has_order_seq()) j["order_seq"] = o.order_seq();
      break;
    }
    case v1::MarketEvent::kOrderCancelled:
      j["event"] = "order_cancelled";
      j["order_id"] = HexOfBytesField(e.order_cancelled().order_id());
      j["owner"] = HexOfBytesField(e.order_cancelled().owner());
      break;
    case v1::MarketEvent::kIntervalCleared: {
      const v1::IntervalCleared& c = e.interval_cleared();
      j["event"] = "interval_cleared";
      j["interval"] = c.interval();
      j["clearing_price_per_kwh"] =
          c.has_clearing_price_per_kwh() ? json(c.clearing_price_per_kwh()) : json(nullptr);
      j["cleared_wh"] = c.cleared_wh();
      j["trades"] = c.trades();
      break;
    }
    case v1::MarketEvent::kTrade:
      j["event"] = "trade";
      j["interval"] = e.trade_interval();
      j["trade"] = TradeJson(e.trade());
      break;
    case v1::MarketEvent::kReading:
      j["event"] = "reading";
      j["meter"] = HexOfBytesField(e.reading().meter());
      j["prosumer"] = HexOfBytesField(e.reading().prosumer());
      j["interval"] = e.reading().interval();
      j["imported_wh"] = e.reading().imported_wh();
      j["exported_wh"] = e.reading().exported_wh();
      break;
    case v1::MarketEvent::kSettled:
      j["event"] = "settled";
      j["settlement"] = SettlementJson(e.settled());
      break;
    case v1::MarketEvent::kIntervalSettled:
      j["event"] = "interval_settled";
      j["interval"] = e.interval_settled().interval();
      j["accounts"] = e.interval_settled().accounts();
      break;
    case v1::MarketEvent::kRegistered:
      j["event"] = "registered";
      j["account"] = HexOfBytesField(e.registered().account());
      j["role"] = v1::MarketRole_Name(e.registered().role());
      break;
    case v1::MarketEvent::kTariffSet:
      j["event"] = "tariff_set";
      j["effective_from_interval"] = e.tariff_set().effective_from_interval();
      j["grid_fee_per_kwh"] = e.tariff_set().grid_fee_per_kwh();
      break;
    default:
      j["event"] = "unknown";
  }
  return j;
}

// Bounded like `query commits`: --count events or the deadline.
int Events(const NodeOptions& options, v1::Ledger::Stub& stub, uint32_t slice,
           uint64_t from_sequence, uint32_t count) {
  v1::StreamMarketEventsRequest request;
  request.set_slice(slice);  // read by archive nodes
  request.set_from_sequence(from_sequence);
  auto ctx = RpcContext(options.timeout_ms);
  auto reader = stub.StreamMarketEvents(ctx.get(), request);
  // One JSON object per line, with or without --json.
  return PrintStream("query", *ctx, *reader, count, [](const v1::MarketEvent& e) {
    std::printf("%s\n", EventJson(e).dump().c_str());
  });
}

}  // namespace

void QueryMarketCommand::AddSliceOption(CLI::App* verb) {
  AddNumber(verb, "--slice", &slice_,
            "against an archive node: the slice to read (a validator answers for its own)");
}

QueryMarketCommand::QueryMarketCommand(CLI::App* query, NodeOptions* options, Run* run)
    : options_(options) {
  CLI::App* market = query->add_subcommand("market", "the DSO market: intervals, settlements, "
                                                     "tariff, accounts, events");
  market->require_subcommand(1);

  CLI::App* interval = market->add_subcommand("interval", "one interval: status, depth or "
                                                          "clearing price and trades");
  interval->add_option("K", interval_, "the interval id (> 0)")->required();
  AddNumber(interval, "--max_trades", &max_trades_, "trades to print (0: the node's default)");
  AddNumber(interval, "--first_trade", &first_trade_, "first trade to print (paging)");
  AddNodeOptions(interval, options);
  AddSliceOption(interval);
  interval->callback([this, run] {
    *run = [this](v1::Ledger::Stub& s) {
      return Interval(*options_, s, slice_, interval_, max_trades_, first_trade_);
    };
  });

  CLI::App* settlement = market->add_subcommand("settlement", "an account's settlement of "
                                                              "interval K (exit 4: none yet)");
  settlement->add_option("ACCOUNT", account_hex_, "the account's key (64 hex digits)")
      ->required();
  settlement->add_option("K", interval_, "the interval id (> 0)")->required();
  AddNodeOptions(settlement, options);
  AddSliceOption(settlement);
  settlement->callback([this, run] {
    *run = [this](v1::Ledger::Stub& s) {
      return Settlement(*options_, s, slice_, account_hex_, interval_);
    };
  });

  CLI::App* tariff = market->add_subcommand("tariff", "the tariff in force in interval K "
                                                      "(no K: the current interval)");
  tariff->add_option("K", interval_, "the interval id (> 0)");
  AddNodeOptions(tariff, options);
  AddSliceOption(tariff);
  tariff->callback([this, run] {
    *run = [this](v1::Ledger::Stub& s) { return Tariff(*options_, s, slice_, interval_); };
  });

  CLI::App* account = market->add_subcommand("account", "an account's market role, open orders "
                                                        "and debt");
  account->add_option("ACCOUNT", account_hex_, "the account's key (64 hex digits)")->required();
  AddNodeOptions(account, options);
  AddSliceOption(account);
  account->callback([this, run] {
    *run = [this](v1::Ledger::Stub& s) { return Account(*options_, s, slice_, account_hex_); };
  });

  CLI::App* events = market->add_subcommand(
      "events", "market events in commit order, one JSON object per line; stops after --count "
                "or --timeout_ms");
  AddNumber(events, "--from_sequence", &from_sequence_, "first commit sequence");
  AddNumber(events, "--count", &count_, "how many events to print, then stop");
  AddNodeOptions(events, options);
  AddSliceOption(events);
  events->callback([this, run] {
    *run = [this](v1::Ledger::Stub& s) { return Events(*options_, s, slice_, from_sequence_, count_); };
  });
}

}  // namespace gridledger::tools
