#include "storage/tx_run_filter.h"

#include <algorithm>
#include <cstring>

namespace gridledger::storage {
namespace {

uint64_t Word(const TxId& id, size_t offset) {
  uint64_t w;
  std::memcpy(&w, id.data() + offset, sizeof(w));
  return w;
}

// 8 probes of 9 bits each (a bit of the block's 512), from bytes 8..23.
template <typename F>
void ForEachProbe(const TxId& id, F f) {
  const uint64_t lo = Word(id, 8);
  for (int i = 0; i < 7; ++i) f(static_cast<unsigned>((lo >> (9 * i)) & 511));
  f(static_cast<unsigned>(Word(id, 16) & 511));
}

}  // namespace

RunFilter::RunFilter(uint64_t expected_ids)
    : blocks_(std::max<uint64_t>(1, (std::min<uint64_t>(expected_ids, uint64_t{1} << 40) *
                                         kBitsPerId + 511) / 512)) {}

size_t RunFilter::BlockOf(const TxId& id) const {
  // Range reduction without a division: the high half of a 64x64 product.
  return static_cast<size_t>(
      (static_cast<unsigned __int128>(Word(id, 0)) * blocks_.size()) >> 64);
}

void RunFilter::Add(const TxId& id) {
  Block& block = blocks_[BlockOf(id)];
  ForEachProbe(id, [&](unsigned bit) { block.words[bit >> 6] |= uint64_t{1} << (bit & 63); });
}

bool RunFilter::MayContain(const TxId& id) const {
  const Block& block = blocks_[BlockOf(id)];
  uint64_t missing = 0;
  ForEachProbe(id, [&](unsigned bit) {
    missing |= ~block.words[bit >> 6] & (uint64_t{1} << (bit & 63));
  });
  return missing == 0;
}

std::shared_ptr<const RunFilter> TxRunFilters::Get(uint32_t run) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = filters_.find(run);
  return it == filters_.end() ? nullptr : it->second;
}

void TxRunFilters::Publish(uint32_t run, std::shared_ptr<const RunFilter> filter) {
  absl::MutexLock lock(&mu_);
  filters_[run] = std::move(filter);
}

void TxRunFilters::Drop(uint32_t run) {
  absl::MutexLock lock(&mu_);
  filters_.erase(run);
}

void TxRunFilters::Clear() {
  absl::MutexLock lock(&mu_);
  filters_.clear();
}

size_t TxRunFilters::bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  size_t total = 0;
  for (const auto& [run, filter] : filters_) total += filter->bytes();
  return total;
}

}  // namespace gridledger::storage
