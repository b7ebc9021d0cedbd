#include "core/execution/market_exec.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/execution/market_clearing.h"

namespace gridledger {
namespace {

constexpr uint8_t kGateQueue = 'Q';
constexpr uint8_t kSettleQueue = 'Z';

TxResult Reject(const BlockTx& btx, uint32_t index, TxResultCode code, std::string reason) {
  return TxResult{btx.id, index, code, std::move(reason)};
}
TxResult Ok(const BlockTx& btx, uint32_t index) {
  return TxResult{btx.id, index, TxResultCode::kSuccess, ""};
}

// floor(a * b / 1000) with a 128-bit intermediate; the codec bounds keep the
// result far inside uint64 (transaction.h).
uint64_t PerKwh(uint64_t energy_wh, uint64_t price_per_kwh) {
  const unsigned __int128 v = static_cast<unsigned __int128>(energy_wh) * price_per_kwh / 1000;
  GL_CHECK_MSG(v <= UINT64_MAX, "energy x price outside the codec bounds");
  return static_cast<uint64_t>(v);
}

unsigned __int128 Mul(uint64_t a, uint64_t b) { return static_cast<unsigned __int128>(a) * b; }
// The end of interval k, (k + 1) * I, without overflow.
unsigned __int128 End(uint64_t k, uint64_t interval_ms) {
  return (static_cast<unsigned __int128>(k) + 1) * interval_ms;
}

}  // namespace

bool MarketRun::GateOpen(uint64_t interval) const {
  // now < interval * I - gate  <=>  now + gate < interval * I
  return static_cast<unsigned __int128>(now_ms_) + config_.timing.gate_closure_ms <
         Mul(interval, config_.timing.interval_ms);
}

absl::Status MarketRun::Credit(const PublicKey& account, uint64_t amount) {
  if (amount == 0) return absl::OkStatus();
  // The total is the sum of every account's debt (Credit and Debit are the
  // only writers and move both): at zero nobody owes, and a transfer's
  // credit skips the per-account read. The total is read once per block
  // (Overlay caches base reads).
  GL_ASSIGN_OR_RETURN(const uint64_t total, state_.Meta(MarketMeta::kTotalDebt));
  uint64_t debt = 0;
  if (total > 0) {
    GL_ASSIGN_OR_RETURN(debt, state_.Debt(account));
  }
  const uint64_t repay = std::min(debt, amount);
  if (repay > 0) {
    if (total < debt) {
      return absl::DataLossError(absl::StrCat("market: total debt ", total,
                                              " is below an account's debt ", debt));
    }
    state_.PutDebt(account, debt - repay);
    state_.PutMeta(MarketMeta::kTotalDebt, total - repay);
  }
  const uint64_t rest = amount - repay;
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> acct, overlay_.Get(Ref(account)));
  AccountState credited = acct.value_or(AccountState{});
  if (rest == 0 && acct.has_value()) return absl::OkStatus();
  // Balances minus debts are bounded by the genesis supply, which fits u64.
  GL_CHECK_MSG(credited.balance.value() <= UINT64_MAX - rest, "balance overflow");
  credited.balance = credited.balance + rest;
  overlay_.Set(Ref(account), credited);
  return absl::OkStatus();
}

absl::Status MarketRun::Debit(const PublicKey& account, uint64_t amount) {
  if (amount == 0) return absl::OkStatus();
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> acct, overlay_.Get(Ref(account)));
  AccountState debited = acct.value_or(AccountState{});
  const uint64_t take = std::min(debited.balance.value(), amount);
  debited.balance = Amount(debited.balance.value() - take);
  overlay_.Set(Ref(account), debited);
  if (const uint64_t owed = amount - take; owed > 0) {
    GL_ASSIGN_OR_RETURN(uint64_t debt, state_.Debt(account));
    GL_ASSIGN_OR_RETURN(uint64_t total, state_.Meta(MarketMeta::kTotalDebt));
    GL_CHECK_MSG(debt <= UINT64_MAX - owed && total <= UINT64_MAX - owed, "debt overflow");
    state_.PutDebt(account, debt + owed);
    state_.PutMeta(MarketMeta::kTotalDebt, total + owed);
  }
  return absl::OkStatus();
}

absl::Status MarketRun::RunDue() {
  GL_ASSIGN_OR_RETURN(std::vector<uint64_t> gates, state_.Queue(kGateQueue));
  for (uint64_t k : gates) {
    if (GateOpen(k)) break;  // ascending: later intervals close later
    GL_RETURN_IF_ERROR(Clear(k));
  }
  GL_ASSIGN_OR_RETURN(std::vector<uint64_t> settles, state_.Queue(kSettleQueue));
  for (uint64_t k : settles) {
    const unsigned __int128 closes =
        End(k, config_.timing.interval_ms) + config_.timing.reading_window_ms;
    if (now_ms_ < closes) break;
    GL_RETURN_IF_ERROR(Settle(k));
  }
  return absl::OkStatus();
}

absl::Status MarketRun::Clear(uint64_t interval) {
  GL_ASSIGN_OR_RETURN(auto book, state_.Book(interval));
  GL_ASSIGN_OR_RETURN(Tariff tariff, state_.TariffFor(interval));
  const uint64_t fee_per_kwh = config_.dso.has_value() ? tariff.grid_fee : 0;
  std::vector<BookOrder> orders;
  orders.reserve(book.size());
  absl::flat_hash_map<uint64_t, size_t> by_seq;
  for (size_t i = 0; i < book.size(); ++i) {
    const OrderRecord& o = book[i].second;
    orders.push_back(BookOrder{book[i].first, o.side, o.energy_wh, o.limit_price});
    by_seq[book[i].first] = i;
  }
  const ClearingResult result = ClearBook(orders);
  std::vector<uint64_t> escrow_left(book.size());
  for (size_t i = 0; i < book.size(); ++i) escrow_left[i] = book[i].second.escrow;
  GL_ASSIGN_OR_RETURN(uint64_t total_escrow, state_.Meta(MarketMeta::kTotalEscrow));
  absl::btree_map<PublicKey, Position> positions;
  uint32_t trade_index = 0;
  for (const ClearingTrade& t : result.trades) {
    const size_t b = by_seq.at(t.bid_seq);
    const size_t a = by_seq.at(t.ask_seq);
    const PublicKey& buyer = book[b].second.owner;
    const PublicKey& seller = book[a].second.owner;
    const uint64_t paid = PerKwh(t.energy_wh, *result.price_per_kwh);
    const uint64_t fee = PerKwh(t.energy_wh, fee_per_kwh);
    const uint64_t from_escrow = std::min(escrow_left[b], paid + fee);
    escrow_left[b] -= from_escrow;
    total_escrow -= from_escrow;
    GL_RETURN_IF_ERROR(Debit(buyer, paid + fee - from_escrow));
    GL_RETURN_IF_ERROR(Credit(seller, paid));
    if (fee > 0) GL_RETURN_IF_ERROR(Credit(*config_.dso, fee));
    positions[buyer].bought_wh += t.energy_wh;
    positions[seller].sold_wh += t.energy_wh;
    state_.PutTrade(interval, trade_index++,
                    TradeRecord{buyer, seller, t.bid_seq, t.ask_seq, t.energy_wh, paid, fee});
  }
  for (size_t i = 0; i < book.size(); ++i) {
    const auto& [seq, o] = book[i];
    total_escrow -= escrow_left[i];
    GL_RETURN_IF_ERROR(Credit(o.owner, escrow_left[i]));
    state_.DeleteOrder(interval, seq);
    state_.DeleteOrderIndex(o.order_id);
    state_.PutAccountSide(interval, o.owner, o.side, 0);
    GL_ASSIGN_OR_RETURN(uint32_t open, state_.OpenOrders(o.owner));
    GL_CHECK_MSG(open > 0, "an open order is counted");
    state_.PutOpenOrders(o.owner, open - 1);
  }
  state_.PutMeta(MarketMeta::kTotalEscrow, total_escrow);
  for (const auto& [account, p] : positions) state_.PutPosition(interval, account, p);
  state_.PutBookSize(interval, 0);
  state_.Dequeue(kGateQueue, interval);
  state_.PutInterval(interval, IntervalRecord{IntervalStatus::kCleared, result.price_per_kwh,
                                              result.cleared_wh,
                                              static_cast<uint32_t>(book.size()), trade_index,
                                              fee_per_kwh});
  if (!result.trades.empty()) state_.Enqueue(kSettleQueue, interval);
  return absl::OkStatus();
}

absl::Status MarketRun::Settle(uint64_t interval) {
  GL_ASSIGN_OR_RETURN(auto positions, state_.Positions(interval));
  GL_ASSIGN_OR_RETURN(auto readings, state_.Readings(interval));
  GL_ASSIGN_OR_RETURN(Tariff tariff, state_.TariffFor(interval));
  struct Entry {
    Position position;
    std::optional<gridledger::Reading> reading;
  };
  absl::btree_map<PublicKey, Entry> entries;
  for (const auto& [k, p] : positions) entries[k].position = p;
  for (const auto& [k, r] : readings) entries[k].reading = r;
  for (const auto& [account, e] : entries) {
    SettlementRecord s;
    if (e.reading.has_value()) {
      s.delivered_wh = static_cast<int64_t>(e.reading->exported_wh) -
                       static_cast<int64_t>(e.reading->imported_wh);
    } else {
      s.flags |= kSettlementMissingReading;
    }
    s.contracted_wh =
        static_cast<int64_t>(e.position.sold_wh) - static_cast<int64_t>(e.position.bought_wh);
    s.imbalance_wh = s.delivered_wh - s.contracted_wh;
    if (config_.dso.has_value() && s.imbalance_wh != 0) {
      const uint64_t magnitude = s.imbalance_wh < 0 ? static_cast<uint64_t>(-s.imbalance_wh)
                                                    : static_cast<uint64_t>(s.imbalance_wh);
      if (s.imbalance_wh < 0) {
        s.amount = PerKwh(magnitude, tariff.shortfall_price);
        GL_RETURN_IF_ERROR(Debit(account, s.amount));
        GL_RETURN_IF_ERROR(Credit(*config_.dso, s.amount));
      } else {
        s.amount = PerKwh(magnitude, tariff.surplus_price);
        GL_RETURN_IF_ERROR(Debit(*config_.dso, s.amount));
        GL_RETURN_IF_ERROR(Credit(account, s.amount));
      }
    }
    state_.PutSettlement(interval, account, s);
  }
  GL_ASSIGN_OR_RETURN(std::optional<IntervalRecord> record, state_.Interval(interval));
  IntervalRecord settled = record.value_or(IntervalRecord{});
  settled.status = IntervalStatus::kSettled;
  state_.PutInterval(interval, settled);
  state_.Dequeue(kSettleQueue, interval);
  return absl::OkStatus();
}

absl::StatusOr<TxResult> MarketRun::Execute(const BlockTx& btx, uint32_t index) {
  return std::visit(
      [&](const auto& body) -> absl::StatusOr<TxResult> {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, RegisterBody>) return Register(btx, index, body);
        if constexpr (std::is_same_v<T, SetTariffBody>) return SetTariff(btx, index, body);
        if constexpr (std::is_same_v<T, OrderBody>) return Order(btx, index, body);
        if constexpr (std::is_same_v<T, CancelBody>) return Cancel(btx, index, body);
        if constexpr (std::is_same_v<T, MeterReadingBody>) return Reading(btx, index, body);
        GL_CHECK_MSG(false, "MarketRun::Execute of a TRANSFER");
        return Reject(btx, index, TxResultCode::kNotExecutable, "transfer");
      },
      btx.tx.body);
}

absl::StatusOr<TxResult> MarketRun::Register(const BlockTx& btx, uint32_t index,
                                             const RegisterBody& b) {
  if (!IsDso(btx.tx.sender)) {
    return Reject(btx, index, TxResultCode::kUnauthorized,
                  "REGISTER must be signed by the slice's DSO");
  }
  if (b.role == AccountRole::kDso || IsDso(b.account)) {
    return Reject(btx, index, TxResultCode::kRoleConflict,
                  "the DSO is named in genesis and cannot be registered");
  }
  GL_ASSIGN_OR_RETURN(std::optional<RoleRecord> existing, state_.Role(b.account));
  if (existing.has_value() && existing->role != b.role) {
    return Reject(btx, index, TxResultCode::kRoleConflict,
                  absl::StrCat("account ", b.account.ShortHex(), " is already registered as ",
                               existing->role == AccountRole::kMeter ? "meter" : "prosumer"));
  }
  if (b.role == AccountRole::kProsumer) {
    if (existing.has_value()) {
      return Reject(btx, index, TxResultCode::kRoleConflict,
                    absl::StrCat("prosumer ", b.account.ShortHex(), " is already registered"));
    }
    state_.PutRole(b.account, RoleRecord{AccountRole::kProsumer, PublicKey()});
  } else {
    GL_ASSIGN_OR_RETURN(std::optional<RoleRecord> prosumer, state_.Role(b.bound_prosumer));
    if (!prosumer.has_value() || prosumer->role != AccountRole::kProsumer) {
      return Reject(btx, index, TxResultCode::kNotRegistered,
                    absl::StrCat("meter bound to ", b.bound_prosumer.ShortHex(),
                                 ", which is not a registered prosumer"));
    }
    GL_ASSIGN_OR_RETURN(std::optional<PublicKey> meter, state_.MeterOf(b.bound_prosumer));
    if (meter.has_value()) {
      return Reject(btx, index, TxResultCode::kRoleConflict,
                    *meter == b.account
                        ? absl::StrCat("meter ", b.account.ShortHex(), " is already bound to ",
                                       b.bound_prosumer.ShortHex())
                        : absl::StrCat("prosumer ", b.bound_prosumer.ShortHex(),
                                       " already has meter ", meter->ShortHex()));
    }
    if (existing.has_value()) state_.DeleteMeterOf(existing->bound_prosumer);  // re-bind
    state_.PutRole(b.account, RoleRecord{AccountRole::kMeter, b.bound_prosumer});
    state_.PutMeterOf(b.bound_prosumer, b.account);
  }
  // The registered account can sign (it needs a nonce) from now on.
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> acct, overlay_.Get(Ref(b.account)));
  if (!acct.has_value()) overlay_.Set(Ref(b.account), AccountState{});
  return Ok(btx, index);
}

absl::StatusOr<TxResult> MarketRun::SetTariff(const BlockTx& btx, uint32_t index,
                                              const SetTariffBody& b) {
  if (!IsDso(btx.tx.sender)) {
    return Reject(btx, index, TxResultCode::kUnauthorized,
                  "SET_TARIFF must be signed by the slice's DSO");
  }
  state_.PutTariff(now_ms_ / config_.timing.interval_ms + 1,
                   Tariff{b.grid_fee.value(), b.imbalance_shortfall_price.value(),
                          b.imbalance_surplus_price.value()});
  return Ok(btx, index);
}

absl::StatusOr<TxResult> MarketRun::Order(const BlockTx& btx, uint32_t index,
                                          const OrderBody& b) {
  const PublicKey& owner = btx.tx.sender;
  const uint64_t k = b.interval.value();
  GL_ASSIGN_OR_RETURN(std::optional<RoleRecord> role, state_.Role(owner));
  if (!role.has_value() || role->role != AccountRole::kProsumer) {
    return Reject(btx, index, TxResultCode::kNotRegistered,
                  "only registered prosumers place orders");
  }
  const uint64_t current = now_ms_ / config_.timing.interval_ms;
  if (k > current + config_.limits.max_intervals_ahead) {
    return Reject(btx, index, TxResultCode::kIntervalTooFar,
                  absl::StrCat("interval ", k, " is more than max_intervals_ahead ",
                               config_.limits.max_intervals_ahead, " after the current ",
                               current));
  }
  if (!GateOpen(k)) {
    return Reject(btx, index, TxResultCode::kGateClosed,
                  absl::StrCat("interval ", k, ": gate closed (consensus time ", now_ms_,
                               " ms is not before start - gate_closure_ms)"));
  }
  // An account in debt trades again once credits repaid it: this also bounds
  // how much debt (and so how much credited money) one account can create.
  GL_ASSIGN_OR_RETURN(uint64_t debt, state_.Debt(owner));
  if (debt > 0) {
    return Reject(btx, index, TxResultCode::kInsufficientBalance,
                  absl::StrCat("the account owes ", debt, " from settlement: no new orders"));
  }
  GL_ASSIGN_OR_RETURN(auto side, state_.AccountSide(k, owner));
  if (side.has_value() && side->first != b.side) {
    return Reject(btx, index, TxResultCode::kOneSidePerInterval,
                  absl::StrCat("the account already has ",
                               side->first == OrderSide::kBid ? "bids" : "asks",
                               " in interval ", k));
  }
  GL_ASSIGN_OR_RETURN(uint32_t open, state_.OpenOrders(owner));
  if (open >= config_.limits.max_open_orders_per_account) {
    return Reject(btx, index, TxResultCode::kOrderLimit,
                  absl::StrCat("the account has ", open, " open orders (max_open_orders_per_account ",
                               config_.limits.max_open_orders_per_account, ")"));
  }
  GL_ASSIGN_OR_RETURN(uint32_t book_size, state_.BookSize(k));
  if (book_size >= config_.limits.max_orders_per_interval) {
    return Reject(btx, index, TxResultCode::kOrderLimit,
                  absl::StrCat("interval ", k, " has ", book_size,
                               " orders (max_orders_per_interval ",
                               config_.limits.max_orders_per_interval, ")"));
  }
  uint64_t escrow = 0;
  if (b.side == OrderSide::kBid) {
    GL_ASSIGN_OR_RETURN(Tariff tariff, state_.TariffFor(k));
    const uint64_t fee = config_.dso.has_value() ? tariff.grid_fee : 0;
    escrow = PerKwh(b.energy.value(), b.limit_price.value()) + PerKwh(b.energy.value(), fee);
    GL_ASSIGN_OR_RETURN(std::optional<AccountState> acct, overlay_.Get(Ref(owner)));
    AccountState debited = acct.value_or(AccountState{});
    const uint64_t balance = debited.balance.value();
    if (balance < escrow) {
      return Reject(btx, index, TxResultCode::kInsufficientBalance,
                    absl::StrCat("bid escrow ", escrow, " exceeds balance ", balance));
    }
    debited.balance = Amount(balance - escrow);
    overlay_.Set(Ref(owner), debited);
    GL_ASSIGN_OR_RETURN(uint64_t total, state_.Meta(MarketMeta::kTotalEscrow));
    state_.PutMeta(MarketMeta::kTotalEscrow, total + escrow);
  }
  GL_ASSIGN_OR_RETURN(uint64_t seq, state_.Meta(MarketMeta::kNextOrderSeq));
  state_.PutMeta(MarketMeta::kNextOrderSeq, seq + 1);
  state_.PutOrder(k, seq, OrderRecord{owner, b.side, b.energy.value(), b.limit_price.value(),
                                      escrow, btx.id});
  state_.PutOrderIndex(btx.id, k, seq);
  state_.PutAccountSide(k, owner, b.side, side.has_value() ? side->second + 1 : 1);
  state_.PutOpenOrders(owner, open + 1);
  state_.PutBookSize(k, book_size + 1);
  state_.Enqueue(kGateQueue, k);
  return Ok(btx, index);
}

absl::StatusOr<TxResult> MarketRun::Cancel(const BlockTx& btx, uint32_t index,
                                           const CancelBody& b) {
  GL_ASSIGN_OR_RETURN(auto where, state_.OrderIndex(b.order_id));
  if (!where.has_value()) {
    return Reject(btx, index, TxResultCode::kUnknownOrder,
                  absl::StrCat("order ", b.order_id.ShortHex(),
                               " is not open (unknown, cancelled or cleared)"));
  }
  const auto [k, seq] = *where;
  GL_ASSIGN_OR_RETURN(std::optional<OrderRecord> order, state_.Order(k, seq));
  if (!order.has_value()) return absl::DataLossError("market: order index without its order");
  if (order->owner != btx.tx.sender) {
    return Reject(btx, index, TxResultCode::kUnauthorized,
                  "only the order's owner may cancel it");
  }
  if (!GateOpen(k)) {
    return Reject(btx, index, TxResultCode::kGateClosed,
                  absl::StrCat("interval ", k, ": gate closed, the order can no longer be cancelled"));
  }
  if (order->escrow > 0) {
    GL_ASSIGN_OR_RETURN(uint64_t total, state_.Meta(MarketMeta::kTotalEscrow));
    state_.PutMeta(MarketMeta::kTotalEscrow, total - order->escrow);
    GL_RETURN_IF_ERROR(Credit(order->owner, order->escrow));
  }
  state_.DeleteOrder(k, seq);
  state_.DeleteOrderIndex(b.order_id);
  GL_ASSIGN_OR_RETURN(auto side, state_.AccountSide(k, order->owner));
  GL_CHECK_MSG(side.has_value() && side->second > 0, "an open order has its side record");
  state_.PutAccountSide(k, order->owner, side->first, side->second - 1);
  GL_ASSIGN_OR_RETURN(uint32_t open, state_.OpenOrders(order->owner));
  state_.PutOpenOrders(order->owner, open - 1);
  GL_ASSIGN_OR_RETURN(uint32_t book_size, state_.BookSize(k));
  state_.PutBookSize(k, book_size - 1);
  if (book_size == 1) state_.Dequeue(kGateQueue, k);
  return Ok(btx, index);
}

absl::StatusOr<TxResult> MarketRun::Reading(const BlockTx& btx, uint32_t index,
                                            const MeterReadingBody& b) {
  GL_ASSIGN_OR_RETURN(std::optional<RoleRecord> role, state_.Role(btx.tx.sender));
  if (!role.has_value() || role->role != AccountRole::kMeter) {
    return Reject(btx, index, TxResultCode::kNotRegistered,
                  "only registered meters report readings");
  }
  if (role->bound_prosumer != b.prosumer) {
    return Reject(btx, index, TxResultCode::kUnauthorized,
                  absl::StrCat("the meter is bound to ", role->bound_prosumer.ShortHex(),
                               ", not to ", b.prosumer.ShortHex()));
  }
  const uint64_t k = b.interval.value();
  const unsigned __int128 end = End(k, config_.timing.interval_ms);
  if (now_ms_ < end) {
    return Reject(btx, index, TxResultCode::kOutsideReadingWindow,
                  absl::StrCat("interval ", k, " has not ended (consensus time ", now_ms_, " ms)"));
  }
  if (now_ms_ >= end + config_.timing.reading_window_ms) {
    return Reject(btx, index, TxResultCode::kOutsideReadingWindow,
                  absl::StrCat("interval ", k, ": the reading window (",
                               config_.timing.reading_window_ms, " ms) has closed"));
  }
  GL_ASSIGN_OR_RETURN(std::optional<gridledger::Reading> existing, state_.ReadingOf(k, b.prosumer));
  if (existing.has_value()) {
    return Reject(btx, index, TxResultCode::kDuplicateReading,
                  absl::StrCat("a reading for ", b.prosumer.ShortHex(), " in interval ", k,
                               " was already accepted"));
  }
  state_.PutReading(k, b.prosumer, gridledger::Reading{b.imported.value(), b.exported.value()});
  state_.Enqueue(kSettleQueue, k);
  return Ok(btx, index);
}

}  // namespace gridledger
