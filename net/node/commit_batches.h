// The commit stream's reading and following, shared by StreamCommits (one
// message per transaction) and StreamCommitBatches (one message per commit):
// each commit's streamed entries are read in ONE LMDB read transaction
// (commit's tx ids, released ids and every result), instead of one read per
// transaction; then the subscriber follows the CommitFeed with the lag bound
// and cancellation checks of the client API.
#ifndef GRIDLEDGER_NET_NODE_COMMIT_BATCHES_H_
#define GRIDLEDGER_NET_NODE_COMMIT_BATCHES_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/common/types.h"
#include "core/execution/tx_result.h"
#include "google/protobuf/arena.h"
#include "net/node/commit_feed.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::node {

// A live commit-stream subscriber this many commits behind is disconnected
// with RESOURCE_EXHAUSTED (it would otherwise read an ever-longer backlog).
inline constexpr uint64_t kMaxSubscriberLagCommits = 1024;
// How often an idle commit stream checks for cancellation.
inline constexpr absl::Duration kStreamPollInterval = absl::Milliseconds(100);
// One CommitBatch message holds at most this many entries and about this
// many bytes (a larger commit is split; the gRPC send bound is 16 MiB).
inline constexpr size_t kMaxCommitBatchTxs = 8192;
inline constexpr size_t kMaxCommitBatchBytes = size_t{1} << 20;

// "INSUFFICIENT_BALANCE" for kInsufficientBalance, etc.
const std::string& ExecutionCodeName(TxResultCode code);

// Where a commit stream reads from. `consensus` shares `store`'s LMDB env.
struct CommitSource {
  storage::NodeStore* store = nullptr;
  const storage::ConsensusStore* consensus = nullptr;
  const CommitFeed* feed = nullptr;
  SliceId slice;
};

// One commit's streamed entries, built on a protobuf arena: the entries,
// their ids and results come from a few arena blocks instead of about six
// heap allocations per transaction (issue 12 item 4). Reset() between
// commits. Not copyable; the pointers live until Reset() or destruction.
class CommitEntries {
 public:
  CommitEntries();
  CommitEntries(const CommitEntries&) = delete;
  CommitEntries& operator=(const CommitEntries&) = delete;

  // A new empty entry, appended.
  gridledger::v1::CommittedTransaction* Add();
  const std::vector<gridledger::v1::CommittedTransaction*>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  // Splits the entries into CommitBatch messages (at least one, the last
  // with commit_complete) within kMaxCommitBatchTxs / kMaxCommitBatchBytes,
  // on the same arena: the entries move into them, so entries() is empty
  // after. The batches live until Reset() or destruction.
  std::vector<gridledger::v1::CommitBatch*> Pack(uint64_t sequence, SliceId slice);
  // Frees every entry and batch.
  void Reset();

 private:
  google::protobuf::Arena arena_;
  std::vector<gridledger::v1::CommittedTransaction*> entries_;
};

// The entries commit `sequence` streams, by index, into `out` (reset
// first): its own transactions first executed by it, then those it
// released from the nonce hold; ids first executed by an earlier commit,
// and ones it held, are left out. One read transaction. INTERNAL-worthy
// errors come back as Status.
absl::Status ReadCommitEntries(const CommitSource& source, uint64_t sequence, CommitEntries* out);

// Calls send(sequence, entries) for every recorded commit from
// `from_sequence` (0 means 1) on, in order, then for new ones as they are
// recorded, until the client cancels (or send returns false: CANCELLED), the
// feed closes (UNAVAILABLE), the subscriber falls kMaxSubscriberLagCommits
// behind after having caught up (RESOURCE_EXHAUSTED naming the sequence to
// resubscribe from), or a read fails (INTERNAL).
using CommitSender = std::function<bool(uint64_t sequence, CommitEntries& entries)>;
grpc::Status FollowCommits(grpc::ServerContext* context, const CommitSource& source,
                           uint64_t from_sequence, const CommitSender& send);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COMMIT_BATCHES_H_
