#include "tests/sim/sim_config.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/check.h"
#include "core/crypto/sha256.h"
#include "tests/sim/sim_rng.h"

namespace gridledger::sim {

namespace {

bool Overlaps(uint64_t a_from, uint64_t a_to, uint64_t b_from, uint64_t b_to) {
  return a_from <= b_to && b_from <= a_to;
}

}  // namespace

SimConfig DrawConfig(uint64_t seed, uint32_t validators, bool faults, SimPacing pacing) {
  GL_CHECK(validators >= 4 && (validators - 1) % 3 == 0);
  SimRng rng(seed);
  SimConfig c;
  c.seed = seed;
  c.validators = validators;
  const uint32_t f = (validators - 1) / 3;
  // Pacing: fast rounds keep a run short; gc_depth small enough to be exercised.
  c.params.batch_bytes = 24 * rng.Range(8, 64);
  const bool node_pacing = pacing == SimPacing::kNode;
  c.params.max_batch_delay_ms = node_pacing ? rng.Range(5, 15) : rng.Range(10, 60);
  c.params.header_batches_max = rng.Range(1, 8);
  c.params.max_header_delay_ms = node_pacing ? rng.Range(20, 30) : rng.Range(40, 100);
  c.params.leader_timeout_ms = rng.Range(200, 600);
  c.params.gc_depth = rng.Range(30, 60);
  c.params.sync_retry_ms = rng.Range(150, 400);
  c.delay_min_ms = rng.Range(1, 5);
  c.delay_max_ms = c.delay_min_ms + rng.Range(0, 30);
  c.verify_delay_max_ms = rng.Range(0, 3);
  c.verify_deferral_ms = 4 * c.params.sync_retry_ms;  // no draw: seeds keep their runs
  c.clients = static_cast<uint32_t>(rng.Range(2, 4));
  c.client_interval_ms = rng.Range(10, 40);
  c.clients_stop_ms = rng.Range(2000, 4000);
  c.faults_end_ms = c.clients_stop_ms;
  c.resubmit_after_ms = rng.Range(2000, 4000);
  if (!faults) return c;

  c.loss_per_million = rng.Range(0, 80'000);
  c.duplicate_per_million = rng.Range(0, 50'000);
  // Byzantine validators first: crashes then pick among the honest ones.
  const uint32_t byzantine = static_cast<uint32_t>(rng.Range(0, f));
  std::vector<uint32_t> order(validators);
  for (uint32_t i = 0; i < validators; ++i) order[i] = i;
  for (uint32_t i = validators - 1; i > 0; --i) {
    std::swap(order[i], order[rng.Range(0, i)]);
  }
  for (uint32_t i = 0; i < byzantine; ++i) {
    c.byzantine.push_back(order[i]);
    ByzantineBehaviour b;
    b.equivocate = rng.Chance(600'000);
    b.bad_signatures = rng.Chance(500'000);
    b.unknown_votes = rng.Chance(500'000);
    b.withhold_batches = rng.Chance(500'000);
    b.replay = rng.Chance(500'000);
    b.forged_transactions = rng.Chance(300'000);
    c.behaviours.push_back(b);
  }
  std::sort(c.byzantine.begin(), c.byzantine.end());
  const uint64_t max_outage_ms = MaxOutageMs(c);
  const uint64_t partitions = rng.Range(0, 2);
  for (uint64_t i = 0; i < partitions; ++i) {
    Partition p;
    p.start_ms = rng.Range(0, c.faults_end_ms - 500);
    p.end_ms = std::min(c.faults_end_ms, p.start_ms + rng.Range(100, max_outage_ms));
    for (uint32_t v = 0; v < validators; ++v) p.side.push_back(rng.Chance(500'000));
    c.partitions.push_back(p);
  }
  const uint64_t crashes = rng.Range(0, 2);
  for (uint64_t i = 0; i < crashes && byzantine + i < validators; ++i) {
    Crash cr;
    cr.validator = order[byzantine + rng.Range(0, validators - byzantine - 1)];
    cr.down_ms = rng.Range(100, c.faults_end_ms - 200);
    cr.up_ms = std::min(c.faults_end_ms, cr.down_ms + rng.Range(50, max_outage_ms));
    bool overlaps = false;
    for (const Crash& other : c.crashes) {
      overlaps |= other.validator == cr.validator && cr.down_ms <= other.up_ms &&
                  other.down_ms <= cr.up_ms;
    }
    if (!overlaps) c.crashes.push_back(cr);
  }
  // Drawn last, so the configs drawn before these behaviours existed stay the same.
  for (ByzantineBehaviour& b : c.behaviours) {
    b.oversize_headers = rng.Chance(300'000);
    b.flood_batches = rng.Chance(300'000);
  }
  for (ByzantineBehaviour& b : c.behaviours) b.withhold_acks = rng.Chance(300'000);
  return c;
}

namespace {

// A crash that fires at the first fitting moment after `after_ms` (so its
// validator may be down anywhere in [after_ms, faults_end_ms]), drawn under
// the regular outage bounds; nullopt when the draw would overlap another
// outage of its validator or put more than f validators down at once.
template <typename DeferredCrash>
std::optional<DeferredCrash> DrawDeferredCrash(const SimConfig& c, SimRng& rng) {
  std::vector<uint32_t> honest;
  for (uint32_t v = 0; v < c.validators; ++v) {
    if (std::find(c.byzantine.begin(), c.byzantine.end(), v) == c.byzantine.end()) {
      honest.push_back(v);
    }
  }
  const uint32_t f = (c.validators - 1) / 3;
  const uint64_t max_outage_ms = MaxOutageMs(c);
  DeferredCrash q;
  q.validator = honest[rng.Range(0, honest.size() - 1)];
  q.after_ms = rng.Range(200, c.faults_end_ms - 500);
  // Fired at most faults_end_ms - down_for_ms (the simulator drops it
  // otherwise), so it is down somewhere within [after_ms, faults_end_ms].
  q.down_for_ms = rng.Range(
      50, std::max<uint64_t>(50, std::min(max_outage_ms, c.faults_end_ms - q.after_ms - 100)));
  std::vector<uint32_t> down = {q.validator};
  for (const Crash& other : c.crashes) {
    if (!Overlaps(q.after_ms, c.faults_end_ms, other.down_ms, other.up_ms)) continue;
    down.push_back(other.validator);
  }
  // Each deferred crash may be down anywhere up to faults_end_ms.
  for (const QueuedCommitCrash& other : c.queued_commit_crashes) down.push_back(other.validator);
  for (const EarlySendCrash& other : c.early_send_crashes) down.push_back(other.validator);
  std::sort(down.begin(), down.end());
  const bool same_validator = std::adjacent_find(down.begin(), down.end()) != down.end();
  if (same_validator || down.size() > f) return std::nullopt;
  return q;
}

}  // namespace

void DrawOutboxCrashes(SimConfig* c) {
  SimRng rng(c->seed ^ 0x6f7574626f78ULL);  // "outbox"
  c->real_store = true;
  c->outbox = true;
  c->commit_delay_max_ms = rng.Range(1, 40);
  const uint64_t crashes = rng.Range(1, 2);
  for (uint64_t i = 0; i < crashes; ++i) {
    if (auto q = DrawDeferredCrash<QueuedCommitCrash>(*c, rng)) {
      c->queued_commit_crashes.push_back(*q);
    }
  }
}

void DrawEarlySendCrashes(SimConfig* c) {
  SimRng rng(c->seed ^ 0x6561726c79ULL);  // "early"
  c->real_store = true;
  const uint64_t crashes = rng.Range(1, 2);
  for (uint64_t i = 0; i < crashes; ++i) {
    if (auto q = DrawDeferredCrash<EarlySendCrash>(*c, rng)) {
      // Half after an ack, a quarter each after the rarer own batch pushes
      // and own certificates: each kind by its own draw, so a sweep covers
      // all three whatever the order of sends.
      const uint64_t kind = rng.Range(0, 3);
      q->after = kind <= 1   ? EarlySendCrash::After::kAck
                 : kind == 2 ? EarlySendCrash::After::kOwnBatchPush
                             : EarlySendCrash::After::kOwnCertificate;
      c->early_send_crashes.push_back(*q);
    }
  }
}

uint64_t MaxOutageMs(const SimConfig& c) {
  return std::min<uint64_t>(1500, c.params.gc_depth * c.params.max_header_delay_ms / 3);
}

Digest SimChainId() { return TaggedHash("gridledger/sim/chain-id", {}); }

std::string SimConfig::Describe() const {
  std::string s = absl::StrCat(
      "seed=", seed, " validators=", validators, " batch_bytes=", params.batch_bytes,
      " max_batch_delay_ms=", params.max_batch_delay_ms,
      " header_batches_max=", params.header_batches_max,
      " max_header_delay_ms=", params.max_header_delay_ms,
      " leader_timeout_ms=", params.leader_timeout_ms, " gc_depth=", params.gc_depth,
      " sync_retry_ms=", params.sync_retry_ms, " delay_ms=[", delay_min_ms, ",",
      delay_max_ms, "] loss_ppm=", loss_per_million, " dup_ppm=", duplicate_per_million,
      " clients=", clients, " client_interval_ms=", client_interval_ms,
      " faults_end_ms=", faults_end_ms);
  for (const Partition& p : partitions) {
    std::string side;
    for (bool b : p.side) side += b ? '1' : '0';
    absl::StrAppend(&s, " partition[", p.start_ms, "..", p.end_ms, " ", side, "]");
  }
  for (const Crash& c : crashes) {
    absl::StrAppend(&s, " crash[v", c.validator, " ", c.down_ms, "..", c.up_ms, "]");
  }
  for (size_t i = 0; i < byzantine.size(); ++i) {
    const ByzantineBehaviour& b = behaviours[i];
    std::vector<std::string> what;
    if (b.equivocate) what.push_back("equivocate");
    if (b.bad_signatures) what.push_back("bad_sigs");
    if (b.unknown_votes) what.push_back("unknown_votes");
    if (b.withhold_batches) what.push_back("withhold");
    if (b.replay) what.push_back("replay");
    if (b.forged_transactions) what.push_back("forged_txs");
    if (b.oversize_headers) what.push_back("oversize_headers");
    if (b.flood_batches) what.push_back("flood_batches");
    if (b.withhold_acks) what.push_back("withhold_acks");
    absl::StrAppend(&s, " byzantine[v", byzantine[i], " ", absl::StrJoin(what, ","), "]");
  }
  if (real_store) {
    absl::StrAppend(&s, " real_store restore_gc_depth=", restore_gc_depth,
                    " lazy_records_ms=", lazy_records_ms);
  }
  if (restart_bug_forget_commits) absl::StrAppend(&s, " restart_bug_forget_commits");
  if (restart_bug_forget_votes) absl::StrAppend(&s, " restart_bug_forget_votes");
  if (outbox) absl::StrAppend(&s, " outbox commit_delay_max_ms=", commit_delay_max_ms);
  for (const QueuedCommitCrash& q : queued_commit_crashes) {
    absl::StrAppend(&s, " queued_commit_crash[v", q.validator, " after ", q.after_ms,
                    " down ", q.down_for_ms, "]");
  }
  if (outbox_bug_record_at_queue) absl::StrAppend(&s, " outbox_bug_record_at_queue");
  for (const EarlySendCrash& q : early_send_crashes) {
    absl::StrAppend(&s, " early_send_crash[v", q.validator, " after ", q.after_ms, " down ",
                    q.down_for_ms,
                    q.after == EarlySendCrash::After::kOwnBatchPush      ? " push_only"
                    : q.after == EarlySendCrash::After::kOwnCertificate ? " certificate_only"
                                                                        : " ack_only",
                    "]");
  }
  if (early_send_bug_header) absl::StrAppend(&s, " early_send_bug_header");
  return s;
}

}  // namespace gridledger::sim
