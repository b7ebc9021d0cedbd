// The client API schema: messages round-trip through protobuf serialization
// and the service has the shape clients rely on (which calls stream).
#include <string>

#include "gtest/gtest.h"
#include "google/protobuf/descriptor.h"
#include "net/proto/ledger.grpc.pb.h"
#include "net/proto/ledger.pb.h"

namespace gridledger::net {
namespace {

TEST(ProtoTest, SubmitBatchRequestRoundTrips) {
  gridledger::v1::SubmitBatchRequest request;
  request.add_transactions(std::string("\x01\x02\x00\xff", 4));  // embedded NUL kept
  request.add_transactions(std::string(256, '\x7f'));
  std::string wire;
  ASSERT_TRUE(request.SerializeToString(&wire));
  gridledger::v1::SubmitBatchRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  ASSERT_EQ(parsed.transactions_size(), 2);
  EXPECT_EQ(parsed.transactions(0), std::string("\x01\x02\x00\xff", 4));
  EXPECT_EQ(parsed.transactions(1), std::string(256, '\x7f'));
  // Field 1, length-delimited (tag byte 0x0a), then length 4.
  EXPECT_EQ(wire.substr(0, 2), std::string("\x0a\x04", 2));
}

TEST(ProtoTest, ResponsesRoundTrip) {
  gridledger::v1::SubmitBatchResponse response;
  auto* result = response.add_results();
  result->set_tx_id(std::string(32, '\x11'));
  result->set_accepted(false);
  result->set_code(gridledger::v1::SUBMIT_CODE_BAD_SIGNATURE);
  result->set_reason("signature does not verify");
  gridledger::v1::SubmitBatchResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(response.SerializeAsString()));
  ASSERT_EQ(parsed.results_size(), 1);
  EXPECT_EQ(parsed.results(0).tx_id(), std::string(32, '\x11'));
  EXPECT_FALSE(parsed.results(0).accepted());
  EXPECT_EQ(parsed.results(0).code(), gridledger::v1::SUBMIT_CODE_BAD_SIGNATURE);
  EXPECT_EQ(parsed.results(0).reason(), "signature does not verify");

  gridledger::v1::CommittedTransaction commit;
  commit.set_tx_id(std::string(32, '\x22'));
  commit.set_commit_sequence(18446744073709551615ull);
  commit.set_index_in_commit(3);
  commit.mutable_result()->set_success(false);
  commit.mutable_result()->set_code("INSUFFICIENT_BALANCE");
  gridledger::v1::CommittedTransaction commit_parsed;
  ASSERT_TRUE(commit_parsed.ParseFromString(commit.SerializeAsString()));
  EXPECT_EQ(commit_parsed.commit_sequence(), 18446744073709551615ull);
  EXPECT_EQ(commit_parsed.index_in_commit(), 3u);
  EXPECT_EQ(commit_parsed.result().code(), "INSUFFICIENT_BALANCE");

  // Unknown (zero) is the default status of an empty answer.
  gridledger::v1::GetTransactionResponse empty;
  EXPECT_EQ(empty.status(), gridledger::v1::TRANSACTION_STATUS_UNKNOWN);
}

TEST(ProtoTest, TruncatedInputDoesNotParse) {
  gridledger::v1::GetAccountRequest request;
  request.set_slice(7);
  request.set_key(std::string(32, '\x33'));
  std::string wire = request.SerializeAsString();
  wire.pop_back();
  gridledger::v1::GetAccountRequest parsed;
  EXPECT_FALSE(parsed.ParseFromString(wire));
}

TEST(ProtoTest, ServiceShape) {
  EXPECT_STREQ(gridledger::v1::Ledger::service_full_name(), "gridledger.v1.Ledger");
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "gridledger.v1.Ledger");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->full_name(), "gridledger.v1.Ledger");
  ASSERT_EQ(service->method_count(), 14);
  struct Shape {
    const char* name;
    bool client_streaming;
    bool server_streaming;
  };
  const Shape shapes[] = {{"SubmitBatch", false, false},   {"SubmitStream", true, false},
                          {"GetTransaction", false, false}, {"GetAccount", false, false},
                          {"StreamCommits", false, true},  {"GetNodeInfo", false, false},
                          {"GetMarketInterval", false, false}, {"GetSettlement", false, false},
                          {"GetTariff", false, false},     {"GetMarketAccount", false, false},
                          {"StreamMarketEvents", false, true}, {"SubmitBatchStream", true, true},
                          {"StreamCommitBatches", false, true}, {"GetCounters", false, false}};
  for (const Shape& shape : shapes) {
    const auto* method = service->FindMethodByName(shape.name);
    ASSERT_NE(method, nullptr) << shape.name;
    EXPECT_EQ(method->client_streaming(), shape.client_streaming) << shape.name;
    EXPECT_EQ(method->server_streaming(), shape.server_streaming) << shape.name;
  }
}

}  // namespace
}  // namespace gridledger::net
