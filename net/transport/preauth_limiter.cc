#include "net/transport/preauth_limiter.h"

#include <algorithm>

#include "core/common/check.h"

namespace gridledger::net::internal {

PreauthLimiter::PreauthLimiter(size_t per_source_max, size_t total_max)
    : per_source_max_(per_source_max), total_max_(total_max) {
  GL_CHECK(per_source_max_ >= 1 && per_source_max_ <= total_max_);
}

size_t PreauthLimiter::pending_from(const std::string& source) const {
  auto it = by_source_.find(source);
  return it == by_source_.end() ? 0 : it->second.size();
}

uint64_t PreauthLimiter::PopOldest(const std::string& source) {
  auto it = by_source_.find(source);
  GL_CHECK(it != by_source_.end() && !it->second.empty());
  const uint64_t id = it->second.front();
  it->second.pop_front();
  if (it->second.empty()) by_source_.erase(it);
  source_of_.erase(id);
  return id;
}

std::string PreauthLimiter::Heaviest() const {
  const std::string* best = nullptr;
  const std::deque<uint64_t>* best_ids = nullptr;
  for (const auto& [source, ids] : by_source_) {
    if (best == nullptr || ids.size() > best_ids->size() ||
        (ids.size() == best_ids->size() && ids.front() < best_ids->front())) {
      best = &source;
      best_ids = &ids;
    }
  }
  GL_CHECK(best != nullptr);
  return *best;
}

std::vector<uint64_t> PreauthLimiter::Admit(const std::string& source, uint64_t id) {
  GL_CHECK(!source_of_.contains(id));
  std::vector<uint64_t> evicted;
  if (pending_from(source) >= per_source_max_) evicted.push_back(PopOldest(source));
  while (total() >= total_max_) evicted.push_back(PopOldest(Heaviest()));
  by_source_[source].push_back(id);
  source_of_.emplace(id, source);
  std::sort(evicted.begin(), evicted.end());
  return evicted;
}

void PreauthLimiter::Remove(uint64_t id) {
  auto it = source_of_.find(id);
  if (it == source_of_.end()) return;
  auto ids = by_source_.find(it->second);
  GL_CHECK(ids != by_source_.end());
  ids->second.erase(std::find(ids->second.begin(), ids->second.end(), id));
  if (ids->second.empty()) by_source_.erase(ids);
  source_of_.erase(it);
}

}  // namespace gridledger::net::internal
