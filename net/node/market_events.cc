#include "net/node/market_events.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/string_bytes.h"
#include "core/execution/market_state.h"
#include "core/execution/memory_state.h"
#include "core/execution/overlay.h"
#include "core/tx/codec.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;

constexpr uint8_t kIntervalTag = 'K', kGateQueueTag = 'Q', kSettlementTag = 'Y';

uint64_t U64At(const Bytes& key, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | key[offset + i];
  return v;
}

PublicKey KeyAt(const Bytes& key, size_t offset) {
  std::array<uint8_t, 32> k;
  std::copy(key.begin() + offset, key.begin() + offset + 32, k.begin());
  return PublicKey(k);
}

v1::MarketSide SideOf(OrderSide side) {
  return side == OrderSide::kBid ? v1::MARKET_SIDE_BID : v1::MARKET_SIDE_ASK;
}

v1::MarketRole RoleOf(AccountRole role) {
  switch (role) {
    case AccountRole::kProsumer: return v1::MARKET_ROLE_PROSUMER;
    case AccountRole::kMeter: return v1::MARKET_ROLE_METER;
    case AccountRole::kDso: return v1::MARKET_ROLE_DSO;
  }
  return v1::MARKET_ROLE_UNSPECIFIED;
}

// What the commit's market change says happened at gate closure and
// settlement, read through MarketState's decoders over the change alone.
class ChangeReader {
 public:
  explicit ChangeReader(const BlockOutcome& outcome) : change_(base_), state_(&change_) {
    for (const auto& [key, value] : outcome.market) {
      if (value.has_value()) {
        change_.PutMarket(key, *value);
        if (key.size() == 9 && key[0] == kIntervalTag) written_intervals_.insert(U64At(key, 1));
        if (key.size() == 41 && key[0] == kSettlementTag) {
          settlements_[U64At(key, 1)].push_back(KeyAt(key, 9));
        }
      } else if (key.size() == 9 && key[0] == kGateQueueTag) {
        gate_closed_.insert(U64At(key, 1));
      }
    }
  }

  absl::Status Clearings(std::vector<v1::MarketEvent>* out) const {
    for (uint64_t k : written_intervals_) {
      GL_ASSIGN_OR_RETURN(std::optional<IntervalRecord> record, state_.Interval(k));
      if (!record.has_value()) return absl::DataLossError("interval record vanished");
      // A settled record is rewritten at settlement; it was cleared here too
      // only when its gate closed in this commit.
      if (record->status != IntervalStatus::kCleared && !gate_closed_.contains(k)) continue;
      v1::IntervalCleared* c = out->emplace_back().mutable_interval_cleared();
      c->set_interval(k);
      if (record->price.has_value()) c->set_clearing_price_per_kwh(*record->price);
      c->set_cleared_wh(record->cleared_wh);
      c->set_orders(record->orders);
      c->set_trades(record->trades);
      c->set_grid_fee_per_kwh(record->grid_fee);
      GL_ASSIGN_OR_RETURN(std::vector<TradeRecord> trades, state_.Trades(k));
      for (size_t i = 0; i < trades.size(); ++i) {
        v1::MarketEvent& e = out->emplace_back();
        e.set_trade_interval(k);
        v1::MarketTrade* t = e.mutable_trade();
        t->set_index(static_cast<uint32_t>(i));
        t->set_buyer(StringOf(trades[i].buyer.span()));
        t->set_seller(StringOf(trades[i].seller.span()));
        t->set_bid_seq(trades[i].bid_seq);
        t->set_ask_seq(trades[i].ask_seq);
        t->set_energy_wh(trades[i].energy_wh);
        t->set_paid(trades[i].paid);
        t->set_grid_fee_paid(trades[i].fee);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Settlements(std::vector<v1::MarketEvent>* out) const {
    for (const auto& [k, accounts] : settlements_) {
      for (const PublicKey& account : accounts) {
        GL_ASSIGN_OR_RETURN(std::optional<SettlementRecord> s, state_.Settlement(k, account));
        if (!s.has_value()) return absl::DataLossError("settlement record vanished");
        FillMarketSettlement(account, k, *s, out->emplace_back().mutable_settled());
      }
      v1::IntervalSettled* done = out->emplace_back().mutable_interval_settled();
      done->set_interval(k);
      done->set_accounts(static_cast<uint32_t>(accounts.size()));
    }
    return absl::OkStatus();
  }

  // The book sequence and escrow of an order placed in this commit.
  absl::Status FillOrderPlacement(const TxId& id, v1::OrderAccepted* order) const {
    GL_ASSIGN_OR_RETURN(auto where, state_.OrderIndex(id));
    if (!where.has_value()) return absl::OkStatus();  // cancelled in this commit
    order->set_order_seq(where->second);
    GL_ASSIGN_OR_RETURN(std::optional<OrderRecord> record,
                        state_.Order(where->first, where->second));
    if (record.has_value()) order->set_escrow(record->escrow);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> ConsensusTime() const { return state_.Meta(MarketMeta::kConsensusTime); }

 private:
  MemoryState base_;  // empty: only the change is read
  Overlay change_;
  MarketState state_;
  absl::btree_set<uint64_t> written_intervals_;
  absl::btree_set<uint64_t> gate_closed_;
  // Ascending by interval; accounts ascending (the change is key-ordered).
  absl::btree_map<uint64_t, std::vector<PublicKey>> settlements_;
};

// The event of one successful market transaction (none for a transfer);
// `tariff_from` is where a SET_TARIFF of this commit takes effect.
absl::Status TxEvent(const ChangeReader& change, const TxId& id, const Transaction& tx,
                     uint64_t tariff_from, std::vector<v1::MarketEvent>* out) {
  // A transfer is no market event: no strings built for it (two
  // allocations per committed transfer).
  if (std::holds_alternative<TransferBody>(tx.body)) return absl::OkStatus();
  const std::string tx_id = StringOf(id.span());
  const std::string sender = StringOf(tx.sender.span());
  if (const auto* b = std::get_if<OrderBody>(&tx.body)) {
    v1::OrderAccepted* o = out->emplace_back().mutable_order_accepted();
    o->set_tx_id(tx_id);
    o->set_owner(sender);
    o->set_side(SideOf(b->side));
    o->set_interval(b->interval.value());
    o->set_energy_wh(b->energy.value());
    o->set_limit_price_per_kwh(b->limit_price.value());
    return change.FillOrderPlacement(id, o);
  }
  if (const auto* b = std::get_if<CancelBody>(&tx.body)) {
    v1::OrderCancelled* c = out->emplace_back().mutable_order_cancelled();
    c->set_tx_id(tx_id);
    c->set_order_id(StringOf(b->order_id.span()));
    c->set_owner(sender);
  } else if (const auto* b = std::get_if<MeterReadingBody>(&tx.body)) {
    v1::ReadingAccepted* r = out->emplace_back().mutable_reading();
    r->set_tx_id(tx_id);
    r->set_meter(sender);
    r->set_prosumer(StringOf(b->prosumer.span()));
    r->set_interval(b->interval.value());
    r->set_imported_wh(b->imported.value());
    r->set_exported_wh(b->exported.value());
  } else if (const auto* b = std::get_if<RegisterBody>(&tx.body)) {
    v1::Registered* r = out->emplace_back().mutable_registered();
    r->set_tx_id(tx_id);
    r->set_account(StringOf(b->account.span()));
    r->set_role(RoleOf(b->role));
    if (b->role == AccountRole::kMeter) r->set_bound_prosumer(StringOf(b->bound_prosumer.span()));
  } else if (const auto* b = std::get_if<SetTariffBody>(&tx.body)) {
    v1::TariffSet* t = out->emplace_back().mutable_tariff_set();
    t->set_tx_id(tx_id);
    t->set_effective_from_interval(tariff_from);
    t->set_grid_fee_per_kwh(b->grid_fee.value());
    t->set_shortfall_price_per_kwh(b->imbalance_shortfall_price.value());
    t->set_surplus_price_per_kwh(b->imbalance_surplus_price.value());
  }
  return absl::OkStatus();
}

}  // namespace

void FillMarketSettlement(const PublicKey& account, uint64_t interval, const SettlementRecord& s,
                    v1::MarketSettlement* out) {
  out->set_account(StringOf(account.span()));
  out->set_interval(interval);
  out->set_delivered_wh(s.delivered_wh);
  out->set_contracted_wh(s.contracted_wh);
  out->set_imbalance_wh(s.imbalance_wh);
  if (s.imbalance_wh < 0) out->set_paid_to_dso(s.amount);
  if (s.imbalance_wh > 0) out->set_paid_by_dso(s.amount);
  out->set_missing_reading((s.flags & kSettlementMissingReading) != 0);
}

absl::StatusOr<std::vector<v1::MarketEvent>> MarketEventsOf(
    SliceId slice, uint64_t interval_ms, uint64_t sequence, absl::Span<const BlockTx> block,
    const BlockOutcome& outcome, uint64_t* consensus_time_ms) {
  const ChangeReader change(outcome);
  GL_ASSIGN_OR_RETURN(uint64_t moved_to, change.ConsensusTime());
  if (moved_to != 0) *consensus_time_ms = moved_to;
  const uint64_t tariff_from = *consensus_time_ms / interval_ms + 1;
  std::vector<v1::MarketEvent> out;
  GL_RETURN_IF_ERROR(change.Clearings(&out));
  GL_RETURN_IF_ERROR(change.Settlements(&out));
  for (size_t i = 0; i < outcome.results.size() && i < block.size(); ++i) {
    if (outcome.results[i].ok()) {
      GL_RETURN_IF_ERROR(TxEvent(change, block[i].id, block[i].tx, tariff_from, &out));
    }
  }
  for (const ReleasedTx& released : outcome.released) {
    if (!released.result.ok()) continue;
    absl::StatusOr<Transaction> tx = Decode(released.raw);
    if (!tx.ok()) {
      return absl::DataLossError(absl::StrCat("released tx ", released.result.id.ShortHex(),
                                              ": ", tx.status().message()));
    }
    GL_RETURN_IF_ERROR(TxEvent(change, released.result.id, *tx, tariff_from, &out));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].set_commit_sequence(sequence);
    out[i].set_index_in_commit(static_cast<uint32_t>(i));
    out[i].set_slice(slice.value());
    out[i].set_consensus_time_ms(*consensus_time_ms);
  }
  return out;
}

MarketEventLog::MarketEventLog(SliceId slice, uint64_t interval_ms, uint64_t first_sequence,
                               uint64_t consensus_time_ms, size_t capacity)
    : slice_(slice),
      interval_ms_(interval_ms),
      capacity_(capacity),
      first_complete_sequence_(first_sequence),
      last_time_ms_(consensus_time_ms) {}

void MarketEventLog::Publish(uint64_t sequence, absl::Span<const BlockTx> block,
                             const BlockOutcome& outcome) {
  // Only this thread writes last_time_ms_; derive outside the lock.
  uint64_t time_ms;
  {
    absl::MutexLock lock(&mu_);
    if (broken_position_.has_value()) return;  // streams end there already
    time_ms = last_time_ms_;
  }
  absl::StatusOr<std::vector<v1::MarketEvent>> events =
      MarketEventsOf(slice_, interval_ms_, sequence, block, outcome, &time_ms);
  absl::MutexLock lock(&mu_);
  if (!events.ok()) {
    logger_.Error(
        absl::StrCat("market events of commit ", sequence, ": ", events.status().message()));
    broken_position_ = first_position_ + events_.size();
    broken_ = absl::InternalError(absl::StrCat("market events of commit ", sequence,
                                               " could not be derived: ",
                                               events.status().message()));
    return;
  }
  last_time_ms_ = time_ms;
  for (v1::MarketEvent& e : *events) {
    if (events_.size() == capacity_) {
      first_complete_sequence_ =
          std::max(first_complete_sequence_, events_.front().commit_sequence() + 1);
      events_.pop_front();
      ++first_position_;
    }
    events_.push_back(std::move(e));
  }
}

void MarketEventLog::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

absl::StatusOr<uint64_t> MarketEventLog::PositionFor(uint64_t from_sequence) const {
  absl::MutexLock lock(&mu_);
  const uint64_t end = first_position_ + events_.size();
  if (from_sequence == 0) return end;
  if (from_sequence < first_complete_sequence_) {
    return absl::OutOfRangeError(absl::StrCat(
        "market events of commits before ", first_complete_sequence_,
        " are not kept by this node (it keeps the last ", capacity_,
        " events of the commits it executed since it started); subscribe from ",
        first_complete_sequence_, " or 0"));
  }
  auto it = std::lower_bound(events_.begin(), events_.end(), from_sequence,
                             [](const v1::MarketEvent& e, uint64_t s) {
                               return e.commit_sequence() < s;
                             });
  return first_position_ + static_cast<uint64_t>(it - events_.begin());
}

absl::StatusOr<MarketEventLog::Batch> MarketEventLog::Read(uint64_t position,
                                                          uint64_t min_sequence, size_t max,
                                                          absl::Duration wait) const {
  absl::MutexLock lock(&mu_);
  auto ready = [this, position]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return closed_ || position < first_position_ + events_.size() ||
           broken_position_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  if (closed_) return absl::UnavailableError("node is stopping");
  if (position < first_position_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "subscriber fell more than ", capacity_, " market events behind; resubscribe from "
        "sequence ", first_complete_sequence_));
  }
  const uint64_t end = broken_position_.value_or(first_position_ + events_.size());
  if (position >= end && broken_position_.has_value()) return broken_;
  Batch out;
  uint64_t p = position;
  for (; p < end && out.events.size() < max; ++p) {
    const v1::MarketEvent& e = events_[p - first_position_];
    if (e.commit_sequence() >= min_sequence) out.events.push_back(e);
  }
  out.next_position = p;
  return out;
}

}  // namespace gridledger::node
