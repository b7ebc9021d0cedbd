// Serves commit sync (net/node/commit_syncer.h) to peers from this
// validator's LMDB store, not its memory, so a peer behind by any amount can
// catch up. Each answer holds at most kSyncAnswerBytesMax of commits (always
// at least one whole commit), split into messages of at most
// message_bytes_max; a token bucket per requesting peer
// (kSyncServeBytesPerSecond, burst kSyncServeBurstBytes, every request costs
// at least kSyncRequestMinCostBytes) bounds what a syncing or hostile peer
// can make this node read and send. A request over the rate is dropped: the
// requester times out and asks another peer.
#ifndef GRIDLEDGER_NET_NODE_COMMIT_SYNC_SERVER_H_
#define GRIDLEDGER_NET_NODE_COMMIT_SYNC_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/consensus/messages.h"
#include "core/consensus/params.h"
#include "storage/consensus_store.h"

namespace gridledger::node {

inline constexpr size_t kSyncAnswerBytesMax = size_t{16} << 20;
inline constexpr double kSyncServeBytesPerSecond = 32.0 * (1 << 20);
inline constexpr double kSyncServeBurstBytes = 32.0 * (1 << 20);
inline constexpr double kSyncRequestMinCostBytes = 64.0 * (1 << 10);

struct CommitSyncServerStats {
  uint64_t requests_served = 0;
  uint64_t requests_over_rate = 0;
  uint64_t commits_served = 0;
  uint64_t bytes_served = 0;
};

class CommitSyncServer {
 public:
  // `store` must outlive the server.
  CommitSyncServer(const storage::ConsensusStore* store, size_t committee_size,
                   size_t message_bytes_max);

  // The messages answering `request` of validator `from` (< committee size),
  // the last one `complete`; none when `from` is over its rate. Storage
  // errors end the answer early (the requester asks again).
  std::vector<consensus::CommitSyncResponse> Serve(ValidatorIndex from,
                                                   const consensus::CommitSyncRequest& request,
                                                   consensus::TimeMs now);

  const CommitSyncServerStats& stats() const { return stats_; }

 private:
  struct Bucket {
    double tokens = kSyncServeBurstBytes;
    consensus::TimeMs updated_ms = 0;
    bool used = false;
  };

  const storage::ConsensusStore* store_;
  size_t message_bytes_max_;
  std::vector<Bucket> buckets_;  // one per validator
  CommitSyncServerStats stats_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COMMIT_SYNC_SERVER_H_
