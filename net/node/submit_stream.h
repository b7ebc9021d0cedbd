// The server side of SubmitBatchStream (issue 12 item 5): many transactions
// per message on one long-lived stream, an answer per message. The handler
// thread reads messages and takes each one's place in its connection's lane
// on arrival (ClientLanes), so messages enter consensus in the order they
// were sent; up to kSubmitStreamInflight messages are admitted at once by the
// stream's workers, so one message's verification overlaps the previous
// one's durable write (as pipelined SubmitBatch calls overlap). Answers are
// written as each message completes, echoing its sequence.
#ifndef GRIDLEDGER_NET_NODE_SUBMIT_STREAM_H_
#define GRIDLEDGER_NET_NODE_SUBMIT_STREAM_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <cstddef>
#include <functional>
#include <string>

#include "net/node/client_lanes.h"
#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::node {

// Messages of one stream being admitted at once (the reader stops reading
// beyond it, so gRPC flow control holds the client back).
inline constexpr size_t kSubmitStreamInflight = 4;

// Admits one message's transactions in the caller's lane turn, filling one
// result per transaction into `response` (its sequence is already set).
using StreamAdmit = std::function<void(ClientLanes::Turn turn,
                                       const gridledger::v1::SubmitStreamRequest& request,
                                       gridledger::v1::SubmitStreamResponse* response)>;

// Runs the stream until the client half-closes (OK once every message is
// answered) or goes away (CANCELLED).
grpc::Status ServeSubmitStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<gridledger::v1::SubmitStreamResponse,
                             gridledger::v1::SubmitStreamRequest>* stream,
    ClientLanes* lanes, const std::string& lane, const StreamAdmit& admit);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_SUBMIT_STREAM_H_
