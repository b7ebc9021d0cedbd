// Availability votes (Parameters::availability_votes, the default): the 2f
// peers after an author store its pushed batches at once and vote for its
// headers without verifying them; the f peers before it verify. A
// certificate needs f+1 verified votes among its 2f+1, so it still shows an
// honest validator checked every signature in it.
#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::consensus {
namespace {

class AvailabilityTest : public Fixture {
 protected:
  // Availability votes on (the default; set here so the tests keep their
  // meaning if it changes), unless a test turns them off.
  std::unique_ptr<Core> MakeCore(uint32_t me, const PersistedState& state = {},
                                 std::optional<Parameters> params = std::nullopt) {
    Parameters p;
    p.availability_votes = true;
    return Fixture::MakeCore(me, state, params.value_or(p));
  }
};

bool PersistsBatch(const std::vector<Action>& actions, const Batch& batch) {
  return std::any_of(actions.begin(), actions.end(), [&](const Action& a) {
    const auto* p = std::get_if<PersistAction>(&a);
    const auto* b = p == nullptr ? nullptr : std::get_if<BatchRecord>(&p->record);
    return b != nullptr && *b->batch == batch;
  });
}

// n = 4, f = 1: author 0's batches are stored for availability by 1 and 2
// (acknowledged as stored, their check deferred) and verified at once by 3.
TEST_F(AvailabilityTest, TheTwoPeersAfterTheAuthorStoreAndTheOneBeforeVerifies) {
  const Batch batch = BatchOf(0, 1);
  for (uint32_t me : {1u, 2u}) {
    auto core = MakeCore(me);
    const std::vector<Action> actions = core->OnMessage(ValidatorIndex(0), batch, 1);
    EXPECT_TRUE(PersistsBatch(actions, batch)) << me;
    const std::vector<BatchAck> acks = Sent<BatchAck>(actions);
    ASSERT_EQ(acks.size(), 1u) << me;
    EXPECT_FALSE(acks[0].verified) << me;
    const std::vector<VerifyBatchAction> v = Verifications(actions);
    ASSERT_EQ(v.size(), 1u) << me;
    EXPECT_TRUE(v[0].deferrable) << me;
    EXPECT_EQ(core->stored_batches(), 1u) << me;
  }
  auto verifier = MakeCore(3);
  const std::vector<Action> actions = verifier->OnMessage(ValidatorIndex(0), batch, 1);
  EXPECT_FALSE(PersistsBatch(actions, batch));
  EXPECT_TRUE(Sent<BatchAck>(actions).empty());
  const std::vector<VerifyBatchAction> v = Verifications(actions);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
  const std::vector<BatchAck> acks =
      Sent<BatchAck>(verifier->OnBatchVerified(BatchDigest(batch), true, 2));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].verified);
}

// The availability voter votes at once, with a signature only the
// availability payload checks. When the author sends its header again
// (short of votes) the batch is verified, and a verified vote follows.
TEST_F(AvailabilityTest, AnAvailabilityVoteIsFollowedByAVerifiedOneWhenTheAuthorAsks) {
  auto core = MakeCore(1);
  const Batch batch = BatchOf(0, 1);
  const Digest d = BatchDigest(batch);
  core->OnMessage(ValidatorIndex(0), batch, 1);
  const Header header = MakeHeader(0, 1, genesis_, {d});
  std::vector<Vote> votes = VotesSent(core->OnMessage(ValidatorIndex(0), header, 2));
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(votes[0].verified);
  EXPECT_TRUE(VerifyVote(votes[0], *committee_, checker_).ok());
  Vote relabelled = votes[0];
  relabelled.verified = true;
  EXPECT_FALSE(VerifyVote(relabelled, *committee_, checker_).ok())
      << "the flag is inside the signature";

  // Sent again (short of votes; our own batches get their acks at once, so
  // no patience: PatienceForAHeaderSentAgainGrowsWithTheWaitForOwnAcks): checked now.
  const std::vector<Action> again = core->OnMessage(ValidatorIndex(0), header, 600);
  const std::vector<VerifyBatchAction> v = Verifications(again);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].digest, d);
  EXPECT_FALSE(v[0].deferrable);
  votes = VotesSent(again);  // the lost vote again: still an availability vote
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(votes[0].verified);

  const std::vector<Action> checked = core->OnBatchVerified(d, true, 601);
  votes = VotesSent(checked);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_TRUE(votes[0].verified);
  EXPECT_EQ(votes[0].header, HeaderDigest(header));
  EXPECT_TRUE(VerifyVote(votes[0], *committee_, checker_).ok());
  const std::vector<BatchAck> acks = Sent<BatchAck>(checked);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].verified);
  // Nothing more to upgrade: the header again gets the verified vote.
  votes = VotesSent(core->OnMessage(ValidatorIndex(0), header, 1200));
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_TRUE(votes[0].verified);
  // Counted: two availability votes (the first and the one sent again),
  // one upgrade; the verified vote sent again is neither.
  EXPECT_EQ(core->stats().availability_votes_sent, 2u);
  EXPECT_EQ(core->stats().votes_upgraded, 1u);
  EXPECT_EQ(core->stats().stored_batch_checks_failed, 0u);
}

// The author still pushing a batch we stored for availability after our
// patience (short of verified acks: its verifier is slow or gone) gets it
// verified and a verified ack; an earlier push only repeats the ack.
TEST_F(AvailabilityTest, ALatePushGetsTheStoredBatchVerified) {
  auto core = MakeCore(2);
  const Batch batch = BatchOf(0, 1);
  const Digest d = BatchDigest(batch);
  core->OnMessage(ValidatorIndex(0), batch, 1);
  const TimeMs patience = kRepushesBeforeVerifying * core->params().sync_retry_ms;
  std::vector<Action> early = core->OnMessage(ValidatorIndex(0), batch, patience);
  EXPECT_TRUE(Verifications(early).empty());
  ASSERT_EQ(Sent<BatchAck>(early).size(), 1u);
  EXPECT_FALSE(Sent<BatchAck>(early)[0].verified);
  const std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(0), batch, 2 + patience));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
  const std::vector<BatchAck> acks = Sent<BatchAck>(core->OnBatchVerified(d, true, 3 + patience));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].verified);
}

// An anchor's header gets an availability vote at once and no check: the
// leader's own vote and its f verifiers' give its certificate the f+1
// verified votes it needs (without availability votes a deferring peer
// checks an anchor's batches at once, verification_deferral_test.cc).
TEST_F(AvailabilityTest, AnAnchorsHeaderGetsAnAvailabilityVoteWithoutACheck) {
  const uint32_t leader = committee_->Leader(Round(2)).value();
  const uint32_t me = (leader + 1) % 4;  // the first peer after it: stores
  auto core = MakeCore(me);
  const std::vector<Digest> round1 = DeliverRound1(*core, me, leader);
  ASSERT_EQ(core->dag().highest_round().value(), 1u);
  const Batch batch = BatchOf(leader, 1);
  ASSERT_TRUE(PersistsBatch(core->OnMessage(ValidatorIndex(leader), batch, 2), batch));
  const std::vector<Action> voted = core->OnMessage(
      ValidatorIndex(leader), MakeHeader(leader, 2, round1, {BatchDigest(batch)}), 3);
  EXPECT_TRUE(Verifications(voted).empty());
  const std::vector<Vote> votes = VotesSent(voted);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(votes[0].verified);
  // Sent again, short of votes (its verifier is slow): checked now.
  const std::vector<VerifyBatchAction> again = Verifications(core->OnMessage(
      ValidatorIndex(leader), MakeHeader(leader, 2, round1, {BatchDigest(batch)}), 600));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(again[0].deferrable);
}

// Under load (our own batches wait long for their acks) a header sent again
// is mostly slow votes, ours already out: it is checked only after twice
// that wait.
TEST_F(AvailabilityTest, PatienceForAHeaderSentAgainGrowsWithTheWaitForOwnAcks) {
  Parameters params;
  params.availability_votes = true;
  params.batch_bytes = 4;  // one transaction seals a batch
  auto core = MakeCore(1, {}, params);  // stores author 0's batches
  constexpr TimeMs kAckWaitMs = 4000;
  TimeMs now = 1;
  ASSERT_NO_FATAL_FAILURE(SealWithSlowAcks(*core, {0, 2}, kAckWaitMs, &now));
  const Batch batch = BatchOf(0, 1);
  const Digest d = BatchDigest(batch);
  ASSERT_TRUE(PersistsBatch(core->OnMessage(ValidatorIndex(0), batch, now), batch));
  const Header header = MakeHeader(0, 1, genesis_, {d});
  ASSERT_EQ(VotesSent(core->OnMessage(ValidatorIndex(0), header, now + 1)).size(), 1u);
  const TimeMs two_periods = kRepushesBeforeVerifying * params.sync_retry_ms;
  const std::vector<Action> early = core->OnMessage(ValidatorIndex(0), header, now + two_periods);
  EXPECT_TRUE(Verifications(early).empty());
  ASSERT_EQ(VotesSent(early).size(), 1u);  // the same availability vote again
  EXPECT_FALSE(VotesSent(early)[0].verified);
  const std::vector<VerifyBatchAction> v =
      Verifications(core->OnMessage(ValidatorIndex(0), header, now + 1 + 2 * kAckWaitMs));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
}

// A batch whose check fails (a forged transaction) never gets a verified
// vote; the author's next batches are verified before they are stored
// (deferral suspended). Asked again, the batch is checked again: the
// runtime refuses a full queue with the same answer.
TEST_F(AvailabilityTest, AFailedCheckLeavesOnlyTheAvailabilityVote) {
  auto core = MakeCore(2);
  const Batch batch = BatchOf(0, 1);
  const Digest d = BatchDigest(batch);
  core->OnMessage(ValidatorIndex(0), batch, 1);
  const Header header = MakeHeader(0, 1, genesis_, {d});
  ASSERT_EQ(VotesSent(core->OnMessage(ValidatorIndex(0), header, 2)).size(), 1u);
  ASSERT_EQ(Verifications(core->OnMessage(ValidatorIndex(0), header, 600)).size(), 1u);
  const std::vector<Action> failed = core->OnBatchVerified(d, false, 601);
  EXPECT_TRUE(VotesSent(failed).empty());
  EXPECT_TRUE(Sent<BatchAck>(failed).empty());
  EXPECT_EQ(core->stats().batches_rejected, 1u);
  EXPECT_EQ(core->stats().stored_batch_checks_failed, 1u);
  EXPECT_EQ(core->stats().votes_upgraded, 0u);
  const std::vector<Action> again = core->OnMessage(ValidatorIndex(0), header, 1200);
  EXPECT_EQ(Verifications(again).size(), 1u);
  const std::vector<Vote> votes = VotesSent(again);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(votes[0].verified);
  const Batch next = BatchOf(0, 2);
  const std::vector<Action> pushed = core->OnMessage(ValidatorIndex(0), next, 1300);
  EXPECT_FALSE(PersistsBatch(pushed, next));
  const std::vector<VerifyBatchAction> v = Verifications(pushed);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].deferrable);
}

// A certificate proves a batch held for availability: its deferred check is
// cancelled, and a later answer changes nothing.
TEST_F(AvailabilityTest, ACertificateEndsTheDeferredCheck) {
  auto core = MakeCore(1);
  const Batch batch = BatchOf(0, 1);
  const Digest d = BatchDigest(batch);
  core->OnMessage(ValidatorIndex(0), batch, 1);
  const Certificate cert = Certify(MakeHeader(0, 1, genesis_, {d}), {0, 2, 3}, {2});
  EXPECT_EQ(Cancels(core->OnMessage(ValidatorIndex(0), cert, 2)), std::vector<Digest>{d});
  EXPECT_TRUE(core->dag().Contains(CertificateDigest(cert)));
  EXPECT_EQ(core->stats().batches_proven_by_certificate, 1u);
  EXPECT_TRUE(core->OnBatchVerified(d, true, 3).empty());
}

// f+1 = 2 verified votes among 2f+1: fewer is no certificate, whatever the
// number of votes; an availability vote relabelled as verified fails its
// signature; the flags survive the codec.
TEST_F(AvailabilityTest, ACertificateNeedsFPlusOneVerifiedVotes) {
  const Header h = MakeHeader(0, 1, genesis_, {});
  const Digest d = HeaderDigest(h);
  EXPECT_TRUE(VerifyCertificate(Certify(h, {0, 1, 2}, {1}), d, *committee_, checker_).ok());
  EXPECT_FALSE(VerifyCertificate(Certify(h, {0, 1, 2}, {1, 2}), d, *committee_, checker_).ok());
  EXPECT_FALSE(
      VerifyCertificate(Certify(h, {0, 1, 2, 3}, {1, 2, 3}), d, *committee_, checker_).ok());
  EXPECT_TRUE(VerifyCertificate(Certify(h, {0, 1, 2, 3}, {1, 2}), d, *committee_, checker_).ok());
  Certificate relabelled = Certify(h, {0, 1, 2}, {1, 2});
  relabelled.votes[1].verified = true;
  EXPECT_FALSE(VerifyCertificate(relabelled, d, *committee_, checker_).ok());

  // Verified votes and acks keep the encoding from before availability
  // votes (stores and peers of that release read them); an availability
  // vote sets the voter field's top bit; a stored-only ack adds one byte.
  const Certificate cert = Certify(h, {0, 1, 2}, {1});
  Bytes bytes = EncodeMessage(cert);
  auto decoded = DecodeMessage(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(std::get<Certificate>(*decoded), cert);
  Certificate all_verified = Certify(h, {0, 1, 2});
  Bytes plain = EncodeMessage(all_verified);
  ASSERT_EQ(plain.size(), bytes.size());
  const size_t vote1 = bytes.size() - 2 * (4 + 64);  // voter field of the 2nd vote
  EXPECT_EQ(plain[vote1], 0);
  EXPECT_EQ(bytes[vote1], 0x80);
  Bytes ack = EncodeMessage(BatchAck{d, true});
  EXPECT_EQ(ack.size(), 1u + 32u);
  ack = EncodeMessage(BatchAck{d, false});
  ASSERT_EQ(ack.size(), 1u + 32u + 1u);
  auto ack_decoded = DecodeMessage(ack);
  ASSERT_TRUE(ack_decoded.ok());
  EXPECT_FALSE(std::get<BatchAck>(*ack_decoded).verified);
  ack.back() = 0;  // the verified ack has no byte there: refused, not read as verified
  EXPECT_FALSE(DecodeMessage(ack).ok());
  ack.back() = 7;
  EXPECT_FALSE(DecodeMessage(ack).ok());
}

// The author certifies its header only with f+1 verified votes (its own and
// one peer's): two availability votes make 2f+1 votes and no certificate;
// the verifier's vote, or an availability voter's verified vote after it,
// completes it.
TEST_F(AvailabilityTest, TheAuthorWaitsForFPlusOneVerifiedVotes) {
  Parameters params;
  params.availability_votes = true;
  params.batch_bytes = 4;  // one transaction seals a batch
  params.max_header_delay_ms = 100;
  for (uint32_t completer : {1u, 3u}) {
    auto author = MakeCore(0, {}, params);
    std::vector<std::unique_ptr<Core>> peers;
    for (uint32_t v = 1; v < 4; ++v) peers.push_back(MakeCore(v, {}, params));
    const std::optional<Batch> batch = SealOne(*author, Bytes{1, 2, 3, 4}, 0);
    ASSERT_TRUE(batch.has_value());
    const Digest d = BatchDigest(*batch);
    const std::vector<Header> headers = Sent<Header>(author->OnTimer(params.max_header_delay_ms));
    ASSERT_EQ(headers.size(), 1u);
    for (uint32_t v : {1u, 2u}) {
      Core& peer = *peers[v - 1];
      for (const BatchAck& ack : Sent<BatchAck>(peer.OnMessage(ValidatorIndex(0), *batch, 101))) {
        EXPECT_FALSE(ack.verified);
        author->OnMessage(ValidatorIndex(v), ack, 102);
      }
      const std::vector<Vote> votes = VotesSent(peer.OnMessage(ValidatorIndex(0), headers[0], 103));
      ASSERT_EQ(votes.size(), 1u);
      EXPECT_TRUE(Sent<Certificate>(author->OnMessage(ValidatorIndex(v), votes[0], 104)).empty())
          << "three votes, one verified";
    }
    // Short of verified acks too: every peer without one is pushed the
    // batch again (those that only stored it verify it after their patience).
    std::vector<std::optional<ValidatorIndex>> pushed_to;
    for (const Action& a : author->OnTimer(params.sync_retry_ms + 1)) {
      const auto* s = std::get_if<SendAction>(&a);
      if (s != nullptr && std::holds_alternative<Batch>(s->message)) pushed_to.push_back(s->to);
    }
    EXPECT_EQ(pushed_to, (std::vector<std::optional<ValidatorIndex>>{
                             ValidatorIndex(1), ValidatorIndex(2), ValidatorIndex(3)}));

    std::vector<Vote> completing;
    if (completer == 3) {
      Core& verifier = *peers[2];
      verifier.OnMessage(ValidatorIndex(0), *batch, 105);
      verifier.OnBatchVerified(d, true, 106);
      completing = VotesSent(verifier.OnMessage(ValidatorIndex(0), headers[0], 107));
    } else {
      Core& peer = *peers[0];
      ASSERT_EQ(Verifications(peer.OnMessage(ValidatorIndex(0), headers[0], 600)).size(), 1u);
      completing = VotesSent(peer.OnBatchVerified(d, true, 601));
    }
    ASSERT_EQ(completing.size(), 1u) << completer;
    EXPECT_TRUE(completing[0].verified);
    const std::vector<Certificate> certs =
        Sent<Certificate>(author->OnMessage(ValidatorIndex(completer), completing[0], 700));
    ASSERT_EQ(certs.size(), 1u) << completer;
    EXPECT_TRUE(VerifyCertificate(certs[0], HeaderDigest(headers[0]), *committee_, checker_).ok());
    size_t verified = 0;
    for (const VoteSignature& v : certs[0].votes) verified += v.verified ? 1 : 0;
    EXPECT_EQ(verified, 2u) << completer;
  }
}

// After a restart a peer's batch counts as verified only under a restored
// certificate: an availability vote before the crash is repeated as one.
TEST_F(AvailabilityTest, ARestartDoesNotTurnAnAvailabilityVoteIntoAVerifiedOne) {
  const Batch batch = BatchOf(0, 1);
  const Header header = MakeHeader(0, 1, genesis_, {BatchDigest(batch)});
  PersistedState state;
  state.batches.push_back(batch);
  state.last_voted.push_back(LastVotedRecord{ValidatorIndex(0), Round(1), HeaderDigest(header)});
  auto core = MakeCore(1, state);
  std::vector<Vote> votes = VotesSent(core->OnMessage(ValidatorIndex(0), header, 1));
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_FALSE(votes[0].verified);

  state.certificates.push_back(Certify(header, {0, 2, 3}, {2}));
  auto proven = MakeCore(1, state);
  votes = VotesSent(proven->OnMessage(ValidatorIndex(0), header, 1));
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_TRUE(votes[0].verified);
}

// Without availability votes the spare peer holds the batch unstored.
TEST_F(AvailabilityTest, OffOnlyTheSparePeerDefersAndNothingIsStoredEarly) {
  Parameters off;
  off.availability_votes = false;
  const Batch batch = BatchOf(0, 1);
  for (uint32_t me : {1u, 2u, 3u}) {
    auto core = MakeCore(me, {}, off);
    const std::vector<Action> actions = core->OnMessage(ValidatorIndex(0), batch, 1);
    EXPECT_FALSE(PersistsBatch(actions, batch)) << me;
    const std::vector<VerifyBatchAction> v = Verifications(actions);
    ASSERT_EQ(v.size(), 1u) << me;
    EXPECT_EQ(v[0].deferrable, me == 1) << me;
  }
}

}  // namespace
}  // namespace gridledger::consensus
