#include "tools/loadgen/microgrid_workload.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/common/check.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/tx/codec.h"

namespace gridledger::loadgen {
namespace {

constexpr uint64_t kMinOrderWh = 50;  // smaller forecasts place no order
constexpr double kFirstHour = 8.0;    // the run's first interval starts the day at 08:00

// Draw streams, so each quantity has its own independent sequence.
enum Stream : uint64_t {
  kStreamProfile = 1,
  kStreamForecast = 2,
  kStreamPrice = 3,
  kStreamActual = 4,
  kStreamOutage = 5,
};

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A deterministic draw for (seed, slice, prosumer, step, stream, index).
uint64_t Draw(uint64_t seed, uint32_t slice, uint32_t prosumer, uint64_t step, Stream stream,
              uint64_t index = 0) {
  uint64_t h = SplitMix(seed);
  for (uint64_t v : {uint64_t{slice}, uint64_t{prosumer}, step, uint64_t{stream}, index}) {
    h = SplitMix(h ^ v);
  }
  return h;
}
// Uniform in [0, 1).
double Unit(uint64_t draw) { return static_cast<double>(draw >> 11) * 0x1.0p-53; }
uint64_t Between(uint64_t draw, uint64_t lo, uint64_t hi) { return lo + draw % (hi - lo + 1); }

// Daily curves over the hour of day (0..24).
double PvCurve(double hour) {
  if (hour <= 6.0 || hour >= 18.0) return 0.0;
  return std::sin(std::numbers::pi * (hour - 6.0) / 12.0);
}
double LoadCurve(double hour) {
  const double morning = std::exp(-(hour - 8.0) * (hour - 8.0) / 3.0);
  const double evening = std::exp(-(hour - 19.0) * (hour - 19.0) / 5.0);
  return 0.45 + 0.35 * morning + 0.65 * evening;
}
bool Evening(double hour) { return hour >= 17.0 && hour < 23.0; }

uint64_t ToWh(double wh) {
  if (!(wh > 0)) return 0;
  return std::min<uint64_t>(static_cast<uint64_t>(std::llround(wh)), kMaxEnergyWh);
}

// One prosumer through the run: its battery's charge carries from interval
// to interval.
struct Simulated {
  double forecast_net_wh = 0;  // > 0 sells
  double actual_net_wh = 0;
  uint64_t ask = 0;
  uint64_t bid = 0;
};

class ProsumerModel {
 public:
  ProsumerModel(uint64_t seed, uint32_t slice, uint32_t prosumer)
      : seed_(seed), slice_(slice), prosumer_(prosumer),
        profile_(ProfileFor(seed, slice, prosumer)),
        charge_wh_(static_cast<double>(profile_.battery_wh) / 2) {}

  // Step `step` of the run (0 = first interval), at `hour` of the day.
  Simulated Next(uint64_t step, double hour) {
    const double pv = static_cast<double>(profile_.pv_peak_wh) * PvCurve(hour);
    const double load = static_cast<double>(profile_.load_base_wh) * LoadCurve(hour) *
                        (0.95 + 0.1 * Unit(Draw(seed_, slice_, prosumer_, step, kStreamForecast)));
    // The battery follows the forecast (it is scheduled with the order):
    // half of a surplus charges it, a deficit or the evening discharges it.
    const double capacity = static_cast<double>(profile_.battery_wh);
    double battery = 0;  // > 0 discharges into the grid side
    if (capacity > 0) {
      const double rate = capacity / 4;
      const double surplus = pv - load;
      if (surplus > 0 && !Evening(hour)) {
        battery = -std::min({surplus / 2, capacity - charge_wh_, rate});
      } else if (surplus < 0 || Evening(hour)) {
        battery = std::min(charge_wh_, Evening(hour) ? rate : std::min(-surplus, rate));
      }
      charge_wh_ -= battery;
    }
    Simulated s;
    s.forecast_net_wh = pv - load + battery;
    // A factor in [low, low + width) drawn for this step.
    auto noise = [&](Stream stream, uint64_t index, double low, double width) {
      return low + width * Unit(Draw(seed_, slice_, prosumer_, step, stream, index));
    };
    const double pv_noise = noise(kStreamActual, 0, 0.85, 0.3);
    const double load_noise = noise(kStreamActual, 1, 0.9, 0.2);
    s.actual_net_wh = pv * pv_noise - load * load_noise + battery;
    // Sellers ask less when the sun is high; buyers pay more in the evening.
    const double ask_noise = noise(kStreamPrice, 0, 0.9, 0.2);
    const double bid_noise = noise(kStreamPrice, 1, 0.9, 0.2);
    s.ask = static_cast<uint64_t>(static_cast<double>(profile_.ask_price) * ask_noise *
                                  (1.0 - 0.3 * PvCurve(hour)));
    s.bid = static_cast<uint64_t>(static_cast<double>(profile_.bid_price) * bid_noise *
                                  (Evening(hour) ? 1.2 : 1.0));
    s.ask = std::min(s.ask, kMaxPricePerKwh);
    s.bid = std::clamp<uint64_t>(s.bid, 1, kMaxPricePerKwh);
    return s;
  }

 private:
  const uint64_t seed_;
  const uint32_t slice_;
  const uint32_t prosumer_;
  const ProsumerProfile profile_;
  double charge_wh_;
};

struct Draft {
  Transaction tx;
  const KeyPair* key = nullptr;
  PlannedTx planned;
  MicrogridTxInfo info;
};

}  // namespace

MicrogridNonces FreshNonces(const Deployment& deployment) {
  MicrogridNonces n;
  for (const auto& pool : deployment.accounts_by_slice) n.accounts.emplace_back(pool.size(), 0);
  n.dso.assign(deployment.accounts_by_slice.size(), 0);
  return n;
}

ProsumerProfile ProfileFor(uint64_t seed, uint32_t slice, uint32_t prosumer) {
  auto draw = [&](uint64_t index) { return Draw(seed, slice, prosumer, 0, kStreamProfile, index); };
  ProsumerProfile p;
  // 9 of every 20 consecutive prosumers have PV, spread out (x -> 9x mod 20
  // is a permutation with no two PV neighbours), from a seeded offset: any 3
  // consecutive prosumers hold a producer and a consumer.
  const uint64_t offset = Draw(seed, slice, 0, 0, kStreamProfile, 99) % 20;
  if ((prosumer + offset) * 9 % 20 < 9) {
    p.kind = ProsumerKind::kPv;
    p.pv_peak_wh = Between(draw(1), 2'500, 6'000);
    p.load_base_wh = Between(draw(2), 300, 800);
  } else {
    p.kind = ProsumerKind::kConsumer;
    p.load_base_wh = Between(draw(2), 800, 2'500);
  }
  if (draw(3) % 100 < 35) p.battery_wh = Between(draw(4), 2'000, 8'000);
  p.ask_price = Between(draw(5), 60'000, 130'000);
  p.bid_price = Between(draw(6), 140'000, 300'000);
  return p;
}

absl::StatusOr<MicrogridPlan> PlanMicrogrid(const MicrogridKeys& keys,
                                            const MicrogridOptions& options,
                                            const MicrogridNonces& nonces) {
  const Deployment& deployment = *keys.deployment;
  const Genesis& genesis = deployment.genesis;
  const MarketTiming& timing = genesis.market;
  const uint64_t interval_ms = timing.interval_ms;
  const uint64_t order_lead = options.order_lead_ms > 0 ? options.order_lead_ms : interval_ms;
  const uint64_t reading_delay =
      options.reading_delay_ms > 0 ? options.reading_delay_ms
                                   : std::max<uint64_t>(1, timing.reading_window_ms / 5);
  const uint32_t prosumers = options.prosumers_per_slice;
  if (prosumers == 0 || prosumers > kMaxProsumersPerSlice) {
    return absl::InvalidArgumentError(
        absl::StrCat("prosumers per slice must be in [1, ", kMaxProsumersPerSlice, "]"));
  }
  if (options.intervals_per_day == 0) {
    return absl::InvalidArgumentError("intervals_per_day must be at least 1");
  }
  if (reading_delay >= timing.reading_window_ms) {
    return absl::InvalidArgumentError(absl::StrCat("reading delay ", reading_delay,
                                                   " ms does not fit the reading window of ",
                                                   timing.reading_window_ms, " ms"));
  }
  const size_t slices = genesis.slices.size();
  GL_CHECK(nonces.accounts.size() == slices && nonces.dso.size() == slices);
  for (size_t s = 0; s < slices; ++s) {
    if (SliceDso(genesis, SliceId(static_cast<uint32_t>(s))) != keys.dso.public_key()) {
      return absl::FailedPreconditionError(
          absl::StrCat("slice ", s, " has its own DSO key; the workload signs with genesis dso"));
    }
    if (deployment.accounts_by_slice[s].size() < 2 * uint64_t{prosumers}) {
      return absl::FailedPreconditionError(absl::StrCat(
          "slice ", s, " has ", deployment.accounts_by_slice[s].size(),
          " funded accounts in accounts.keys; the microgrid needs ", 2 * uint64_t{prosumers},
          " (a prosumer and a meter each)"));
    }
    GL_CHECK(nonces.accounts[s].size() == deployment.accounts_by_slice[s].size());
  }
  // The first interval whose orders go out after the setup; the last one
  // whose reading window closes before the end.
  const uint64_t start = options.start_unix_ms;
  const uint64_t first_send = start + options.setup_ms + timing.gate_closure_ms + order_lead;
  const uint64_t first = (first_send + interval_ms - 1) / interval_ms;
  const uint64_t end = start + options.duration_ms;
  const uint64_t settle_by = options.settle_margin_ms + timing.reading_window_ms + interval_ms;
  if (end < settle_by + first * interval_ms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a run of ", options.duration_ms, " ms holds no market interval after ",
        options.setup_ms, " ms of setup (interval ", interval_ms, " ms, gate closure ",
        timing.gate_closure_ms, " ms, reading window ", timing.reading_window_ms,
        " ms): run longer"));
  }
  const uint64_t last = (end - settle_by) / interval_ms;

  MicrogridPlan plan;
  plan.first_interval = first;
  plan.last_interval = last;
  plan.settled_by_unix_ms = (last + 1) * interval_ms + timing.reading_window_ms;
  const int64_t ns_per_ms = 1'000'000;
  auto offset_ns = [&](uint64_t unix_ms) {
    return (static_cast<int64_t>(unix_ms) - static_cast<int64_t>(start)) * ns_per_ms;
  };
  std::vector<Draft> drafts;
  auto add = [&](uint32_t s, uint32_t account, const KeyPair& key, uint64_t nonce, TxBody body,
                 int64_t at_ns, MicrogridTxInfo info) {
    Draft d;
    d.tx.slice = SliceId(s);
    d.tx.nonce = Nonce(nonce);
    d.tx.sender = key.public_key();
    d.tx.body = std::move(body);
    d.key = &key;
    d.planned.slice = s;
    d.planned.account = account;
    d.planned.send_at_ns = at_ns;
    d.info = info;
    drafts.push_back(std::move(d));
  };
  for (uint32_t s = 0; s < slices; ++s) {
    const auto& pool = deployment.accounts_by_slice[s];
    std::vector<uint64_t> next = nonces.accounts[s];
    uint64_t dso_nonce = nonces.dso[s];
    // Setup: the tariff, then each prosumer and its meter (the DSO's nonces
    // keep them in this order, so a meter's prosumer is registered first).
    if (options.setup) {
      add(s, 0, keys.dso, dso_nonce++,
          SetTariffBody{PricePerKwh(kMicrogridGridFee), PricePerKwh(kMicrogridShortfallPrice),
                        PricePerKwh(kMicrogridSurplusPrice)},
          0, {TxKind::kSetTariff, 0});
      for (uint32_t i = 0; i < prosumers; ++i) {
        const PublicKey prosumer = pool[i].public_key();
        add(s, 0, keys.dso, dso_nonce++,
            RegisterBody{prosumer, AccountRole::kProsumer, PublicKey()}, 0,
            {TxKind::kRegister, 0});
        add(s, 0, keys.dso, dso_nonce++,
            RegisterBody{pool[prosumers + i].public_key(), AccountRole::kMeter, prosumer}, 0,
            {TxKind::kRegister, 0});
        plan.registrations += 2;
      }
      ++plan.registrations;
    }
    for (uint32_t i = 0; i < prosumers; ++i) {
      ProsumerModel model(options.seed, s, i);
      const uint32_t meter = prosumers + i;
      for (uint64_t k = first; k <= last; ++k) {
        const uint64_t step = k - first;
        const double hour =
            std::fmod(kFirstHour + 24.0 * static_cast<double>(step) / options.intervals_per_day,
                      24.0);
        const Simulated sim = model.Next(step, hour);
        const uint64_t energy = ToWh(std::abs(sim.forecast_net_wh));
        if (energy >= kMinOrderWh) {
          const bool sell = sim.forecast_net_wh > 0;
          add(s, i, pool[i], next[i]++,
              OrderBody{sell ? OrderSide::kAsk : OrderSide::kBid, IntervalId(k), EnergyWh(energy),
                        PricePerKwh(sell ? sim.ask : sim.bid)},
              offset_ns(k * interval_ms - timing.gate_closure_ms - order_lead),
              {TxKind::kOrder, k});
          ++plan.orders;
        }
        if (Draw(options.seed, s, i, step, kStreamOutage) % 1000 < options.outage_per_mille) {
          ++plan.outages;
          continue;
        }
        const uint64_t exported = ToWh(sim.actual_net_wh);
        const uint64_t imported = ToWh(-sim.actual_net_wh);
        add(s, meter, pool[meter], next[meter]++,
            MeterReadingBody{pool[i].public_key(), IntervalId(k), EnergyWh(imported),
                             EnergyWh(exported)},
            offset_ns((k + 1) * interval_ms + reading_delay), {TxKind::kMeterReading, k});
        ++plan.readings;
      }
    }
    if (drafts.size() > kMaxWorkloadTxs) {
      return absl::InvalidArgumentError(
          absl::StrCat("microgrid plan exceeds ", kMaxWorkloadTxs, " transactions"));
    }
  }
  // Send order; a stable sort keeps each sender's nonces ascending.
  std::stable_sort(drafts.begin(), drafts.end(), [](const Draft& a, const Draft& b) {
    return a.planned.send_at_ns < b.planned.send_at_ns;
  });
  const Digest chain_id = GenesisDigest(genesis);
  plan.txs.reserve(drafts.size());
  plan.info.reserve(drafts.size());
  for (Draft& d : drafts) {
    GL_RETURN_IF_ERROR(ValidateTransaction(d.tx));
    SignTransaction(&d.tx, *d.key, chain_id);
    d.planned.raw = Encode(d.tx);
    d.planned.id = ComputeTxId(d.planned.raw);
    plan.txs.push_back(std::move(d.planned));
    plan.info.push_back(d.info);
  }
  return plan;
}

absl::StatusOr<KeyPair> LoadDsoKey(const std::string& dir, const Genesis& genesis) {
  GL_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(dir + "/dso.key", 1024, "dso.key"));
  GL_ASSIGN_OR_RETURN(auto secret,
                      HexDecodeFixed<32>(absl::StripAsciiWhitespace(text), "dso.key"));
  GL_ASSIGN_OR_RETURN(KeyPair key, KeyPair::FromSecret(SecretKey(secret)));
  if (key.public_key() != genesis.dso) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, "/dso.key is not the genesis DSO key"));
  }
  return key;
}

}  // namespace gridledger::loadgen
