// The node's durable consensus state: what Core::Start gets back after a
// restart is what was persisted, within the GC horizon, highest vote kept.
#include "storage/consensus_store.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "core/common/check.h"
#include "core/consensus/messages.h"
#include "gtest/gtest.h"
#include "storage/lmdb_env.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

using consensus::Batch;
using consensus::Certificate;
using consensus::Header;

class ConsensusStoreTest : public ::testing::Test {
 protected:
  ConsensusStoreTest() { Reopen(); }
  // Aborts when the store does not open: a test must never go on with a
  // null store (an ASSERT here would only leave this helper).
  void Reopen() {
    store_.reset();
    env_.reset();
    LmdbOptions options;
    options.dir = dir_.path();
    auto env = LmdbEnv::Open(options);
    GL_CHECK_MSG(env.ok(), env.status().ToString().c_str());
    env_ = std::move(*env);
    auto store = ConsensusStore::Open(env_.get());
    GL_CHECK_MSG(store.ok(), store.status().ToString().c_str());
    store_ = std::move(*store);
  }

  static Digest D(uint8_t b) {
    Digest d;
    d.bytes.fill(b);
    return d;
  }
  static Batch MakeBatch(uint32_t author, uint64_t seq) {
    return Batch{SliceId(0), ValidatorIndex(author), seq, {Bytes{1, 2, 3}, Bytes{4}}};
  }
  // Commit `index` of `anchor` alone (its last piece), with `batch`.
  static consensus::CommittedSubDag AnchorOnlyCommit(uint64_t index, const Certificate& anchor,
                                                     std::shared_ptr<const Batch> batch) {
    consensus::CommittedSubDag sub;
    sub.index = index;
    sub.anchor_round = anchor.header.round;
    sub.last_committed_round = anchor.header.round;
    sub.anchor = consensus::CertificateDigest(anchor);
    sub.certificates = {anchor};
    sub.batches = {std::move(batch)};
    return sub;
  }
  static Certificate MakeCert(uint32_t author, uint64_t round, std::vector<Digest> batches) {
    Certificate c;
    c.header.slice = SliceId(0);
    c.header.author = ValidatorIndex(author);
    c.header.round = Round(round);
    c.header.batches = std::move(batches);
    c.header.signature.bytes.fill(static_cast<uint8_t>(author + round));
    c.votes.push_back(consensus::VoteSignature{ValidatorIndex(0), c.header.signature});
    return c;
  }

  // Declared first, so it goes last: the store and its env close first.
  TempDir dir_;
  std::unique_ptr<LmdbEnv> env_;
  std::unique_ptr<ConsensusStore> store_;
};

TEST_F(ConsensusStoreTest, FreshStoreLoadsEmptyState) {
  auto state = store_->Load(50);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->last_voted.empty());
  EXPECT_FALSE(state->own_header.has_value());
  EXPECT_TRUE(state->certificates.empty());
  EXPECT_EQ(state->next_commit_index, 0u);
  EXPECT_EQ(state->last_committed_round, Round(0));
}

TEST_F(ConsensusStoreTest, KeepsTheHighestVotePerAuthorAcrossReopen) {
  using consensus::LastVotedRecord;
  ASSERT_TRUE(store_->Persist({LastVotedRecord{ValidatorIndex(1), Round(5), D(5)},
                               LastVotedRecord{ValidatorIndex(2), Round(3), D(3)}})
                  .ok());
  // A lower round never replaces a higher one (a re-ordered write after restart).
  ASSERT_TRUE(store_->Persist({LastVotedRecord{ValidatorIndex(1), Round(4), D(4)}}).ok());
  Reopen();
  auto state = store_->Load(50);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->last_voted.size(), 2u);
  EXPECT_EQ(state->last_voted[0], (LastVotedRecord{ValidatorIndex(1), Round(5), D(5)}));
  EXPECT_EQ(state->last_voted[1], (LastVotedRecord{ValidatorIndex(2), Round(3), D(3)}));
}

// A snapshot serves only a whole anchor's state (net/node/state_sync.cc
// CutImage): the store tells an anchor's earlier piece from its last one.
TEST_F(ConsensusStoreTest, TellsAnAnchorsEarlierPieceFromItsLastOne) {
  const auto b = std::make_shared<const Batch>(MakeBatch(1, 0));
  const Certificate early = MakeCert(1, 59, {consensus::BatchDigest(*b)});
  const Certificate anchor = MakeCert(2, 60, {});
  ASSERT_TRUE(store_
                  ->Persist({consensus::BatchRecord{b}, consensus::CertificateRecord{early},
                             consensus::CertificateRecord{anchor}})
                  .ok());
  consensus::CommittedSubDag first;
  first.index = 6;
  first.anchor_round = Round(60);
  first.last_committed_round = Round(58);  // an earlier piece keeps the previous round
  first.anchor = consensus::CertificateDigest(anchor);
  first.certificates = {early};
  first.batches = {b};
  ASSERT_TRUE(store_->RecordCommit(first, 7, {D(9)}).ok());
  consensus::CommittedSubDag last = first;
  last.index = 7;
  last.last_committed_round = Round(60);
  last.certificates = {anchor};
  last.batches = {};
  ASSERT_TRUE(store_->RecordCommit(last, 8, {}).ok());
  auto txn = env_->BeginRead();
  ASSERT_TRUE(txn.ok()) << txn.status();
  absl::StatusOr<bool> at7 = store_->IsAnchorsLastPieceIn(*txn, 7);
  absl::StatusOr<bool> at8 = store_->IsAnchorsLastPieceIn(*txn, 8);
  ASSERT_TRUE(at7.ok()) << at7.status();
  ASSERT_TRUE(at8.ok()) << at8.status();
  EXPECT_FALSE(*at7);
  EXPECT_TRUE(*at8);
  EXPECT_EQ(store_->IsAnchorsLastPieceIn(*txn, 9).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<Round> round7 = store_->CommittedRoundIn(*txn, 7);
  ASSERT_TRUE(round7.ok()) << round7.status();
  EXPECT_EQ(*round7, Round(58));
}

TEST_F(ConsensusStoreTest, RestoresCertificatesBatchesAndCommitsAboveTheHorizon) {
  const auto b_old = std::make_shared<const Batch>(MakeBatch(1, 0));
  const auto b_new = std::make_shared<const Batch>(MakeBatch(1, 1));
  const Certificate old_cert = MakeCert(1, 2, {consensus::BatchDigest(*b_old)});
  const Certificate new_cert = MakeCert(1, 60, {consensus::BatchDigest(*b_new)});
  Header own = MakeCert(0, 61, {}).header;
  ASSERT_TRUE(store_
                  ->Persist({consensus::BatchRecord{b_old}, consensus::BatchRecord{b_new},
                             consensus::CertificateRecord{old_cert},
                             consensus::CertificateRecord{new_cert},
                             consensus::OwnHeaderRecord{own}})
                  .ok());
  const consensus::CommittedSubDag sub = AnchorOnlyCommit(6, new_cert, b_new);
  const std::vector<TxId> ids = {D(9), D(8)};
  ASSERT_TRUE(store_->RecordCommit(sub, 7, ids).ok());
  Reopen();

  // gc_depth 50 below round 60: round 2 is garbage, round 60 is kept.
  auto state = store_->Load(50);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->last_committed_round, Round(60));
  EXPECT_EQ(state->next_commit_index, 7u);
  ASSERT_EQ(state->certificates.size(), 1u);
  EXPECT_EQ(state->certificates[0], new_cert);
  ASSERT_EQ(state->batches.size(), 1u);
  EXPECT_EQ(state->batches[0], *b_new);
  ASSERT_EQ(state->committed_certificates.size(), 1u);
  EXPECT_EQ(state->committed_certificates[0], consensus::CertificateDigest(new_cert));
  ASSERT_TRUE(state->own_header.has_value());
  EXPECT_EQ(*state->own_header, own);

  // A deeper horizon returns both certificates, in round order.
  auto deep = store_->Load(100);
  ASSERT_TRUE(deep.ok());
  ASSERT_EQ(deep->certificates.size(), 2u);
  EXPECT_EQ(deep->certificates[0], old_cert);

  auto recorded = store_->CommitTxIds(7);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(*recorded, ids);
  EXPECT_EQ(store_->CommitTxIds(8).status().code(), absl::StatusCode::kNotFound);
}

// Persist writes a log, not the tables: every read must see a record from
// the moment Persist returns, before the merge, after it, and after a reopen
// that replays the log.
TEST_F(ConsensusStoreTest, RecordsAreReadableBeforeAndAfterTheMergeAndAfterReplay) {
  const auto b = std::make_shared<const Batch>(MakeBatch(1, 0));
  const Certificate anchor = MakeCert(1, 10, {consensus::BatchDigest(*b)});
  Certificate linker = MakeCert(2, 11, {});
  linker.header.parents = {consensus::CertificateDigest(anchor)};
  const Header own = MakeCert(0, 12, {}).header;
  ASSERT_TRUE(store_
                  ->Persist({consensus::BatchRecord{b}, consensus::CertificateRecord{anchor},
                             consensus::CertificateRecord{linker}, consensus::OwnHeaderRecord{own},
                             consensus::LastVotedRecord{ValidatorIndex(1), Round(10), D(1)}})
                  .ok());
  const consensus::CommittedSubDag sub = AnchorOnlyCommit(0, anchor, b);
  ASSERT_TRUE(store_->RecordCommit(sub, 1, {D(7)}).ok());

  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    auto state = store_->Load(50);
    ASSERT_TRUE(state.ok()) << state.status();
    ASSERT_EQ(state->certificates.size(), 2u);
    EXPECT_EQ(state->certificates[0], anchor);
    EXPECT_EQ(state->certificates[1], linker);
    ASSERT_EQ(state->batches.size(), 1u);
    EXPECT_EQ(state->batches[0], *b);
    ASSERT_TRUE(state->own_header.has_value());
    EXPECT_EQ(*state->own_header, own);
    ASSERT_EQ(state->last_voted.size(), 1u);
    EXPECT_EQ(state->last_voted[0].round, Round(10));
    auto read = store_->ReadCommit(1);
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_EQ(read->certificates.size(), 1u);
    EXPECT_EQ(read->certificates[0], anchor);
    ASSERT_EQ(read->batches.size(), 1u);
    EXPECT_EQ(*read->batches[0], *b);
    auto support = store_->CertificatesLinking(Round(11), consensus::CertificateDigest(anchor), 4);
    ASSERT_TRUE(support.ok()) << support.status();
    ASSERT_EQ(support->size(), 1u);
    EXPECT_EQ((*support)[0], linker);
    auto txn = env_->BeginRead();
    ASSERT_TRUE(txn.ok());
    std::vector<Certificate> certs;
    std::vector<Batch> batches;
    ASSERT_TRUE(store_->ReadCommitted(*txn, Round(1), Round(20), &certs, &batches).ok());
    EXPECT_EQ(certs, std::vector<Certificate>{anchor});
    EXPECT_EQ(batches, std::vector<Batch>{*b});
  };
  check("in the log only");
  Reopen();
  check("replayed at open");
  // A second round of records, merged by hand this time.
  const Header newer = MakeCert(0, 14, {}).header;
  ASSERT_TRUE(store_->Persist({consensus::OwnHeaderRecord{newer}}).ok());
  ASSERT_TRUE(store_->MergeLogs().ok());
  EXPECT_GE(store_->log_stats().merges, 1u);
  auto state = store_->Load(50);
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state->own_header.has_value());
  EXPECT_EQ(state->own_header->round, Round(14));
}

// Applying records is order-free, so a log replayed after the tables already
// hold newer records (a crash between a merge and the log's reset) changes
// nothing: the highest round wins for the own header and the last votes.
TEST_F(ConsensusStoreTest, AnOlderOwnHeaderOrVoteNeverReplacesANewerOne) {
  const Header newer = MakeCert(0, 20, {}).header;
  const Header older = MakeCert(0, 18, {}).header;
  ASSERT_TRUE(store_->Persist({consensus::OwnHeaderRecord{newer},
                               consensus::LastVotedRecord{ValidatorIndex(2), Round(20), D(2)}})
                  .ok());
  ASSERT_TRUE(store_->MergeLogs().ok());
  ASSERT_TRUE(store_->Persist({consensus::OwnHeaderRecord{older},
                               consensus::LastVotedRecord{ValidatorIndex(2), Round(18), D(3)}})
                  .ok());
  for (int pass = 0; pass < 2; ++pass) {
    auto state = store_->Load(50);
    ASSERT_TRUE(state.ok());
    ASSERT_TRUE(state->own_header.has_value());
    EXPECT_EQ(state->own_header->round, Round(20));
    ASSERT_EQ(state->last_voted.size(), 1u);
    EXPECT_EQ(state->last_voted[0].header, D(2));
    Reopen();
  }
}

// Acknowledged means durable: a child persists groups and reports each one
// Persist returned for; SIGKILLed at a seeded moment (often mid-merge), the
// reopened store holds every reported group. Rounds continue the same store.
[[noreturn]] void PersistForever(const std::string& dir, int ack_fd, uint64_t first) {
  LmdbOptions options;
  options.dir = dir;
  auto env = LmdbEnv::Open(options);
  GL_CHECK(env.ok());
  auto store = ConsensusStore::Open(env->get());
  GL_CHECK(store.ok());
  for (uint64_t i = first; i < first + 1'000'000; ++i) {
    Batch batch{SliceId(0), ValidatorIndex(1), i, {Bytes(200, static_cast<uint8_t>(i))}};
    auto shared = std::make_shared<const Batch>(std::move(batch));
    Certificate c;
    c.header.author = ValidatorIndex(1);
    c.header.round = Round(i);
    c.header.batches = {consensus::BatchDigest(*shared)};
    GL_CHECK((*store)
                 ->Persist({consensus::BatchRecord{shared}, consensus::CertificateRecord{c},
                            consensus::LastVotedRecord{ValidatorIndex(1), Round(i), Digest()}})
                 .ok());
    GL_CHECK(write(ack_fd, &i, sizeof(i)) == sizeof(i));
  }
  _exit(0);
}

TEST_F(ConsensusStoreTest, EveryAcknowledgedGroupSurvivesSigkill) {
  store_.reset();
  env_.reset();
  std::mt19937_64 rng(20261203);
  uint64_t next = 1;
  for (int round = 0; round < 4; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      PersistForever(dir_.path(), fds[1], next);
    }
    close(fds[1]);
    // Kill after a seeded number of acknowledgements (bounded: the child
    // acknowledges at disk speed), then drain what it reported before dying.
    const uint64_t kill_after = 200 + rng() % 800;
    uint64_t acked = 0;
    uint64_t last = next - 1;
    uint64_t value = 0;
    while (acked < kill_after && read(fds[0], &value, sizeof(value)) == sizeof(value)) {
      last = value;
      ++acked;
    }
    kill(child, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    while (read(fds[0], &value, sizeof(value)) == sizeof(value)) last = value;
    close(fds[0]);
    ASSERT_GT(last, next) << "the child acknowledged nothing";

    Reopen();
    auto state = store_->Load(/*gc_depth=*/10'000'000);
    ASSERT_TRUE(state.ok()) << state.status();
    absl::flat_hash_set<uint64_t> rounds;
    for (const Certificate& c : state->certificates) rounds.insert(c.header.round.value());
    for (uint64_t i = 1; i <= last; ++i) {
      ASSERT_TRUE(rounds.contains(i)) << "acknowledged group " << i << " lost in round " << round;
    }
    EXPECT_GE(state->batches.size(), last);
    ASSERT_EQ(state->last_voted.size(), 1u);
    EXPECT_GE(state->last_voted[0].round.value(), last);
    next = rounds.empty() ? 1 : *std::max_element(rounds.begin(), rounds.end()) + 1;
    store_.reset();
    env_.reset();
  }
  Reopen();
}

}  // namespace
}  // namespace gridledger::storage
