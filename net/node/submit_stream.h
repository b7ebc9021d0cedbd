// The server side of SubmitBatchStream (issue 12 item 5) on gRPC's callback
// API: many transactions per message on one long-lived stream, an answer per
// message. No thread waits for a message: each one read takes its place in
// its connection's lane on arrival (ClientLanes), so messages enter consensus
// in the order they were sent, and is handed to the admission path, which
// continues from each stage's completion (verification, lane turn,
// consensus, durable write) and gives the answer back here to be written.
// Up to kSubmitStreamInflight messages are in admission or being answered
// at once; the next read starts only when one finishes, so gRPC flow
// control holds the client back. Answers are written one at a time as
// messages complete, each echoing its sequence.
//
// Lifetime (gRPC's reactor rules): the reactor is created by the method
// handler, deletes itself in OnDone, and calls Finish once, only when no
// read, write or admission of it is outstanding, so every callback into it
// happens before OnDone.
#ifndef GRIDLEDGER_NET_NODE_SUBMIT_STREAM_H_
#define GRIDLEDGER_NET_NODE_SUBMIT_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "net/node/client_lanes.h"
#include "net/node/subscriber_limit.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::node {

// Messages of one stream in admission or being answered at once (the reader
// stops reading beyond it, so gRPC flow control holds the client back).
inline constexpr size_t kSubmitStreamInflight = 4;

// Admits one message's transactions from connection `client` (the lane) in
// the caller's lane turn, filling one
// result per transaction into `response` (its sequence is already set), then
// calls `done` once, on any thread. `request` and `response` stay alive
// until then.
using StreamAdmitDone = absl::AnyInvocable<void() &&>;
using StreamAdmit = std::function<void(ClientLanes::Turn turn, const std::string& client,
                                       const gridledger::v1::SubmitStreamRequest& request,
                                       gridledger::v1::SubmitStreamResponse* response,
                                       StreamAdmitDone done)>;

// One SubmitBatchStream call. Finishes OK once the client half-closed and
// every message is answered; CANCELLED when the client went away or an
// answer could not be written (messages already read are still admitted:
// their lane turns must be taken in order).
class SubmitStreamReactor final
    : public grpc::ServerBidiReactor<gridledger::v1::SubmitStreamRequest,
                                     gridledger::v1::SubmitStreamResponse> {
 public:
  // Starts reading. `slot` is held until OnDone; `admit` must outlive it.
  SubmitStreamReactor(ClientLanes* lanes, std::string lane, const StreamAdmit* admit,
                      SubscriberLimit::Slot slot);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override { delete this; }

 private:
  struct Message {
    gridledger::v1::SubmitStreamRequest request;
    gridledger::v1::SubmitStreamResponse response;
  };
  // What a state change decided to do; done after mu_ is released, and
  // nothing else of `this` is touched afterwards.
  struct Actions {
    gridledger::v1::SubmitStreamRequest* read = nullptr;
    const gridledger::v1::SubmitStreamResponse* write = nullptr;
    std::optional<grpc::Status> finish;
  };
  void OnAdmitted(std::unique_ptr<Message> message);
  // The next read, write or Finish the state allows.
  Actions Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(const Actions& actions);

  ClientLanes* const lanes_;
  const std::string lane_;
  const StreamAdmit* const admit_;
  const SubscriberLimit::Slot slot_;

  absl::Mutex mu_;
  // The message being read (set while a read is outstanding).
  std::unique_ptr<Message> reading_ ABSL_GUARDED_BY(mu_);
  bool read_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;  // half-closed or failed
  size_t admitting_ ABSL_GUARDED_BY(mu_) = 0;
  // Answers waiting for the write in progress, and that write's message.
  std::deque<std::unique_ptr<Message>> answers_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Message> writing_ ABSL_GUARDED_BY(mu_);
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// A SubmitBatchStream call refused at once with `status` (e.g. too many
// streams); deletes itself in OnDone.
class RefusedBidiReactor final
    : public grpc::ServerBidiReactor<gridledger::v1::SubmitStreamRequest,
                                     gridledger::v1::SubmitStreamResponse> {
 public:
  explicit RefusedBidiReactor(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_SUBMIT_STREAM_H_
