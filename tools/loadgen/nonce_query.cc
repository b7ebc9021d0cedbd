#include "tools/loadgen/nonce_query.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"

namespace gridledger::loadgen {

absl::StatusOr<uint64_t> QueryNextNonce(gridledger::v1::Ledger::Stub& stub, uint32_t slice,
                                        const PublicKey& key, int64_t deadline_ms) {
  gridledger::v1::GetAccountRequest request;
  request.set_slice(slice);
  request.set_key(std::string(reinterpret_cast<const char*>(key.data()), PublicKey::kSize));
  gridledger::v1::GetAccountResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  grpc::Status status = stub.GetAccount(&context, request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("GetAccount on slice ", slice, ": ", status.error_message()));
  }
  return response.next_nonce();
}

}  // namespace gridledger::loadgen
