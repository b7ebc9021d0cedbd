// What the client API (gridledger.v1.Ledger over gRPC) will spend on clients,
// and how it is secured. Without these bounds gRPC defaults let clients pile
// up threads, memory and streams without limit.
//   - threads: a ResourceQuota caps the sync server's threads;
//   - memory: the same quota caps gRPC's buffers;
//   - streams: at most kGrpcMaxConcurrentStreams concurrent calls per client
//     connection;
//   - messages: a request larger than kGrpcMaxReceiveMessageBytes is refused
//     with RESOURCE_EXHAUSTED before it is parsed;
//   - TLS: with grpc_tls_cert and grpc_tls_key in the node config the API is
//     served over TLS only (clients trust that certificate); otherwise it is
//     plaintext, for loopback and private networks.
#ifndef GRIDLEDGER_NET_NODE_GRPC_SERVER_OPTIONS_H_
#define GRIDLEDGER_NET_NODE_GRPC_SERVER_OPTIONS_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "core/tx/transaction.h"
#include "net/node/client_service.h"
#include "net/node/config.h"

namespace gridledger::node {

// A submit handler waits for its synced admitted write (a few ms of fsync,
// more on a busy disk): the cap leaves room for the requests of a whole
// group-commit window and its sync.
inline constexpr int kGrpcMaxThreads = 128;
inline constexpr size_t kGrpcMemoryBytes = size_t{256} << 20;
inline constexpr int kGrpcMaxConcurrentStreams = 64;
// The largest valid request (kMaxSubmitTransactions envelopes of the largest
// size, each with a few bytes of protobuf framing) plus room for the rest.
inline constexpr size_t kGrpcMaxReceiveMessageBytes =
    kMaxSubmitTransactions * (kTxMaxBytes + 8) + (size_t{64} << 10);
inline constexpr size_t kGrpcMaxSendMessageBytes = size_t{16} << 20;
// Bounded file reads for the TLS material.
inline constexpr size_t kMaxTlsPemBytes = size_t{1} << 20;

// Thread, memory, stream and message bounds on `builder`.
void ApplyGrpcLimits(grpc::ServerBuilder& builder);

// TLS credentials when the config names a certificate and key (PEM files),
// else insecure ones. InvalidArgument names the file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ClientApiCredentials(
    const NodeConfig& config);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_GRPC_SERVER_OPTIONS_H_
