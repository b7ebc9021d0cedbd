// CommitAnswer assembles a peer's commit sync answer (commit sync, archive
// nodes): a peer's parts are data, so each bound is checked as a message
// arrives and refused with a reason, never trusted.
#include "net/node/commit_answer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gridledger::node {
namespace {

using consensus::Certificate;
using consensus::CommitPart;
using consensus::CommitSyncResponse;

constexpr size_t kBytesMax = size_t{1} << 20;

// Certificates without batches: the answer only counts and sizes them.
std::vector<Certificate> Certificates(uint32_t count, uint32_t first_round = 1) {
  std::vector<Certificate> out(count);
  for (uint32_t k = 0; k < count; ++k) out[k].header.round = Round(first_round + k);
  return out;
}

CommitSyncResponse Part(uint64_t sequence, uint32_t total, uint32_t first, uint32_t count,
                        bool complete) {
  CommitPart p;
  p.sequence = sequence;
  p.anchor_round = Round(2);
  p.anchor.bytes.fill(9);
  p.total_certificates = total;
  p.first_certificate = first;
  p.certificates = Certificates(count, first + 1);
  CommitSyncResponse r;
  r.highest_sequence = sequence;
  r.complete = complete;
  r.commits.push_back(std::move(p));
  return r;
}

TEST(CommitAnswerSecurity, APartWithMoreCertificatesThanDeclaredIsRefused) {
  CommitAnswer answer(1, 4, kBytesMax);
  const absl::Status s = answer.Add(Part(1, /*total=*/2, /*first=*/0, /*count=*/3, true));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("3 certificates, more than its declared total of 2"),
            absl::string_view::npos)
      << s;
}

TEST(CommitAnswerSecurity, PartsThatTogetherExceedTheDeclaredTotalAreRefused) {
  CommitAnswer answer(1, 4, kBytesMax);
  ASSERT_TRUE(answer.Add(Part(1, /*total=*/3, /*first=*/0, /*count=*/2, false)).ok());
  const absl::Status s = answer.Add(Part(1, /*total=*/3, /*first=*/2, /*count=*/2, true));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("4 certificates, more than its declared total of 3"),
            absl::string_view::npos)
      << s;
  EXPECT_TRUE(answer.TakeCommits().empty());
}

TEST(CommitAnswer, PartsUpToTheDeclaredTotalMakeAWholeCommit) {
  CommitAnswer answer(1, 4, kBytesMax);
  ASSERT_TRUE(answer.Add(Part(1, /*total=*/3, /*first=*/0, /*count=*/2, false)).ok());
  ASSERT_TRUE(answer.Add(Part(1, /*total=*/3, /*first=*/2, /*count=*/1, true)).ok());
  EXPECT_TRUE(answer.complete());
  const std::vector<consensus::CommittedSubDag> commits = answer.TakeCommits();
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].index, 0u);
  EXPECT_EQ(commits[0].certificates.size(), 3u);
}

}  // namespace
}  // namespace gridledger::node
