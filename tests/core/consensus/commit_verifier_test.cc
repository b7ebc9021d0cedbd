// CommitVerifier (commit sync): the commits Bullshark makes over a real DAG
// are proven; a forged certificate, a wrong anchor, a gap, a skipped anchor,
// an incomplete history and a tampered batch are refused, and commits past
// the last anchor with f+1 support are never proven.
#include "core/consensus/commit_verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "core/consensus/core.h"
#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::consensus {
namespace {

constexpr uint64_t kRounds = 12;

class CommitVerifierTest : public Fixture {
 protected:
  CommitVerifierTest() {
    params_.gc_depth = 4;
    commits_ = FullDagCommits(kRounds - 1, params_.gc_depth, &round_before_last_);
  }

  CommitVerifyResult Verify(const std::vector<CommittedSubDag>& commits,
                            const std::vector<Certificate>& support = {}) {
    CommitVerifier verifier(committee_.get(), params_, &checker_);
    return verifier.Verify(verifier.StateFrom(PersistedState{}), commits, support);
  }

  Parameters params_;
  std::vector<CommittedSubDag> commits_;
  std::vector<Certificate> round_before_last_;  // round kRounds - 1: support of the last anchor
};

TEST_F(CommitVerifierTest, HonestCommitsAreProvenUpToTheLastSupportedAnchor) {
  // Anchors of rounds 2..10 commit; 12 lacks round-13 support.
  ASSERT_EQ(commits_.size(), 5u);
  EXPECT_EQ(commits_.back().anchor_round, Round(10));
  // Without support the last anchor is not proven; each earlier one is
  // supported by certificates of the next commit.
  CommitVerifyResult r = Verify(commits_);
  ASSERT_TRUE(r.error.ok()) << r.error;
  EXPECT_EQ(r.proven, 4u);
  EXPECT_EQ(r.state.next_index, 4u);
  EXPECT_EQ(r.state.last_committed_round, Round(8));
  // The round after the last anchor proves it.
  std::vector<Certificate> support = round_before_last_;
  r = Verify(commits_, support);
  ASSERT_TRUE(r.error.ok()) << r.error;
  EXPECT_EQ(r.proven, 5u);
  EXPECT_EQ(r.state.last_committed_round, Round(10));
  // f support certificates are not enough.
  support.resize(committee_->max_faulty());
  EXPECT_EQ(Verify(commits_, support).proven, 4u);
}

// A late certificate ordered through a weak link (dag.h) is part of the
// anchor's history: the verifier follows weak links as Bullshark does.
TEST_F(CommitVerifierTest, CommitsOrderingAWeakLinkedCertificateAreProven) {
  std::vector<Certificate> support;
  Digest late;
  const auto commits = FullDagCommits(kRounds - 1, params_.gc_depth, &support,
                                      LateCertificate{3, 1}, &late);
  const CommitVerifyResult r = Verify(commits, support);
  ASSERT_TRUE(r.error.ok()) << r.error;
  EXPECT_EQ(r.proven, commits.size());
  // Without the late certificate the history is incomplete.
  std::vector<CommittedSubDag> cut = commits;
  for (CommittedSubDag& c : cut) {
    for (size_t i = 0; i < c.certificates.size(); ++i) {
      if (CertificateDigest(c.certificates[i]) != late) continue;
      size_t batch_index = 0;
      for (size_t j = 0; j < i; ++j) batch_index += c.certificates[j].header.batches.size();
      c.batches.erase(c.batches.begin() + batch_index);
      c.certificates.erase(c.certificates.begin() + i);
      break;
    }
  }
  const CommitVerifyResult refused = Verify(cut, support);
  EXPECT_TRUE(absl::StrContains(refused.error.message(), "weak link")) << refused.error;
}

// A synced commit executes at the consensus time the committee used:
// exactly Bullshark's median of the anchor's parents.
TEST_F(CommitVerifierTest, ConsensusTimeEqualsBullsharks) {
  CommitVerifyResult r = Verify(commits_, round_before_last_);
  ASSERT_TRUE(r.error.ok()) << r.error;
  ASSERT_EQ(r.time_ms.size(), commits_.size());
  for (size_t i = 0; i < commits_.size(); ++i) {
    EXPECT_EQ(r.time_ms[i], commits_[i].time_ms) << "commit " << i;
    EXPECT_GT(commits_[i].time_ms, 0u) << "commit " << i;
  }
}

TEST_F(CommitVerifierTest, VerifiesInRangesFromTheStateLeft) {
  CommitVerifier verifier(committee_.get(), params_, &checker_);
  const std::vector<CommittedSubDag> first(commits_.begin(), commits_.begin() + 3);
  CommitVerifyResult r = verifier.Verify(verifier.StateFrom(PersistedState{}), first, {});
  ASSERT_TRUE(r.error.ok()) << r.error;
  ASSERT_EQ(r.proven, 2u);  // the third waits for its support
  const std::vector<CommittedSubDag> rest(commits_.begin() + 2, commits_.end());
  CommitVerifyResult r2 = verifier.Verify(r.state, rest, round_before_last_);
  ASSERT_TRUE(r2.error.ok()) << r2.error;
  EXPECT_EQ(r2.proven, 3u);
  EXPECT_EQ(r2.state.next_index, 5u);
  // The same range again does not follow the new state: a repeat is refused.
  EXPECT_FALSE(verifier.Verify(r2.state, rest, {}).error.ok());
}

TEST_F(CommitVerifierTest, ForgedCertificateIsRefused) {
  std::vector<CommittedSubDag> commits = commits_;
  commits[2].certificates[0].votes[1].signature = commits[2].certificates[0].votes[0].signature;
  CommitVerifyResult r = Verify(commits, round_before_last_);
  ASSERT_FALSE(r.error.ok());
  EXPECT_TRUE(absl::StrContains(r.error.message(), "signature")) << r.error;
  // Commit 1's support lies in the refused commit 2: only commit 0 is proven.
  EXPECT_EQ(r.proven, 1u);
}

TEST_F(CommitVerifierTest, WrongAnchorIsRefused) {
  std::vector<CommittedSubDag> commits = commits_;
  commits[1].anchor = CertificateDigest(commits[1].certificates[0]);
  CommitVerifyResult r = Verify(commits, round_before_last_);
  ASSERT_FALSE(r.error.ok());
  EXPECT_TRUE(absl::StrContains(r.error.message(), "anchor")) << r.error;
  EXPECT_EQ(r.proven, 0u);  // commit 0's support lies in commit 1
}

TEST_F(CommitVerifierTest, GapIsRefused) {
  std::vector<CommittedSubDag> commits = commits_;
  commits.erase(commits.begin() + 1);
  CommitVerifyResult r = Verify(commits, round_before_last_);
  ASSERT_FALSE(r.error.ok());
  EXPECT_TRUE(absl::StrContains(r.error.message(), "expected commit index 1")) << r.error;
  EXPECT_EQ(r.proven, 0u);
}

TEST_F(CommitVerifierTest, SkippedAnchorIsRefused) {
  // Commit 1's anchor folded into commit 2, as if it had never been an anchor.
  std::vector<CommittedSubDag> commits = commits_;
  CommittedSubDag merged = commits[2];
  merged.index = 1;
  merged.certificates = commits[1].certificates;
  for (const Certificate& c : commits[2].certificates) merged.certificates.push_back(c);
  std::sort(merged.certificates.begin(), merged.certificates.end(),
            [](const Certificate& a, const Certificate& b) {
              return std::make_pair(a.header.round, a.header.author) <
                     std::make_pair(b.header.round, b.header.author);
            });
  std::map<Digest, std::shared_ptr<const Batch>> by_digest;
  for (const auto& b : commits[1].batches) by_digest[BatchDigest(*b)] = b;
  for (const auto& b : commits[2].batches) by_digest[BatchDigest(*b)] = b;
  merged.batches.clear();
  for (const Certificate& c : merged.certificates) {
    for (const Digest& d : c.header.batches) merged.batches.push_back(by_digest.at(d));
  }
  commits.erase(commits.begin() + 1, commits.begin() + 3);
  commits.insert(commits.begin() + 1, merged);
  for (size_t i = 0; i < commits.size(); ++i) commits[i].index = i;
  CommitVerifyResult r = Verify(commits, round_before_last_);
  ASSERT_FALSE(r.error.ok());
  EXPECT_TRUE(absl::StrContains(r.error.message(), "skips the anchor")) << r.error;
}

TEST_F(CommitVerifierTest, IncompleteHistoryIsRefused) {
  std::vector<CommittedSubDag> commits = commits_;
  // Drop a round-2 certificate (and its batch) of anchor 4's history.
  commits[1].certificates.erase(commits[1].certificates.begin());
  commits[1].batches.erase(commits[1].batches.begin());
  CommitVerifyResult r = Verify(commits, round_before_last_);
  ASSERT_FALSE(r.error.ok());
  EXPECT_TRUE(absl::StrContains(r.error.message(), "history incomplete")) << r.error;
}

TEST_F(CommitVerifierTest, ExtraCertificateIsRefused) {
  // A certificate of the next round that the anchor does not reach.
  std::vector<CommittedSubDag> commits = commits_;
  CommittedSubDag& c0 = commits[0];
  const Certificate extra = commits[1].certificates[0];  // round 3: above anchor 2
  c0.certificates.insert(c0.certificates.end() - 1, extra);
  c0.batches.insert(c0.batches.end() - 1, commits[1].batches[0]);
  CommitVerifyResult r = Verify(commits, round_before_last_);
  ASSERT_FALSE(r.error.ok());
  EXPECT_EQ(r.proven, 0u);
}

TEST_F(CommitVerifierTest, TamperedBatchIsRefused) {
  std::vector<CommittedSubDag> commits = commits_;
  Batch changed = *commits[3].batches[0];
  std::vector<Bytes> txs = changed.transactions.ToVector();
  txs[0][0] ^= 1;
  changed.transactions = TxList(txs);
  commits[3].batches[0] = std::make_shared<const Batch>(changed);
  CommitVerifyResult r = Verify(commits, round_before_last_);
  ASSERT_FALSE(r.error.ok());
  EXPECT_TRUE(absl::StrContains(r.error.message(), "batch")) << r.error;
  EXPECT_EQ(r.proven, 2u);
}

}  // namespace
}  // namespace gridledger::consensus
