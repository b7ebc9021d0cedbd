// gridledger.v1.ArchiveFeed on a validator: what archive nodes
// (net/archive/) read. Committed sub-DAGs with batches come from the store
// through the commit sync server (the same answers peers get, the same byte
// bounds), final checkpoints from the checkpoint store. Why gRPC and not the
// peer links: those are authenticated with validator keys and an archive has
// none; it needs none either, since everything served here is checked by the
// reader against the committee's signatures (certificates, checkpoints).
// All readers share one token bucket (kSyncServeBytesPerSecond), so archives
// cannot make a validator read or send more than one syncing peer could.
#ifndef GRIDLEDGER_NET_NODE_ARCHIVE_FEED_SERVICE_H_
#define GRIDLEDGER_NET_NODE_ARCHIVE_FEED_SERVICE_H_

#include <cstddef>

#include "absl/synchronization/mutex.h"
#include "net/node/checkpoint_store.h"
#include "net/node/commit_sync_server.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::node {

// One chunk of a FetchCommits answer holds at most this many bytes (well
// under the client API's 16 MiB send bound).
inline constexpr size_t kArchiveChunkBytesMax = size_t{4} << 20;

class ArchiveFeedService final : public gridledger::v1::ArchiveFeed::Service {
 public:
  // Everything must outlive the service.
  ArchiveFeedService(const storage::ConsensusStore* consensus_store,
                     const CheckpointStore* checkpoints, const storage::NodeStore* store)
      : sync_server_(consensus_store, /*committee_size=*/1, kArchiveChunkBytesMax),
        checkpoints_(checkpoints),
        store_(store) {}

  grpc::Status FetchCommits(grpc::ServerContext* context,
                            const gridledger::v1::FetchCommitsRequest* request,
                            grpc::ServerWriter<gridledger::v1::FetchCommitsChunk>* writer) override;
  grpc::Status FetchCheckpoint(grpc::ServerContext* context,
                               const gridledger::v1::FetchCheckpointRequest* request,
                               gridledger::v1::FetchCheckpointResponse* response) override;

 private:
  absl::Mutex mu_;
  CommitSyncServer sync_server_ ABSL_GUARDED_BY(mu_);  // one bucket for all readers
  const CheckpointStore* checkpoints_;
  const storage::NodeStore* store_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_ARCHIVE_FEED_SERVICE_H_
