// Unit tests of the consensus core's rules (DESIGN.md §2): the codec, voting
// (once per (author, round), also across a restart), certificates under an
// equivocating author, Bullshark's commit rule and walk-back, batch
// availability, catch-up and garbage collection.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "core/consensus/bullshark.h"
#include "core/consensus/core.h"
#include "core/consensus/dag.h"
#include "core/consensus/messages.h"
#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::consensus {
namespace {

// ---- codec

TEST_F(Fixture, EveryMessageRoundTripsThroughTheCodec) {
  Header h = MakeHeader(1, 1, genesis_, {genesis_[0]});
  Certificate c = Certify(h, {0, 1, 2});
  std::vector<Message> messages = {
      Batch{kSlice, ValidatorIndex(1), 7, {Bytes{1, 2, 3}, Bytes{4}}},
      BatchAck{genesis_[1]},
      h,
      Vote{HeaderDigest(h), ValidatorIndex(1), Round(1), ValidatorIndex(2), c.votes[0].signature},
      c,
      CertificateRequest{{genesis_[2]}, Round(3), Round(9)},
      CertificateResponse{{c, c}},
      BatchRequest{{genesis_[3]}},
      BatchResponse{{Batch{kSlice, ValidatorIndex(0), 1, {Bytes{9}}}}},
  };
  for (const Message& m : messages) {
    auto decoded = DecodeMessage(EncodeMessage(m));
    ASSERT_TRUE(decoded.ok()) << MessageName(m) << ": " << decoded.status();
    EXPECT_TRUE(*decoded == m) << MessageName(m);
  }
}

TEST_F(Fixture, WeakLinksRoundTripAndAreCheckedStrictly) {
  Header h = MakeHeader(1, 4, genesis_);
  h.weak_parents = {WeakLink{Round(1), genesis_[0]}, WeakLink{Round(2), genesis_[1]}};
  h.signature = keys_[1].Sign(HeaderDigest(h));
  auto decoded = DecodeMessage(EncodeMessage(Message{h}));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == Message{h});
  // The links are signed: dropping one changes the digest.
  Header dropped = h;
  dropped.weak_parents.pop_back();
  EXPECT_NE(HeaderDigest(dropped), HeaderDigest(h));
  // Not ascending: refused by the decoder and by VerifyHeader.
  Header unsorted = h;
  std::swap(unsorted.weak_parents[0], unsorted.weak_parents[1]);
  auto refused = DecodeMessage(EncodeMessage(Message{unsorted}));
  EXPECT_EQ(refused.status().message(), "header.weak_parents: not strictly ascending");
  // A link must point at least two rounds back, and never at genesis.
  for (uint64_t bad_round : {0u, 3u, 4u}) {
    Header bad = h;
    bad.weak_parents = {WeakLink{Round(bad_round), genesis_[0]}};
    bad.signature = keys_[1].Sign(HeaderDigest(bad));
    const absl::Status s = VerifyHeader(bad, HeaderDigest(bad), *committee_, checker_);
    EXPECT_TRUE(absl::StrContains(s.message(), "outside 1..round-2")) << bad_round << ": " << s;
  }
  // At most the committee size.
  Header many = h;
  many.weak_parents.clear();
  for (uint32_t i = 0; i < 5; ++i) {
    Digest d;
    d.bytes[0] = static_cast<uint8_t>(i);
    many.weak_parents.push_back(WeakLink{Round(1), d});
  }
  many.signature = keys_[1].Sign(HeaderDigest(many));
  EXPECT_TRUE(absl::StrContains(
      VerifyHeader(many, HeaderDigest(many), *committee_, checker_).message(),
      "exceed the committee size"));
}

// Round 3's certificate of validator 1 formed late: round 4 does not link it,
// round 5 weak-links it. The round-4 anchor (strong paths only) leaves it
// out; the round-6 anchor orders it, in (round, author) order.
TEST_F(Fixture, ALateCertificateIsOrderedByALaterAnchorThroughAWeakLink) {
  std::vector<Certificate> last;
  Digest late;
  const auto commits = FullDagCommits(9, 50, &last, LateCertificate{3, 1}, &late);
  ASSERT_GE(commits.size(), 3u);
  std::optional<uint64_t> ordered_by;
  for (const CommittedSubDag& c : commits) {
    for (const Certificate& cert : c.certificates) {
      if (CertificateDigest(cert) == late) {
        EXPECT_FALSE(ordered_by.has_value()) << "ordered twice";
        ordered_by = c.anchor_round.value();
      }
    }
  }
  ASSERT_TRUE(ordered_by.has_value()) << "the late certificate was never ordered";
  EXPECT_EQ(*ordered_by, 6u);
}

TEST_F(Fixture, DecodingIsStrict) {
  Header h = MakeHeader(1, 1, genesis_);
  Bytes bytes = EncodeMessage(h);
  bytes.push_back(0);
  EXPECT_EQ(DecodeMessage(bytes).status().message(), "trailing bytes: 1 after Header");
  bytes.resize(bytes.size() - 10);
  EXPECT_EQ(DecodeMessage(bytes).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeMessage(Bytes{42}).status().message(), "message.tag: unknown tag 42");
  // Parents out of order are not canonical.
  Header unsorted = h;
  std::swap(unsorted.parents[0], unsorted.parents[1]);
  EXPECT_EQ(DecodeMessage(EncodeMessage(unsorted)).status().message(),
            "header.parents: not strictly ascending");
}

TEST_F(Fixture, CertificateVerificationNeedsAQuorumOfValidVotes) {
  Header h = MakeHeader(1, 1, genesis_);
  const Digest d = HeaderDigest(h);
  EXPECT_TRUE(VerifyCertificate(Certify(h, {0, 1, 2}), d, *committee_, checker_).ok());
  EXPECT_EQ(VerifyCertificate(Certify(h, {0, 1}), d, *committee_, checker_).message(),
            "certificate.votes: need 2f+1..n votes, got 2");
  Certificate forged = Certify(h, {0, 1, 2});
  forged.votes[2].signature.bytes[3] ^= 1;
  EXPECT_EQ(VerifyCertificate(forged, d, *committee_, checker_).message(),
            "certificate.votes: invalid signature of voter 2");
  Header bad_author = h;
  bad_author.author = ValidatorIndex(9);
  EXPECT_EQ(VerifyHeader(bad_author, HeaderDigest(bad_author), *committee_, checker_).message(),
            "header.author: not in the committee");
  Header few_parents = MakeHeader(1, 1, {genesis_[0], genesis_[1]});
  EXPECT_EQ(VerifyHeader(few_parents, HeaderDigest(few_parents), *committee_, checker_).message(),
            "header.parents: need 2f+1..n parents, got 2");
}

// ---- voting

TEST_F(Fixture, VotesOnceForAnAuthorsRoundAndPersistsBeforeSending) {
  auto voter = MakeCore(1);
  Header h1 = MakeHeader(0, 1, genesis_);
  auto actions = voter->OnMessage(ValidatorIndex(0), h1, 1);
  // The LastVotedRecord precedes the Vote.
  int persist_at = -1, vote_at = -1;
  for (size_t i = 0; i < actions.size(); ++i) {
    if (const auto* p = std::get_if<PersistAction>(&actions[i])) {
      if (const auto* lv = std::get_if<LastVotedRecord>(&p->record)) {
        EXPECT_EQ(*lv, (LastVotedRecord{ValidatorIndex(0), Round(1), HeaderDigest(h1)}));
        persist_at = static_cast<int>(i);
      }
    }
    if (const auto* s = std::get_if<SendAction>(&actions[i])) {
      if (std::holds_alternative<Vote>(s->message)) {
        EXPECT_EQ(s->to, ValidatorIndex(0));
        vote_at = static_cast<int>(i);
      }
    }
  }
  ASSERT_GE(persist_at, 0);
  ASSERT_GT(vote_at, persist_at);

  // An equivocating second header for the same round gets no vote.
  Header h2 = MakeHeader(0, 1, {genesis_[0], genesis_[1], genesis_[2]});
  EXPECT_TRUE(VotesSent(voter->OnMessage(ValidatorIndex(0), h2, 2)).empty());
  EXPECT_EQ(voter->stats().votes_refused_equivocation, 1u);
  // The same header again gets the same vote again (the first may have been lost).
  auto again = VotesSent(voter->OnMessage(ValidatorIndex(0), h1, 3));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].header, HeaderDigest(h1));
  EXPECT_EQ(voter->stats().votes_sent, 1u);

  // After a restart from the persisted record: still no vote for the twin.
  auto restarted = MakeCore(1, StateFrom(actions));
  EXPECT_TRUE(VotesSent(restarted->OnMessage(ValidatorIndex(0), h2, 4)).empty());
  EXPECT_EQ(restarted->stats().votes_refused_equivocation, 1u);
  // A fresh validator without that record would have voted: the record is what stops it.
  auto fresh = MakeCore(1);
  EXPECT_EQ(VotesSent(fresh->OnMessage(ValidatorIndex(0), h2, 4)).size(), 1u);
}

TEST_F(Fixture, NoVoteUntilParentsAndBatchesAreKnown) {
  auto voter = MakeCore(1);
  // Round 2 header whose round-1 parents this validator has never seen.
  std::vector<Certificate> round1;
  std::vector<Digest> parents;
  for (uint32_t a : {0u, 2u, 3u}) {
    round1.push_back(Certify(MakeHeader(a, 1, genesis_), {0, 2, 3}));
    parents.push_back(CertificateDigest(round1.back()));
  }
  Header h = MakeHeader(0, 2, parents);
  auto actions = voter->OnMessage(ValidatorIndex(0), h, 1);
  EXPECT_TRUE(VotesSent(actions).empty());
  auto requests = Sent<CertificateRequest>(actions);
  ASSERT_EQ(requests.size(), 1u);
  std::sort(parents.begin(), parents.end());
  EXPECT_EQ(requests[0].digests, parents);
  // The parents arrive: the buffered header gets its vote.
  auto response = voter->OnMessage(ValidatorIndex(0), CertificateResponse{round1}, 2);
  auto votes = VotesSent(response);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(votes[0].header, HeaderDigest(h));
}

TEST_F(Fixture, AnEquivocatingAuthorNeverGetsTwoCertificatesForOneRound) {
  std::vector<std::unique_ptr<Core>> honest;
  for (uint32_t v = 1; v < 4; ++v) honest.push_back(MakeCore(v));
  Header h1 = MakeHeader(0, 1, genesis_);
  Header h2 = MakeHeader(0, 1, {genesis_[0], genesis_[1], genesis_[2]});
  // Every honest validator sees both twins, in either order.
  std::map<Digest, std::vector<uint32_t>> voters;
  for (uint32_t i = 0; i < 3; ++i) {
    const Header& first = (i == 0) ? h2 : h1;
    const Header& second = (i == 0) ? h1 : h2;
    for (const Header* h : {&first, &second}) {
      for (const Vote& v : VotesSent(honest[i]->OnMessage(ValidatorIndex(0), *h, 1))) {
        EXPECT_TRUE(VerifyVote(v, *committee_, checker_).ok());
        voters[v.header].push_back(v.voter.value());
      }
    }
  }
  // Three honest votes in all, one each: with the author's own, only one twin
  // reaches 2f+1 = 3, the other has at most 1 + 1.
  EXPECT_EQ(voters[HeaderDigest(h1)], (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(voters[HeaderDigest(h2)], (std::vector<uint32_t>{1}));
  Certificate c1 = Certify(h1, {0, 2, 3});
  EXPECT_TRUE(VerifyCertificate(c1, HeaderDigest(h1), *committee_, checker_).ok());
  // The best the author can assemble for h2 falls short of a quorum.
  Certificate c2 = Certify(h2, {0, 1});
  EXPECT_FALSE(VerifyCertificate(c2, HeaderDigest(h2), *committee_, checker_).ok());
  // And a DAG refuses a second certificate for the slot (only > f faults could make one).
  Dag dag(4, GenesisCertificates(*committee_));
  EXPECT_EQ(dag.Insert(c1, HeaderDigest(h1), false), Dag::InsertResult::kInserted);
  EXPECT_EQ(dag.Insert(Certify(h2, {0, 1, 2}), HeaderDigest(h2), false),
            Dag::InsertResult::kConflict);
}

// ---- Bullshark

class BullsharkTest : public Fixture {
 protected:
  // Every certificate costs one transaction; commits are unbounded unless a
  // test sets limits.
  explicit BullsharkTest(CommitLimits limits = {kMaxCommitTransactions, kMaxCommitBytes})
      : dag_(4, GenesisCertificates(*committee_)), bullshark_(committee_.get(), 50, limits) {}

  // Inserts an (unsigned) certificate: the DAG and commit rule do not verify.
  Digest Add(uint32_t author, uint64_t round, std::vector<Digest> parents,
             uint64_t timestamp_ms = 0) {
    std::sort(parents.begin(), parents.end());
    Certificate c{Header{kSlice, ValidatorIndex(author), Round(round), parents, {}, {}}, {}};
    c.header.timestamp_ms = timestamp_ms;
    const Digest d = CertificateDigest(c);
    EXPECT_EQ(dag_.Insert(c, d, false), Dag::InsertResult::kInserted);
    auto subs = bullshark_.OnCertificate(dag_, Round(round),
                                         [](const Certificate&) { return CommitCost{1, 10}; });
    for (auto& s : subs) commits_.push_back(std::move(s));
    return d;
  }
  // A full round: every author, every certificate of the previous round as parents.
  std::vector<Digest> FullRound(uint64_t round, const std::vector<Digest>& prev) {
    std::vector<Digest> out;
    for (uint32_t a = 0; a < 4; ++a) out.push_back(Add(a, round, prev));
    return out;
  }
  std::vector<Digest> Without(std::vector<Digest> v, const Digest& d) {
    v.erase(std::remove(v.begin(), v.end(), d), v.end());
    return v;
  }

  Dag dag_;
  Bullshark bullshark_;
  std::vector<CommittedSubDag> commits_;
};

TEST_F(BullsharkTest, AnAnchorWithFSupportCommitsNothingWithFPlusOneCommits) {
  auto r1 = FullRound(1, genesis_);
  auto r2 = FullRound(2, r1);
  const uint32_t leader = committee_->Leader(Round(2)).value();
  const Digest anchor = r2[leader];
  auto others = Without(r2, anchor);
  // f = 1 certificate of round 3 references the anchor: nothing commits.
  Add(0, 3, r2);
  Add(1, 3, others);
  Add(2, 3, others);
  EXPECT_TRUE(commits_.empty());
  EXPECT_EQ(bullshark_.last_committed_round(), Round(0));
  // The f+1-th supporter commits it, with its causal history ordered by (round, author).
  Add(3, 3, r2);
  ASSERT_EQ(commits_.size(), 1u);
  EXPECT_EQ(commits_[0].index, 0u);
  EXPECT_EQ(commits_[0].anchor, anchor);
  EXPECT_EQ(commits_[0].anchor_round, Round(2));
  ASSERT_EQ(commits_[0].certificates.size(), 5u);
  for (uint32_t a = 0; a < 4; ++a) {
    EXPECT_EQ(CertificateDigest(commits_[0].certificates[a]), r1[a]);
  }
  EXPECT_EQ(CertificateDigest(commits_[0].certificates[4]), anchor);
  EXPECT_EQ(bullshark_.last_committed_round(), Round(2));
}

TEST_F(BullsharkTest, ACommitsTimeIsTheMedianOfItsAnchorsParentTimestamps) {
  // Author 1 claims a far-future time; the median of the four parents ignores it.
  const uint64_t times[4] = {1'000, 900'000'000, 1'300, 1'200};
  std::vector<Digest> r1;
  for (uint32_t a = 0; a < 4; ++a) r1.push_back(Add(a, 1, genesis_, times[a]));
  auto r2 = FullRound(2, r1);
  FullRound(3, r2);
  ASSERT_EQ(commits_.size(), 1u);
  EXPECT_EQ(commits_[0].time_ms, 1'300u);
}

TEST_F(BullsharkTest, WalkBackCommitsSkippedAnchorsOldestFirst) {
  auto r1 = FullRound(1, genesis_);
  auto r2 = FullRound(2, r1);
  const Digest a2 = r2[committee_->Leader(Round(2)).value()];
  auto no_a2 = Without(r2, a2);
  // Round 3: only one certificate (f) links to the round-2 anchor: no commit yet.
  std::vector<Digest> r3 = {Add(0, 3, r2), Add(1, 3, no_a2), Add(2, 3, no_a2),
                            Add(3, 3, no_a2)};
  ASSERT_TRUE(commits_.empty());
  // Round 4's anchor has a path to a2 through r3[0].
  auto r4 = FullRound(4, r3);
  const Digest a4 = r4[committee_->Leader(Round(4)).value()];
  ASSERT_TRUE(dag_.HasPath(a4, a2));
  // Round 5 with f+1 support for a4 commits a2 first, then a4.
  Add(0, 5, r4);
  ASSERT_TRUE(commits_.empty());
  Add(1, 5, r4);
  ASSERT_EQ(commits_.size(), 2u);
  EXPECT_EQ(commits_[0].anchor, a2);
  EXPECT_EQ(commits_[0].index, 0u);
  EXPECT_EQ(commits_[1].anchor, a4);
  EXPECT_EQ(commits_[1].index, 1u);
  // a2's sub-DAG: round 1 and a2. a4's: the rest of round 2, round 3, a4; no repeats.
  EXPECT_EQ(commits_[0].certificates.size(), 5u);
  EXPECT_EQ(commits_[1].certificates.size(), 3u + 4u + 1u);
  EXPECT_EQ(CertificateDigest(commits_[1].certificates.back()), a4);
  for (size_t i = 1; i < commits_[1].certificates.size(); ++i) {
    const Header& prev = commits_[1].certificates[i - 1].header;
    const Header& cur = commits_[1].certificates[i].header;
    EXPECT_LT(std::make_pair(prev.round, prev.author), std::make_pair(cur.round, cur.author));
  }
}

TEST_F(BullsharkTest, AnAnchorWithoutAPathIsSkippedForever) {
  auto r1 = FullRound(1, genesis_);
  auto r2 = FullRound(2, r1);
  const Digest a2 = r2[committee_->Leader(Round(2)).value()];
  auto no_a2 = Without(r2, a2);
  std::vector<Digest> r3;
  for (uint32_t a = 0; a < 4; ++a) r3.push_back(Add(a, 3, no_a2));  // nobody links a2
  auto r4 = FullRound(4, r3);
  const Digest a4 = r4[committee_->Leader(Round(4)).value()];
  EXPECT_FALSE(dag_.HasPath(a4, a2));
  Add(0, 5, r4);
  Add(1, 5, r4);
  ASSERT_EQ(commits_.size(), 1u);
  EXPECT_EQ(commits_[0].anchor, a4);
  // a2 is not in a4's history, so it is not ordered here.
  for (const Certificate& c : commits_[0].certificates) EXPECT_NE(CertificateDigest(c), a2);
}

// Every certificate costs one transaction; a commit carries at most three.
class BullsharkPiecesTest : public BullsharkTest {
 protected:
  BullsharkPiecesTest() : BullsharkTest(CommitLimits{3, 1000}) {}
};

TEST_F(BullsharkPiecesTest, AHistoryOverTheCommitBoundIsCarriedInConsecutivePieces) {
  auto r1 = FullRound(1, genesis_);
  auto r2 = FullRound(2, r1);
  auto r3 = FullRound(3, r2);
  // Anchor 2 orders round 1 (4) and itself: pieces of 3 and 2.
  ASSERT_EQ(commits_.size(), 2u);
  EXPECT_EQ(commits_[0].certificates.size(), 3u);
  EXPECT_EQ(commits_[1].certificates.size(), 2u);
  for (size_t i = 0; i < commits_.size(); ++i) {
    EXPECT_EQ(commits_[i].index, i);
    EXPECT_EQ(commits_[i].anchor_round, Round(2));
  }
  // Only the last piece moves the durable commit round to the anchor's.
  EXPECT_EQ(commits_[0].last_committed_round, Round(0));
  EXPECT_EQ(commits_[1].last_committed_round, Round(2));
  EXPECT_EQ(CertificateDigest(commits_[1].certificates.back()), commits_[1].anchor);
}

TEST_F(BullsharkPiecesTest, ARestartBetweenPiecesCommitsTheSameRemainingPieces) {
  std::vector<Certificate> all;
  auto r1 = FullRound(1, genesis_);
  auto r2 = FullRound(2, r1);
  auto r3 = FullRound(3, r2);
  auto r4 = FullRound(4, r3);
  FullRound(5, r4);
  ASSERT_GE(commits_.size(), 4u);
  for (uint64_t r = 1; r <= 5; ++r) {
    for (uint32_t a = 0; a < 4; ++a) all.push_back(dag_.Get(Round(r), ValidatorIndex(a))->certificate);
  }
  // Crash after piece 0 was recorded: restore its durable state, replay the DAG.
  Dag dag(4, GenesisCertificates(*committee_));
  Bullshark restarted(committee_.get(), 50, CommitLimits{3, 1000});
  restarted.Restore(commits_[0].last_committed_round, commits_[0].index + 1);
  std::set<Digest> committed;
  for (const Certificate& c : commits_[0].certificates) committed.insert(CertificateDigest(c));
  std::vector<CommittedSubDag> again;
  for (const Certificate& c : all) {
    const Digest d = CertificateDigest(c);
    ASSERT_EQ(dag.Insert(c, d, committed.contains(d)), Dag::InsertResult::kInserted);
    for (auto& sub : restarted.OnCertificate(dag, c.header.round, [](const Certificate&) {
           return CommitCost{1, 10};
         })) {
      again.push_back(std::move(sub));
    }
  }
  ASSERT_EQ(again.size(), commits_.size() - 1);
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].index, commits_[i + 1].index);
    EXPECT_EQ(again[i].certificates, commits_[i + 1].certificates);
    EXPECT_EQ(again[i].last_committed_round, commits_[i + 1].last_committed_round);
  }
}

// ---- batches, proposer, garbage collection, end to end

// A sealed batch enters the next header without waiting for acks: the
// certificate's votes prove it available, since a voter votes only for a
// header whose batches it has stored (here: received and verified).
TEST_F(Fixture, ABatchEntersTheNextHeaderAndItsVotesWaitForTheBatch) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  params.max_header_delay_ms = 100;  // the times below assume it
  auto author = MakeCore(0, {}, params);
  // Validator 3 verifies validator 0's batches (1 and 2 store them for
  // availability, Parameters::availability_votes).
  auto voter = MakeCore(3, {}, params);
  const std::optional<Batch> batch = SealOne(*author, Bytes{1, 2, 3, 4}, 0);
  ASSERT_TRUE(batch.has_value());
  const Digest d = BatchDigest(*batch);
  // No ack at all: the first header carries it.
  auto h1 = Sent<Header>(author->OnTimer(params.max_header_delay_ms));
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1[0].round, Round(1));
  EXPECT_EQ(h1[0].batches, std::vector<Digest>{d});
  // The header overtakes the batch: no vote, the batch is asked for.
  auto early = voter->OnMessage(ValidatorIndex(0), h1[0], params.max_header_delay_ms + 1);
  EXPECT_TRUE(VotesSent(early).empty());
  EXPECT_EQ(Sent<BatchRequest>(early).size(), 1u);
  // Then it arrives (the push), is verified and stored: the vote follows.
  auto verify = voter->OnMessage(ValidatorIndex(0), *batch, params.max_header_delay_ms + 2);
  EXPECT_TRUE(VotesSent(verify).empty());
  auto stored = voter->OnBatchVerified(d, true, params.max_header_delay_ms + 3);
  auto votes = VotesSent(stored);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(votes[0].header, HeaderDigest(h1[0]));
}

// An ack goes out before the acknowledged batch's record is durable, and so
// does the author's push of its batch (persistence.h); the voter's
// LastVotedRecord still follows the BatchRecord, and every other send waits.
TEST_F(Fixture, APeerBatchAckDoesNotWaitForItsRecordButTheVoteDoes) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  auto author = MakeCore(0, {}, params);
  auto voter = MakeCore(3, {}, params);  // a verifying peer of validator 0
  auto sealed = author->SubmitTransaction(Bytes{1, 2, 3, 4}, 0);
  ASSERT_TRUE(sealed.ok());
  auto batches = Sent<Batch>(*sealed);
  ASSERT_EQ(batches.size(), 1u);
  const Digest d = BatchDigest(batches[0]);
  auto verify = voter->OnMessage(ValidatorIndex(0), batches[0], 1);
  ASSERT_TRUE(std::any_of(verify.begin(), verify.end(), [](const Action& a) {
    return std::holds_alternative<VerifyBatchAction>(a);
  }));
  auto stored = voter->OnBatchVerified(d, true, 2);
  std::optional<size_t> record_at;
  std::optional<size_t> ack_at;
  for (size_t i = 0; i < stored.size(); ++i) {
    if (const auto* p = std::get_if<PersistAction>(&stored[i])) {
      if (std::holds_alternative<BatchRecord>(p->record)) record_at = i;
    }
    if (const auto* s = std::get_if<SendAction>(&stored[i])) {
      ASSERT_TRUE(std::holds_alternative<BatchAck>(s->message));
      EXPECT_FALSE(s->waits_for_records);
      EXPECT_EQ(s->to, std::optional<ValidatorIndex>(ValidatorIndex(0)));
      ack_at = i;
    }
  }
  ASSERT_TRUE(record_at.has_value());
  ASSERT_TRUE(ack_at.has_value());
  // The author's batch push follows its BatchRecord but does not wait for it.
  bool pushed = false;
  bool own_record = false;
  for (const Action& a : *sealed) {
    if (const auto* p = std::get_if<PersistAction>(&a)) {
      own_record = own_record || std::holds_alternative<BatchRecord>(p->record);
    }
    if (const auto* s = std::get_if<SendAction>(&a)) {
      ASSERT_TRUE(std::holds_alternative<Batch>(s->message));
      EXPECT_TRUE(own_record) << "the record is handed on before the push";
      EXPECT_FALSE(s->waits_for_records);
      EXPECT_EQ(s->to, std::nullopt);
      pushed = true;
    }
  }
  EXPECT_TRUE(pushed);
  // Retransmitted to a peer that has not acknowledged it: no wait either.
  bool retransmitted = false;
  for (const Action& a : author->OnTimer(params.sync_retry_ms + 1)) {
    if (const auto* s = std::get_if<SendAction>(&a)) {
      if (std::holds_alternative<Batch>(s->message)) {
        EXPECT_FALSE(s->waits_for_records);
        retransmitted = true;
      } else {
        EXPECT_TRUE(s->waits_for_records);
      }
    }
  }
  EXPECT_TRUE(retransmitted);
  // A header carrying the batch: the vote waits for the LastVotedRecord.
  const Header h = MakeHeader(0, 1, genesis_, {d});
  auto voted = voter->OnMessage(ValidatorIndex(0), h, 3);
  bool vote_seen = false;
  for (const Action& a : voted) {
    if (const auto* s = std::get_if<SendAction>(&a)) {
      if (std::holds_alternative<Vote>(s->message)) {
        EXPECT_TRUE(s->waits_for_records);
        vote_seen = true;
      }
    }
  }
  EXPECT_TRUE(vote_seen);
}

// An own certificate is a proof, not a promise: its broadcast follows its
// CertificateRecord but does not wait for it (persistence.h, third
// exception), while the header it certifies waited for its OwnHeaderRecord.
TEST_F(Fixture, AnOwnCertificateBroadcastDoesNotWaitForItsRecord) {
  Parameters params;
  auto author = MakeCore(0, {}, params);
  // Nothing to order: an empty header after the idle delay.
  auto proposed = author->OnTimer(params.idle_header_delay_ms);
  std::optional<Header> header;
  for (const Action& a : proposed) {
    if (const auto* s = std::get_if<SendAction>(&a)) {
      if (const auto* h = std::get_if<Header>(&s->message)) {
        EXPECT_TRUE(s->waits_for_records) << "a header is a promise: its record first";
        header = *h;
      }
    }
  }
  ASSERT_TRUE(header.has_value());
  const Digest d = HeaderDigest(*header);
  std::vector<Action> certified;
  for (uint32_t v : {1u, 2u}) {
    auto acts = author->OnMessage(
        ValidatorIndex(v),
        Vote{d, ValidatorIndex(0), header->round, ValidatorIndex(v), keys_[v].Sign(VotePayload(d))},
        params.idle_header_delay_ms + v);
    for (Action& a : acts) certified.push_back(std::move(a));
  }
  ASSERT_EQ(author->stats().certificates_formed, 1u);
  std::optional<size_t> record_at;
  std::optional<size_t> broadcast_at;
  for (size_t i = 0; i < certified.size(); ++i) {
    if (const auto* p = std::get_if<PersistAction>(&certified[i])) {
      if (const auto* c = std::get_if<CertificateRecord>(&p->record)) {
        if (HeaderDigest(c->certificate.header) == d) record_at = i;
      }
    }
    if (const auto* s = std::get_if<SendAction>(&certified[i])) {
      if (const auto* c = std::get_if<Certificate>(&s->message)) {
        EXPECT_EQ(HeaderDigest(c->header), d);
        EXPECT_EQ(s->to, std::nullopt);
        EXPECT_FALSE(s->waits_for_records);
        broadcast_at = i;
      }
    }
  }
  ASSERT_TRUE(record_at.has_value());
  ASSERT_TRUE(broadcast_at.has_value());
  EXPECT_LT(*record_at, *broadcast_at) << "the record is handed on before the broadcast";
}

// The runtime may sleep until the core's next deadline instead of ticking:
// the open batch's seal time, and the header delay once 2f+1 parents are in.
TEST_F(Fixture, NextDeadlineIsTheSealOfTheOpenBatchOrTheHeaderDelay) {
  Parameters params;
  params.max_batch_delay_ms = 7;
  params.max_header_delay_ms = 40;
  auto core = MakeCore(0, {}, params);  // started at 0 on the genesis round
  EXPECT_EQ(core->NextDeadlineMs(5), std::optional<TimeMs>(40));
  ASSERT_TRUE(core->SubmitTransaction(Bytes{9, 9}, 10).ok());
  EXPECT_EQ(core->NextDeadlineMs(10), std::optional<TimeMs>(17));
  // A due time already reached is not reported (the runtime would spin).
  EXPECT_EQ(core->NextDeadlineMs(17), std::optional<TimeMs>(40));
  EXPECT_EQ(Sent<Batch>(core->OnTimer(17)).size(), 1u);
  auto proposed = Sent<Header>(core->OnTimer(40));
  ASSERT_EQ(proposed.size(), 1u);
  EXPECT_EQ(proposed[0].round, Round(1));
  // Round 1 lacks 2f+1 certificates and no batch is open: nothing is due.
  EXPECT_EQ(core->NextDeadlineMs(41), std::nullopt);
  std::vector<Certificate> round1;
  for (uint32_t a : {1u, 2u, 3u}) round1.push_back(Certify(MakeHeader(a, 1, genesis_), {1, 2, 3}));
  core->OnMessage(ValidatorIndex(1), CertificateResponse{round1}, 50);
  EXPECT_EQ(core->NextDeadlineMs(50), std::optional<TimeMs>(80));
}

// Idle, the proposal waits for idle_header_delay_ms: that is the next
// deadline once the header delay has passed, so an idle runtime can sleep
// until then instead of ticking.
TEST_F(Fixture, IdleNextDeadlineIsTheIdleHeaderDelay) {
  Parameters params;
  params.max_header_delay_ms = 40;
  params.idle_header_delay_ms = 900;
  auto core = MakeCore(0, {}, params);  // started at 0 on the genesis round
  ASSERT_TRUE(core->NothingToOrder());
  EXPECT_EQ(core->NextDeadlineMs(5), std::optional<TimeMs>(40));
  EXPECT_TRUE(Sent<Header>(core->OnTimer(40)).empty()) << "idle: no header before 900";
  EXPECT_EQ(core->NextDeadlineMs(40), std::optional<TimeMs>(900));
  EXPECT_TRUE(Sent<Header>(core->OnTimer(899)).empty());
  auto proposed = Sent<Header>(core->OnTimer(900));
  ASSERT_EQ(proposed.size(), 1u);
  EXPECT_EQ(proposed[0].round, Round(1));
}

// While peers acknowledge slowly (here: a batch short of acks for longer
// than kUnackedProposalMaxAckWaitMs), only acknowledged batches enter
// headers, as a header waiting on verification queues would be sent again
// and make the spare peers verify what they defer.
TEST_F(Fixture, WhilePeersAckSlowlyOnlyAcknowledgedBatchesEnterHeaders) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  params.max_header_delay_ms = 150;  // the first proposal comes after the limit
  ASSERT_GT(params.max_header_delay_ms, kUnackedProposalMaxAckWaitMs);
  auto author = MakeCore(0, {}, params);
  const std::optional<Batch> batch = SealOne(*author, Bytes{1, 2, 3, 4}, 0);
  ASSERT_TRUE(batch.has_value());
  const Digest d = BatchDigest(*batch);
  auto h1 = Sent<Header>(author->OnTimer(params.max_header_delay_ms));
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_TRUE(h1[0].batches.empty());
  EXPECT_EQ(author->own_backlog_batches(), 1u);
  author->OnMessage(ValidatorIndex(1), BatchAck{d}, params.max_header_delay_ms + 1);
  author->OnMessage(ValidatorIndex(2), BatchAck{d}, params.max_header_delay_ms + 2);
  std::vector<Certificate> round1;
  for (uint32_t a : {1u, 2u, 3u}) round1.push_back(Certify(MakeHeader(a, 1, genesis_), {1, 2, 3}));
  author->OnMessage(ValidatorIndex(1), CertificateResponse{round1}, params.max_header_delay_ms + 3);
  auto h2 = Sent<Header>(author->OnTimer(2 * params.max_header_delay_ms + 1));
  ASSERT_EQ(h2.size(), 1u);
  EXPECT_EQ(h2[0].round, Round(2));
  EXPECT_EQ(h2[0].batches, std::vector<Digest>{d});
}

// Acks can complete out of order (a peer whose store was full acks a later
// batch first) and do not hold a batch back: own batches enter headers in
// seal order, so one account's transactions reach consensus in nonce order.
TEST_F(Fixture, OwnBatchesEnterHeadersInSealOrderWhateverTheAckOrder) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  params.max_header_delay_ms = 100;  // the times below assume it
  auto author = MakeCore(0, {}, params);
  std::vector<Digest> sealed;
  for (uint8_t i = 0; i < 2; ++i) {
    auto actions = author->SubmitTransaction(Bytes{1, 2, 3, i}, 0);
    ASSERT_TRUE(actions.ok());
    auto batches = Sent<Batch>(*actions);
    ASSERT_EQ(batches.size(), 1u);
    sealed.push_back(BatchDigest(batches[0]));
  }
  // The second batch reaches 2f+1 acks first, the first never does.
  author->OnMessage(ValidatorIndex(1), BatchAck{sealed[1]}, 1);
  author->OnMessage(ValidatorIndex(2), BatchAck{sealed[1]}, 2);
  author->OnMessage(ValidatorIndex(1), BatchAck{sealed[0]}, 3);
  auto h1 = Sent<Header>(author->OnTimer(params.max_header_delay_ms));
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1[0].batches, sealed);
}

// The node's admission refuses while this wait is long and the backlog deep
// (ConsensusDriver::overload_backlog_wait): the wait is the oldest own
// batch's time since its seal, whether it waits for a header or in the own
// header short of votes, and ends with the certificate. Acks do not move it.
TEST_F(Fixture, OwnBacklogWaitIsTheOldestUncertifiedBatchsAge) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  params.max_header_delay_ms = 100;  // the times below assume it
  auto author = MakeCore(0, {}, params);
  EXPECT_EQ(author->OwnBacklogWaitMs(50), 0u);
  std::vector<Digest> sealed;
  for (uint8_t i = 0; i < 2; ++i) {
    auto actions = author->SubmitTransaction(Bytes{1, 2, 3, i}, 10 + 20 * i);
    ASSERT_TRUE(actions.ok());
    auto batches = Sent<Batch>(*actions);
    ASSERT_EQ(batches.size(), 1u);
    sealed.push_back(BatchDigest(batches[0]));
  }
  EXPECT_EQ(author->OwnBacklogWaitMs(5), 0u);  // a clock before the seal
  EXPECT_EQ(author->OwnBacklogWaitMs(60), 50u);  // sealed at 10
  EXPECT_EQ(author->own_backlog_batches(), 2u);
  EXPECT_EQ(author->OwnBacklogTxs(), 2u);
  author->OnMessage(ValidatorIndex(1), BatchAck{sealed[0]}, 61);
  author->OnMessage(ValidatorIndex(2), BatchAck{sealed[0]}, 62);
  EXPECT_EQ(author->OwnBacklogWaitMs(70), 60u);
  auto h1 = Sent<Header>(author->OnTimer(params.max_header_delay_ms));
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1[0].batches, sealed);
  // In the header, short of votes: still waiting, no longer queued for one.
  EXPECT_EQ(author->own_backlog_batches(), 0u);
  EXPECT_EQ(author->OwnBacklogWaitMs(110), 100u);
  EXPECT_EQ(author->OwnBacklogTxs(), 2u);
  const Digest d = HeaderDigest(h1[0]);
  for (uint32_t v : {1u, 2u}) {
    author->OnMessage(ValidatorIndex(v),
                      Vote{d, ValidatorIndex(0), h1[0].round, ValidatorIndex(v),
                           keys_[v].Sign(VotePayload(d))},
                      120);
  }
  EXPECT_EQ(author->OwnBacklogWaitMs(params.max_header_delay_ms + 500), 0u);
  EXPECT_EQ(author->OwnBacklogTxs(), 0u);
}

// Without payload a validator proposes once per idle_header_delay_ms; a
// transaction anywhere (here an own one) brings back max_header_delay_ms.
TEST_F(Fixture, IdleRoundsSlowDownAndPayloadSpeedsThemUp) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  auto core = MakeCore(0, {}, params);
  ASSERT_TRUE(Sent<Header>(core->OnTimer(params.max_header_delay_ms)).empty());
  auto first = Sent<Header>(core->OnTimer(params.idle_header_delay_ms));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].round, Round(1));
  std::vector<Certificate> round1;
  for (uint32_t a : {1u, 2u, 3u}) round1.push_back(Certify(MakeHeader(a, 1, genesis_), {1, 2, 3}));
  TimeMs now = params.idle_header_delay_ms + 1;
  core->OnMessage(ValidatorIndex(1), CertificateResponse{round1}, now);
  // Parents are there, but nothing to order: no header at the loaded pace.
  now = params.idle_header_delay_ms + params.max_header_delay_ms + 1;
  EXPECT_TRUE(Sent<Header>(core->OnTimer(now)).empty());
  // A transaction: the next header is due at the loaded pace again.
  auto sealed = core->SubmitTransaction(Bytes{1, 2, 3, 4}, now);
  ASSERT_TRUE(sealed.ok());
  auto second = Sent<Header>(*sealed);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].round, Round(2));
}

TEST_F(Fixture, RefusesTransactionsWhileItsBatchBacklogIsFull) {
  Parameters params;
  params.batch_bytes = 4;  // one transaction seals a batch
  params.header_batches_max = 1;
  auto core = MakeCore(0, {}, params);
  // The first batch fills the round-1 header at once (header_batches_max);
  // the next kMaxBacklogHeaders wait for round 1's certificates.
  for (size_t i = 0; i <= kMaxBacklogHeaders; ++i) {
    EXPECT_TRUE(core->SubmitTransaction(Bytes{1, 2, 3, static_cast<uint8_t>(i)}, 0).ok());
  }
  auto refused = core->SubmitTransaction(Bytes{9, 9, 9, 9}, 0);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "transaction: back-pressure, 8 own batches await a header, 9 await acks");
  EXPECT_EQ(core->SubmitTransaction(Bytes{}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Validator 0 gets its round-1 header (carrying batch `batch`) certified, but
// the other three never link to it: their rounds 1..last_round reference only
// each other. With `own_round2`, validator 0 also gets a round-2 certificate
// (linking to its round-1 one) that nobody links to either.
class OrphanTest : public Fixture {
 protected:
  struct Run {
    Digest batch;
    std::vector<Header> later_headers;  // proposed after the round-1 header
    std::unique_ptr<Core> core;
  };

  void Certify0(Core& core, const Header& own, TimeMs now) {
    const Digest d = HeaderDigest(own);
    for (uint32_t v : {1u, 2u}) {
      core.OnMessage(ValidatorIndex(v),
                     Vote{d, ValidatorIndex(0), own.round, ValidatorIndex(v),
                          keys_[v].Sign(VotePayload(d))},
                     now);
    }
  }

  Run Orphan(Parameters params, uint64_t last_round, bool own_round2) {
    params.batch_bytes = 4;  // one transaction seals a batch
    params.max_header_delay_ms = 100;  // the times below assume it
    Run run;
    run.core = MakeCore(0, {}, params);
    Core& core = *run.core;
    auto sealed = core.SubmitTransaction(Bytes{1, 2, 3, 4}, 0);
    EXPECT_TRUE(sealed.ok());
    auto batches = Sent<Batch>(*sealed);
    EXPECT_EQ(batches.size(), 1u);
    run.batch = BatchDigest(batches.at(0));
    core.OnMessage(ValidatorIndex(1), BatchAck{run.batch}, 1);
    core.OnMessage(ValidatorIndex(2), BatchAck{run.batch}, 2);
    auto proposed = Sent<Header>(core.OnTimer(params.max_header_delay_ms));
    EXPECT_EQ(proposed.size(), 1u);
    EXPECT_EQ(proposed.at(0).round, Round(1));
    EXPECT_EQ(proposed.at(0).batches, std::vector<Digest>{run.batch});
    Certify0(core, proposed.at(0), 101);
    EXPECT_EQ(core.stats().certificates_formed, 1u);

    // The other three build rounds 1..last_round among themselves.
    const std::vector<Certificate> certs = RoundsWithout0(last_round);
    auto collect = [&](const std::vector<Action>& actions) {
      for (const Header& h : Sent<Header>(actions)) run.later_headers.push_back(h);
    };
    TimeMs now = 150;
    if (own_round2) {
      std::vector<Certificate> round1(certs.begin(), certs.begin() + 3);
      core.OnMessage(ValidatorIndex(1), CertificateResponse{round1}, now);
      auto second = Sent<Header>(core.OnTimer(250));
      EXPECT_EQ(second.size(), 1u);
      EXPECT_EQ(second.at(0).round, Round(2));
      EXPECT_EQ(second.at(0).parents.size(), 4u);  // links to its own round-1 certificate
      Certify0(core, second.at(0), 251);
      EXPECT_EQ(core.stats().certificates_formed, 2u);
      now = 300;
    }
    collect(core.OnMessage(ValidatorIndex(1), CertificateResponse{certs}, now));
    for (now += 10; now <= 5000; now += 10) collect(core.OnTimer(now));
    return run;
  }

  // The rounds of the later own headers that carry the batch (a header left
  // uncertified is retransmitted, then its batches move to the next one).
  static std::set<uint64_t> RoundsCarrying(const Run& run) {
    std::set<uint64_t> rounds;
    for (const Header& h : run.later_headers) {
      if (std::count(h.batches.begin(), h.batches.end(), run.batch) > 0) {
        rounds.insert(h.round.value());
      }
    }
    return rounds;
  }
};

TEST_F(OrphanTest, AnOwnCertificateNoAnchorReachesHasItsBatchesProposedAgain) {
  // Anchors up to round 6 commit; none reaches validator 0's round-1
  // certificate. While it lies above the GC horizon a late link could still
  // commit it, so its batch is not proposed again yet (that could commit twice).
  Run kept = Orphan(Parameters{}, /*last_round=*/7, /*own_round2=*/false);
  EXPECT_EQ(kept.core->last_committed_round(), Round(6));
  EXPECT_FALSE(kept.core->dag().Get(Round(1), ValidatorIndex(0))->committed);
  EXPECT_TRUE(RoundsCarrying(kept).empty());
  EXPECT_EQ(kept.core->stats().orphaned_own_batches_requeued, 0u);

  // Once GC passes it uncommitted, no validator can commit it any more: its
  // batch goes into the next own header (this test certifies none of them, so
  // it moves on from header to header).
  Parameters params;
  params.gc_depth = 2;
  Run run = Orphan(params, /*last_round=*/7, /*own_round2=*/false);
  EXPECT_EQ(run.core->last_committed_round(), Round(6));
  EXPECT_EQ(run.core->dag().gc_round(), Round(4));
  const std::set<uint64_t> rounds = RoundsCarrying(run);
  ASSERT_FALSE(rounds.empty());
  EXPECT_EQ(*rounds.begin(), 8u);
  EXPECT_EQ(run.core->stats().orphaned_own_batches_requeued, 1u);
}

TEST_F(OrphanTest, TheNextOwnHeaderWeakLinksAnOwnCertificateNobodyLinked) {
  Run run = Orphan(Parameters{}, /*last_round=*/7, /*own_round2=*/false);
  ASSERT_FALSE(run.later_headers.empty());
  const Vertex* own = run.core->dag().Get(Round(1), ValidatorIndex(0));
  ASSERT_NE(own, nullptr);
  const Header& next = run.later_headers.front();
  EXPECT_EQ(next.round, Round(8));
  const std::vector<WeakLink> want = {WeakLink{Round(1), own->digest}};
  EXPECT_EQ(next.weak_parents, want);
}

// After commit sync the core rejoins far ahead: its own certificate of
// round 1 (uncommitted, carrying an acknowledged batch) lies below the new
// horizon. Its transactions are proposed again in a new batch, not lost.
TEST_F(OrphanTest, RejoinProposesAgainTheOwnTransactionsTheNewHorizonDrops) {
  Run run = Orphan(Parameters{}, /*last_round=*/7, /*own_round2=*/false);
  ASSERT_FALSE(run.core->dag().Get(Round(1), ValidatorIndex(0))->committed);
  PersistedState synced;
  synced.last_committed_round = Round(200);
  synced.next_commit_index = 100;
  run.core->Rejoin(synced, 6000);
  EXPECT_EQ(run.core->dag().Get(Round(1), ValidatorIndex(0)), nullptr);
  EXPECT_EQ(run.core->stats().rejoin_own_txs_requeued, 1u);
  std::vector<Batch> sealed;
  for (TimeMs now = 6010; now <= 7000 && sealed.empty(); now += 10) {
    sealed = Sent<Batch>(run.core->OnTimer(now));
  }
  // One new batch (sent to each peer) with the transaction.
  ASSERT_FALSE(sealed.empty());
  for (const Batch& b : sealed) {
    EXPECT_EQ(BatchDigest(b), BatchDigest(sealed[0]));
    EXPECT_EQ(b.transactions.ToVector(), std::vector<Bytes>{Bytes({1, 2, 3, 4})});
  }
}

TEST_F(OrphanTest, ALinkFromAnOrphanedCertificateDoesNotSaveIt) {
  // Validator 0's own round-2 certificate links to the round-1 one, but no
  // anchor reaches either.
  Parameters params;
  params.gc_depth = 2;
  Run run = Orphan(params, /*last_round=*/7, /*own_round2=*/true);
  EXPECT_EQ(run.core->last_committed_round(), Round(6));
  const std::set<uint64_t> rounds = RoundsCarrying(run);
  ASSERT_FALSE(rounds.empty());
  EXPECT_EQ(*rounds.begin(), 8u);
  // The round-2 header carried no batch: one digest requeued in all.
  EXPECT_EQ(run.core->stats().orphaned_own_batches_requeued, 1u);
}

TEST_F(Fixture, FourHonestCoresCommitTheSameSequenceAndCollectGarbage) {
  Parameters params;
  params.gc_depth = 4;
  params.batch_bytes = 8;
  std::vector<std::unique_ptr<Core>> cores;
  for (uint32_t v = 0; v < 4; ++v) cores.push_back(MakeCore(v, {}, params));
  LocalCluster cluster(this, std::move(cores));
  uint64_t tx = 0;
  for (TimeMs now = 10; now <= 4000; now += 10) {
    for (uint32_t v = 0; v < 4; ++v) {
      Bytes t(8, static_cast<uint8_t>(tx));
      t[0] = static_cast<uint8_t>(v);
      t[1] = static_cast<uint8_t>(tx++ >> 8);
      auto actions = cluster.core(v).SubmitTransaction(t, now);
      if (actions.ok()) cluster.Run(v, std::move(*actions), now);
    }
    cluster.Tick(now);
  }
  const auto& reference = cluster.commits_[0];
  ASSERT_GT(reference.size(), 10u);
  size_t batches = 0;
  for (uint32_t v = 0; v < 4; ++v) {
    const auto& mine = cluster.commits_[v];
    const size_t common = std::min(mine.size(), reference.size());
    ASSERT_GE(common, reference.size() - 1);
    for (size_t i = 0; i < common; ++i) {
      EXPECT_EQ(mine[i].anchor, reference[i].anchor);
      EXPECT_EQ(mine[i].certificates, reference[i].certificates);
      ASSERT_EQ(mine[i].batches.size(), reference[i].batches.size());
      for (size_t b = 0; b < mine[i].batches.size(); ++b) {
        EXPECT_EQ(*mine[i].batches[b], *reference[i].batches[b]);
      }
    }
    // Memory holds gc_depth rounds behind the last commit, no more.
    const Core& core = cluster.core(v);
    EXPECT_EQ(core.dag().gc_round(), core.last_committed_round() - params.gc_depth);
    EXPECT_LE(core.dag().size(), 4 * (core.dag().highest_round().value() -
                                      core.dag().gc_round().value() + 1));
  }
  for (const auto& sub : reference) batches += sub.batches.size();
  EXPECT_GT(batches, 100u);
  // Every anchor of the fault-free run commits (no leader timeouts needed).
  for (size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(reference[i].anchor_round, Round(2 * (i + 1)));
  }
}

TEST_F(Fixture, RestartRestoresTheDagAndDoesNotRepeatCommits) {
  // Empty rounds at the loaded pace, so a second of them commits something.
  Parameters params;
  params.idle_header_delay_ms = params.max_header_delay_ms;
  std::vector<std::unique_ptr<Core>> cores;
  for (uint32_t v = 0; v < 4; ++v) cores.push_back(MakeCore(v, {}, params));
  // Record validator 3's persisted state by running it through the cluster.
  LocalCluster cluster(this, std::move(cores));
  for (TimeMs now = 10; now <= 1000; now += 10) cluster.Tick(now);
  const auto& before = cluster.commits_[3];
  ASSERT_GT(before.size(), 2u);
  PersistedState state;
  // Rebuild from what the commits and the DAG say was durable.
  for (const auto& sub : before) {
    state.last_committed_round = sub.anchor_round;
    state.next_commit_index = sub.index + 1;
    for (const auto& c : sub.certificates) {
      state.committed_certificates.push_back(CertificateDigest(c));
      state.certificates.push_back(c);
    }
    for (const auto& b : sub.batches) state.batches.push_back(*b);
  }
  auto restarted = MakeCore(3, state, params);
  EXPECT_EQ(restarted->last_committed_round(), before.back().anchor_round);
  // Exactly the persisted certificates at or above the GC horizon are back.
  const Round gc = restarted->dag().gc_round();
  size_t expected = 0;
  for (const Certificate& c : state.certificates) {
    if (c.header.round < gc || c.header.round.value() == 0) continue;
    ++expected;
    EXPECT_TRUE(restarted->dag().Contains(CertificateDigest(c)))
        << "round " << c.header.round.value();
  }
  ASSERT_GT(expected, 0u);
  // Plus the 4 round-0 genesis certificates until the horizon passes them.
  EXPECT_EQ(restarted->dag().size(), expected + (gc.value() == 0 ? 4 : 0));
  EXPECT_EQ(restarted->stats().commits, 0u);
}

}  // namespace
}  // namespace gridledger::consensus
