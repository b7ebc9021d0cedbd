// Admission of not-yet-authenticated inbound connections, bounded per source
// address and in total with fair eviction: a newcomer is always admitted, and
// room is made by closing the OLDEST pending connection of its own source
// when that source is at its bound, else of the source holding the most
// pending connections when the total is at its bound. So a flood of idle
// sockets from a few addresses only ever evicts itself, and a committee peer
// that connects (from any address, including a flooded one) gets a slot at
// once and keeps it for its handshake. Not thread-safe (the io thread owns it).
#ifndef GRIDLEDGER_NET_TRANSPORT_PREAUTH_LIMITER_H_
#define GRIDLEDGER_NET_TRANSPORT_PREAUTH_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace gridledger::net::internal {

class PreauthLimiter {
 public:
  // 1 <= per_source_max <= total_max (our misuse otherwise).
  PreauthLimiter(size_t per_source_max, size_t total_max);

  // Admits connection `id` (ids increase with arrival) from `source`. Returns
  // the ids that must be closed to keep both bounds, oldest first; they are
  // already forgotten here.
  std::vector<uint64_t> Admit(const std::string& source, uint64_t id);
  // Forgets `id` (authenticated or closed). Unknown ids are ignored.
  void Remove(uint64_t id);

  size_t total() const { return source_of_.size(); }
  size_t pending_from(const std::string& source) const;

 private:
  // Removes and returns the oldest id of `source`.
  uint64_t PopOldest(const std::string& source);
  // The source with the most pending; ties go to the one whose oldest waited longest.
  std::string Heaviest() const;

  const size_t per_source_max_;
  const size_t total_max_;
  absl::flat_hash_map<std::string, std::deque<uint64_t>> by_source_;  // arrival order
  absl::flat_hash_map<uint64_t, std::string> source_of_;
};

}  // namespace gridledger::net::internal

#endif  // GRIDLEDGER_NET_TRANSPORT_PREAUTH_LIMITER_H_
