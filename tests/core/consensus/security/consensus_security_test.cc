// Byzantine bounds of the consensus core (issue 8): every bound on what a peer
// sends is refused where it arrives, with a reason, and never halts or aborts
// an honest validator; a full batch store never acknowledges what it did not
// store; catch-up responses fit a message; a message signed for another
// network is refused.
#include <gtest/gtest.h>

#include <set>

#include "core/consensus/core.h"
#include "core/consensus/messages.h"
#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::consensus {
namespace {

Batch OneTxBatch(uint32_t author, uint64_t sequence, size_t tx_bytes = 8) {
  Bytes tx(tx_bytes, static_cast<uint8_t>(sequence));
  for (size_t i = 0; i < 8 && i < tx_bytes; ++i) tx[i] = static_cast<uint8_t>(sequence >> (8 * i));
  return Batch{kSlice, ValidatorIndex(author), sequence, {tx}};
}

// ---- chain id

TEST_F(Fixture, AHeaderSignedForAnotherNetworkIsRefusedWithItsReason) {
  auto core = MakeCore(0);
  Header foreign = MakeHeader(1, 1, genesis_);
  foreign.chain_id = TaggedHash("gridledger/test/another-chain", {});
  foreign.signature = keys_[1].Sign(HeaderDigest(foreign));  // validly signed, elsewhere
  const absl::Status status =
      VerifyHeader(foreign, HeaderDigest(foreign), *committee_, checker_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("signed for another network"), std::string::npos)
      << status;
  EXPECT_TRUE(VotesSent(core->OnMessage(ValidatorIndex(1), foreign, 1)).empty());
  EXPECT_EQ(core->stats().messages_rejected, 1u);
  EXPECT_NE(core->last_rejection().find("header.chain_id"), std::string::npos)
      << core->last_rejection();

  // Its certificate (2f+1 valid votes on the other network) is refused too.
  core->OnMessage(ValidatorIndex(1), Certify(foreign, {1, 2, 3}), 2);
  EXPECT_EQ(core->stats().messages_rejected, 2u);
  EXPECT_NE(core->last_rejection().find("another network"), std::string::npos);
  EXPECT_FALSE(core->dag().Contains(HeaderDigest(foreign)));

  // The same header for this network is voted for: only the chain id differed.
  EXPECT_EQ(VotesSent(core->OnMessage(ValidatorIndex(1), MakeHeader(1, 1, genesis_), 3)).size(),
            1u);
}

TEST_F(Fixture, AVoteSignedForAnotherNetworkIsRefused) {
  auto core = MakeCore(0);
  auto own = Sent<Header>(core->OnTimer(Parameters{}.idle_header_delay_ms));
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].chain_id, kChainId);
  // Validator 1 signs our header as it would look on another network.
  Header elsewhere = own[0];
  elsewhere.chain_id = TaggedHash("gridledger/test/another-chain", {});
  const Digest d = HeaderDigest(elsewhere);
  EXPECT_NE(d, HeaderDigest(own[0]));
  core->OnMessage(ValidatorIndex(1),
                  Vote{d, ValidatorIndex(0), own[0].round, ValidatorIndex(1),
                       keys_[1].Sign(VotePayload(d))},
                  Parameters{}.idle_header_delay_ms + 1);
  EXPECT_EQ(core->stats().messages_rejected, 1u);
  EXPECT_NE(core->last_rejection().find("another network"), std::string::npos);
}

TEST(CommitteeChainId, GenesisCertificatesDifferPerNetwork) {
  std::vector<PublicKey> pubs;
  for (int i = 0; i < 4; ++i) pubs.push_back(KeyPair::FromSeed(300 + i).public_key());
  auto a = Committee::Create(SliceId(1), pubs, TaggedHash("a", {}));
  auto b = Committee::Create(SliceId(1), pubs, TaggedHash("b", {}));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(CertificateDigest(GenesisCertificates(*a)[0]),
            CertificateDigest(GenesisCertificates(*b)[0]));
}

// ---- oversized headers and batches

TEST_F(Fixture, AHeaderOverHeaderBatchesMaxIsRefusedAtVoteTimeBeforeAnyFetch) {
  Parameters params;
  params.header_batches_max = 2;
  auto core = MakeCore(0, {}, params);
  std::vector<Digest> batches;
  for (uint64_t s = 0; s < 3; ++s) batches.push_back(BatchDigest(OneTxBatch(1, s)));
  const Header oversized = MakeHeader(1, 1, genesis_, batches);
  auto actions = core->OnMessage(ValidatorIndex(1), oversized, 1);
  EXPECT_TRUE(VotesSent(actions).empty());
  EXPECT_TRUE(Sent<BatchRequest>(actions).empty());  // refused before it costs a fetch
  EXPECT_EQ(core->stats().headers_refused_oversized, 1u);
  EXPECT_EQ(core->last_rejection(), "header.batches: 3 exceed header_batches_max 2");
  // A certificate for it (only > f faulty validators could make one) is refused too.
  core->OnMessage(ValidatorIndex(1), Certify(oversized, {1, 2, 3}), 2);
  EXPECT_EQ(core->stats().headers_refused_oversized, 2u);
  EXPECT_FALSE(core->dag().Contains(HeaderDigest(oversized)));
}

TEST_F(Fixture, ABatchOverItsBoundsIsRefusedWhereItArrivesAndItsHeaderNeverVoted) {
  Parameters params;
  params.batch_bytes = 64;
  params.batch_txs_max = 4;
  auto core = MakeCore(0, {}, params);
  Batch too_many = OneTxBatch(1, 1);
  while (too_many.transactions.size() < 5) too_many.transactions.push_back(Bytes{1});
  auto actions = core->OnMessage(ValidatorIndex(1), too_many, 1);
  EXPECT_TRUE(Verifications(actions).empty());
  EXPECT_TRUE(Sent<BatchAck>(actions).empty());
  EXPECT_EQ(core->last_rejection(), "batch.transactions: 5 exceed batch_txs_max 4");
  // One transaction may overshoot batch_bytes (the maker seals after it), not more.
  Batch too_big = OneTxBatch(1, 2, kMaxTransactionBytes);
  too_big.transactions.push_back(Bytes(65, 1));
  actions = core->OnMessage(ValidatorIndex(1), too_big, 2);
  EXPECT_TRUE(Verifications(actions).empty());
  EXPECT_NE(core->last_rejection().find("over batch_bytes"), std::string::npos);

  // A header carrying them fetches them, gets the same refusal, never votes.
  const Header h = MakeHeader(1, 1, genesis_, {BatchDigest(too_many), BatchDigest(too_big)});
  actions = core->OnMessage(ValidatorIndex(1), h, 3);
  EXPECT_TRUE(VotesSent(actions).empty());
  ASSERT_EQ(Sent<BatchRequest>(actions).size(), 1u);
  actions = core->OnMessage(ValidatorIndex(1), BatchResponse{{too_many, too_big}}, 4);
  EXPECT_TRUE(Verifications(actions).empty());
  EXPECT_TRUE(VotesSent(actions).empty());
  EXPECT_EQ(core->stored_batches(), 0u);
}

// Three honest cores and a Byzantine validator 3 played by the test: its
// oversized headers are refused by all, and the honest keep committing.
TEST_F(Fixture, AByzantineAuthorsOversizedHeadersHaltNobody) {
  Parameters params;
  params.header_batches_max = 2;
  params.batch_bytes = 8;
  params.leader_timeout_ms = 200;  // validator 3's anchors time out quickly
  std::vector<std::unique_ptr<Core>> cores;
  for (uint32_t v = 0; v < 3; ++v) cores.push_back(MakeCore(v, {}, params));
  cores.push_back(nullptr);
  LocalCluster cluster(this, std::move(cores));
  uint64_t sequence = 0;
  for (TimeMs now = 10; now <= 5000; now += 10) {
    for (uint32_t v = 0; v < 3; ++v) {
      auto actions = cluster.core(v).SubmitTransaction(Bytes(8, static_cast<uint8_t>(now)), now);
      if (actions.ok()) cluster.Run(v, std::move(*actions), now);
    }
    if (now % 100 == 0) {
      // Three valid batches (stored, acked) and a header carrying all three.
      std::vector<Digest> digests;
      for (int i = 0; i < 3; ++i) {
        const Batch b = OneTxBatch(3, sequence++);
        digests.push_back(BatchDigest(b));
        cluster.Run(3, {SendAction{std::nullopt, b}}, now);
      }
      const Round round = cluster.core(0).dag().highest_round() + 1;
      const Header h = MakeHeader(3, round.value(),
                                  cluster.core(0).dag().DigestsAtRound(round - 1), digests);
      cluster.Run(3, {SendAction{std::nullopt, h}}, now);
    }
    cluster.Tick(now);
  }
  for (uint32_t v = 0; v < 3; ++v) {
    EXPECT_GT(cluster.core(v).stats().headers_refused_oversized, 20u);
    EXPECT_GT(cluster.commits_[v].size(), 10u) << "validator " << v;
    // Nothing of validator 3 was ever certified.
    for (uint64_t r = 1; r <= cluster.core(v).dag().highest_round().value(); ++r) {
      EXPECT_EQ(cluster.core(v).dag().Get(Round(r), ValidatorIndex(3)), nullptr);
    }
  }
  const size_t common = std::min(cluster.commits_[0].size(), cluster.commits_[1].size());
  for (size_t i = 0; i < common; ++i) {
    EXPECT_EQ(cluster.commits_[0][i].certificates, cluster.commits_[1][i].certificates);
  }
}

TEST_F(Fixture, LateVotesForAnOwnHeaderBelowTheGcHorizonAreStaleNotFatal) {
  Parameters params;
  params.gc_depth = 2;
  auto core = MakeCore(0, {}, params);
  auto own = Sent<Header>(core->OnTimer(params.idle_header_delay_ms));
  ASSERT_EQ(own.size(), 1u);
  ASSERT_EQ(own[0].round, Round(1));
  // The others race ahead and commit before the next proposal is due.
  const TimeMs now = params.idle_header_delay_ms + 1;
  core->OnMessage(ValidatorIndex(1), CertificateResponse{RoundsWithout0(12)}, now);
  ASSERT_GT(core->dag().gc_round(), Round(1));
  const Digest d = HeaderDigest(own[0]);
  const uint64_t stale = core->stats().stale_messages;
  for (uint32_t v : {1u, 2u}) {
    core->OnMessage(ValidatorIndex(v),
                    Vote{d, ValidatorIndex(0), Round(1), ValidatorIndex(v),
                         keys_[v].Sign(VotePayload(d))},
                    now + 1);
  }
  EXPECT_FALSE(core->dag().Contains(d));
  EXPECT_GT(core->stats().stale_messages, stale);
}

// ---- the batch store under a flood

TEST_F(Fixture, AFullStoreShareAcknowledgesNothingItDidNotStore) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals an own batch
  auto core = MakeCore(0, {}, params);
  const size_t quota = kMaxStoredBatches / (committee_->size() + 1);
  size_t acks = 0;
  std::set<Digest> acked;
  TimeMs now = 1;
  for (uint64_t s = 0; s < quota + 50; ++s, ++now) {
    auto actions = core->OnMessage(ValidatorIndex(1), OneTxBatch(1, s), now);
    for (const VerifyBatchAction& v : Verifications(actions)) {
      for (const BatchAck& a : Sent<BatchAck>(core->OnBatchVerified(v.digest, true, now))) {
        acked.insert(a.batch);
        ++acks;
      }
    }
  }
  // Exactly its share stored and acknowledged; the rest refused, unacknowledged.
  EXPECT_EQ(acks, quota);
  EXPECT_EQ(acked.size(), quota);
  EXPECT_EQ(core->stored_batches(), quota);
  EXPECT_EQ(core->stats().batches_refused_store_full, 50u);
  // A refused batch pushed again is still not acknowledged.
  auto again = core->OnMessage(ValidatorIndex(1), OneTxBatch(1, quota + 1), now);
  EXPECT_TRUE(Sent<BatchAck>(again).empty());
  EXPECT_TRUE(Verifications(again).empty());

  // Another author's batches are stored and acknowledged as before.
  auto other = Verifications(core->OnMessage(ValidatorIndex(2), OneTxBatch(2, 0), now));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(Sent<BatchAck>(core->OnBatchVerified(other[0].digest, true, now)).size(), 1u);
  // Own batch making is untouched (peers never take the own share): a
  // transaction seals a batch, stored and broadcast.
  auto sealed = core->SubmitTransaction(Bytes{1, 2, 3, 4}, now);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(Sent<Batch>(*sealed).size(), 1u);
  EXPECT_EQ(core->stored_batches(), quota + 2);
}

TEST_F(Fixture, AFloodingAuthorWaitsForItsOwnVerificationSlots) {
  auto core = MakeCore(0);
  const size_t share = kMaxBatchesInVerification / committee_->size();
  size_t verifying = 0;
  for (uint64_t s = 0; s < share + 10; ++s) {
    verifying += Verifications(core->OnMessage(ValidatorIndex(1), OneTxBatch(1, s), 1)).size();
  }
  EXPECT_EQ(verifying, share);
  // Validator 2 still gets its batch verified.
  EXPECT_EQ(Verifications(core->OnMessage(ValidatorIndex(2), OneTxBatch(2, 0), 1)).size(), 1u);
}

// ---- catch-up responses fit a message

TEST_F(Fixture, BatchResponsesAreSplitToFitAMessage) {
  Parameters params;
  params.batch_bytes = 4000;
  params.batch_txs_max = 64;
  params.message_bytes_max = 32 << 10;
  ASSERT_TRUE(ValidateParameters(params).ok()) << ValidateParameters(params);
  auto core = MakeCore(0, {}, params);
  BatchRequest req;
  for (uint64_t s = 0; s < 40; ++s) {
    const Batch b = OneTxBatch(1, s, 3000);
    for (const VerifyBatchAction& v : Verifications(core->OnMessage(ValidatorIndex(1), b, 1))) {
      core->OnBatchVerified(v.digest, true, 1);
    }
    req.digests.push_back(BatchDigest(b));
  }
  auto responses = Sent<BatchResponse>(core->OnMessage(ValidatorIndex(2), req, 2));
  ASSERT_GT(responses.size(), 3u);
  std::set<Digest> served;
  for (const BatchResponse& r : responses) {
    EXPECT_LE(EncodeMessage(r).size(), params.message_bytes_max);
    for (const Batch& b : r.batches) served.insert(BatchDigest(b));
  }
  EXPECT_EQ(served, std::set<Digest>(req.digests.begin(), req.digests.end()));
}

TEST_F(Fixture, CertificateResponsesAreSplitToFitAMessage) {
  Parameters params;
  params.batch_bytes = 8;  // so a full batch fits the small message bound
  params.batch_txs_max = 64;
  params.message_bytes_max = 32 << 10;
  params.gc_depth = 200;
  auto core = MakeCore(0, {}, params);
  // 60 rounds by validators 1..3.
  const std::vector<Certificate> certs = RoundsWithout0(60);
  for (size_t i = 0; i < certs.size(); i += 30) {
    std::vector<Certificate> part(certs.begin() + i,
                                  certs.begin() + std::min(certs.size(), i + 30));
    core->OnMessage(ValidatorIndex(1), CertificateResponse{part}, 1);
  }
  ASSERT_EQ(core->dag().highest_round(), Round(60));
  auto responses = Sent<CertificateResponse>(
      core->OnMessage(ValidatorIndex(2), CertificateRequest{{}, Round(1), Round(61)}, 2));
  ASSERT_GT(responses.size(), 1u);
  size_t served = 0;
  uint64_t last_round = 0;
  for (const CertificateResponse& r : responses) {
    EXPECT_LE(EncodeMessage(r).size(), params.message_bytes_max);
    for (const Certificate& c : r.certificates) {
      EXPECT_GE(c.header.round.value(), last_round);  // ascending across the parts
      last_round = c.header.round.value();
      ++served;
    }
  }
  EXPECT_EQ(served, certs.size());
}

TEST(ConsensusParameters, BoundsThatAnHonestNodeCouldNotExecuteAreInvalid) {
  EXPECT_TRUE(ValidateParameters(Parameters{}).ok());
  Parameters p;
  p.header_batches_max = 1024;
  p.batch_txs_max = 2048;  // 2^21 transactions per certificate
  EXPECT_NE(ValidateParameters(p).message().find("commit bound"), std::string::npos);
  p = Parameters{};
  p.batch_bytes = 8 << 20;  // a batch larger than a frame
  EXPECT_FALSE(ValidateParameters(p).ok());
  p = Parameters{};
  p.message_bytes_max = 16 << 10;  // no room for a full committee's certificate
  EXPECT_NE(ValidateParameters(p).message().find("message_bytes_max"), std::string::npos);
}

}  // namespace
}  // namespace gridledger::consensus
