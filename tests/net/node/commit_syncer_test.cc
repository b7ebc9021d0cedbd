// CommitSyncer, driven by hand: behind f+1 peers it asks one of them; a
// forged answer is refused and the next peer asked; an honest answer's
// proven commits are persisted and handed to execution in order, and when
// the peer has nothing more the syncer ends and asks the core to rejoin.
#include "net/node/commit_syncer.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "core/common/check.h"
#include "gtest/gtest.h"
#include "tests/storage/temp_consensus_store.h"
#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::node {
namespace {

using consensus::Action;
using consensus::Certificate;
using consensus::CommitSyncRequest;
using consensus::CommitSyncResponse;
using consensus::CommittedSubDag;

class CommitSyncerTest : public consensus::Fixture {
 protected:
  CommitSyncerTest() {
    params_.gc_depth = 4;
    commits_ = FullDagCommits(11, params_.gc_depth, &support_);
  }

  // An answer holding `commits` whole, in one message.
  CommitSyncResponse Answer(const std::vector<CommittedSubDag>& commits) {
    CommitSyncResponse resp;
    resp.highest_sequence = commits_.size();
    resp.complete = true;
    for (const CommittedSubDag& c : commits) {
      resp.commits.push_back(consensus::CommitPart{
          c.index + 1, c.anchor_round, c.anchor, c.last_committed_round,
          static_cast<uint32_t>(c.certificates.size()), 0, c.certificates});
      for (const auto& b : c.batches) resp.batches.push_back(*b);
    }
    resp.support = support_;
    return resp;
  }

  static std::optional<std::pair<uint32_t, CommitSyncRequest>> RequestIn(
      const std::vector<Action>& actions) {
    for (const Action& a : actions) {
      if (const auto* s = std::get_if<consensus::SendAction>(&a)) {
        if (const auto* r = std::get_if<CommitSyncRequest>(&s->message)) {
          return std::make_pair(s->to->value(), *r);
        }
      }
    }
    return std::nullopt;
  }

  storage::TempConsensusStore store_;
  consensus::Parameters params_;
  std::vector<CommittedSubDag> commits_;
  std::vector<Certificate> support_;
};

TEST_F(CommitSyncerTest, RefusesAForgedAnswerThenSyncsFromAnotherPeer) {
  ASSERT_EQ(commits_.size(), 5u);
  CommitSyncer syncer(committee_.get(), params_, ValidatorIndex(0), &checker_, store_.get());
  // One peer far ahead is not enough (it may lie); f+1 are.
  consensus::Header ahead = MakeHeader(1, 100, genesis_);
  syncer.NotePeerMessage(ValidatorIndex(1), ahead);
  EXPECT_TRUE(syncer.OnTimer(1000, Round(0)).empty());
  EXPECT_FALSE(syncer.syncing());
  ahead.author = ValidatorIndex(2);
  syncer.NotePeerMessage(ValidatorIndex(2), ahead);
  auto request = RequestIn(syncer.OnTimer(1010, Round(0)));
  ASSERT_TRUE(request.has_value());
  EXPECT_TRUE(syncer.syncing());
  EXPECT_EQ(request->second.from_sequence, 1u);
  const uint32_t first_peer = request->first;

  // A forged answer: one vote signature replaced.
  std::vector<CommittedSubDag> forged = commits_;
  forged[0].certificates[0].votes[1].signature = forged[0].certificates[0].votes[0].signature;
  std::vector<Action> actions =
      syncer.OnResponse(ValidatorIndex(first_peer), Answer(forged), 1020);
  EXPECT_TRUE(consensus::Commits(actions).empty());
  EXPECT_EQ(syncer.stats().answers_refused, 1u);
  EXPECT_TRUE(absl::StrContains(syncer.last_refusal(), "signature")) << syncer.last_refusal();
  request = RequestIn(actions);
  ASSERT_TRUE(request.has_value());
  EXPECT_NE(request->first, first_peer);
  EXPECT_EQ(request->second.from_sequence, 1u);
  // The refused peer is not listened to any more.
  EXPECT_TRUE(syncer.OnResponse(ValidatorIndex(first_peer), Answer(commits_), 1025).empty());

  // The honest answer: everything proven, persisted before it executes.
  actions = syncer.OnResponse(ValidatorIndex(request->first), Answer(commits_), 1030);
  const std::vector<CommittedSubDag> executed = consensus::Commits(actions);
  ASSERT_EQ(executed.size(), commits_.size());
  for (size_t i = 0; i < executed.size(); ++i) {
    EXPECT_EQ(executed[i].index, i);
    EXPECT_EQ(executed[i].anchor, commits_[i].anchor);
    EXPECT_EQ(executed[i].certificates, commits_[i].certificates);
  }
  ASSERT_FALSE(actions.empty());
  EXPECT_TRUE(std::holds_alternative<consensus::PersistAction>(actions.front()));
  EXPECT_EQ(syncer.stats().commits_synced, commits_.size());
  // The peer has nothing more: the sync ends and the core must rejoin.
  EXPECT_FALSE(RequestIn(actions).has_value());
  EXPECT_FALSE(syncer.syncing());
  EXPECT_TRUE(syncer.TakeRejoin());
  EXPECT_FALSE(syncer.TakeRejoin());
}

TEST_F(CommitSyncerTest, ALatePeerIsReplaced) {
  CommitSyncer syncer(committee_.get(), params_, ValidatorIndex(0), &checker_, store_.get());
  for (uint32_t p : {1u, 2u, 3u}) {
    syncer.NotePeerMessage(ValidatorIndex(p), MakeHeader(p, 100, genesis_));
  }
  auto request = RequestIn(syncer.OnTimer(0, Round(0)));
  ASSERT_TRUE(request.has_value());
  EXPECT_FALSE(RequestIn(syncer.OnTimer(kSyncRequestTimeoutMs - 1, Round(0))).has_value());
  auto next = RequestIn(syncer.OnTimer(kSyncRequestTimeoutMs, Round(0)));
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->first, request->first);
  EXPECT_EQ(syncer.stats().requests_timed_out, 1u);
}

}  // namespace
}  // namespace gridledger::node
