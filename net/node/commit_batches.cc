#include "net/node/commit_batches.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "storage/records.h"
#include "storage/tx_store.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;

// The arena's first block holds a few hundred entries; later ones grow to
// this bound (so a commit of thousands costs a handful of blocks).
google::protobuf::ArenaOptions CommitArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = size_t{64} << 10;
  options.max_block_size = size_t{1} << 20;
  return options;
}

}  // namespace

const std::string& ExecutionCodeName(TxResultCode code) {
  // Built once: the commit stream names a code per transaction.
  static const std::array<std::string, kMaxTxResultCode + 1>* const kNames = [] {
    auto* names = new std::array<std::string, kMaxTxResultCode + 1>;
    for (size_t c = 0; c < names->size(); ++c) {
      (*names)[c] = absl::AsciiStrToUpper(TxResultCodeName(static_cast<TxResultCode>(c)));
    }
    return names;
  }();
  const auto c = static_cast<size_t>(code);
  GL_CHECK(c < kNames->size());
  return (*kNames)[c];
}

CommitEntries::CommitEntries() : arena_(CommitArenaOptions()) {}

v1::CommittedTransaction* CommitEntries::Add() {
  return entries_.emplace_back(
      google::protobuf::Arena::CreateMessage<v1::CommittedTransaction>(&arena_));
}

void CommitEntries::Reset() {
  entries_.clear();
  arena_.Reset();
}

std::vector<v1::CommitBatch*> CommitEntries::Pack(uint64_t sequence, SliceId slice) {
  auto new_batch = [&] { return google::protobuf::Arena::CreateMessage<v1::CommitBatch>(&arena_); };
  std::vector<v1::CommitBatch*> batches{new_batch()};
  size_t bytes = 0;
  for (v1::CommittedTransaction* entry : entries_) {
    const size_t entry_bytes = entry->ByteSizeLong();
    v1::CommitBatch* last = batches.back();
    if (last->transactions_size() > 0 &&
        (static_cast<size_t>(last->transactions_size()) >= kMaxCommitBatchTxs ||
         bytes + entry_bytes > kMaxCommitBatchBytes)) {
      last = batches.emplace_back(new_batch());
      bytes = 0;
    }
    bytes += entry_bytes;
    // Same arena: the pointer moves, the entry is not copied.
    last->mutable_transactions()->AddAllocated(entry);
  }
  entries_.clear();
  for (v1::CommitBatch* batch : batches) {
    batch->set_commit_sequence(sequence);
    batch->set_slice(slice.value());
  }
  batches.back()->set_commit_complete(true);
  return batches;
}

absl::Status ReadCommitEntries(const CommitSource& source, uint64_t sequence,
                               CommitEntries* out) {
  out->Reset();
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, source.store->env().BeginRead());
  // The commit must be recorded (an unknown sequence is an error, not empty).
  GL_RETURN_IF_ERROR(source.consensus->CommitTxIdsIn(txn, sequence).status());
  // One range scan of the transaction log: the records this commit wrote,
  // in their order in the commit (its own transactions, then those it
  // released from the nonce hold). An id first executed by an earlier commit
  // is that commit's, not ours; one held here is streamed by the commit that
  // releases it (its record moves there).
  GL_ASSIGN_OR_RETURN(auto stored,
                      storage::ReadCommitTxs(txn, source.store->tables(), sequence));
  for (const auto& [id, tx] : stored) {
    v1::CommittedTransaction* entry = out->Add();
    entry->set_tx_id(id.span().data(), id.span().size());
    v1::ExecutionResult* result = entry->mutable_result();
    result->set_success(tx.code == TxResultCode::kSuccess);
    result->set_code(ExecutionCodeName(tx.code));
    if (!tx.reason.empty()) result->set_reason(std::string(tx.reason));
    entry->set_commit_sequence(sequence);
    entry->set_index_in_commit(tx.index);
    entry->set_slice(source.slice.value());
  }
  return absl::OkStatus();
}

grpc::Status FollowCommits(grpc::ServerContext* context, const CommitSource& source,
                           uint64_t from_sequence, const CommitSender& send) {
  uint64_t next = from_sequence == 0 ? 1 : from_sequence;
  bool caught_up = false;
  CommitEntries entries;  // one arena for the stream, reset per commit
  for (;;) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    if (source.feed->closed()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "node is stopping");
    }
    const uint64_t recorded = source.feed->recorded();
    if (next > recorded) {
      caught_up = true;
      source.feed->WaitBeyond(recorded, kStreamPollInterval);
      continue;
    }
    if (caught_up && recorded - next >= kMaxSubscriberLagCommits) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("subscriber fell ", recorded - next + 1,
                                       " commits behind (bound ", kMaxSubscriberLagCommits,
                                       "); resubscribe from sequence ", next));
    }
    if (absl::Status read = ReadCommitEntries(source, next, &entries); !read.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("commit ", next, ": ", read.message()));
    }
    if (!send(next, entries)) return grpc::Status::CANCELLED;
    ++next;
  }
}

}  // namespace gridledger::node
