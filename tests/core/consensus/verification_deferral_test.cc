// Deferred peer-batch verification (Parameters::defer_peer_verification):
// which validator defers whose batches, a certificate proving a batch still
// in verification (stored, verification cancelled), a fetched batch that a
// certificate needs stored without verification, and what asks for the
// work at once (a late push, the author's header again, an anchor's header).
#include <memory>
#include <vector>

#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::consensus {
namespace {

class DeferralTest : public Fixture {
 protected:
  // These tests pin the deferral without availability votes (a spare peer
  // holds a batch unstored until asked); availability_votes_test.cc covers
  // the default.
  std::unique_ptr<Core> MakeCore(uint32_t me, const PersistedState& state = {},
                                 Parameters params = {}) {
    params.availability_votes = false;
    return Fixture::MakeCore(me, state, params);
  }
};

// With n = 4 (f = 1) the one spare peer of author a is a + 1: it defers, the
// two others verify at once; off, nobody defers.
TEST_F(DeferralTest, OnlyTheSparePeerAfterTheAuthorDefers) {
  const Batch batch = BatchOf(0, 1);
  for (uint32_t me : {1u, 2u, 3u}) {
    auto core = MakeCore(me);
    const std::vector<VerifyBatchAction> v =
        Verifications(core->OnMessage(ValidatorIndex(0), batch, 1));
    ASSERT_EQ(v.size(), 1u) << me;
    EXPECT_EQ(v[0].deferrable, me == 1) << me;
    EXPECT_EQ(core->stats().verifications_deferred, me == 1 ? 1u : 0u) << me;
  }
  Parameters off;
  off.defer_peer_verification = false;
  auto core = MakeCore(1, {}, off);
  const std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(0), batch, 1));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
}

// Validator 2 is author 1's spare peer: it defers author 1's batches only
// while 3 and 0 (whose acks author 1 then needs) have certificates in the
// two rounds of the newest certificate known.
TEST_F(DeferralTest, NoDeferralWhileAPeerTheAuthorNeedsLags) {
  auto core = MakeCore(2);
  std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(1), BatchOf(1, 1), 1));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].deferrable);  // everyone's genesis certificate is current
  // Rounds 1..4 without validator 0: its newest certificate is genesis.
  for (const Certificate& c : RoundsWithout0(4)) core->OnMessage(ValidatorIndex(3), c, 2);
  ASSERT_EQ(core->dag().highest_round().value(), 4u);
  v = Verifications(core->OnMessage(ValidatorIndex(1), BatchOf(1, 2), 3));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
}

// The certificate for a header carrying a batch still in verification proves
// it: the batch is stored, the certificate enters the DAG, the verification
// is cancelled, and its late answer changes nothing (no ack goes out).
TEST_F(DeferralTest, ACertificateProvesABatchStillInVerification) {
  auto core = MakeCore(1);
  const Batch batch = BatchOf(0, 1);
  const Digest digest = BatchDigest(batch);
  ASSERT_EQ(Verifications(core->OnMessage(ValidatorIndex(0), batch, 1)).size(), 1u);
  const Certificate cert = Certify(MakeHeader(0, 1, genesis_, {digest}), {0, 2, 3});
  const std::vector<Action> actions = core->OnMessage(ValidatorIndex(0), cert, 2);
  EXPECT_EQ(Cancels(actions), std::vector<Digest>{digest});
  EXPECT_TRUE(core->dag().Contains(CertificateDigest(cert)));
  EXPECT_EQ(core->stats().batches_proven_by_certificate, 1u);
  bool persisted = false;
  for (const Action& a : actions) {
    if (const auto* p = std::get_if<PersistAction>(&a)) {
      if (const auto* b = std::get_if<BatchRecord>(&p->record)) persisted |= *b->batch == batch;
    }
  }
  EXPECT_TRUE(persisted) << "a proven batch is stored durably like a verified one";
  EXPECT_TRUE(core->OnBatchVerified(digest, true, 3).empty());
  EXPECT_TRUE(core->OnBatchVerified(digest, false, 3).empty());
  EXPECT_EQ(core->stats().batches_rejected, 0u);
}

// A batch fetched for a verified certificate is stored without a
// verification; one fetched for a header we would vote on is verified.
TEST_F(DeferralTest, AFetchedBatchACertificateNeedsIsNotVerifiedAgain) {
  auto core = MakeCore(2);
  const Batch batch = BatchOf(0, 1);
  const Certificate cert =
      Certify(MakeHeader(0, 1, genesis_, {BatchDigest(batch)}), {0, 1, 3});
  core->OnMessage(ValidatorIndex(0), cert, 1);
  ASSERT_FALSE(core->dag().Contains(CertificateDigest(cert)));  // waits for its batch
  const std::vector<Action> actions =
      core->OnMessage(ValidatorIndex(1), BatchResponse{{batch}}, 600);
  EXPECT_TRUE(Verifications(actions).empty());
  EXPECT_TRUE(core->dag().Contains(CertificateDigest(cert)));
  EXPECT_EQ(core->stats().batches_proven_by_certificate, 1u);

  // A header's batch (no certificate yet) fetched: verified as always.
  auto voter = MakeCore(2);
  const Batch other = BatchOf(3, 1);
  voter->OnMessage(ValidatorIndex(3), MakeHeader(3, 1, genesis_, {BatchDigest(other)}), 1);
  const std::vector<VerifyBatchAction> v =
      Verifications(voter->OnMessage(ValidatorIndex(0), BatchResponse{{other}}, 600));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
  EXPECT_EQ(voter->stats().batches_proven_by_certificate, 0u);
}

// The author still pushing the batch two retransmission periods later
// (short of acks), or sending its header again (short of votes), asks for
// the deferred verification at once. An earlier push does not: under load
// the peers it needs are slow, not gone.
TEST_F(DeferralTest, TheAuthorAskingAgainEndsADeferral) {
  auto core = MakeCore(1);
  const Batch pushed = BatchOf(0, 1);
  ASSERT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), pushed, 1))[0].deferrable);
  const TimeMs patience = kRepushesBeforeVerifying * core->params().sync_retry_ms;
  EXPECT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), pushed, patience)).empty());
  std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(0), pushed, 1 + patience));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].digest, BatchDigest(pushed));
  EXPECT_FALSE(v[0].deferrable);
  // Asked for once: a third push asks nothing more.
  EXPECT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), pushed, 2 + patience)).empty());

  const Batch in_header = BatchOf(0, 2);
  ASSERT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), in_header, 4))[0].deferrable);
  const Header header = MakeHeader(0, 1, genesis_, {BatchDigest(in_header)});
  EXPECT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), header, 5)).empty());
  v = Verifications(core->OnMessage(ValidatorIndex(0), header, 6));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].digest, BatchDigest(in_header));
  EXPECT_FALSE(v[0].deferrable);
  // Its answer lets the vote go out.
  EXPECT_EQ(VotesSent(core->OnBatchVerified(BatchDigest(in_header), true, 7)).size(), 1u);
}

// An anchor's header asks for its deferred batches at once: its
// certificate paces every commit, and our vote is its slack.
TEST_F(DeferralTest, AnAnchorsHeaderIsNotKeptWaiting) {
  const uint32_t leader = committee_->Leader(Round(2)).value();
  const uint32_t me = (leader + 1) % 4;  // the leader's spare peer
  auto core = MakeCore(me);
  const std::vector<Digest> round1 = DeliverRound1(*core, me, leader);
  ASSERT_EQ(core->dag().highest_round().value(), 1u);
  const Batch batch = BatchOf(leader, 1);
  ASSERT_TRUE(Verifications(core->OnMessage(ValidatorIndex(leader), batch, 2))[0].deferrable);
  const std::vector<VerifyBatchAction> v = Verifications(core->OnMessage(
      ValidatorIndex(leader), MakeHeader(leader, 2, round1, {BatchDigest(batch)}), 3));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
}

// The author pushes a batch again only once it has waited a retransmission
// period for its acks: a batch sealed just before the period's tick is not
// pushed again at once (a spare would take that for a need of its ack).
TEST_F(DeferralTest, AFreshBatchIsNotPushedAgainAtTheNextTick) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  auto author = MakeCore(0, {}, params);
  const TimeMs sealed_ms = params.sync_retry_ms - 5;
  auto sealed = author->SubmitTransaction(Bytes{1, 2, 3, 4}, sealed_ms);
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(Sent<Batch>(*sealed).size(), 1u);
  EXPECT_TRUE(Sent<Batch>(author->OnTimer(params.sync_retry_ms)).empty());
  EXPECT_EQ(Sent<Batch>(author->OnTimer(sealed_ms + 2 * params.sync_retry_ms)).size(), 3u);
}

// A spare's patience with the author's pushes grows with how long its own
// batches wait for acks: when everyone is slow, a push after two periods
// only means the author's other peers are slow too.
TEST_F(DeferralTest, PatienceGrowsWithTheWaitForOwnAcks) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  auto core = MakeCore(1, {}, params);
  constexpr TimeMs kAckWaitMs = 4000;
  TimeMs now = 1;
  ASSERT_NO_FATAL_FAILURE(SealWithSlowAcks(*core, {2, 3}, kAckWaitMs, &now));
  // The average is now close to 4 s: 2 s of pushes are not enough.
  const Batch batch = BatchOf(0, 1);
  ASSERT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), batch, now))[0].deferrable);
  const TimeMs two_periods = kRepushesBeforeVerifying * params.sync_retry_ms;
  EXPECT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), batch, now + two_periods)).empty());
  const std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(0), batch, now + 2 * kAckWaitMs));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
}

// A spare does not defer for an author whose needed peer left four of the
// spare's own batches in a row without an ack; one ack from it, even late,
// restores the deferral.
TEST_F(DeferralTest, APeerThatAcknowledgesNobodyEndsTheDeferral) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  auto core = MakeCore(1, {}, params);  // spare of author 0, which needs 2 and 3
  std::vector<Digest> own;
  for (uint8_t i = 0; i < kMissedAcksBeforeVerifying; ++i) {
    auto sealed = core->SubmitTransaction(Bytes{i, 7, 7, 7}, 1 + i);
    ASSERT_TRUE(sealed.ok());
    const std::vector<Batch> pushed = Sent<Batch>(*sealed);
    ASSERT_EQ(pushed.size(), 1u);
    own.push_back(BatchDigest(pushed[0]));
    // Quorum from 0 and 2 (2 is our own spare); 3 never acknowledges.
    for (uint32_t peer : {0u, 2u}) core->OnMessage(ValidatorIndex(peer), BatchAck{own.back()}, 10);
  }
  std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(0), BatchOf(0, 1), 20));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
  core->OnMessage(ValidatorIndex(3), BatchAck{own.front()}, 21);  // late, still counts
  v = Verifications(core->OnMessage(ValidatorIndex(0), BatchOf(0, 2), 22));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].deferrable);
}

// Two of an author's deferred batches in a row that its late pushes made
// us verify suspend the deferral for that author (another author's stays).
TEST_F(DeferralTest, LatePushesInARowSuspendTheDeferral) {
  auto core = MakeCore(1);
  const TimeMs patience = kRepushesBeforeVerifying * core->params().sync_retry_ms;
  TimeMs now = 1;
  for (uint64_t seq = 1; seq <= kLatePushesBeforeBackoff; ++seq, now += patience + 1) {
    const Batch b = BatchOf(0, seq);
    ASSERT_TRUE(Verifications(core->OnMessage(ValidatorIndex(0), b, now))[0].deferrable);
    ASSERT_EQ(Verifications(core->OnMessage(ValidatorIndex(0), b, now + patience)).size(), 1u);
  }
  std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(0), BatchOf(0, 9), now));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
}

// A validator that never proposed in an anchor round it leads (it was down,
// or the others completed the round while it waited out its header delay)
// does not wait for its own anchor and does not skip it either: it proposes
// it late, so the others, who wait for that anchor, get it without their
// leader timeout. A missing anchor of another leader is waited for.
TEST_F(DeferralTest, AnOwnAnchorNeverProposedIsProposedLateNotWaitedFor) {
  const uint32_t leader = committee_->Leader(Round(2)).value();
  const uint32_t other = (leader + 1) % 4;
  for (uint32_t me : {leader, other}) {
    auto core = MakeCore(me);
    // Rounds 1 and 2 by the three validators other than the leader.
    std::vector<Digest> prev = genesis_;
    for (uint64_t r = 1; r <= 2; ++r) {
      std::vector<Digest> next;
      for (uint32_t a = 0; a < 4; ++a) {
        if (a == leader) continue;
        const Certificate c = Certify(MakeHeader(a, r, prev), {0, 1, 2, 3});
        core->OnMessage(ValidatorIndex(me == 0 ? 1 : 0), c, 1);
        next.push_back(CertificateDigest(c));
      }
      prev = next;
    }
    ASSERT_EQ(core->dag().highest_round().value(), 2u);
    ASSERT_TRUE(core->SubmitTransaction(Bytes{5, 6, 7}, 1).ok());  // something to order
    const TimeMs early = core->params().max_header_delay_ms + core->params().max_batch_delay_ms;
    ASSERT_LT(early, core->params().leader_timeout_ms);
    const std::vector<Header> proposed = Sent<Header>(core->OnTimer(early));
    if (me == leader) {
      ASSERT_EQ(proposed.size(), 1u);
      EXPECT_EQ(proposed[0].round, Round(2));  // the anchor, on round 1's certificates
      EXPECT_EQ(proposed[0].parents.size(), 3u);
      EXPECT_EQ(core->stats().late_own_anchors, 1u);
      // It then waits for its anchor's votes like any leader's, instead of
      // abandoning it for round 3 at the next header delay.
      const TimeMs next = early + core->params().max_header_delay_ms + 1;
      ASSERT_LT(next, early + core->params().leader_timeout_ms);
      EXPECT_TRUE(Sent<Header>(core->OnTimer(next)).empty());
    } else {
      EXPECT_TRUE(proposed.empty()) << "waits for the leader's anchor";
    }
    EXPECT_EQ(core->stats().leader_timeouts, 0u);
  }
}

}  // namespace
}  // namespace gridledger::consensus
