// Per-connection arrival order for admission without a shared lock: a request
// takes a ticket of its connection's lane when it arrives, verifies
// concurrently with everything else, then waits for its turn only behind
// earlier requests of the same connection before entering consensus.
#ifndef GRIDLEDGER_NET_NODE_CLIENT_LANES_H_
#define GRIDLEDGER_NET_NODE_CLIENT_LANES_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "core/common/check.h"

namespace gridledger::node {

class ClientLanes {
 public:
  class Turn {
   public:
    Turn(ClientLanes* lanes, std::string lane, uint64_t ticket)
        : lanes_(lanes), lane_(std::move(lane)), ticket_(ticket) {}
    Turn(Turn&& other) noexcept
        : lanes_(other.lanes_), lane_(std::move(other.lane_)), ticket_(other.ticket_),
          waited_(other.waited_), released_(other.released_) {
      other.released_ = true;  // the moved-from turn gives nothing back
    }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    Turn& operator=(Turn&&) = delete;
    // Gives the lane to the next request (after waiting for our turn, so an
    // error path never lets a later request overtake an earlier one).
    ~Turn() { Release(); }
    // Done with the ordered part: the lane's next request may go (idempotent).
    void Release() {
      if (released_) return;
      Wait();
      lanes_->Done(lane_);
      released_ = true;
    }
    // Without blocking (gRPC's callback API): runs `ready` once every
    // earlier request of this lane is done, inline when they already are,
    // else on the thread that finishes the last of them. Release() only from
    // `ready` or after it ran.
    void WhenReady(absl::AnyInvocable<void() &&> ready) {
      GL_CHECK(!waited_);
      waited_ = true;
      lanes_->RunWhenServing(lane_, ticket_, std::move(ready));
    }
    // Blocks until every earlier request of this lane is done.
    void Wait() {
      if (waited_) return;
      lanes_->WaitFor(lane_, ticket_);
      waited_ = true;
    }

   private:
    ClientLanes* lanes_;
    std::string lane_;
    uint64_t ticket_;
    bool waited_ = false;
    bool released_ = false;
  };

  // The caller's place in `lane`, taken on arrival.
  Turn Arrive(const std::string& lane) {
    absl::MutexLock lock(&mu_);
    return Turn(this, lane, lanes_[lane].next++);
  }
  // Lanes with requests in flight (bounded by concurrent RPCs).
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return lanes_.size();
  }

 private:
  struct Lane {
    uint64_t next = 0;     // the ticket the next arrival gets
    uint64_t serving = 0;  // tickets below it are done
    // Turn::WhenReady callbacks by ticket, run when it is served.
    absl::flat_hash_map<uint64_t, absl::AnyInvocable<void() &&>> ready;
  };
  void RunWhenServing(const std::string& lane, uint64_t ticket,
                      absl::AnyInvocable<void() &&> ready) {
    {
      absl::MutexLock lock(&mu_);
      Lane& l = lanes_[lane];
      if (l.serving != ticket) {
        l.ready.emplace(ticket, std::move(ready));
        return;
      }
    }
    std::move(ready)();
  }
  void WaitFor(const std::string& lane, uint64_t ticket) {
    absl::MutexLock lock(&mu_);
    const Lane* l = &lanes_[lane];
    struct Arg {
      const Lane* lane;
      uint64_t ticket;
    } arg{l, ticket};
    mu_.Await(absl::Condition(+[](Arg* a) { return a->lane->serving == a->ticket; }, &arg));
  }
  // Only by the holder of the lane's current ticket.
  void Done(const std::string& lane) {
    absl::AnyInvocable<void() &&> next;
    {
      absl::MutexLock lock(&mu_);
      Lane& l = lanes_[lane];
      ++l.serving;
      if (l.serving == l.next) {
        lanes_.erase(lane);  // nobody waits on it
      } else if (auto it = l.ready.find(l.serving); it != l.ready.end()) {
        next = std::move(it->second);
        l.ready.erase(it);
      }
    }
    if (next) std::move(next)();  // the next request goes on this thread
  }

  mutable absl::Mutex mu_;
  // node_hash_map: a waiter's Lane* stays valid while others are inserted.
  absl::node_hash_map<std::string, Lane> lanes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CLIENT_LANES_H_
