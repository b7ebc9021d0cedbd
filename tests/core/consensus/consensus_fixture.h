// Shared by the consensus unit tests: a committee of four with known keys,
// helpers that make signed headers and certificates, and a cluster that
// delivers every message at once.
#ifndef GRIDLEDGER_TESTS_CORE_CONSENSUS_CONSENSUS_FIXTURE_H_
#define GRIDLEDGER_TESTS_CORE_CONSENSUS_CONSENSUS_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <memory>
#include <utility>
#include <vector>

#include "core/consensus/core.h"
#include "core/consensus/messages.h"
#include "core/crypto/sha256.h"

namespace gridledger::consensus {

constexpr SliceId kSlice(7);
inline const Digest kChainId = TaggedHash("gridledger/test/chain-id", {});

class Fixture : public ::testing::Test {
 protected:
  Fixture() {
    std::vector<PublicKey> pubs;
    for (int i = 0; i < 4; ++i) {
      keys_.push_back(KeyPair::FromSeed(100 + i));
      pubs.push_back(keys_.back().public_key());
    }
    committee_ = std::make_unique<Committee>(*Committee::Create(kSlice, pubs, kChainId));
    for (const Certificate& c : GenesisCertificates(*committee_)) {
      genesis_.push_back(CertificateDigest(c));
    }
    std::sort(genesis_.begin(), genesis_.end());
  }

  std::unique_ptr<Core> MakeCore(uint32_t me, const PersistedState& state = {},
                                 Parameters params = {}) {
    auto core = std::make_unique<Core>(*committee_, params, ValidatorIndex(me), keys_[me],
                                       &checker_);
    core->Start(state, 0);
    return core;
  }

  Header MakeHeader(uint32_t author, uint64_t round, std::vector<Digest> parents,
                    std::vector<Digest> batches = {}) {
    std::sort(parents.begin(), parents.end());
    Header h{kSlice, ValidatorIndex(author), Round(round), parents, batches, {}};
    h.chain_id = committee_->chain_id();
    h.signature = keys_[author].Sign(HeaderDigest(h));
    return h;
  }

  // A one-transaction batch of `author`, distinct per (author, sequence).
  Batch BatchOf(uint32_t author, uint64_t sequence) {
    return Batch{kSlice, ValidatorIndex(author), sequence,
                 {Bytes{uint8_t(author), uint8_t(sequence), 9, 9}}};
  }

  // Verified votes of `voters`, but availability votes of those also in
  // `availability_only`.
  Certificate Certify(const Header& h, std::vector<uint32_t> voters,
                      const std::vector<uint32_t>& availability_only = {}) {
    Certificate c{h, {}};
    std::sort(voters.begin(), voters.end());
    for (uint32_t v : voters) {
      const bool verified = std::find(availability_only.begin(), availability_only.end(), v) ==
                            availability_only.end();
      c.votes.push_back({ValidatorIndex(v),
                         keys_[v].Sign(VotePayload(HeaderDigest(h), verified)), verified});
    }
    return c;
  }

  // Certificates of rounds 1..last_round by validators 1..3 alone, each round
  // linking to all of the previous one, in round order.
  std::vector<Certificate> RoundsWithout0(uint64_t last_round) {
    std::vector<Certificate> certs;
    std::vector<Digest> prev = genesis_;
    for (uint64_t r = 1; r <= last_round; ++r) {
      std::vector<Digest> next;
      for (uint32_t a : {1u, 2u, 3u}) {
        certs.push_back(Certify(MakeHeader(a, r, prev), {1, 2, 3}));
        next.push_back(CertificateDigest(certs.back()));
      }
      std::sort(next.begin(), next.end());
      prev = next;
    }
    return certs;
  }

  // Round 1 of RoundsWithout0 delivered to `core` (validator `me`), each
  // certificate from a validator other than `me` (`leader` for `me`'s own):
  // the DAG at round 1, and the digests a round-2 header links.
  std::vector<Digest> DeliverRound1(Core& core, uint32_t me, uint32_t leader) {
    std::vector<Digest> round1;
    for (const Certificate& c : RoundsWithout0(1)) {
      core.OnMessage(ValidatorIndex(c.header.author.value() == me ? leader : me == 0 ? 1 : 0), c,
                     1);
      round1.push_back(CertificateDigest(c));
    }
    return round1;
  }

  // A certificate that the next round does not link (it formed late); every
  // certificate of the round after that weak-links it.
  struct LateCertificate {
    uint64_t round = 0;
    uint32_t author = 0;
  };

  // Bullshark's commits (batches filled) over a full DAG of rounds
  // 1..last_round: every certificate links to all of the previous round
  // (except `late`) and carries one batch. `last_round_certs` gets the
  // certificates of last_round; `late_digest` the late certificate's digest.
  std::vector<CommittedSubDag> FullDagCommits(uint64_t last_round, uint64_t gc_depth,
                                              std::vector<Certificate>* last_round_certs,
                                              std::optional<LateCertificate> late = std::nullopt,
                                              Digest* late_digest = nullptr) {
    std::optional<WeakLink> weak;
    Dag dag(committee_->size(), GenesisCertificates(*committee_));
    Bullshark bullshark(committee_.get(), gc_depth,
                        CommitLimits{kMaxCommitTransactions, kMaxCommitBytes});
    std::map<Digest, std::shared_ptr<const Batch>> batches;
    std::vector<CommittedSubDag> commits;
    std::vector<Digest> prev = genesis_;
    for (uint64_t r = 1; r <= last_round; ++r) {
      std::vector<Digest> next;
      for (uint32_t a = 0; a < 4; ++a) {
        auto batch = std::make_shared<const Batch>(
            Batch{kSlice, ValidatorIndex(a), r, {Bytes{uint8_t(a), uint8_t(r), 1, 2, 3}}});
        const Digest bd = BatchDigest(*batch);
        batches[bd] = batch;
        Header h = MakeHeader(a, r, prev, {bd});
        h.timestamp_ms = 1000 * r + 7 * a;  // distinct, so consensus time is checkable
        if (weak.has_value() && weak->round.value() + 2 == r) h.weak_parents = {*weak};
        h.signature = keys_[a].Sign(HeaderDigest(h));
        Certificate c = Certify(h, {0, 1, 2});
        const Digest d = CertificateDigest(c);
        if (late.has_value() && late->round == r && late->author == a) {
          weak = WeakLink{Round(r), d};
          if (late_digest != nullptr) *late_digest = d;
        } else {
          next.push_back(d);
        }
        if (r == last_round) last_round_certs->push_back(c);
        EXPECT_EQ(dag.Insert(c, d, false), Dag::InsertResult::kInserted);
        for (CommittedSubDag& sub : bullshark.OnCertificate(
                 dag, Round(r), [](const Certificate&) { return CommitCost{1, 5}; })) {
          for (const Certificate& sc : sub.certificates) {
            for (const Digest& b : sc.header.batches) sub.batches.push_back(batches.at(b));
          }
          commits.push_back(std::move(sub));
        }
        dag.Prune(bullshark.gc_round());
      }
      std::sort(next.begin(), next.end());
      prev = next;
    }
    return commits;
  }

  SchnorrChecker checker_;
  std::vector<KeyPair> keys_;
  std::unique_ptr<Committee> committee_;
  std::vector<Digest> genesis_;
};

// ---- actions helpers

inline std::vector<Vote> VotesSent(const std::vector<Action>& actions) {
  std::vector<Vote> out;
  for (const Action& a : actions) {
    if (const auto* s = std::get_if<SendAction>(&a)) {
      if (const auto* v = std::get_if<Vote>(&s->message)) out.push_back(*v);
    }
  }
  return out;
}

inline std::vector<VerifyBatchAction> Verifications(const std::vector<Action>& actions) {
  std::vector<VerifyBatchAction> out;
  for (const Action& a : actions) {
    if (const auto* v = std::get_if<VerifyBatchAction>(&a)) out.push_back(*v);
  }
  return out;
}

inline std::vector<Digest> Cancels(const std::vector<Action>& actions) {
  std::vector<Digest> out;
  for (const Action& a : actions) {
    if (const auto* c = std::get_if<CancelVerifyAction>(&a)) out.push_back(c->digest);
  }
  return out;
}

template <typename T>
std::vector<T> Sent(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (const auto* s = std::get_if<SendAction>(&a)) {
      if (const auto* m = std::get_if<T>(&s->message)) out.push_back(*m);
    }
  }
  return out;
}

// Submits `tx` to a core whose batch_bytes make one transaction seal a
// batch: the batch it pushed, or nullopt when it refused or pushed none
// (the caller asserts).
inline std::optional<Batch> SealOne(Core& core, const Bytes& tx, TimeMs now) {
  auto actions = core.SubmitTransaction(tx, now);
  if (!actions.ok()) return std::nullopt;
  auto batches = Sent<Batch>(*actions);
  if (batches.size() != 1) return std::nullopt;
  return batches[0];
}

// Seals 16 own batches on a core whose batch_bytes make one transaction
// seal a batch, each acknowledged by `ackers` ack_wait_ms after it: the
// core's own ack wait is then close to ack_wait_ms. `*now` starts at the
// first seal and ends after the last ack. Callers wrap it in
// ASSERT_NO_FATAL_FAILURE.
inline void SealWithSlowAcks(Core& core, const std::vector<uint32_t>& ackers, TimeMs ack_wait_ms,
                             TimeMs* now) {
  for (uint8_t i = 0; i < 16; ++i, *now += ack_wait_ms) {
    const std::optional<Batch> batch = SealOne(core, Bytes{i, 2, 3, 4}, *now);
    ASSERT_TRUE(batch.has_value());
    for (uint32_t peer : ackers) {
      core.OnMessage(ValidatorIndex(peer), BatchAck{BatchDigest(*batch)}, *now + ack_wait_ms);
    }
  }
}

inline std::vector<CommittedSubDag> Commits(const std::vector<Action>& actions) {
  std::vector<CommittedSubDag> out;
  for (const Action& a : actions) {
    if (const auto* c = std::get_if<CommitAction>(&a)) out.push_back(c->sub_dag);
  }
  return out;
}

inline PersistedState StateFrom(const std::vector<Action>& actions) {
  PersistedState s;
  for (const Action& a : actions) {
    const auto* p = std::get_if<PersistAction>(&a);
    if (p == nullptr) continue;
    if (const auto* lv = std::get_if<LastVotedRecord>(&p->record)) s.last_voted.push_back(*lv);
    if (const auto* c = std::get_if<CertificateRecord>(&p->record)) {
      s.certificates.push_back(c->certificate);
    }
    if (const auto* h = std::get_if<OwnHeaderRecord>(&p->record)) s.own_header = h->header;
  }
  return s;
}

// Delivers every message immediately, in order, among the cores; a null core
// is a silent validator (a test plays it by hand).
class LocalCluster {
 public:
  explicit LocalCluster(Fixture* f, std::vector<std::unique_ptr<Core>> cores)
      : cores_(std::move(cores)) {}

  void Run(uint32_t node, std::vector<Action> actions, TimeMs now) {
    queue_.push_back({node, std::move(actions)});
    while (!queue_.empty()) {
      auto [from, batch] = std::move(queue_.front());
      queue_.erase(queue_.begin());
      for (Action& a : batch) {
        if (auto* s = std::get_if<SendAction>(&a)) {
          for (uint32_t to = 0; to < cores_.size(); ++to) {
            if (to == from || (s->to.has_value() && s->to->value() != to)) continue;
            if (cores_[to] == nullptr) continue;
            queue_.push_back({to, cores_[to]->OnMessage(ValidatorIndex(from), s->message, now)});
          }
        } else if (auto* v = std::get_if<VerifyBatchAction>(&a)) {
          queue_.push_back({from, cores_[from]->OnBatchVerified(v->digest, true, now)});
        } else if (auto* c = std::get_if<CommitAction>(&a)) {
          commits_[from].push_back(c->sub_dag);
        }
      }
    }
  }
  void Tick(TimeMs now) {
    for (uint32_t i = 0; i < cores_.size(); ++i) {
      if (cores_[i] != nullptr) Run(i, cores_[i]->OnTimer(now), now);
    }
  }
  Core& core(uint32_t i) { return *cores_[i]; }
  std::map<uint32_t, std::vector<CommittedSubDag>> commits_;

 private:
  std::vector<std::unique_ptr<Core>> cores_;
  std::vector<std::pair<uint32_t, std::vector<Action>>> queue_;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_TESTS_CORE_CONSENSUS_CONSENSUS_FIXTURE_H_
