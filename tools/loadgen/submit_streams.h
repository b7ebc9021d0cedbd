// The load generator's client of SubmitBatchStream (issue 12 item 5): one
// long-lived stream to one validator carrying many transactions per message,
// each message answered with a result per transaction. At most
// kStreamWindow messages are unanswered at once; what is sent meanwhile
// waits and is merged into the next message (within the count and byte
// bounds), so messages grow with the load instead of queueing behind the
// node's admission. A writer thread owns the stream and a reader thread
// matches answers to messages by sequence and splits them back per Send.
// Each Send is answered exactly once: with its results, or with the
// stream's failure (the node went away, or an answer took longer than the
// deadline), after which the next message opens a new stream.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_SUBMIT_STREAMS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_SUBMIT_STREAMS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::loadgen {

// Unanswered messages per stream: the node admits this many of one stream's
// messages at once (net/node/submit_stream.h kSubmitStreamInflight).
inline constexpr size_t kStreamWindow = 4;

class SubmitStreamClient {
 public:
  // status OK: `response` holds the answer; otherwise response is null.
  using Done = std::function<void(const grpc::Status& status,
                                  const gridledger::v1::SubmitStreamResponse* response)>;

  // `stub` must outlive the client. An answer later than `deadline` after
  // its message was queued fails the stream (DEADLINE_EXCEEDED).
  // A merged message holds at most `max_txs` transactions and `max_bytes`
  // bytes of them (one Send larger than that is sent alone).
  SubmitStreamClient(gridledger::v1::Ledger::Stub* stub, absl::Duration deadline,
                     size_t max_txs, size_t max_bytes);
  ~SubmitStreamClient();  // Close()
  SubmitStreamClient(const SubmitStreamClient&) = delete;
  SubmitStreamClient& operator=(const SubmitStreamClient&) = delete;

  // Queues transactions; `done` runs exactly once with one result per
  // transaction of `request`, on a thread of this client, never under its
  // lock.
  void Send(gridledger::v1::SubmitStreamRequest request, Done done);
  // Half-closes and waits (bounded by the deadline) for the answers still
  // due; anything unanswered then fails CANCELLED. Idempotent.
  void Close();

 private:
  // One Send's share of a written message.
  struct Part {
    Done done;
    int count = 0;
  };
  struct Pending {
    std::vector<Part> parts;
    absl::Time queued;  // of its oldest Send
  };
  struct Outgoing {
    gridledger::v1::SubmitStreamRequest request;
    Done done;
    absl::Time queued;
    size_t bytes = 0;
  };
  // One open stream and its reader.
  struct Stream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReaderWriter<gridledger::v1::SubmitStreamRequest,
                                             gridledger::v1::SubmitStreamResponse>>
        rw;
    std::thread reader;
  };

  void WriterLoop();
  void ReaderLoop(Stream* stream);
  // Cancels the stream when a message waits past the deadline (a blocked
  // Write or Read cannot notice it themselves).
  void WatchdogLoop();
  bool Expired(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends `stream` (cancelling it unless `graceful`), then fails every
  // message still unanswered with its status. A cancel before Finish
  // replaces the validator's status with CANCELLED.
  void EndStream(std::unique_ptr<Stream> stream, bool graceful);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return broken_ || (!outgoing_.empty() && pending_.size() < kStreamWindow) ||
           (closing_ && outgoing_.empty());
  }
  // Pops the waiting Sends that fit in one message.
  std::pair<gridledger::v1::SubmitStreamRequest, Pending> Merge()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers each part of `pending` from `response` (results split in order).
  static void Answer(Pending pending, gridledger::v1::SubmitStreamResponse& response);

  gridledger::v1::Ledger::Stub* stub_;
  const absl::Duration deadline_;
  const size_t max_txs_;
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::deque<Outgoing> outgoing_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;   // the stream failed or ended
  bool expired_ ABSL_GUARDED_BY(mu_) = false;  // ... because of the deadline
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;  // the writer returned
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;  // the open stream's
  std::thread writer_;
  std::thread watchdog_;
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_SUBMIT_STREAMS_H_
