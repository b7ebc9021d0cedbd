// The market's rules (issue 10; docs/market.md), run by the executor inside
// one block on its overlay, at the block's consensus time t (ms). Interval k
// spans [k*I, (k+1)*I) with I = market interval_ms.
//
// At the start of each block, before its transactions:
//  1. Gate closure: every interval with open orders whose gate has closed
//     (t >= k*I - gate_closure_ms), ascending, is cleared (market_clearing.h):
//     each trade moves floor(q*price/1000) from the bid's escrow to the seller
//     and floor(q*grid_fee/1000) to the DSO (grid fee of the tariff in force
//     for k when it clears); what a bid's escrow lacks (the fee rose after the
//     order) is debited from the buyer; the escrow left returns to the buyer.
//  2. Settlement: every interval with trades or readings whose reading window
//     has closed (t >= (k+1)*I + reading_window_ms), ascending: per prosumer,
//     ascending by key, imbalance = (exported - imported) - (sold - bought); a
//     shortfall pays |imbalance|*shortfall_price/1000 to the DSO, a surplus is
//     paid imbalance*surplus_price/1000 by the DSO; no reading counts as 0
//     delivered and is flagged MISSING_READING.
// Money: a debit takes what the balance holds and records the rest as debt;
// every credit (transfers included) repays the account's debt first. So
// sum(balances) + sum(escrow) - sum(debt) is the genesis supply, always.
//
// Transactions (run when the sender's nonce is its next one: at once, or on
// release from the nonce hold), the first failing rule reported:
//  REGISTER   sender is the slice DSO (unauthorized); role is not DSO and the
//             account is not the DSO (role_conflict); the account has no other
//             role (role_conflict); a prosumer is not registered twice
//             (role_conflict); a meter's prosumer is registered
//             (not_registered), has no other meter (role_conflict), and the
//             meter is not already bound to it (role_conflict). Registering a
//             bound meter with another prosumer re-binds it.
//  SET_TARIFF sender is the slice DSO (unauthorized); in force from interval
//             t/I + 1 (the first that starts after this commit); a later one
//             for the same interval replaces it.
//  ORDER      sender is a registered prosumer (not_registered); interval <=
//             t/I + max_intervals_ahead (interval_too_far); t < k*I -
//             gate_closure_ms (gate_closed); the account has no debt
//             (insufficient_balance); no open order on the other side in
//             k (one_side_per_interval); open orders < max_open_orders_per_account
//             and the book < max_orders_per_interval (order_limit); a bid's
//             escrow floor(e*limit/1000) + floor(e*grid_fee/1000) <= balance
//             (insufficient_balance).
//  CANCEL     the order is open (unknown_order); sender owns it (unauthorized);
//             t < k*I - gate_closure_ms (gate_closed). The escrow returns.
//  METER_READING sender is a registered meter (not_registered) bound to the
//             named prosumer (unauthorized); (k+1)*I <= t < (k+1)*I +
//             reading_window_ms (outside_reading_window); first for
//             (prosumer, k) (duplicate_reading).
#ifndef GRIDLEDGER_CORE_EXECUTION_MARKET_EXEC_H_
#define GRIDLEDGER_CORE_EXECUTION_MARKET_EXEC_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/execution/block_tx.h"
#include "core/execution/market_params.h"
#include "core/execution/market_state.h"
#include "core/execution/overlay.h"
#include "core/execution/tx_result.h"

namespace gridledger {

class MarketRun {
 public:
  MarketRun(SliceId slice, const MarketConfig& config, Overlay* overlay, uint64_t now_ms)
      : slice_(slice), config_(config), overlay_(*overlay), state_(overlay), now_ms_(now_ms) {}

  // Steps 1 and 2 above.
  absl::Status RunDue();
  // A market transaction (any kind but TRANSFER) whose nonce is the sender's
  // next; changes state only on success (the caller then advances the nonce).
  absl::StatusOr<TxResult> Execute(const BlockTx& btx, uint32_t index);

  // Repays the account's debt first, then raises its balance (creating the
  // account). Debits take the balance first, then record debt.
  absl::Status Credit(const PublicKey& account, uint64_t amount);
  absl::Status Debit(const PublicKey& account, uint64_t amount);

  uint64_t now_ms() const { return now_ms_; }
  bool IsDso(const PublicKey& key) const { return config_.dso.has_value() && key == *config_.dso; }
  MarketState& state() { return state_; }

 private:
  absl::StatusOr<TxResult> Register(const BlockTx& btx, uint32_t index, const RegisterBody& b);
  absl::StatusOr<TxResult> SetTariff(const BlockTx& btx, uint32_t index, const SetTariffBody& b);
  absl::StatusOr<TxResult> Order(const BlockTx& btx, uint32_t index, const OrderBody& b);
  absl::StatusOr<TxResult> Cancel(const BlockTx& btx, uint32_t index, const CancelBody& b);
  absl::StatusOr<TxResult> Reading(const BlockTx& btx, uint32_t index,
                                   const MeterReadingBody& b);
  absl::Status Clear(uint64_t interval);
  absl::Status Settle(uint64_t interval);
  // True while orders for `interval` are accepted (t < start - gate).
  bool GateOpen(uint64_t interval) const;
  AccountRef Ref(const PublicKey& key) const { return AccountRef{slice_, key}; }

  const SliceId slice_;
  const MarketConfig& config_;
  Overlay& overlay_;
  MarketState state_;
  const uint64_t now_ms_;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_MARKET_EXEC_H_
