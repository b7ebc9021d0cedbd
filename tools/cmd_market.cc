// `gridledger market clear --book=FILE`: the ledger's pay-as-clear auction
// (core/execution/market_clearing.h) run offline on one interval's book. The
// other verbs sign and send market transactions (cmd_market_node.cc).
//
// Book: one order per line, `seq,account,side,energy_wh,price_per_kwh` (side
// bid|ask); blank lines and lines starting with '#' are ignored. Values follow
// the ORDER codec's bounds (0 < energy_wh <= kMaxEnergyWh, price_per_kwh <=
// kMaxPricePerKwh and > 0 for a bid); sequences are unique; an account is on
// one side only. Output: one JSON object, `clearing_price_per_kwh` (integer or
// null when nothing crosses), `cleared_wh`, and `trades` (`bid_seq`,
// `ask_seq`, `energy_wh`, in walk order). A bad line exits 1 with its reason.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/common/file_read.h"
#include "core/execution/market_clearing.h"
#include "core/execution/market_params.h"
#include "nlohmann/json.hpp"
#include "tools/cli.h"
#include "tools/command.h"
#include "tools/decimal.h"

namespace gridledger::tools {

// Declares the verbs that talk to a node (cmd_market_node.cc).
void AddMarketNodeCommands(CLI::App* market, std::function<int()>* run);

namespace {

constexpr char kMarketExitHelp[] =
    "exit: 0 ok, 1 bad input, 2 usage, 3 refused or failed, 4 unknown account,\n"
    "      5 not final within --wait_ms, 6 node unreachable";
constexpr size_t kMaxBookFileBytes = size_t{64} << 20;

absl::Status LineError(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("book line ", line, ": ", what));
}

absl::StatusOr<std::vector<BookOrder>> ParseBook(absl::string_view text) {
  std::vector<BookOrder> book;
  absl::flat_hash_set<uint64_t> seqs;
  absl::flat_hash_map<std::string, OrderSide> sides;
  size_t line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    const absl::string_view content = absl::StripAsciiWhitespace(raw);
    if (content.empty() || content[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(content, ',');
    if (f.size() != 5) {
      return LineError(line, absl::StrCat("expected 5 fields seq,account,side,energy_wh,"
                                          "price_per_kwh, got ", f.size()));
    }
    for (absl::string_view& field : f) field = absl::StripAsciiWhitespace(field);
    BookOrder o;
    if (!ParseCanonicalU64(f[0], UINT64_MAX, &o.seq)) {
      return LineError(line, absl::StrCat("seq '", f[0], "' is not a canonical decimal number"));
    }
    if (!seqs.insert(o.seq).second) return LineError(line, absl::StrCat("seq ", o.seq, " repeated"));
    if (f[1].empty()) return LineError(line, "empty account");
    if (f[2] == "bid") {
      o.side = OrderSide::kBid;
    } else if (f[2] == "ask") {
      o.side = OrderSide::kAsk;
    } else {
      return LineError(line, absl::StrCat("side '", f[2], "' is not bid or ask"));
    }
    if (!ParseCanonicalU64(f[3], kMaxEnergyWh, &o.energy_wh) || o.energy_wh == 0) {
      return LineError(line, absl::StrCat("energy_wh '", f[3], "' is not in [1, ", kMaxEnergyWh,
                                          "]"));
    }
    const uint64_t min_price = o.side == OrderSide::kBid ? 1 : 0;
    if (!ParseCanonicalU64(f[4], kMaxPricePerKwh, &o.price_per_kwh) ||
        o.price_per_kwh < min_price) {
      return LineError(line, absl::StrCat("price_per_kwh '", f[4], "' is not in [", min_price,
                                          ", ", kMaxPricePerKwh, "] for a ", f[2]));
    }
    auto [it, fresh] = sides.emplace(std::string(f[1]), o.side);
    if (!fresh && it->second != o.side) {
      return LineError(line, absl::StrCat("account '", f[1],
                                          "' is on both sides (one side per account and interval)"));
    }
    if (book.size() >= kMaxOrdersPerInterval) {
      return LineError(line, absl::StrCat("more than kMaxOrdersPerInterval=",
                                          kMaxOrdersPerInterval, " orders"));
    }
    book.push_back(o);
  }
  return book;
}

std::string ClearingJson(const ClearingResult& r) {
  nlohmann::ordered_json trades = nlohmann::ordered_json::array();
  for (const ClearingTrade& t : r.trades) {
    trades.push_back({{"bid_seq", t.bid_seq}, {"ask_seq", t.ask_seq}, {"energy_wh", t.energy_wh}});
  }
  const nlohmann::ordered_json out{
      {"clearing_price_per_kwh",
       r.price_per_kwh.has_value() ? nlohmann::ordered_json(*r.price_per_kwh) : nullptr},
      {"cleared_wh", r.cleared_wh},
      {"trades", std::move(trades)}};
  return out.dump();
}

int Clear(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileBounded(path, kMaxBookFileBytes, "book");
  if (!text.ok()) {
    std::fprintf(stderr, "gridledger market clear: %s\n",
                 std::string(text.status().message()).c_str());
    return kExitBadInput;
  }
  absl::StatusOr<std::vector<BookOrder>> book = ParseBook(*text);
  if (!book.ok()) {
    std::fprintf(stderr, "gridledger market clear: %s\n",
                 std::string(book.status().message()).c_str());
    return kExitBadInput;
  }
  std::printf("%s\n", ClearingJson(ClearBook(*book)).c_str());
  return kExitOk;
}

int RunMarket(int argc, char** argv) {
  CLI::App app("The DSO market: clear a book offline, or sign market transactions and send "
               "them to a node.",
               "gridledger market");
  app.footer(kMarketExitHelp);
  app.require_subcommand(1);
  std::function<int()> run;
  std::string book;
  CLI::App* clear = app.add_subcommand(
      "clear", "pay-as-clear clearing of one interval's book, offline; prints one JSON object");
  clear->add_option("--book", book, "the book: one order per line, "
                                    "seq,account,side,energy_wh,price_per_kwh ('#' comments)")
      ->required();
  clear->callback([&] { run = [&] { return Clear(book); }; });
  AddMarketNodeCommands(&app, &run);
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  return run();
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(market,
                    "the market: clear --book=FILE offline; register, tariff, bid, ask, cancel, "
                    "reading signed and sent to a node",
                    gridledger::tools::RunMarket);
