// The test-only Byzantine validator (net/node/byzantine_behaviour.h): each
// behaviour does what it says, and honest cores fed its frames refuse or
// absorb them. The config switch is refused without test_only_byzantine.
#include "net/node/byzantine_behaviour.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/tx/codec.h"
#include "net/node/config.h"
#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::node {
namespace {

using consensus::Action;
using consensus::Batch;
using consensus::BatchResponse;
using consensus::Header;
using consensus::Message;
using consensus::SendAction;
using consensus::kChainId;
using consensus::kSlice;
using consensus::Parameters;

constexpr uint32_t kByzantine = 3;
constexpr uint64_t kSeed = 42;

// ---- the switch

TEST(ByzantineSwitchTest, ParsesAllAndLists) {
  auto all = ParseByzantineBehaviours("all");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->ToString(),
            "equivocate,oversize_headers,garbage_frames,withhold_batches,flood_batches");
  auto two = ParseByzantineBehaviours("flood_batches, equivocate");
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_TRUE(two->equivocate && two->flood_batches);
  EXPECT_FALSE(two->oversize_headers || two->garbage_frames || two->withhold_batches);
  EXPECT_EQ(ByzantineBehaviours{}.ToString(), "none");
  EXPECT_NE(ParseByzantineBehaviours("equivocate,lie").status().message().find("\"lie\""),
            std::string::npos);
  EXPECT_NE(ParseByzantineBehaviours("equivocate,equivocate").status().message().find("twice"),
            std::string::npos);
}

const char kConfig[] =
    "genesis = \"/tmp/g/genesis.toml\"\nslice = 0\nvalidator_index = 3\n"
    "key_file = \"/tmp/g/k\"\ndata_dir = \"/tmp/g/d\"\ngrpc_address = \"127.0.0.1:0\"\n"
    "metrics_address = \"127.0.0.1:0\"\n";

TEST(ByzantineSwitchTest, ConfigRefusesTheSwitchUnlessMarkedTestOnly) {
  auto refused = ParseNodeConfig(absl::StrCat(kConfig, "byzantine = \"all\"\n"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("test_only_byzantine = true"), std::string::npos)
      << refused.status();
  EXPECT_FALSE(ParseNodeConfig(
                   absl::StrCat(kConfig, "byzantine = \"all\"\ntest_only_byzantine = false\n"))
                   .ok());
  EXPECT_FALSE(
      ParseNodeConfig(absl::StrCat(kConfig, "byzantine = \"all\"\ntest_only_byzantine = 1\n"))
          .ok());
  auto ok = ParseNodeConfig(
      absl::StrCat(kConfig, "test_only_byzantine = true\nbyzantine = \"equivocate\"\n"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->byzantine.equivocate);
  EXPECT_FALSE(ok->byzantine.flood_batches);
  auto honest = ParseNodeConfig(kConfig);
  ASSERT_TRUE(honest.ok()) << honest.status();
  EXPECT_FALSE(honest->byzantine.any());
}

// ---- the behaviours against honest cores

class ByzantineNodeSecurityTest : public consensus::Fixture {
 protected:
  ByzantineBehaviour Make(ByzantineBehaviours b, size_t header_batches_max = 32) {
    return ByzantineBehaviour(b, *committee_, ValidatorIndex(kByzantine), keys_[kByzantine],
                              header_batches_max, kSeed);
  }
  Header OwnHeader(uint64_t round) { return MakeHeader(kByzantine, round, genesis_); }

  // Delivers `frame` to honest `core` as its transport would (undecodable
  // bytes are dropped), completing any batch verification at once.
  std::vector<Action> Deliver(consensus::Core& core, const RewrittenSend& frame) {
    auto message = consensus::DecodeMessage(frame.bytes);
    if (!message.ok()) return {};
    std::vector<Action> out = core.OnMessage(ValidatorIndex(kByzantine), *message, 1);
    for (size_t i = 0; i < out.size(); ++i) {
      if (auto* v = std::get_if<consensus::VerifyBatchAction>(&out[i])) {
        for (Action& a : core.OnBatchVerified(v->digest, true, 1)) out.push_back(std::move(a));
      }
    }
    return out;
  }
};

TEST_F(ByzantineNodeSecurityTest, EquivocationSplitsTheHonestVotesAndNoneVotesTwice) {
  ByzantineBehaviours b;
  b.equivocate = true;
  ByzantineBehaviour byz = Make(b);
  std::vector<RewrittenSend> frames = byz.Rewrite(SendAction{std::nullopt, OwnHeader(1)});
  EXPECT_EQ(byz.stats().equivocations, 1u);
  std::vector<std::unique_ptr<consensus::Core>> honest;
  for (uint32_t v = 0; v < kByzantine; ++v) honest.push_back(MakeCore(v));
  std::set<Digest> voted_for;
  std::set<Digest> headers_seen;
  for (uint32_t v = 0; v < kByzantine; ++v) {
    size_t votes = 0;
    for (const RewrittenSend& f : frames) {
      if (f.to.value() != v) continue;
      auto m = consensus::DecodeMessage(f.bytes);
      ASSERT_TRUE(m.ok()) << m.status();
      if (const auto* h = std::get_if<Header>(&*m)) {
        EXPECT_EQ(h->round, Round(1));
        const Digest d = consensus::HeaderDigest(*h);
        EXPECT_TRUE(consensus::VerifyHeader(*h, d, *committee_, checker_).ok());
        headers_seen.insert(d);
      }
      for (const consensus::Vote& vote : consensus::VotesSent(Deliver(*honest[v], f))) {
        ++votes;
        voted_for.insert(vote.header);
      }
    }
    EXPECT_EQ(votes, 1u) << "validator " << v;  // the first twin it saw, only
  }
  EXPECT_EQ(headers_seen.size(), 2u);  // two validly signed headers for one round
  EXPECT_EQ(voted_for.size(), 2u);     // and the honest votes split between them
}

TEST_F(ByzantineNodeSecurityTest, EveryOtherOwnHeaderIsOversizedAndRefusedAtVoteTime) {
  ByzantineBehaviours b;
  b.oversize_headers = true;
  ByzantineBehaviour byz = Make(b, /*header_batches_max=*/2);
  Parameters params;
  params.header_batches_max = 2;
  auto core = MakeCore(0, {}, params);
  size_t votes = 0;
  for (uint64_t round : {1, 1}) {
    for (const RewrittenSend& f : byz.Rewrite(SendAction{std::nullopt, OwnHeader(round)})) {
      if (f.to.value() == 0) votes += consensus::VotesSent(Deliver(*core, f)).size();
    }
  }
  EXPECT_EQ(byz.stats().oversized_headers, 1u);
  EXPECT_EQ(votes, 1u);  // the plain one
  EXPECT_EQ(core->stats().headers_refused_oversized, 1u);
  EXPECT_EQ(core->last_rejection(), "header.batches: 3 exceed header_batches_max 2");
}

TEST_F(ByzantineNodeSecurityTest, WithholdingSendsOwnBatchesTo2fPeersAndServesNoFetch) {
  ByzantineBehaviours b;
  b.withhold_batches = true;
  ByzantineBehaviour byz = Make(b);
  std::map<uint32_t, int> received;
  for (uint64_t s = 0; s < 3; ++s) {
    Batch batch{kSlice, ValidatorIndex(kByzantine), s, {Bytes(8, 1)}};
    std::vector<RewrittenSend> frames = byz.Rewrite(SendAction{std::nullopt, batch});
    ASSERT_EQ(frames.size(), 2 * committee_->max_faulty());
    EXPECT_NE(frames[0].to, frames[1].to);
    for (const RewrittenSend& f : frames) ++received[f.to.value()];
  }
  // A different peer left out each time.
  EXPECT_EQ(received, (std::map<uint32_t, int>{{0, 2}, {1, 2}, {2, 2}}));
  Batch other{kSlice, ValidatorIndex(1), 0, {Bytes(8, 2)}};
  EXPECT_TRUE(byz.Rewrite(SendAction{ValidatorIndex(1), BatchResponse{{other}}}).empty());
  // The core's retransmit to a peer that never acked is withheld too.
  Batch own{kSlice, ValidatorIndex(kByzantine), 0, {Bytes(8, 1)}};
  EXPECT_TRUE(byz.Rewrite(SendAction{ValidatorIndex(2), own}).empty());
  EXPECT_EQ(byz.stats().withheld_sends, 5u);
}

TEST_F(ByzantineNodeSecurityTest, FloodBatchesAreValidAndStoredWithinTheAuthorsShare) {
  ByzantineBehaviours b;
  b.flood_batches = true;
  ByzantineBehaviour byz = Make(b);
  std::vector<RewrittenSend> frames = byz.Rewrite(SendAction{std::nullopt, OwnHeader(1)});
  EXPECT_EQ(byz.stats().flood_batches, kFloodBatchesPerHeader);
  ASSERT_EQ(frames.size(), 3 + 3 * kFloodBatchesPerHeader);
  auto core = MakeCore(0);
  std::set<Digest> batches;
  // Validator 0 stores the byzantine author's batches for availability
  // first (Parameters::availability_votes); Deliver then completes their
  // check, so each is acknowledged as stored and then as verified.
  std::set<Digest> acked;
  size_t verified_acks = 0;
  for (const RewrittenSend& f : frames) {
    if (f.to.value() != 0) continue;
    auto m = consensus::DecodeMessage(f.bytes);
    ASSERT_TRUE(m.ok()) << m.status();
    if (const auto* batch = std::get_if<Batch>(&*m)) {
      batches.insert(consensus::BatchDigest(*batch));
      EXPECT_GE(batch->sequence, kFloodSequenceBase);
      for (ByteSpan raw : batch->transactions) {
        auto tx = Decode(raw);
        ASSERT_TRUE(tx.ok()) << tx.status();
        // Correctly signed for this network, so an honest node stores it.
        EXPECT_TRUE(VerifyTransactionSignature(*tx, kChainId));
      }
    }
    for (const consensus::BatchAck& ack : consensus::Sent<consensus::BatchAck>(Deliver(*core, f))) {
      acked.insert(ack.batch);
      verified_acks += ack.verified ? 1 : 0;
    }
  }
  EXPECT_EQ(batches.size(), kFloodBatchesPerHeader);  // distinct batches
  EXPECT_EQ(acked, batches);                          // each stored and acknowledged
  EXPECT_EQ(verified_acks, kFloodBatchesPerHeader);   // and each checked
}

TEST_F(ByzantineNodeSecurityTest, GarbageFramesGoToPeersAndDecodeAsNothing) {
  ByzantineBehaviours b;
  b.garbage_frames = true;
  ByzantineBehaviour byz = Make(b);
  auto core = MakeCore(0);
  size_t garbage = 0;
  for (uint64_t i = 0; i < 8; ++i) {
    for (const RewrittenSend& f : byz.Rewrite(SendAction{std::nullopt, OwnHeader(1)})) {
      EXPECT_NE(f.to.value(), kByzantine);
      EXPECT_LT(f.to.value(), 4u);
      if (consensus::DecodeMessage(f.bytes).ok()) continue;  // the header itself
      ++garbage;
      EXPECT_GE(f.bytes.size(), 1u);
      EXPECT_LE(f.bytes.size(), kGarbageFrameBytesMax);
    }
  }
  EXPECT_EQ(garbage, 8 * kGarbageFramesPerHeader);
  EXPECT_EQ(byz.stats().garbage_frames, 8 * kGarbageFramesPerHeader);
}

}  // namespace
}  // namespace gridledger::node
