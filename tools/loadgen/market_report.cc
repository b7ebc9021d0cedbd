#include "tools/loadgen/market_report.h"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/status_macros.h"
#include "core/execution/market_state.h"
#include "core/execution/overlay.h"
#include "core/execution/receipt_records.h"
#include "storage/account_store.h"
#include "storage/node_store.h"
#include "storage/records.h"

namespace gridledger::loadgen {
namespace {

constexpr uint8_t kIntervalTag = 'K';
constexpr uint8_t kSettlementTag = 'Y';
// JsonWriter writes a non-finite number as null: a price when none cleared.
constexpr double kNull = std::numeric_limits<double>::quiet_NaN();

uint64_t U64At(const Bytes& key, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | key[offset + i];
  return v;
}

// What one store holds, compared across the validators of a slice.
struct StoreFigures {
  std::vector<IntervalFigures> intervals;
  uint64_t settlements = 0;
  uint64_t shortfall_paid = 0;
  uint64_t surplus_paid = 0;
  uint64_t missing_readings = 0;
  bool operator==(const StoreFigures&) const = default;
};

absl::StatusOr<std::vector<MarketEntry>> Tagged(const Overlay& o, uint8_t tag) {
  return o.MarketRange(MarketKey(tag), MarketKey(static_cast<uint8_t>(tag + 1)), SIZE_MAX);
}

absl::StatusOr<StoreFigures> ReadFigures(const StateView& view, uint32_t slice) {
  Overlay overlay(view);
  MarketState market(&overlay);
  StoreFigures f;
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> intervals, Tagged(overlay, kIntervalTag));
  for (const MarketEntry& e : intervals) {
    if (e.first.size() != 9) return absl::DataLossError("market interval key of a bad size");
    const uint64_t k = U64At(e.first, 1);
    GL_ASSIGN_OR_RETURN(std::optional<IntervalRecord> r, market.Interval(k));
    if (!r.has_value()) return absl::DataLossError("market interval record vanished");
    f.intervals.push_back(IntervalFigures{slice, k, r->price, r->cleared_wh, r->orders, r->trades,
                                          r->status == IntervalStatus::kSettled});
  }
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> settlements, Tagged(overlay, kSettlementTag));
  for (const MarketEntry& e : settlements) {
    if (e.first.size() != 1 + 8 + 32) return absl::DataLossError("settlement key of a bad size");
    std::array<uint8_t, 32> account;
    std::copy(e.first.end() - 32, e.first.end(), account.begin());
    GL_ASSIGN_OR_RETURN(std::optional<SettlementRecord> s,
                        market.Settlement(U64At(e.first, 1), PublicKey(account)));
    if (!s.has_value()) return absl::DataLossError("settlement record vanished");
    ++f.settlements;
    if (s->imbalance_wh < 0) f.shortfall_paid += s->amount;
    if (s->imbalance_wh > 0) f.surplus_paid += s->amount;
    if (s->flags & kSettlementMissingReading) ++f.missing_readings;
  }
  return f;
}

// balances + open escrow - debt, over the store's accounts.
absl::StatusOr<__int128> MoneyIn(storage::NodeStore& store, const StateView& view) {
  __int128 total = 0;
  {
    GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, store.env().BeginRead());
    GL_RETURN_IF_ERROR(storage::ForEachAccount(
        txn, store.tables(), [&](ByteSpan, ByteSpan record) -> absl::Status {
          GL_ASSIGN_OR_RETURN(AccountState a, storage::DecodeAccountRecord(record));
          total += a.balance.value();
          return absl::OkStatus();
        }));
  }
  Overlay overlay(view);
  MarketState market(&overlay);
  GL_ASSIGN_OR_RETURN(uint64_t escrow, market.Meta(MarketMeta::kTotalEscrow));
  GL_ASSIGN_OR_RETURN(uint64_t debt, market.Meta(MarketMeta::kTotalDebt));
  // Money that left for other slices is still this slice's supply until
  // credited there; money credited from other slices is theirs.
  GL_ASSIGN_OR_RETURN(ReceiptTotals receipts, ReadReceiptTotals(view));
  return total + escrow - debt + receipts.sent_amount - receipts.credited_amount;
}

std::string Int128(__int128 v) {
  if (v < 0) return absl::StrCat("-", Int128(-v));
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  return digits;
}

double Units(uint64_t micro) { return static_cast<double>(micro) / 1e6; }

// MarketReport::cross_slice from validator 0's store of each slice.
absl::Status ReadCrossSlice(const std::vector<std::vector<std::string>>& store_dirs,
                            MarketReport* report) {
  std::vector<std::unique_ptr<storage::NodeStore>> stores;
  std::vector<std::unique_ptr<storage::StoreStateView>> views;
  for (const auto& dirs : store_dirs) {
    if (dirs.empty()) return absl::OkStatus();  // a slice with no store read
    storage::LmdbOptions options;
    options.dir = dirs[0];
    GL_ASSIGN_OR_RETURN(stores.emplace_back(), storage::NodeStore::Open(options));
    GL_ASSIGN_OR_RETURN(views.emplace_back(), stores.back()->Snapshot());
  }
  MarketReport::CrossSlice& x = report->cross_slice;
  uint64_t sent_amount = 0, credited_amount = 0;
  for (size_t s = 0; s < views.size(); ++s) {
    GL_ASSIGN_OR_RETURN(ReceiptTotals t, ReadReceiptTotals(*views[s]));
    x.sent += t.sent;
    x.credited += t.credited;
    sent_amount += t.sent_amount;
    credited_amount += t.credited_amount;
    for (size_t d = 0; d < views.size(); ++d) {
      if (d == s) continue;
      const SliceId source(static_cast<uint32_t>(s)), dest(static_cast<uint32_t>(d));
      GL_ASSIGN_OR_RETURN(uint64_t next, NextIncoming(*views[d], source));
      GL_ASSIGN_OR_RETURN(uint64_t out, NextOutgoing(*views[s], dest));
      x.in_flight += out - next;
      GL_ASSIGN_OR_RETURN(uint64_t amount, OutgoingAmountFrom(*views[s], dest, next));
      x.in_flight_amount += amount;
    }
  }
  if (x.in_flight_amount != sent_amount - credited_amount) {
    report->money_conserved = false;
    report->money_errors.push_back(absl::StrCat(
        "receipts in flight sum to ", x.in_flight_amount, " but sent - credited is ",
        sent_amount - credited_amount));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MarketReport> ReadMarketFromStores(
    const std::vector<std::vector<std::string>>& store_dirs, const Genesis& genesis) {
  MarketReport report;
  report.money_conserved = true;
  for (size_t s = 0; s < store_dirs.size(); ++s) {
    const uint32_t slice = static_cast<uint32_t>(s);
    uint64_t supply = 0;
    for (const GenesisAccount& a : GenesisAccountsOf(genesis, SliceId(slice))) {
      supply += a.balance.value();
    }
    std::optional<StoreFigures> reference;
    for (size_t i = 0; i < store_dirs[s].size(); ++i) {
      storage::LmdbOptions options;
      options.dir = store_dirs[s][i];
      auto store = storage::NodeStore::Open(options);
      if (!store.ok()) {
        return absl::Status(store.status().code(),
                            absl::StrCat(options.dir, ": ", store.status().message()));
      }
      GL_ASSIGN_OR_RETURN(auto view, (*store)->Snapshot());
      GL_ASSIGN_OR_RETURN(StoreFigures figures, ReadFigures(*view, slice));
      GL_ASSIGN_OR_RETURN(__int128 money, MoneyIn(**store, *view));
      ++report.stores;
      if (money != static_cast<__int128>(supply)) {
        report.money_conserved = false;
        report.money_errors.push_back(absl::StrCat("slice ", s, " validator ", i,
                                                   ": balances + escrow - debt = ", Int128(money),
                                                   ", genesis supply ", supply));
      }
      if (!reference.has_value()) {
        reference = std::move(figures);
      } else if (!(figures == *reference)) {
        ++report.disagreements;
      }
    }
    if (!reference.has_value()) continue;
    for (const IntervalFigures& f : reference->intervals) {
      ++report.intervals_cleared;
      report.orders += f.orders;
      report.trades += f.trades;
      report.cleared_wh += f.cleared_wh;
      if (f.settled) ++report.settled_intervals;
      if (f.trades > 0) ++report.intervals_traded;
      if (f.price_per_kwh.has_value()) {
        report.price_min = std::min(report.price_min.value_or(UINT64_MAX), *f.price_per_kwh);
        report.price_max = std::max(report.price_max.value_or(0), *f.price_per_kwh);
      }
      report.intervals.push_back(f);
    }
    report.settlements += reference->settlements;
    report.shortfall_paid += reference->shortfall_paid;
    report.surplus_paid += reference->surplus_paid;
    report.missing_readings += reference->missing_readings;
  }
  GL_RETURN_IF_ERROR(ReadCrossSlice(store_dirs, &report));
  report.done = true;
  return report;
}

std::string MarketSummaryText(const MarketReport& r, bool market_section) {
  std::string out;
  if (!r.done) {
    absl::StrAppend(&out, " Market and money: not read (the stores could not be opened)\n");
    return out;
  }
  if (market_section) {
    absl::StrAppend(&out, " + MARKET (read from every validator's store):\n");
    absl::StrAppendFormat(&out, " Intervals cleared: %u (%u with trades), settled: %u\n",
                          r.intervals_cleared, r.intervals_traded, r.settled_intervals);
    absl::StrAppendFormat(&out, " Orders: %u, trades: %u, volume: %.3f kWh\n", r.orders,
                          r.trades, static_cast<double>(r.cleared_wh) / 1000.0);
    if (r.price_min.has_value()) {
      absl::StrAppendFormat(&out, " Clearing price: %.4f .. %.4f per kWh\n",
                            Units(*r.price_min), Units(*r.price_max));
    } else {
      absl::StrAppend(&out, " Clearing price: none (no interval crossed)\n");
    }
    absl::StrAppendFormat(&out,
                          " Settlements: %u; imbalance paid: %.4f to the DSO (shortfall), "
                          "%.4f by it (surplus)\n",
                          r.settlements, Units(r.shortfall_paid), Units(r.surplus_paid));
    absl::StrAppendFormat(&out, " Missing readings: %u\n", r.missing_readings);
    absl::StrAppendFormat(&out, " Market records agree across validators: %s\n",
                          r.disagreements == 0
                              ? std::string("yes")
                              : absl::StrCat("NO (", r.disagreements, " stores differ)"));
  }
  absl::StrAppendFormat(&out,
                        " Money conserved (balances + escrow - debt = genesis supply): %s on "
                        "%u stores\n",
                        r.money_conserved ? "yes" : "NO", r.stores);
  for (const std::string& e : r.money_errors) absl::StrAppend(&out, "   ", e, "\n");
  if (r.cross_slice.sent > 0) {
    absl::StrAppendFormat(&out,
                          " Cross-slice receipts: %u sent, %u credited, %u in flight "
                          "(%.4f; counted in the money check)\n",
                          r.cross_slice.sent, r.cross_slice.credited, r.cross_slice.in_flight,
                          Units(r.cross_slice.in_flight_amount));
  }
  absl::StrAppend(&out, "-----------------------------------------\n");
  return out;
}

void WriteMarketJson(JsonWriter& w, const MarketReport& r) {
  w.Key("money_conserved").Bool(r.done && r.money_conserved);
  w.Key("cross_slice").BeginObject();
  w.Key("sent").Uint(r.cross_slice.sent);
  w.Key("credited").Uint(r.cross_slice.credited);
  w.Key("in_flight").Uint(r.cross_slice.in_flight);
  w.Key("in_flight_amount").Uint(r.cross_slice.in_flight_amount);
  w.EndObject();
  w.Key("market").BeginObject();
  w.Key("read_from_stores").Bool(r.done);
  w.Key("intervals_cleared").Uint(r.intervals_cleared);
  w.Key("intervals_traded").Uint(r.intervals_traded);
  w.Key("orders").Uint(r.orders);
  w.Key("trades").Uint(r.trades);
  w.Key("cleared_wh").Uint(r.cleared_wh);
  w.Key("price_min_per_kwh");
  r.price_min.has_value() ? w.Uint(*r.price_min) : w.Double(kNull);
  w.Key("price_max_per_kwh");
  r.price_max.has_value() ? w.Uint(*r.price_max) : w.Double(kNull);
  w.Key("settled_intervals").Uint(r.settled_intervals);
  w.Key("settlements").Uint(r.settlements);
  w.Key("imbalance_shortfall_paid").Uint(r.shortfall_paid);
  w.Key("imbalance_surplus_paid").Uint(r.surplus_paid);
  w.Key("missing_readings").Uint(r.missing_readings);
  w.Key("stores_read").Uint(r.stores);
  w.Key("disagreements").Uint(r.disagreements);
  w.EndObject();
}

std::string MarketCsv(const MarketReport& r) {
  std::string out = "slice,interval,step,price_per_kwh,cleared_kwh,orders,trades\n";
  std::optional<uint32_t> slice;
  uint64_t first = 0;
  for (const IntervalFigures& f : r.intervals) {
    if (slice != f.slice) {
      slice = f.slice;
      first = f.interval;
    }
    absl::StrAppendFormat(&out, "%u,%u,%u,%s,%.3f,%u,%u\n", f.slice, f.interval,
                          f.interval - first,
                          f.price_per_kwh.has_value()
                              ? absl::StrFormat("%.6f", Units(*f.price_per_kwh))
                              : std::string(),
                          static_cast<double>(f.cleared_wh) / 1000.0, f.orders, f.trades);
  }
  return out;
}

}  // namespace gridledger::loadgen
