// The market's configuration for one slice: its DSO, the timing from genesis
// and the bounds on open orders. Every validator of a slice must use the same
// values (they shape the state).
#ifndef GRIDLEDGER_CORE_EXECUTION_MARKET_PARAMS_H_
#define GRIDLEDGER_CORE_EXECUTION_MARKET_PARAMS_H_

#include <cstdint>
#include <optional>

#include "core/common/types.h"
#include "core/execution/genesis.h"

namespace gridledger {

// Open (not yet cleared or cancelled) orders one account may hold, over all
// intervals.
inline constexpr uint32_t kMaxOpenOrdersPerAccount = 64;
// Orders one interval's book may hold (clearing cost is O(n log n) in it).
inline constexpr uint32_t kMaxOrdersPerInterval = 131'072;
// How far ahead of the current interval an order may be placed (7 days of
// 15-minute intervals).
inline constexpr uint64_t kMaxOrderIntervalsAhead = 672;

struct MarketLimits {
  uint32_t max_open_orders_per_account = kMaxOpenOrdersPerAccount;
  uint32_t max_orders_per_interval = kMaxOrdersPerInterval;
  uint64_t max_intervals_ahead = kMaxOrderIntervalsAhead;
};

struct MarketConfig {
  // The slice's DSO: signs REGISTER and SET_TARIFF, receives grid fees and
  // shortfall payments, pays surplus. nullopt: no DSO, both kinds fail.
  std::optional<PublicKey> dso;
  MarketTiming timing;
  MarketLimits limits;
};

// The slice's market configuration from its genesis. `slice` must exist.
inline MarketConfig MarketConfigFor(const Genesis& genesis, SliceId slice) {
  return MarketConfig{SliceDso(genesis, slice), genesis.market, MarketLimits{}};
}

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_MARKET_PARAMS_H_
