// Commit sync serving: commits recorded with RecordCommit are read back
// whole from LMDB, answers are split to the message bound (each message
// encodes within it, the last is complete), carry the last anchor's support,
// and a requesting peer over its token bucket is refused until it refills.
#include "net/node/commit_sync_server.h"

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/common/check.h"
#include "core/consensus/messages.h"
#include "gtest/gtest.h"
#include "storage/consensus_store.h"
#include "tests/storage/temp_consensus_store.h"

namespace gridledger::node {
namespace {

using consensus::Batch;
using consensus::Certificate;
using consensus::CommittedSubDag;

constexpr size_t kMessageBytes = 4000;

class CommitSyncServerTest : public ::testing::Test {
 protected:

  static Certificate MakeCert(uint32_t author, uint64_t round, std::vector<Digest> parents,
                              std::vector<Digest> batches) {
    Certificate c;
    c.header.author = ValidatorIndex(author);
    c.header.round = Round(round);
    std::sort(parents.begin(), parents.end());
    c.header.parents = std::move(parents);
    c.header.batches = std::move(batches);
    c.header.signature.bytes.fill(static_cast<uint8_t>(author + round));
    c.votes.push_back(consensus::VoteSignature{ValidatorIndex(0), c.header.signature});
    return c;
  }

  // Commit `sequence`: two certificates of round 2 * sequence, each with a
  // ~1 KB batch, the second the anchor; persisted as the node persists them.
  CommittedSubDag Record(uint64_t sequence) {
    CommittedSubDag sub;
    sub.index = sequence - 1;
    sub.anchor_round = Round(2 * sequence);
    sub.last_committed_round = sub.anchor_round;
    std::vector<consensus::PersistRecord> records;
    for (uint32_t a = 0; a < 2; ++a) {
      auto batch = std::make_shared<const Batch>(
          Batch{SliceId(0), ValidatorIndex(a), sequence, {Bytes(1000, uint8_t(a + sequence))}});
      sub.certificates.push_back(
          MakeCert(a, 2 * sequence, {}, {consensus::BatchDigest(*batch)}));
      sub.batches.push_back(batch);
      records.push_back(consensus::BatchRecord{batch});
      records.push_back(consensus::CertificateRecord{sub.certificates.back()});
    }
    sub.anchor = consensus::CertificateDigest(sub.certificates.back());
    GL_CHECK(store_->Persist(records).ok());
    GL_CHECK(store_->RecordCommit(sub, sequence, {}).ok());
    return sub;
  }

  storage::TempConsensusStore store_;
};

TEST_F(CommitSyncServerTest, ServesRecordedCommitsSplitToTheMessageBound) {
  std::vector<CommittedSubDag> subs;
  for (uint64_t s = 1; s <= 3; ++s) subs.push_back(Record(s));
  // Two certificates of the next round, one linking to the last anchor.
  const Certificate link = MakeCert(2, 7, {subs.back().anchor}, {});
  const Certificate other = MakeCert(3, 7, {subs[0].anchor}, {});
  ASSERT_TRUE(store_->Persist({consensus::CertificateRecord{link},
                               consensus::CertificateRecord{other}})
                  .ok());

  auto read = store_->ReadCommit(2);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->certificates, subs[1].certificates);
  EXPECT_EQ(read->anchor, subs[1].anchor);
  ASSERT_EQ(read->batches.size(), 2u);
  EXPECT_EQ(*read->batches[1], *subs[1].batches[1]);
  EXPECT_TRUE(absl::IsNotFound(store_->ReadCommit(4).status()));

  CommitSyncServer server(store_.get(), 4, kMessageBytes);
  const auto answer = server.Serve(ValidatorIndex(1), {1, 10}, 0);
  ASSERT_GT(answer.size(), 1u);  // 6 KB of batches do not fit one 4 KB message
  std::map<uint64_t, std::vector<Certificate>> certs;
  std::vector<Batch> batches;
  for (size_t i = 0; i < answer.size(); ++i) {
    EXPECT_LE(consensus::EncodeMessage(answer[i]).size(), kMessageBytes);
    EXPECT_EQ(answer[i].complete, i + 1 == answer.size());
    EXPECT_EQ(answer[i].highest_sequence, 3u);
    for (const auto& part : answer[i].commits) {
      EXPECT_EQ(part.first_certificate, certs[part.sequence].size());
      for (const auto& c : part.certificates) certs[part.sequence].push_back(c);
    }
    for (const auto& b : answer[i].batches) batches.push_back(b);
  }
  ASSERT_EQ(certs.size(), 3u);
  for (uint64_t s = 1; s <= 3; ++s) EXPECT_EQ(certs[s], subs[s - 1].certificates);
  EXPECT_EQ(batches.size(), 6u);
  ASSERT_EQ(answer.back().support.size(), 1u);
  EXPECT_EQ(answer.back().support[0], link);

  // Nothing beyond the last commit: one complete, empty message.
  const auto none = server.Serve(ValidatorIndex(1), {4, 10}, 0);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_TRUE(none[0].complete);
  EXPECT_TRUE(none[0].commits.empty());
}

TEST_F(CommitSyncServerTest, APeerOverItsRateIsRefusedUntilItRefills) {
  Record(1);
  CommitSyncServer server(store_.get(), 4, kMessageBytes);
  const size_t burst_requests =
      static_cast<size_t>(kSyncServeBurstBytes / kSyncRequestMinCostBytes);
  size_t served = 0;
  for (size_t i = 0; i <= burst_requests + 1; ++i) {
    if (!server.Serve(ValidatorIndex(2), {1, 1}, 1000).empty()) ++served;
  }
  EXPECT_LE(served, burst_requests);
  EXPECT_GT(server.stats().requests_over_rate, 0u);
  EXPECT_TRUE(server.Serve(ValidatorIndex(2), {1, 1}, 1000).empty());
  // Another peer has its own bucket; time refills this one.
  EXPECT_FALSE(server.Serve(ValidatorIndex(3), {1, 1}, 1000).empty());
  EXPECT_FALSE(server.Serve(ValidatorIndex(2), {1, 1}, 2000).empty());
}

}  // namespace
}  // namespace gridledger::node
