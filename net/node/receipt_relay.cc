#include "net/node/receipt_relay.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/file_read.h"
#include "core/common/thread_name.h"
#include "core/execution/receipt_records.h"
#include "net/node/grpc_server_options.h"

namespace gridledger::node {
namespace {

constexpr absl::Duration kTick = absl::Milliseconds(20);
constexpr absl::Duration kErrorLogPeriod = absl::Seconds(10);

}  // namespace

std::vector<RelayDestination> RelayDestinationsOf(const NodeConfig& config) {
  std::map<uint32_t, std::vector<std::string>> by_slice;
  for (const RelayTarget& t : config.relay_targets) {
    by_slice[t.slice].push_back(t.grpc_address.ToString());
  }
  std::vector<RelayDestination> out;
  for (auto& [slice, addresses] : by_slice) {
    out.push_back(RelayDestination{SliceId(slice), std::move(addresses)});
  }
  return out;
}

absl::StatusOr<std::vector<Bytes>> BuildRelayImports(storage::NodeStore& store,
                                                     const CheckpointStore& finals,
                                                     size_t quorum, SliceId destination,
                                                     uint64_t first, size_t max_imports) {
  GL_ASSIGN_OR_RETURN(std::unique_ptr<storage::StoreStateView> view, store.Snapshot());
  std::vector<Bytes> out;
  uint64_t number = first;
  while (out.size() < max_imports) {
    GL_ASSIGN_OR_RETURN(std::optional<Receipt> receipt,
                        OutgoingReceipt(*view, destination, number));
    if (!receipt.has_value()) break;
    if (receipt->index >= number) {
      return absl::DataLossError(absl::StrCat("receipt ", number, " has index ", receipt->index));
    }
    const uint64_t sequence = receipt->sequence;
    absl::StatusOr<SignedCheckpoint> final_checkpoint = finals.Get(sequence);
    if (absl::IsNotFound(final_checkpoint.status())) break;  // not final here (yet)
    GL_RETURN_IF_ERROR(final_checkpoint.status());
    if (final_checkpoint->signatures.size() < quorum) {
      return absl::DataLossError(absl::StrCat("final checkpoint ", sequence, " has too few signatures"));
    }
    // All of the commit's receipts for the destination: numbered from
    // (number - index) on, while the sequence is this commit's.
    GL_ASSIGN_OR_RETURN(std::vector<Receipt> receipts,
                        OutgoingReceiptsFrom(*view, destination, number - receipt->index,
                                             kMaxReceiptsPerDestination));
    receipts.erase(std::find_if(receipts.begin(), receipts.end(),
                                [&](const Receipt& r) { return r.sequence != sequence; }),
                   receipts.end());
    GL_ASSIGN_OR_RETURN(auto destinations, CommitDestinations(*view, sequence));
    const std::vector<std::pair<ValidatorIndex, Signature>> signatures(
        final_checkpoint->signatures.begin(), final_checkpoint->signatures.begin() + quorum);
    GL_ASSIGN_OR_RETURN(std::vector<Bytes> imports,
                        MakeReceiptImports(final_checkpoint->checkpoint, signatures,
                                           destination, receipts, destinations));
    for (size_t c = receipt->index / kReceiptsPerChunk;
         c < imports.size() && out.size() < max_imports; ++c) {
      out.push_back(std::move(imports[c]));
    }
    number = receipts.back().number + 1;
  }
  return out;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> RelayCredentials(
    const NodeConfig& config) {
  if (!config.relay_tls_ca.has_value()) return grpc::InsecureChannelCredentials();
  GL_ASSIGN_OR_RETURN(std::string pem,
                      ReadFileBounded(*config.relay_tls_ca, kMaxTlsPemBytes, "relay_tls_ca"));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = std::move(pem);
  return grpc::SslCredentials(options);
}

ReceiptRelay::ReceiptRelay(SliceId slice, size_t quorum, storage::NodeStore* store,
                           const CheckpointStore* finals,
                           std::vector<RelayDestination> destinations, Logger logger,
                           std::shared_ptr<grpc::ChannelCredentials> credentials)
    : slice_(slice), quorum_(quorum), store_(store), finals_(*finals), logger_(std::move(logger)),
      credentials_(credentials != nullptr ? std::move(credentials)
                                          : grpc::InsecureChannelCredentials()) {
  for (RelayDestination& d : destinations) {
    if (d.grpc_addresses.empty() || d.slice == slice_) continue;
    Target t;
    t.destination = std::move(d);
    targets_.push_back(std::move(t));
  }
  // Relayers start at different validators of the destination.
  std::random_device random;
  for (Target& t : targets_) {
    t.address = random() % t.destination.grpc_addresses.size();
    Rotate(t);
  }
}

void ReceiptRelay::Start() {
  if (targets_.empty()) return;
  thread_ = std::thread([this] {
    NameThisThread("gl-receipt-rly");
    Loop();
  });
}

void ReceiptRelay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ReceiptRelay::Rotate(Target& t) {
  t.address = (t.address + 1) % t.destination.grpc_addresses.size();
  t.stub = v1::Receipts::NewStub(
      grpc::CreateChannel(t.destination.grpc_addresses[t.address], credentials_));
}

void ReceiptRelay::Loop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), kTick);
      if (stopping_) return;
    }
    const absl::Time now = absl::Now();
    for (Target& t : targets_) {
      if (now >= t.next_attempt) Round(t, now);
    }
  }
}

void ReceiptRelay::Round(Target& t, absl::Time now) {
  const SliceId dest = t.destination.slice;
  // Nothing here beyond what the destination has: no call needed.
  {
    absl::StatusOr<std::unique_ptr<storage::StoreStateView>> view = store_->Snapshot();
    if (!view.ok()) return;
    absl::StatusOr<uint64_t> next_out = NextOutgoing(**view, dest);
    if (next_out.ok() && *next_out <= t.next_expected) {
      t.next_attempt = now + kRelayAfterAccepted;
      return;
    }
  }
  absl::StatusOr<std::vector<Bytes>> imports =
      BuildRelayImports(*store_, finals_, quorum_, dest, t.next_expected, kRelayImportsPerCall);
  if (!imports.ok()) {
    ++stats_.build_errors;
    if (now - last_error_log_ > kErrorLogPeriod) {
      last_error_log_ = now;
      logger_.Error(absl::StrCat("receipt relay to slice ", dest.value(), ": ",
                                 imports.status().message()));
    }
    t.next_attempt = now + kRelayBackoffMax;
    return;
  }
  v1::SubmitReceiptsRequest request;
  request.set_source_slice(slice_.value());
  for (Bytes& b : *imports) request.add_imports(std::string(b.begin(), b.end()));
  v1::SubmitReceiptsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(kRelayRpcDeadline)));
  ++stats_.calls;
  stats_.imports_sent += imports->size();
  const grpc::Status status = t.stub->SubmitReceipts(&context, request, &response);
  if (!status.ok()) {
    ++stats_.rpc_errors;
    Rotate(t);
    t.backoff = std::min(t.backoff * 2, kRelayBackoffMax);
    t.next_attempt = now + t.backoff;
    return;
  }
  size_t accepted = 0;
  for (const v1::ReceiptImportResult& r : response.results()) {
    // In its consensus now or from an earlier call: on its way either way.
    accepted += r.accepted() || r.reason() == "already pending" ? 1 : 0;
  }
  stats_.imports_accepted += accepted;
  const bool progress = response.next_expected() > t.next_expected;
  t.next_expected = std::max(t.next_expected, response.next_expected());
  {
    absl::MutexLock lock(&reported_mu_);
    reported_[t.destination.slice.value()] = t.next_expected;
  }
  if (progress) {
    t.backoff = kRelayBackoffMin;
    t.next_attempt = now + kRelayBackoffMin;
  } else if (accepted > 0) {
    t.next_attempt = now + kRelayAfterAccepted;
  } else {
    // Nothing taken and nothing credited: this validator may withhold, or
    // the imports wait in its consensus; ask another one, later.
    Rotate(t);
    t.backoff = std::min(t.backoff * 2, kRelayBackoffMax);
    t.next_attempt = now + t.backoff;
  }
}

std::vector<std::pair<SliceId, uint64_t>> ReceiptRelay::ReportedNextExpected() const {
  std::vector<std::pair<SliceId, uint64_t>> out;
  {
    absl::MutexLock lock(&reported_mu_);
    for (const auto& [slice, next] : reported_) out.emplace_back(SliceId(slice), next);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first.value() < b.first.value(); });
  return out;
}

}  // namespace gridledger::node
