// The archive's parts without a cluster: its config (strict, round trip) and
// the final-checkpoint check against a committee from genesis.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/consensus/checkpoint.h"
#include "gtest/gtest.h"
#include "net/archive/archive_config.h"
#include "net/node/final_checkpoint.h"

namespace gridledger::archive {
namespace {

TEST(ArchiveConfigTest, RoundTripsAndRefusesWhatIsOff) {
  ArchiveConfig config;
  config.genesis_path = "/tmp/g/genesis.toml";
  config.data_dir = "/tmp/g/archive-0";
  config.grpc_address = node::HostPort{"127.0.0.1", 7500};
  config.sources = {ArchiveSource{0, node::HostPort{"127.0.0.1", 7300}},
                    ArchiveSource{1, node::HostPort{"10.0.0.2", 7301}}};
  config.grpc_tls_cert = "/etc/gl/api.crt";
  config.grpc_tls_key = "/etc/gl/api.key";
  config.source_tls_ca = "/etc/gl/ca.pem";
  auto parsed = ParseArchiveConfig(SerializeArchiveConfig(config));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, config);

  const std::string head =
      "genesis = \"/g\"\ndata_dir = \"/d\"\ngrpc_address = \"127.0.0.1:0\"\n";
  auto no_source = ParseArchiveConfig(head);
  ASSERT_FALSE(no_source.ok());
  EXPECT_TRUE(absl::StrContains(no_source.status().message(), "source")) << no_source.status();
  auto unknown = ParseArchiveConfig(absl::StrCat(head, "[[source]]\nslice = 0\ngrpc = \"127.0.0.1:1\"\nport = 3\n"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "line 7")) << unknown.status();
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "port")) << unknown.status();
  auto half_tls = ParseArchiveConfig(
      absl::StrCat(head, "grpc_tls_cert = \"/c\"\n[[source]]\nslice = 0\ngrpc = \"127.0.0.1:1\"\n"));
  ASSERT_FALSE(half_tls.ok());
  EXPECT_TRUE(absl::StrContains(half_tls.status().message(), "grpc_tls_key")) << half_tls.status();
  auto bad_address =
      ParseArchiveConfig(absl::StrCat(head, "[[source]]\nslice = 0\ngrpc = \"host:1\"\n"));
  ASSERT_FALSE(bad_address.ok());
  EXPECT_TRUE(absl::StrContains(bad_address.status().message(), "grpc")) << bad_address.status();
}

class FinalCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<PublicKey> members;
    for (int i = 0; i < 4; ++i) {
      keys_.push_back(KeyPair::FromSeed(500 + i));
      members.push_back(keys_.back().public_key());
    }
    auto committee = consensus::Committee::Create(SliceId(1), members, chain_);
    ASSERT_TRUE(committee.ok()) << committee.status();
    committee_.emplace(*std::move(committee));
    checkpoint_.checkpoint = consensus::Checkpoint{chain_, SliceId(1), 42, Digest{}, Digest{}, Digest{}};
    checkpoint_.checkpoint.state_root.data()[0] = 7;
  }
  void SignBy(std::vector<uint32_t> signers) {
    for (uint32_t i : signers) {
      checkpoint_.signatures.emplace_back(
          ValidatorIndex(i), keys_[i].Sign(consensus::CheckpointDigest(checkpoint_.checkpoint)));
    }
  }
  absl::Status Check() {
    return node::VerifyFinalCheckpoint(checkpoint_, *committee_, checker_);
  }

  Digest chain_ = Digest{};
  std::vector<KeyPair> keys_;
  std::optional<consensus::Committee> committee_;
  consensus::SchnorrChecker checker_;
  node::SignedCheckpoint checkpoint_;
};

TEST_F(FinalCheckpointTest, AQuorumOfMembersMakesItFinal) {
  SignBy({0, 2, 3});
  EXPECT_TRUE(Check().ok()) << Check();
}

TEST_F(FinalCheckpointTest, SecurityFPlusOneSignaturesAreNotFinal) {
  SignBy({0, 1});
  EXPECT_TRUE(absl::StrContains(Check().message(), "needs 3")) << Check();
}

TEST_F(FinalCheckpointTest, SecurityARepeatedSignerDoesNotCount) {
  SignBy({0, 1, 1});
  EXPECT_TRUE(absl::StrContains(Check().message(), "twice")) << Check();
}

TEST_F(FinalCheckpointTest, SecurityAnotherRootUnderTheSameSignaturesIsRefused) {
  SignBy({0, 1, 2});
  checkpoint_.checkpoint.state_root.data()[0] = 8;
  EXPECT_FALSE(Check().ok());
}

TEST_F(FinalCheckpointTest, SecurityAnotherSliceIsRefused) {
  checkpoint_.checkpoint.slice = SliceId(0);
  SignBy({0, 1, 2});
  EXPECT_FALSE(Check().ok());
}

}  // namespace
}  // namespace gridledger::archive
