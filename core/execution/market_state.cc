#include "core/execution/market_state.h"

#include <algorithm>
#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace gridledger {
namespace {

constexpr uint8_t kRole = 'R', kMeterOf = 'B', kTariff = 'T', kOrder = 'O', kOrderIndex = 'I',
                  kAccountSide = 'A', kOpenOrders = 'C', kBookSize = 'N', kInterval = 'K',
                  kTrade = 'X', kPosition = 'P', kReading = 'M', kSettlement = 'Y',
                  kDebt = 'D', kMeta = 'm';

ByteSpan Span(const PublicKey& k) { return k.span(); }

absl::Status Corrupt(uint8_t tag, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("corrupt market record '", std::string(1, static_cast<char>(tag)), "': ", what));
}

// Reads a fixed-layout value; anything left over is corruption.
class Reader {
 public:
  Reader(uint8_t tag, const Bytes& value) : tag_(tag), r_(ByteSpan(value)) {}
  absl::StatusOr<uint64_t> U64() { return Wrap(r_.U64("u64")); }
  absl::StatusOr<uint32_t> U32() { return Wrap(r_.U32("u32")); }
  absl::StatusOr<uint8_t> U8() { return Wrap(r_.U8("u8")); }
  absl::StatusOr<PublicKey> Key() {
    auto b = r_.Fixed<32>("key");
    if (!b.ok()) return Corrupt(tag_, b.status().message());
    return PublicKey(*b);
  }
  absl::StatusOr<OrderSide> Side() {
    GL_ASSIGN_OR_RETURN(uint8_t s, U8());
    if (s != 1 && s != 2) return Corrupt(tag_, absl::StrCat("side ", s));
    return static_cast<OrderSide>(s);
  }
  absl::Status End() {
    if (r_.remaining() != 0) return Corrupt(tag_, "trailing bytes");
    return absl::OkStatus();
  }

 private:
  template <typename T>
  absl::StatusOr<T> Wrap(absl::StatusOr<T> v) {
    if (!v.ok()) return Corrupt(tag_, v.status().message());
    return v;
  }
  uint8_t tag_;
  ByteReader r_;
};

Bytes KeyOf(uint8_t tag, uint64_t interval) { return MarketKey(tag, U64Be(interval)); }
Bytes KeyOf(uint8_t tag, uint64_t interval, const PublicKey& k) {
  return MarketKey(tag, U64Be(interval), Span(k));
}
Bytes KeyOf(uint8_t tag, const PublicKey& k) { return MarketKey(tag, Span(k)); }

// The first key after every key that starts with `prefix`: prefix + 1 with
// carry (prefixes here never are all 0xff).
Bytes PrefixEnd(const Bytes& prefix) {
  Bytes hi = prefix;
  for (size_t i = hi.size(); i-- > 0;) {
    if (++hi[i] != 0) break;
  }
  return hi;
}

// Every record whose key starts with `prefix`.
absl::StatusOr<std::vector<MarketEntry>> Prefixed(const Overlay& o, const Bytes& prefix) {
  return o.MarketRange(prefix, PrefixEnd(prefix), SIZE_MAX);
}

PublicKey KeyTail(const Bytes& key) {
  std::array<uint8_t, 32> k;
  std::copy(key.end() - 32, key.end(), k.begin());
  return PublicKey(k);
}

uint64_t U64At(const Bytes& key, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | key[offset + i];
  return v;
}

}  // namespace

Bytes U64Be(uint64_t v) {
  Bytes out;
  ByteWriter(&out).U64(v);
  return out;
}

Bytes MarketKey(uint8_t tag, ByteSpan a, ByteSpan b) {
  Bytes key;
  key.reserve(1 + a.size() + b.size());
  key.push_back(tag);
  key.insert(key.end(), a.begin(), a.end());
  key.insert(key.end(), b.begin(), b.end());
  return key;
}

absl::StatusOr<std::optional<RoleRecord>> MarketState::Role(const PublicKey& account) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v, o_.GetMarket(KeyOf(kRole, account)));
  if (!v.has_value()) return std::optional<RoleRecord>();
  Reader r(kRole, *v);
  RoleRecord role;
  GL_ASSIGN_OR_RETURN(uint8_t code, r.U8());
  if (code < 1 || code > 3) return Corrupt(kRole, absl::StrCat("role ", code));
  role.role = static_cast<AccountRole>(code);
  GL_ASSIGN_OR_RETURN(role.bound_prosumer, r.Key());
  GL_RETURN_IF_ERROR(r.End());
  return std::optional<RoleRecord>(role);
}

void MarketState::PutRole(const PublicKey& account, const RoleRecord& role) {
  Bytes v;
  ByteWriter w(&v);
  w.U8(static_cast<uint8_t>(role.role));
  w.Raw(role.bound_prosumer.span());
  o_.PutMarket(KeyOf(kRole, account), std::move(v));
}

absl::StatusOr<std::optional<PublicKey>> MarketState::MeterOf(const PublicKey& prosumer) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v, o_.GetMarket(KeyOf(kMeterOf, prosumer)));
  if (!v.has_value()) return std::optional<PublicKey>();
  Reader r(kMeterOf, *v);
  GL_ASSIGN_OR_RETURN(PublicKey meter, r.Key());
  GL_RETURN_IF_ERROR(r.End());
  return std::optional<PublicKey>(meter);
}

void MarketState::PutMeterOf(const PublicKey& prosumer, const PublicKey& meter) {
  o_.PutMarket(KeyOf(kMeterOf, prosumer), Bytes(meter.span().begin(), meter.span().end()));
}

void MarketState::DeleteMeterOf(const PublicKey& prosumer) {
  o_.DeleteMarket(KeyOf(kMeterOf, prosumer));
}

absl::StatusOr<Tariff> MarketState::TariffFor(uint64_t interval) const {
  GL_ASSIGN_OR_RETURN(auto record, TariffRecordFor(interval));
  return record.has_value() ? record->second : Tariff{};
}

absl::StatusOr<std::optional<std::pair<uint64_t, Tariff>>> MarketState::TariffRecordFor(
    uint64_t interval) const {
  using Found = std::optional<std::pair<uint64_t, Tariff>>;
  // Keys hold ~effective, so the first key >= ~interval is the latest tariff
  // with effective <= interval.
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> found,
                      o_.MarketRange(KeyOf(kTariff, ~interval), MarketKey(kTariff + 1), 1));
  if (found.empty()) return Found();
  if (found[0].first.size() != 9) return Corrupt(kTariff, "key size");
  Reader r(kTariff, found[0].second);
  Tariff t;
  GL_ASSIGN_OR_RETURN(t.grid_fee, r.U64());
  GL_ASSIGN_OR_RETURN(t.shortfall_price, r.U64());
  GL_ASSIGN_OR_RETURN(t.surplus_price, r.U64());
  GL_RETURN_IF_ERROR(r.End());
  return Found(std::make_pair(~U64At(found[0].first, 1), t));
}

void MarketState::PutTariff(uint64_t effective_interval, const Tariff& tariff) {
  Bytes v;
  ByteWriter w(&v);
  w.U64(tariff.grid_fee);
  w.U64(tariff.shortfall_price);
  w.U64(tariff.surplus_price);
  o_.PutMarket(KeyOf(kTariff, ~effective_interval), std::move(v));
}

namespace {
absl::StatusOr<OrderRecord> DecodeOrder(const Bytes& value) {
  Reader r(kOrder, value);
  OrderRecord o;
  GL_ASSIGN_OR_RETURN(o.owner, r.Key());
  GL_ASSIGN_OR_RETURN(o.side, r.Side());
  GL_ASSIGN_OR_RETURN(o.energy_wh, r.U64());
  GL_ASSIGN_OR_RETURN(o.limit_price, r.U64());
  GL_ASSIGN_OR_RETURN(o.escrow, r.U64());
  GL_ASSIGN_OR_RETURN(PublicKey id, r.Key());
  o.order_id = TxId(id.bytes);
  GL_RETURN_IF_ERROR(r.End());
  return o;
}
}  // namespace

absl::StatusOr<std::optional<OrderRecord>> MarketState::Order(uint64_t interval,
                                                              uint64_t seq) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v,
                      o_.GetMarket(MarketKey(kOrder, U64Be(interval), U64Be(seq))));
  if (!v.has_value()) return std::optional<OrderRecord>();
  GL_ASSIGN_OR_RETURN(OrderRecord o, DecodeOrder(*v));
  return std::optional<OrderRecord>(o);
}

void MarketState::PutOrder(uint64_t interval, uint64_t seq, const OrderRecord& order) {
  Bytes v;
  ByteWriter w(&v);
  w.Raw(order.owner.span());
  w.U8(static_cast<uint8_t>(order.side));
  w.U64(order.energy_wh);
  w.U64(order.limit_price);
  w.U64(order.escrow);
  w.Raw(order.order_id.span());
  o_.PutMarket(MarketKey(kOrder, U64Be(interval), U64Be(seq)), std::move(v));
}

void MarketState::DeleteOrder(uint64_t interval, uint64_t seq) {
  o_.DeleteMarket(MarketKey(kOrder, U64Be(interval), U64Be(seq)));
}

absl::StatusOr<std::vector<std::pair<uint64_t, OrderRecord>>> MarketState::Book(
    uint64_t interval) const {
  return BookPage(interval, 0, SIZE_MAX);
}

absl::StatusOr<std::vector<std::pair<uint64_t, OrderRecord>>> MarketState::BookPage(
    uint64_t interval, uint64_t first_seq, size_t limit) const {
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> entries,
                      o_.MarketRange(MarketKey(kOrder, U64Be(interval), U64Be(first_seq)),
                                     PrefixEnd(KeyOf(kOrder, interval)), limit));
  std::vector<std::pair<uint64_t, OrderRecord>> out;
  out.reserve(entries.size());
  for (const auto& [key, value] : entries) {
    if (key.size() != 17) return Corrupt(kOrder, "key size");
    GL_ASSIGN_OR_RETURN(OrderRecord o, DecodeOrder(value));
    out.emplace_back(U64At(key, 9), std::move(o));
  }
  return out;
}

absl::StatusOr<std::optional<std::pair<uint64_t, uint64_t>>> MarketState::OrderIndex(
    const TxId& id) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v, o_.GetMarket(MarketKey(kOrderIndex, id.span())));
  using Found = std::optional<std::pair<uint64_t, uint64_t>>;
  if (!v.has_value()) return Found();
  Reader r(kOrderIndex, *v);
  GL_ASSIGN_OR_RETURN(uint64_t interval, r.U64());
  GL_ASSIGN_OR_RETURN(uint64_t seq, r.U64());
  GL_RETURN_IF_ERROR(r.End());
  return Found(std::make_pair(interval, seq));
}

void MarketState::PutOrderIndex(const TxId& id, uint64_t interval, uint64_t seq) {
  Bytes v = U64Be(interval);
  const Bytes s = U64Be(seq);
  v.insert(v.end(), s.begin(), s.end());
  o_.PutMarket(MarketKey(kOrderIndex, id.span()), std::move(v));
}

void MarketState::DeleteOrderIndex(const TxId& id) {
  o_.DeleteMarket(MarketKey(kOrderIndex, id.span()));
}

absl::StatusOr<std::optional<std::pair<OrderSide, uint32_t>>> MarketState::AccountSide(
    uint64_t interval, const PublicKey& account) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v,
                      o_.GetMarket(KeyOf(kAccountSide, interval, account)));
  using Found = std::optional<std::pair<OrderSide, uint32_t>>;
  if (!v.has_value()) return Found();
  Reader r(kAccountSide, *v);
  GL_ASSIGN_OR_RETURN(OrderSide side, r.Side());
  GL_ASSIGN_OR_RETURN(uint32_t count, r.U32());
  GL_RETURN_IF_ERROR(r.End());
  return Found(std::make_pair(side, count));
}

void MarketState::PutAccountSide(uint64_t interval, const PublicKey& account, OrderSide side,
                                 uint32_t count) {
  Bytes key = KeyOf(kAccountSide, interval, account);
  if (count == 0) return o_.DeleteMarket(std::move(key));
  Bytes v;
  ByteWriter w(&v);
  w.U8(static_cast<uint8_t>(side));
  w.U32(count);
  o_.PutMarket(std::move(key), std::move(v));
}

namespace {
absl::StatusOr<uint64_t> GetCounter(const Overlay& o, uint8_t tag, const Bytes& key) {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v, o.GetMarket(key));
  if (!v.has_value()) return uint64_t{0};
  Reader r(tag, *v);
  GL_ASSIGN_OR_RETURN(uint64_t n, r.U64());
  GL_RETURN_IF_ERROR(r.End());
  return n;
}
void PutCounter(Overlay& o, Bytes key, uint64_t n, bool zero_deletes) {
  if (n == 0 && zero_deletes) return o.DeleteMarket(std::move(key));
  o.PutMarket(std::move(key), U64Be(n));
}
}  // namespace

absl::StatusOr<uint32_t> MarketState::OpenOrders(const PublicKey& account) const {
  GL_ASSIGN_OR_RETURN(uint64_t n, GetCounter(o_, kOpenOrders, KeyOf(kOpenOrders, account)));
  return static_cast<uint32_t>(n);
}
void MarketState::PutOpenOrders(const PublicKey& account, uint32_t count) {
  PutCounter(o_, KeyOf(kOpenOrders, account), count, true);
}
absl::StatusOr<uint32_t> MarketState::BookSize(uint64_t interval) const {
  GL_ASSIGN_OR_RETURN(uint64_t n, GetCounter(o_, kBookSize, KeyOf(kBookSize, interval)));
  return static_cast<uint32_t>(n);
}
void MarketState::PutBookSize(uint64_t interval, uint32_t count) {
  PutCounter(o_, KeyOf(kBookSize, interval), count, true);
}
absl::StatusOr<uint64_t> MarketState::Debt(const PublicKey& account) const {
  return GetCounter(o_, kDebt, KeyOf(kDebt, account));
}
void MarketState::PutDebt(const PublicKey& account, uint64_t debt) {
  PutCounter(o_, KeyOf(kDebt, account), debt, true);
}
absl::StatusOr<uint64_t> MarketState::Meta(MarketMeta name) const {
  return GetCounter(o_, kMeta, MarketKey(kMeta, Bytes{static_cast<uint8_t>(name)}));
}
void MarketState::PutMeta(MarketMeta name, uint64_t value) {
  PutCounter(o_, MarketKey(kMeta, Bytes{static_cast<uint8_t>(name)}), value, false);
}

absl::StatusOr<std::vector<uint64_t>> MarketState::Queue(uint8_t tag) const {
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> entries, Prefixed(o_, MarketKey(tag)));
  std::vector<uint64_t> out;
  for (const auto& [key, value] : entries) {
    if (key.size() != 9 || !value.empty()) return Corrupt(tag, "queue entry");
    out.push_back(U64At(key, 1));
  }
  return out;
}
void MarketState::Enqueue(uint8_t tag, uint64_t interval) {
  o_.PutMarket(KeyOf(tag, interval), Bytes());
}
void MarketState::Dequeue(uint8_t tag, uint64_t interval) {
  o_.DeleteMarket(KeyOf(tag, interval));
}

absl::StatusOr<std::optional<IntervalRecord>> MarketState::Interval(uint64_t interval) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v, o_.GetMarket(KeyOf(kInterval, interval)));
  if (!v.has_value()) return std::optional<IntervalRecord>();
  Reader r(kInterval, *v);
  IntervalRecord k;
  GL_ASSIGN_OR_RETURN(uint8_t status, r.U8());
  if (status != 1 && status != 2) return Corrupt(kInterval, "status");
  k.status = static_cast<IntervalStatus>(status);
  GL_ASSIGN_OR_RETURN(uint8_t has_price, r.U8());
  GL_ASSIGN_OR_RETURN(uint64_t price, r.U64());
  if (has_price > 1) return Corrupt(kInterval, "price flag");
  if (has_price == 1) k.price = price;
  GL_ASSIGN_OR_RETURN(k.cleared_wh, r.U64());
  GL_ASSIGN_OR_RETURN(k.orders, r.U32());
  GL_ASSIGN_OR_RETURN(k.trades, r.U32());
  GL_ASSIGN_OR_RETURN(k.grid_fee, r.U64());
  GL_RETURN_IF_ERROR(r.End());
  return std::optional<IntervalRecord>(k);
}

void MarketState::PutInterval(uint64_t interval, const IntervalRecord& k) {
  Bytes v;
  ByteWriter w(&v);
  w.U8(static_cast<uint8_t>(k.status));
  w.U8(k.price.has_value() ? 1 : 0);
  w.U64(k.price.value_or(0));
  w.U64(k.cleared_wh);
  w.U32(k.orders);
  w.U32(k.trades);
  w.U64(k.grid_fee);
  o_.PutMarket(KeyOf(kInterval, interval), std::move(v));
}

void MarketState::PutTrade(uint64_t interval, uint32_t index, const TradeRecord& t) {
  Bytes v;
  ByteWriter w(&v);
  w.Raw(t.buyer.span());
  w.Raw(t.seller.span());
  w.U64(t.bid_seq);
  w.U64(t.ask_seq);
  w.U64(t.energy_wh);
  w.U64(t.paid);
  w.U64(t.fee);
  Bytes idx;
  ByteWriter(&idx).U32(index);
  o_.PutMarket(MarketKey(kTrade, U64Be(interval), idx), std::move(v));
}

absl::StatusOr<std::vector<TradeRecord>> MarketState::Trades(uint64_t interval) const {
  return TradesPage(interval, 0, SIZE_MAX);
}

absl::StatusOr<std::vector<TradeRecord>> MarketState::TradesPage(uint64_t interval,
                                                                 uint32_t first_index,
                                                                 size_t limit) const {
  Bytes first;
  ByteWriter(&first).U32(first_index);
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> entries,
                      o_.MarketRange(MarketKey(kTrade, U64Be(interval), first),
                                     PrefixEnd(KeyOf(kTrade, interval)), limit));
  std::vector<TradeRecord> out;
  for (const auto& [key, value] : entries) {
    Reader r(kTrade, value);
    TradeRecord t;
    GL_ASSIGN_OR_RETURN(t.buyer, r.Key());
    GL_ASSIGN_OR_RETURN(t.seller, r.Key());
    GL_ASSIGN_OR_RETURN(t.bid_seq, r.U64());
    GL_ASSIGN_OR_RETURN(t.ask_seq, r.U64());
    GL_ASSIGN_OR_RETURN(t.energy_wh, r.U64());
    GL_ASSIGN_OR_RETURN(t.paid, r.U64());
    GL_ASSIGN_OR_RETURN(t.fee, r.U64());
    GL_RETURN_IF_ERROR(r.End());
    out.push_back(t);
  }
  return out;
}

namespace {
absl::StatusOr<std::pair<uint64_t, uint64_t>> DecodePair(uint8_t tag, const Bytes& value) {
  Reader r(tag, value);
  GL_ASSIGN_OR_RETURN(uint64_t a, r.U64());
  GL_ASSIGN_OR_RETURN(uint64_t b, r.U64());
  GL_RETURN_IF_ERROR(r.End());
  return std::make_pair(a, b);
}
Bytes EncodePair(uint64_t a, uint64_t b) {
  Bytes v;
  ByteWriter w(&v);
  w.U64(a);
  w.U64(b);
  return v;
}
}  // namespace

absl::StatusOr<Position> MarketState::PositionOf(uint64_t interval,
                                                 const PublicKey& account) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v, o_.GetMarket(KeyOf(kPosition, interval, account)));
  if (!v.has_value()) return Position{};
  GL_ASSIGN_OR_RETURN(auto p, DecodePair(kPosition, *v));
  return Position{p.first, p.second};
}

void MarketState::PutPosition(uint64_t interval, const PublicKey& account, const Position& p) {
  o_.PutMarket(KeyOf(kPosition, interval, account), EncodePair(p.bought_wh, p.sold_wh));
}

absl::StatusOr<std::vector<std::pair<PublicKey, Position>>> MarketState::Positions(
    uint64_t interval) const {
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> entries,
                      Prefixed(o_, KeyOf(kPosition, interval)));
  std::vector<std::pair<PublicKey, Position>> out;
  for (const auto& [key, value] : entries) {
    if (key.size() != 41) return Corrupt(kPosition, "key size");
    GL_ASSIGN_OR_RETURN(auto p, DecodePair(kPosition, value));
    out.emplace_back(KeyTail(key), Position{p.first, p.second});
  }
  return out;
}

absl::StatusOr<std::optional<Reading>> MarketState::ReadingOf(uint64_t interval,
                                                              const PublicKey& prosumer) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v, o_.GetMarket(KeyOf(kReading, interval, prosumer)));
  if (!v.has_value()) return std::optional<Reading>();
  GL_ASSIGN_OR_RETURN(auto p, DecodePair(kReading, *v));
  return std::optional<Reading>(Reading{p.first, p.second});
}

void MarketState::PutReading(uint64_t interval, const PublicKey& prosumer, const Reading& m) {
  o_.PutMarket(KeyOf(kReading, interval, prosumer), EncodePair(m.imported_wh, m.exported_wh));
}

absl::StatusOr<std::vector<std::pair<PublicKey, Reading>>> MarketState::Readings(
    uint64_t interval) const {
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> entries, Prefixed(o_, KeyOf(kReading, interval)));
  std::vector<std::pair<PublicKey, Reading>> out;
  for (const auto& [key, value] : entries) {
    if (key.size() != 41) return Corrupt(kReading, "key size");
    GL_ASSIGN_OR_RETURN(auto p, DecodePair(kReading, value));
    out.emplace_back(KeyTail(key), Reading{p.first, p.second});
  }
  return out;
}

absl::StatusOr<std::optional<SettlementRecord>> MarketState::Settlement(
    uint64_t interval, const PublicKey& account) const {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> v,
                      o_.GetMarket(KeyOf(kSettlement, interval, account)));
  if (!v.has_value()) return std::optional<SettlementRecord>();
  Reader r(kSettlement, *v);
  SettlementRecord s;
  GL_ASSIGN_OR_RETURN(uint64_t d, r.U64());
  GL_ASSIGN_OR_RETURN(uint64_t c, r.U64());
  GL_ASSIGN_OR_RETURN(uint64_t i, r.U64());
  GL_ASSIGN_OR_RETURN(s.amount, r.U64());
  GL_ASSIGN_OR_RETURN(s.flags, r.U8());
  GL_RETURN_IF_ERROR(r.End());
  s.delivered_wh = static_cast<int64_t>(d);
  s.contracted_wh = static_cast<int64_t>(c);
  s.imbalance_wh = static_cast<int64_t>(i);
  return std::optional<SettlementRecord>(s);
}

void MarketState::PutSettlement(uint64_t interval, const PublicKey& account,
                                const SettlementRecord& s) {
  Bytes v;
  ByteWriter w(&v);
  w.U64(static_cast<uint64_t>(s.delivered_wh));
  w.U64(static_cast<uint64_t>(s.contracted_wh));
  w.U64(static_cast<uint64_t>(s.imbalance_wh));
  w.U64(s.amount);
  w.U8(s.flags);
  o_.PutMarket(KeyOf(kSettlement, interval, account), std::move(v));
}

}  // namespace gridledger
