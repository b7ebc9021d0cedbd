// The microgrid workload (issue 10 item 9): a deterministic synthetic local
// energy market of P prosumers per slice, time-compressed.
//
// Prosumer i of slice s is funded account i of that slice (accounts.keys
// order) and its meter is account P + i; the slice's DSO signs with the
// genesis DSO key. At the start the DSO sets a tariff and registers every
// prosumer and its meter. Then, for every market interval k of the run, each
// prosumer forecasts its net energy from its profile (a PV producer with a
// daily generation curve, a consumer with a load curve, some with a battery
// that shifts surplus into the evening) and places one ask (surplus) or one
// bid (deficit) before gate closure; after the interval its meter reports the
// actual flow (forecast with seeded noise, and now and then a meter outage,
// which settles as MISSING_READING).
//
// A compressed market day has `intervals_per_day` intervals and starts at
// 08:00 with the run's first interval, so a short run sees the PV peak, the
// evening load peak and batteries discharging.
//
// 9 of every 20 consecutive prosumers of a slice have PV, spread so that
// any 3 consecutive ones hold both kinds: every slice has sellers and buyers. Everything (profiles, prices, noise, outages) is drawn
// from `seed`, the slice and the prosumer's index only: the same seed, start and deployment
// give the same transactions, byte for byte.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_MICROGRID_WORKLOAD_H_
#define GRIDLEDGER_TOOLS_LOADGEN_MICROGRID_WORKLOAD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/crypto/schnorr.h"
#include "core/tx/transaction.h"
#include "tools/loadgen/workload.h"

namespace gridledger::loadgen {

inline constexpr uint32_t kDefaultProsumersPerSlice = 24;
inline constexpr uint32_t kMaxProsumersPerSlice = 4096;

// The tariff the DSO sets at the start, micro-units per kWh.
inline constexpr uint64_t kMicrogridGridFee = 20'000;
inline constexpr uint64_t kMicrogridShortfallPrice = 250'000;
inline constexpr uint64_t kMicrogridSurplusPrice = 40'000;

// The market timing `gridledger cluster --workload=microgrid` writes into
// its genesis: 2 s intervals, gate closure 0.5 s before, 2 s reading window.
inline MarketTiming CompressedMarketTiming() { return MarketTiming{2000, 500, 2000}; }

struct MicrogridOptions {
  uint32_t prosumers_per_slice = kDefaultProsumersPerSlice;
  uint64_t seed = 1;
  uint32_t intervals_per_day = 12;
  // Wall-clock (Unix ms) start of the run: send times count from it, and
  // interval k spans [k * I, (k + 1) * I) of consensus time, which follows
  // the validators' clocks.
  uint64_t start_unix_ms = 0;
  // Every planned interval is settled (its reading window closed) by
  // start + duration - settle_margin.
  uint64_t duration_ms = 30'000;
  uint64_t settle_margin_ms = 1'000;
  // The DSO's tariff and registrations get this long to commit before the
  // first orders are sent.
  uint64_t setup_ms = 2'000;
  // Orders for interval k are sent at k * I - gate_closure - order_lead;
  // 0 means one interval.
  uint64_t order_lead_ms = 0;
  // Readings for interval k are sent at (k + 1) * I + reading_delay (it must
  // be inside the reading window with room for the commit); 0 means a fifth
  // of the window.
  uint64_t reading_delay_ms = 0;
  // Per mille of readings a meter fails to send (outages).
  uint32_t outage_per_mille = 30;
  // The DSO's tariff and registrations. Off for a ledger where they are in
  // force already: a REGISTER of a registered account fails without using
  // its nonce, which would hold every later DSO transaction.
  bool setup = true;
};

// The deployment's keys the workload signs with.
struct MicrogridKeys {
  const Deployment* deployment = nullptr;
  // The DSO of every slice (genesis `dso`; slices with their own DSO key are
  // not supported by the workload).
  KeyPair dso;
};

// Next nonces the plan starts from: [slice][account] as PlanTransfers, and
// the DSO's per slice. All zero for a fresh deployment.
struct MicrogridNonces {
  std::vector<std::vector<uint64_t>> accounts;
  std::vector<uint64_t> dso;
};
MicrogridNonces FreshNonces(const Deployment& deployment);

enum class ProsumerKind : uint8_t { kPv = 1, kConsumer = 2 };

// One prosumer's synthetic profile (energies in Wh per interval, prices in
// micro-units per kWh).
struct ProsumerProfile {
  ProsumerKind kind = ProsumerKind::kConsumer;
  uint64_t pv_peak_wh = 0;    // at solar noon; 0 for consumers
  uint64_t load_base_wh = 0;  // scaled by the daily load curve
  uint64_t battery_wh = 0;    // capacity; 0 without a battery
  uint64_t ask_price = 0;     // reservation price when selling
  uint64_t bid_price = 0;     // willingness to pay when buying
};
ProsumerProfile ProfileFor(uint64_t seed, uint32_t slice, uint32_t prosumer);

// What a planned transaction is, for counting committed results by kind.
struct MicrogridTxInfo {
  TxKind kind = TxKind::kOrder;
  uint64_t interval = 0;  // ORDER and METER_READING
};

struct MicrogridPlan {
  std::vector<PlannedTx> txs;  // ascending by send_at_ns
  std::vector<MicrogridTxInfo> info;  // parallel to txs
  uint64_t first_interval = 0;
  uint64_t last_interval = 0;
  // Consensus time (Unix ms) after which every planned interval is settled.
  uint64_t settled_by_unix_ms = 0;
  uint64_t registrations = 0;  // REGISTER and SET_TARIFF
  uint64_t orders = 0;
  uint64_t readings = 0;
  uint64_t outages = 0;  // readings not sent on purpose
};

// InvalidArgument when the duration holds no full interval after the setup
// or the market timing cannot be met; FailedPrecondition when a slice has
// fewer than 2 * prosumers_per_slice funded accounts or its DSO is not
// `keys.dso`.
absl::StatusOr<MicrogridPlan> PlanMicrogrid(const MicrogridKeys& keys,
                                            const MicrogridOptions& options,
                                            const MicrogridNonces& nonces);

// DIR/dso.key (as `gridledger genesis` and `cluster` write it), checked
// against the genesis DSO.
absl::StatusOr<KeyPair> LoadDsoKey(const std::string& dir, const Genesis& genesis);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_MICROGRID_WORKLOAD_H_
