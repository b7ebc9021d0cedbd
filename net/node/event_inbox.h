// The consensus thread's bounded inbox: peer messages, client transactions
// and batch verification results, taken in arrival order.
#ifndef GRIDLEDGER_NET_NODE_EVENT_INBOX_H_
#define GRIDLEDGER_NET_NODE_EVENT_INBOX_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/types.h"
#include "core/consensus/messages.h"

namespace gridledger::node {

// Peer messages and client submissions beyond this many are refused (peers
// retransmit, clients retry).
inline constexpr size_t kMaxInboxEvents = 16384;
// One validator's queued messages beyond this many are refused, so a flooding
// peer fills its own share and never starves the others or the clients.
inline constexpr size_t kMaxInboxEventsPerPeer = kMaxInboxEvents / 8;

// A client request waiting for the core's per-transaction answer: waited
// for (Wait), or answered through a callback given at construction.
class SubmitTicket {
 public:
  using Done = absl::AnyInvocable<void(std::vector<absl::Status> results) &&>;
  SubmitTicket() = default;
  explicit SubmitTicket(Done done) : done_callback_(std::move(done)) {}

  // Once per ticket.
  void Complete(std::vector<absl::Status> results) {
    if (done_callback_) {
      std::move(done_callback_)(std::move(results));
      done_callback_ = nullptr;
      return;
    }
    absl::MutexLock lock(&mu_);
    results_ = std::move(results);
    done_ = true;
  }
  // False on timeout.
  bool Wait(absl::Duration timeout, std::vector<absl::Status>* results) {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&done_), timeout)) return false;
    *results = results_;
    return true;
  }

 private:
  Done done_callback_;  // set: no waiter
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<absl::Status> results_ ABSL_GUARDED_BY(mu_);
};

struct PeerEvent {
  ValidatorIndex from;
  consensus::Message message;
};
struct SubmitEvent {
  std::shared_ptr<const consensus::TxList> txs;  // never null
  std::shared_ptr<SubmitTicket> ticket;
};
struct VerifiedEvent {
  Digest digest;
  bool ok = false;
};
using DriverEvent = std::variant<PeerEvent, SubmitEvent, VerifiedEvent>;

class EventInbox {
 public:
  // False when closed, or full and `bounded` (verification results are not
  // bounded here: the core caps batches in verification), or for a peer
  // message when that peer already has kMaxInboxEventsPerPeer queued.
  bool Push(DriverEvent event, bool bounded = true);
  // Waits until an event arrives, `deadline` passes or the inbox closes;
  // returns at most `max_events` events.
  std::vector<DriverEvent> Take(absl::Time deadline, size_t max_events);
  void Close();
  bool closed() const;
  size_t size() const;
  uint64_t refused() const;
  // Peer messages refused because their sender's share was full.
  uint64_t refused_peer_share() const;

 private:
  mutable absl::Mutex mu_;
  std::deque<DriverEvent> events_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, size_t> queued_per_peer_ ABSL_GUARDED_BY(mu_);
  uint64_t refused_peer_share_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_EVENT_INBOX_H_
