// The market's state as ordered key-value records inside the StateView (so
// the same bytes live in MemoryState and in the node store's `market` table,
// are written in the commit's single write and covered by the state summary).
// Keys start with a one-byte tag; integers are big-endian so ranges iterate in
// numeric order. Values start with no version byte: the layout is fixed per
// tag (a new layout takes a new tag).
//
//   'R' key32                       role u8 | bound prosumer 32 (meters)
//   'B' prosumer32                  meter 32            (the prosumer's meter)
//   'T' (~effective_interval) u64   grid_fee u64 | shortfall u64 | surplus u64
//   'O' interval u64 | seq u64      owner 32 | side u8 | energy u64 | limit u64 |
//                                   escrow u64 | order tx id 32
//   'I' order tx id 32              interval u64 | seq u64
//   'A' interval u64 | account32    side u8 | open orders u32
//   'C' account32                   open orders u32 (all intervals)
//   'N' interval u64                orders in the book u32
//   'Q' interval u64                (empty) intervals waiting for gate closure
//   'K' interval u64                IntervalRecord
//   'X' interval u64 | idx u32      buyer 32 | seller 32 | bid seq u64 |
//                                   ask seq u64 | energy u64 | paid u64 | fee u64
//   'P' interval u64 | account32    bought u64 | sold u64
//   'M' interval u64 | prosumer32   imported u64 | exported u64
//   'Z' interval u64                (empty) intervals waiting for settlement
//   'Y' interval u64 | account32    SettlementRecord
//   'D' account32                   debt u64
//   'm' name u8                     u64 counters (kMeta*)
#ifndef GRIDLEDGER_CORE_EXECUTION_MARKET_STATE_H_
#define GRIDLEDGER_CORE_EXECUTION_MARKET_STATE_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/common/types.h"
#include "core/execution/overlay.h"
#include "core/tx/transaction.h"

namespace gridledger {

struct RoleRecord {
  AccountRole role = AccountRole::kProsumer;
  PublicKey bound_prosumer;  // meters only
  bool operator==(const RoleRecord&) const = default;
};

struct Tariff {
  uint64_t grid_fee = 0;          // micro-units per kWh, buyer -> DSO per traded kWh
  uint64_t shortfall_price = 0;   // per kWh delivered short, prosumer -> DSO
  uint64_t surplus_price = 0;     // per kWh delivered in excess, DSO -> prosumer
  bool operator==(const Tariff&) const = default;
};

struct OrderRecord {
  PublicKey owner;
  OrderSide side = OrderSide::kBid;
  uint64_t energy_wh = 0;
  uint64_t limit_price = 0;
  uint64_t escrow = 0;  // bids: money held until clearing or cancel
  TxId order_id;
  bool operator==(const OrderRecord&) const = default;
};

enum class IntervalStatus : uint8_t { kCleared = 1, kSettled = 2 };

struct IntervalRecord {
  IntervalStatus status = IntervalStatus::kCleared;
  std::optional<uint64_t> price;  // nullopt: nothing crossed
  uint64_t cleared_wh = 0;
  uint32_t orders = 0;
  uint32_t trades = 0;
  uint64_t grid_fee = 0;  // the fee applied at clearing
  bool operator==(const IntervalRecord&) const = default;
};

struct TradeRecord {
  PublicKey buyer;
  PublicKey seller;
  uint64_t bid_seq = 0;
  uint64_t ask_seq = 0;
  uint64_t energy_wh = 0;
  uint64_t paid = 0;  // buyer -> seller
  uint64_t fee = 0;   // buyer -> DSO
  bool operator==(const TradeRecord&) const = default;
};

struct Position {
  uint64_t bought_wh = 0;
  uint64_t sold_wh = 0;
  bool operator==(const Position&) const = default;
};

struct Reading {
  uint64_t imported_wh = 0;
  uint64_t exported_wh = 0;
  bool operator==(const Reading&) const = default;
};

inline constexpr uint8_t kSettlementMissingReading = 1;

struct SettlementRecord {
  int64_t delivered_wh = 0;   // exported - imported (0 without a reading)
  int64_t contracted_wh = 0;  // sold - bought
  int64_t imbalance_wh = 0;   // delivered - contracted
  uint64_t amount = 0;        // paid to the DSO (shortfall) or by it (surplus)
  uint8_t flags = 0;          // kSettlementMissingReading
  bool operator==(const SettlementRecord&) const = default;
};

// u64 counters under 'm'.
enum class MarketMeta : uint8_t {
  kNextOrderSeq = 's',
  kTotalEscrow = 'e',   // sum of open bids' escrow
  kTotalDebt = 'd',     // sum of 'D' records
  kConsensusTime = 't', // the last commit's consensus time (ms)
};

// Typed access to the market records of one block's overlay.
class MarketState {
 public:
  explicit MarketState(Overlay* overlay) : o_(*overlay) {}

  absl::StatusOr<std::optional<RoleRecord>> Role(const PublicKey& account) const;
  void PutRole(const PublicKey& account, const RoleRecord& role);
  absl::StatusOr<std::optional<PublicKey>> MeterOf(const PublicKey& prosumer) const;
  void PutMeterOf(const PublicKey& prosumer, const PublicKey& meter);
  void DeleteMeterOf(const PublicKey& prosumer);

  // The tariff in force for `interval`: the latest with effective <= interval
  // (all zero before the first).
  absl::StatusOr<Tariff> TariffFor(uint64_t interval) const;
  // The same with the interval it took effect from; nullopt before the first.
  absl::StatusOr<std::optional<std::pair<uint64_t, Tariff>>> TariffRecordFor(
      uint64_t interval) const;
  void PutTariff(uint64_t effective_interval, const Tariff& tariff);

  absl::StatusOr<std::optional<OrderRecord>> Order(uint64_t interval, uint64_t seq) const;
  void PutOrder(uint64_t interval, uint64_t seq, const OrderRecord& order);
  void DeleteOrder(uint64_t interval, uint64_t seq);
  // The interval's book, ascending by sequence.
  absl::StatusOr<std::vector<std::pair<uint64_t, OrderRecord>>> Book(uint64_t interval) const;
  // At most `limit` orders of the book with sequence >= first_seq, ascending
  // (bounded reads for the query side).
  absl::StatusOr<std::vector<std::pair<uint64_t, OrderRecord>>> BookPage(uint64_t interval,
                                                                         uint64_t first_seq,
                                                                         size_t limit) const;
  absl::StatusOr<std::optional<std::pair<uint64_t, uint64_t>>> OrderIndex(const TxId& id) const;
  void PutOrderIndex(const TxId& id, uint64_t interval, uint64_t seq);
  void DeleteOrderIndex(const TxId& id);

  // (side, open orders) of an account in an interval.
  absl::StatusOr<std::optional<std::pair<OrderSide, uint32_t>>> AccountSide(
      uint64_t interval, const PublicKey& account) const;
  void PutAccountSide(uint64_t interval, const PublicKey& account, OrderSide side,
                      uint32_t count);  // count 0 deletes
  absl::StatusOr<uint32_t> OpenOrders(const PublicKey& account) const;
  void PutOpenOrders(const PublicKey& account, uint32_t count);  // 0 deletes
  absl::StatusOr<uint32_t> BookSize(uint64_t interval) const;
  void PutBookSize(uint64_t interval, uint32_t count);  // 0 deletes

  // Interval queues: waiting for gate closure ('Q') or settlement ('Z').
  absl::StatusOr<std::vector<uint64_t>> Queue(uint8_t tag) const;
  void Enqueue(uint8_t tag, uint64_t interval);
  void Dequeue(uint8_t tag, uint64_t interval);

  absl::StatusOr<std::optional<IntervalRecord>> Interval(uint64_t interval) const;
  void PutInterval(uint64_t interval, const IntervalRecord& record);
  void PutTrade(uint64_t interval, uint32_t index, const TradeRecord& trade);
  absl::StatusOr<std::vector<TradeRecord>> Trades(uint64_t interval) const;
  // At most `limit` trades from index first_index on, in walk order.
  absl::StatusOr<std::vector<TradeRecord>> TradesPage(uint64_t interval, uint32_t first_index,
                                                      size_t limit) const;
  absl::StatusOr<Position> PositionOf(uint64_t interval, const PublicKey& account) const;
  void PutPosition(uint64_t interval, const PublicKey& account, const Position& position);
  // Every position / reading of the interval, ascending by account.
  absl::StatusOr<std::vector<std::pair<PublicKey, Position>>> Positions(uint64_t interval) const;
  absl::StatusOr<std::optional<Reading>> ReadingOf(uint64_t interval,
                                                   const PublicKey& prosumer) const;
  void PutReading(uint64_t interval, const PublicKey& prosumer, const Reading& reading);
  absl::StatusOr<std::vector<std::pair<PublicKey, Reading>>> Readings(uint64_t interval) const;
  absl::StatusOr<std::optional<SettlementRecord>> Settlement(uint64_t interval,
                                                             const PublicKey& account) const;
  void PutSettlement(uint64_t interval, const PublicKey& account, const SettlementRecord& s);

  absl::StatusOr<uint64_t> Debt(const PublicKey& account) const;
  void PutDebt(const PublicKey& account, uint64_t debt);  // 0 deletes
  absl::StatusOr<uint64_t> Meta(MarketMeta name) const;    // absent: 0
  void PutMeta(MarketMeta name, uint64_t value);

 private:
  Overlay& o_;
};

// Key builders, shared with the storage tests and the read side.
Bytes MarketKey(uint8_t tag, ByteSpan a = {}, ByteSpan b = {});
Bytes U64Be(uint64_t v);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_MARKET_STATE_H_
