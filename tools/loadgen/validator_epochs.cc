#include "tools/loadgen/validator_epochs.h"

#include "core/common/check.h"

namespace gridledger::loadgen {

ValidatorEpochs::ValidatorEpochs(const std::vector<uint32_t>& validators_per_slice)
    : validators_per_slice_(validators_per_slice) {
  size_t slots = 0;
  for (uint32_t count : validators_per_slice_) {
    first_slot_.push_back(slots);
    slots += count;
  }
  epochs_ = std::make_unique<std::atomic<uint64_t>[]>(slots);
  for (size_t i = 0; i < slots; ++i) epochs_[i].store(0, std::memory_order_relaxed);
}

std::vector<uint32_t> ValidatorEpochs::ShapeOf(
    const std::vector<std::vector<std::string>>& addresses_by_slice) {
  std::vector<uint32_t> shape;
  shape.reserve(addresses_by_slice.size());
  for (const auto& slice : addresses_by_slice) shape.push_back(static_cast<uint32_t>(slice.size()));
  return shape;
}

size_t ValidatorEpochs::Slot(uint32_t slice, uint32_t validator) const {
  GL_CHECK(slice < validators_per_slice_.size());
  GL_CHECK(validator < validators_per_slice_[slice]);
  return first_slot_[slice] + validator;
}

void ValidatorEpochs::Advance(uint32_t slice, uint32_t validator) {
  epochs_[Slot(slice, validator)].fetch_add(1, std::memory_order_acq_rel);
}

uint64_t ValidatorEpochs::Stamp(uint32_t slice, uint32_t validator) const {
  return epochs_[Slot(slice, validator)].load(std::memory_order_acquire);
}

}  // namespace gridledger::loadgen
