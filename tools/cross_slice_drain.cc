#include "tools/cross_slice_drain.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "absl/time/clock.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::tools {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(200);

// The Receipts answer of the first validator of the slice that answers.
std::optional<v1::SubmitReceiptsResponse> Ask(const std::vector<std::string>& addresses,
                                              uint32_t other_slice) {
  for (const std::string& address : addresses) {
    auto stub = v1::Receipts::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    v1::SubmitReceiptsRequest request;
    request.set_source_slice(other_slice);
    v1::SubmitReceiptsResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    if (stub->SubmitReceipts(&context, request, &response).ok()) return response;
  }
  return std::nullopt;
}

bool AllCredited(const std::vector<std::vector<std::string>>& grpc_by_slice) {
  const uint32_t slices = static_cast<uint32_t>(grpc_by_slice.size());
  for (uint32_t s = 0; s < slices; ++s) {
    for (uint32_t d = 0; d < slices; ++d) {
      if (s == d) continue;
      std::optional<v1::SubmitReceiptsResponse> source = Ask(grpc_by_slice[s], d);
      std::optional<v1::SubmitReceiptsResponse> dest = Ask(grpc_by_slice[d], s);
      if (!source || !dest || dest->next_expected() < source->next_outgoing()) return false;
    }
  }
  return true;
}

}  // namespace

bool WaitReceiptsCredited(const std::vector<std::vector<std::string>>& grpc_by_slice,
                          absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (AllCredited(grpc_by_slice)) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(kPoll);
  }
}

}  // namespace gridledger::tools
