// The load generator's client of SubmitBatchStream (issue 12 item 5): one
// long-lived stream to one validator carrying many transactions per message,
// each message answered with a result per transaction. Messages are written
// without waiting for answers; a writer thread owns the stream and a reader
// thread matches answers to messages by sequence. A message is answered
// exactly once: with its results, or with the stream's failure (the node
// went away, or an answer took longer than the deadline), after which the
// next message opens a new stream.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_SUBMIT_STREAMS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_SUBMIT_STREAMS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::loadgen {

class SubmitStreamClient {
 public:
  // status OK: `response` holds the answer; otherwise response is null.
  using Done = std::function<void(const grpc::Status& status,
                                  const gridledger::v1::SubmitStreamResponse* response)>;

  // `stub` must outlive the client. An answer later than `deadline` after
  // its message was queued fails the stream (DEADLINE_EXCEEDED).
  SubmitStreamClient(gridledger::v1::Ledger::Stub* stub, absl::Duration deadline);
  ~SubmitStreamClient();  // Close()
  SubmitStreamClient(const SubmitStreamClient&) = delete;
  SubmitStreamClient& operator=(const SubmitStreamClient&) = delete;

  // Queues one message (its sequence is set here); `done` runs exactly once,
  // on a thread of this client, never under its lock.
  void Send(gridledger::v1::SubmitStreamRequest request, Done done);
  // Half-closes and waits (bounded by the deadline) for the answers still
  // due; anything unanswered then fails CANCELLED. Idempotent.
  void Close();

 private:
  struct Pending {
    Done done;
    absl::Time queued;
  };
  struct Outgoing {
    gridledger::v1::SubmitStreamRequest request;
    Done done;
    absl::Time queued;
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
  // message still unanswered with its status.
  void EndStream(std::unique_ptr<Stream> stream, bool graceful);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !outgoing_.empty() || closing_ || broken_;
  }

  gridledger::v1::Ledger::Stub* stub_;
  const absl::Duration deadline_;
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
