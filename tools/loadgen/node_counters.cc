#include "tools/loadgen/node_counters.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"

namespace gridledger::loadgen {

namespace pb = ::gridledger::v1;

absl::StatusOr<pb::NodeCounters> FetchCounters(const std::string& grpc_address) {
  auto stub = pb::Ledger::NewStub(
      grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(kCountersDeadline));
  pb::NodeCounters counters;
  const grpc::Status status = stub->GetCounters(&context, pb::GetCountersRequest(), &counters);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat(grpc_address, " GetCounters: ", status.error_message()));
  }
  return counters;
}

absl::StatusOr<HistogramBuckets> StageBuckets(const pb::NodeCounters& counters,
                                              absl::string_view stage) {
  for (const pb::StageLatencyHistogram& h : counters.stages()) {
    if (h.stage() != stage) continue;
    if (h.cumulative_counts_size() != h.upper_bounds_s_size() + 1) {
      return absl::InvalidArgumentError(absl::StrCat("stage ", stage, ": ",
                                                     h.upper_bounds_s_size(), " bounds, ",
                                                     h.cumulative_counts_size(), " counts"));
    }
    HistogramBuckets buckets;
    buckets.upper.assign(h.upper_bounds_s().begin(), h.upper_bounds_s().end());
    buckets.upper.push_back(std::numeric_limits<double>::infinity());
    for (uint64_t count : h.cumulative_counts()) {
      buckets.cumulative.push_back(static_cast<double>(count));
    }
    return buckets;
  }
  return absl::NotFoundError(absl::StrCat("no stage ", stage));
}

}  // namespace gridledger::loadgen
