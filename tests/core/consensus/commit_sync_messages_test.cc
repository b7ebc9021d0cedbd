// The commit sync messages: canonical round trip, and strict bounds on decode.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "core/consensus/messages.h"
#include "tests/core/consensus/consensus_fixture.h"

namespace gridledger::consensus {
namespace {

class CommitSyncMessagesTest : public Fixture {
 protected:
  CommitSyncResponse Sample() {
    Certificate c = Certify(MakeHeader(1, 1, genesis_), {0, 1, 2});
    CommitSyncResponse resp;
    resp.highest_sequence = 42;
    resp.complete = true;
    resp.commits.push_back(CommitPart{7, Round(2), CertificateDigest(c), Round(2), 3, 1, {c, c}});
    resp.batches.push_back(Batch{kSlice, ValidatorIndex(1), 9, {Bytes{1, 2, 3}}});
    resp.support.push_back(c);
    return resp;
  }
};

TEST_F(CommitSyncMessagesTest, RoundTrip) {
  const Message req = CommitSyncRequest{17, 64};
  auto decoded = DecodeMessage(EncodeMessage(req));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, req);
  EXPECT_STREQ(MessageName(*decoded), "CommitSyncRequest");

  const Message resp = Sample();
  const Bytes bytes = EncodeMessage(resp);
  decoded = DecodeMessage(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, resp);
  EXPECT_EQ(EncodeMessage(*decoded), bytes);  // canonical
  // The size helpers the server splits by are exact.
  const auto& r = std::get<CommitSyncResponse>(resp);
  size_t expected = kSyncResponseOverheadBytes + kCommitPartOverheadBytes +
                    BatchEncodedBytes(r.batches[0]);
  for (const Certificate& c : r.commits[0].certificates) expected += CertificateEncodedBytes(c);
  expected += CertificateEncodedBytes(r.support[0]);
  EXPECT_EQ(bytes.size(), expected);
}

TEST_F(CommitSyncMessagesTest, BoundsAreRefused) {
  // max_commits 0 and over the bound.
  for (uint32_t max : {0u, static_cast<uint32_t>(kMaxSyncCommitsPerRequest + 1)}) {
    auto d = DecodeMessage(EncodeMessage(CommitSyncRequest{1, max}));
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(absl::StrContains(d.status().message(), "max_commits")) << d.status();
  }
  // A part past its commit's certificate count.
  CommitSyncResponse resp = Sample();
  resp.commits[0].first_certificate = 2;
  auto d = DecodeMessage(EncodeMessage(resp));
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(absl::StrContains(d.status().message(), "total_certificates")) << d.status();
  // A complete flag other than 0 or 1.
  Bytes bytes = EncodeMessage(Sample());
  bytes[1 + 8] = 2;
  d = DecodeMessage(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(absl::StrContains(d.status().message(), "complete")) << d.status();
  // Truncated and trailing bytes.
  bytes = EncodeMessage(Sample());
  EXPECT_FALSE(DecodeMessage(ByteSpan(bytes.data(), bytes.size() - 1)).ok());
  bytes.push_back(0);
  EXPECT_FALSE(DecodeMessage(bytes).ok());
}

}  // namespace
}  // namespace gridledger::consensus
