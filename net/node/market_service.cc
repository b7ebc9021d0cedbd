#include "net/node/market_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/string_bytes.h"
#include "core/execution/market_state.h"
#include "core/execution/overlay.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;

grpc::Status Invalid(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

grpc::Status Internal(const absl::Status& s) {
  return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
}

// One consistent read of the committed market: an LMDB read transaction held
// for the query's lifetime, read through MarketState's decoders.
class MarketSnapshot {
 public:
  static absl::StatusOr<std::unique_ptr<MarketSnapshot>> Open(storage::NodeStore* store) {
    GL_ASSIGN_OR_RETURN(std::unique_ptr<storage::StoreStateView> view, store->Snapshot());
    auto snapshot = std::unique_ptr<MarketSnapshot>(new MarketSnapshot(std::move(view)));
    GL_ASSIGN_OR_RETURN(snapshot->as_of_, snapshot->view_->LastCommittedSequence());
    GL_ASSIGN_OR_RETURN(snapshot->now_ms_, snapshot->state_.Meta(MarketMeta::kConsensusTime));
    return snapshot;
  }

  const MarketState& state() const { return state_; }
  uint64_t as_of() const { return as_of_; }
  uint64_t now_ms() const { return now_ms_; }

 private:
  explicit MarketSnapshot(std::unique_ptr<storage::StoreStateView> view)
      : view_(std::move(view)), overlay_(*view_), state_(&overlay_) {}

  std::unique_ptr<storage::StoreStateView> view_;
  Overlay overlay_;  // never written: only reads through to the view
  MarketState state_;
  uint64_t as_of_ = 0;
  uint64_t now_ms_ = 0;
};

// Interval k's times; false when they do not fit in u64 milliseconds.
struct IntervalTimes {
  uint64_t start_ms, gate_ms, end_ms, window_closes_ms;
};
bool TimesOf(const MarketTiming& timing, uint64_t k, IntervalTimes* out) {
  const unsigned __int128 start = static_cast<unsigned __int128>(k) * timing.interval_ms;
  const unsigned __int128 closes = start + timing.interval_ms + timing.reading_window_ms;
  if (closes > UINT64_MAX) return false;
  out->start_ms = static_cast<uint64_t>(start);
  out->end_ms = static_cast<uint64_t>(start + timing.interval_ms);
  out->window_closes_ms = static_cast<uint64_t>(closes);
  out->gate_ms =
      out->start_ms > timing.gate_closure_ms ? out->start_ms - timing.gate_closure_ms : 0;
  return true;
}

grpc::Status AccountOf(const std::string& bytes, PublicKey* out) {
  if (bytes.size() != PublicKey::kSize) {
    return Invalid(absl::StrCat("account: expected 32 bytes, got ", bytes.size()));
  }
  *out =
      PublicKey::FromSpan(ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return grpc::Status::OK;
}

v1::IntervalStatus StatusOf(IntervalStatus s) {
  return s == IntervalStatus::kSettled ? v1::INTERVAL_STATUS_SETTLED : v1::INTERVAL_STATUS_CLEARED;
}

// The open book's depth, read in pages (bounded by the execution's bound on
// one interval's book).
absl::Status FillDepth(const MarketState& state, uint64_t k, uint64_t max_orders,
                       v1::MarketInterval* out) {
  v1::BookDepth* depth = out->mutable_depth();
  uint64_t next_seq = 0;
  uint64_t read = 0;
  for (;;) {
    GL_ASSIGN_OR_RETURN(auto page, state.BookPage(k, next_seq, kBookPageOrders));
    for (const auto& [seq, order] : page) {
      if (order.side == OrderSide::kBid) {
        depth->set_bid_orders(depth->bid_orders() + 1);
        depth->set_bid_wh(depth->bid_wh() + order.energy_wh);
      } else {
        depth->set_ask_orders(depth->ask_orders() + 1);
        depth->set_ask_wh(depth->ask_wh() + order.energy_wh);
      }
      next_seq = seq + 1;
    }
    read += page.size();
    if (page.size() < kBookPageOrders || next_seq == 0) break;
    if (read > max_orders) {
      return absl::DataLossError(absl::StrCat("interval ", k, ": book holds more than ",
                                              max_orders, " orders"));
    }
  }
  out->set_orders(depth->bid_orders() + depth->ask_orders());
  return absl::OkStatus();
}

void FillTrade(const TradeRecord& t, uint32_t index, v1::MarketTrade* out) {
  out->set_index(index);
  out->set_buyer(StringOf(t.buyer.span()));
  out->set_seller(StringOf(t.seller.span()));
  out->set_bid_seq(t.bid_seq);
  out->set_ask_seq(t.ask_seq);
  out->set_energy_wh(t.energy_wh);
  out->set_paid(t.paid);
  out->set_grid_fee_paid(t.fee);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MarketEventLog>> MarketEventLogFor(SliceId slice,
                                                                  const MarketConfig& config,
                                                                  storage::NodeStore* store) {
  GL_ASSIGN_OR_RETURN(auto snapshot, MarketSnapshot::Open(store));
  return std::make_unique<MarketEventLog>(slice, config.timing.interval_ms, snapshot->as_of() + 1,
                                          snapshot->now_ms());
}

grpc::Status MarketService::GetMarketInterval(const v1::GetMarketIntervalRequest& request,
                                              v1::MarketInterval* response) {
  const uint64_t k = request.interval();
  if (k == 0) return Invalid("interval: must be > 0");
  IntervalTimes times;
  if (!TimesOf(config_.timing, k, &times)) {
    return Invalid(absl::StrCat("interval: ", k, " lies beyond the representable time"));
  }
  const uint32_t max_trades =
      request.max_trades() == 0 ? kDefaultMarketTradesPerAnswer : request.max_trades();
  if (max_trades > kMaxMarketTradesPerAnswer) {
    return Invalid(absl::StrCat("max_trades: ", max_trades, " exceeds the bound of ",
                                kMaxMarketTradesPerAnswer));
  }
  auto snapshot = MarketSnapshot::Open(store_);
  if (!snapshot.ok()) return Internal(snapshot.status());
  const MarketState& state = (*snapshot)->state();
  response->set_slice(slice_.value());
  response->set_interval(k);
  response->set_start_ms(times.start_ms);
  response->set_gate_closes_at_ms(times.gate_ms);
  response->set_end_ms(times.end_ms);
  response->set_reading_window_closes_at_ms(times.window_closes_ms);
  response->set_consensus_time_ms((*snapshot)->now_ms());
  response->set_as_of_commit_sequence((*snapshot)->as_of());
  auto record = state.Interval(k);
  if (!record.ok()) return Internal(record.status());
  if (!record->has_value()) {
    // Orders are accepted while now + gate < start (market_exec.h).
    const bool open = static_cast<unsigned __int128>((*snapshot)->now_ms()) +
                          config_.timing.gate_closure_ms <
                      times.start_ms;
    response->set_status(open ? v1::INTERVAL_STATUS_OPEN : v1::INTERVAL_STATUS_CLOSED);
    absl::Status depth = FillDepth(state, k, config_.limits.max_orders_per_interval, response);
    if (!depth.ok()) return Internal(depth);
    return grpc::Status::OK;
  }
  const IntervalRecord& r = **record;
  response->set_status(StatusOf(r.status));
  response->set_orders(r.orders);
  if (r.price.has_value()) response->set_clearing_price_per_kwh(*r.price);
  response->set_cleared_wh(r.cleared_wh);
  response->set_grid_fee_per_kwh(r.grid_fee);
  response->set_trades_total(r.trades);
  const uint32_t first = std::min(request.first_trade(), r.trades);
  auto trades = state.TradesPage(k, first, max_trades);
  if (!trades.ok()) return Internal(trades.status());
  for (size_t i = 0; i < trades->size(); ++i) {
    FillTrade((*trades)[i], first + static_cast<uint32_t>(i), response->add_trades());
  }
  response->set_next_trade(first + static_cast<uint32_t>(trades->size()));
  return grpc::Status::OK;
}

grpc::Status MarketService::GetSettlement(const v1::GetSettlementRequest& request,
                                          v1::SettlementResponse* response) {
  PublicKey account;
  if (grpc::Status bad = AccountOf(request.account(), &account); !bad.ok()) return bad;
  const uint64_t k = request.interval();
  if (k == 0) return Invalid("interval: must be > 0");
  auto snapshot = MarketSnapshot::Open(store_);
  if (!snapshot.ok()) return Internal(snapshot.status());
  const MarketState& state = (*snapshot)->state();
  auto settlement = state.Settlement(k, account);
  if (!settlement.ok()) return Internal(settlement.status());
  if (!settlement->has_value()) {
    auto record = state.Interval(k);
    if (!record.ok()) return Internal(record.status());
    const bool settled = record->has_value() && (*record)->status == IntervalStatus::kSettled;
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        settled ? absl::StrCat("account ", account.ShortHex(), " has no settlement in interval ",
                               k, " (it had neither trades nor a reading there)")
                : absl::StrCat("interval ", k, " is not settled (as of commit ",
                               (*snapshot)->as_of(), ")"));
  }
  response->set_slice(slice_.value());
  response->set_as_of_commit_sequence((*snapshot)->as_of());
  const SettlementRecord& s = **settlement;
  FillMarketSettlement(account, k, s, response->mutable_settlement());
  auto position = state.PositionOf(k, account);
  auto reading = state.ReadingOf(k, account);
  auto debt = state.Debt(account);
  if (!position.ok()) return Internal(position.status());
  if (!reading.ok()) return Internal(reading.status());
  if (!debt.ok()) return Internal(debt.status());
  response->set_bought_wh(position->bought_wh);
  response->set_sold_wh(position->sold_wh);
  if (reading->has_value()) {
    response->set_has_reading(true);
    response->set_imported_wh((*reading)->imported_wh);
    response->set_exported_wh((*reading)->exported_wh);
  }
  response->set_debt(*debt);
  return grpc::Status::OK;
}

grpc::Status MarketService::GetTariff(const v1::GetTariffRequest& request,
                                      v1::TariffResponse* response) {
  auto snapshot = MarketSnapshot::Open(store_);
  if (!snapshot.ok()) return Internal(snapshot.status());
  const uint64_t k = request.interval() != 0 ? request.interval()
                                             : (*snapshot)->now_ms() / config_.timing.interval_ms;
  auto record = (*snapshot)->state().TariffRecordFor(k);
  if (!record.ok()) return Internal(record.status());
  response->set_slice(slice_.value());
  response->set_interval(k);
  response->set_consensus_time_ms((*snapshot)->now_ms());
  response->set_as_of_commit_sequence((*snapshot)->as_of());
  if (record->has_value()) {
    const auto& [effective, tariff] = **record;
    response->set_effective_from_interval(effective);
    response->set_grid_fee_per_kwh(tariff.grid_fee);
    response->set_shortfall_price_per_kwh(tariff.shortfall_price);
    response->set_surplus_price_per_kwh(tariff.surplus_price);
  }
  return grpc::Status::OK;
}

grpc::Status MarketService::GetMarketAccount(const v1::GetMarketAccountRequest& request,
                                             v1::MarketAccount* response) {
  PublicKey account;
  if (grpc::Status bad = AccountOf(request.account(), &account); !bad.ok()) return bad;
  auto snapshot = MarketSnapshot::Open(store_);
  if (!snapshot.ok()) return Internal(snapshot.status());
  const MarketState& state = (*snapshot)->state();
  auto role = state.Role(account);
  if (!role.ok()) return Internal(role.status());
  const bool dso = config_.dso.has_value() && *config_.dso == account;
  if (!role->has_value() && !dso) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("account ", account.ShortHex(), " has no market role in slice ",
                     slice_.value(), " (not registered, not the DSO)"));
  }
  response->set_slice(slice_.value());
  response->set_account(request.account());
  response->set_as_of_commit_sequence((*snapshot)->as_of());
  if (dso) {
    response->set_role(v1::MARKET_ROLE_DSO);
  } else if ((*role)->role == AccountRole::kMeter) {
    response->set_role(v1::MARKET_ROLE_METER);
    response->set_bound_prosumer(StringOf((*role)->bound_prosumer.span()));
  } else {
    response->set_role(v1::MARKET_ROLE_PROSUMER);
    auto meter = state.MeterOf(account);
    if (!meter.ok()) return Internal(meter.status());
    if (meter->has_value()) response->set_meter(StringOf((*meter)->span()));
  }
  auto open = state.OpenOrders(account);
  auto debt = state.Debt(account);
  if (!open.ok()) return Internal(open.status());
  if (!debt.ok()) return Internal(debt.status());
  response->set_open_orders(*open);
  response->set_debt(*debt);
  return grpc::Status::OK;
}

grpc::Status MarketService::StreamMarketEvents(grpc::ServerContext* context,
                                               const v1::StreamMarketEventsRequest& request,
                                               grpc::ServerWriter<v1::MarketEvent>* writer) {
  std::optional<SubscriberLimit::Slot> slot = subscribers_.TryAcquire();
  if (!slot.has_value()) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("market event stream: ", subscribers_.max(),
                                     " subscribers already; retry later"));
  }
  absl::StatusOr<uint64_t> position = events_->PositionFor(request.from_sequence());
  if (!position.ok()) {
    return grpc::Status(grpc::StatusCode::OUT_OF_RANGE, std::string(position.status().message()));
  }
  for (;;) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    auto batch = events_->Read(*position, request.from_sequence(), kMarketEventsPerRead,
                               kMarketStreamPoll);
    if (!batch.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(batch.status().code()),
                          std::string(batch.status().message()));
    }
    for (const v1::MarketEvent& e : batch->events) {
      if (!writer->Write(e)) return grpc::Status::CANCELLED;
    }
    *position = batch->next_position;
  }
}

}  // namespace gridledger::node
