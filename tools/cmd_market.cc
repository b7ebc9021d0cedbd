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
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/common/file_read.h"
#include "core/execution/market_clearing.h"
#include "core/execution/market_params.h"
#include "tools/command.h"
#include "tools/decimal.h"

namespace gridledger::tools {

// The verbs that talk to a node (cmd_market_node.cc).
int RunMarketNode(int argc, char** argv);

namespace {

constexpr char kUsage[] =
    "usage: gridledger market clear --book=FILE\n"
    "       gridledger market register|tariff|bid|ask|cancel|reading ...  (--help for flags)\n";
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
  std::string out = "{\"clearing_price_per_kwh\":";
  absl::StrAppend(&out, r.price_per_kwh.has_value() ? absl::StrCat(*r.price_per_kwh) : "null",
                  ",\"cleared_wh\":", r.cleared_wh, ",\"trades\":[");
  for (size_t i = 0; i < r.trades.size(); ++i) {
    const ClearingTrade& t = r.trades[i];
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"bid_seq\":", t.bid_seq, ",\"ask_seq\":",
                    t.ask_seq, ",\"energy_wh\":", t.energy_wh, "}");
  }
  out += "]}";
  return out;
}

int RunMarket(int argc, char** argv) {
  if (argc >= 2 && absl::string_view(argv[1]) != "clear") return RunMarketNode(argc, argv);
  if (argc != 3 || absl::string_view(argv[1]) != "clear" ||
      !absl::StartsWith(argv[2], "--book=")) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string path = std::string(absl::string_view(argv[2]).substr(7));
  absl::StatusOr<std::string> text = ReadFileBounded(path, kMaxBookFileBytes, "book");
  if (!text.ok()) {
    std::fprintf(stderr, "gridledger market clear: %s\n", std::string(text.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::vector<BookOrder>> book = ParseBook(*text);
  if (!book.ok()) {
    std::fprintf(stderr, "gridledger market clear: %s\n", std::string(book.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", ClearingJson(ClearBook(*book)).c_str());
  return 0;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(market,
                    "the market: clear --book=FILE offline; register, tariff, bid, ask, cancel, "
                    "reading signed and sent to a node",
                    gridledger::tools::RunMarket);
