// Whether a validator's acknowledgements still stand. ACCEPTED is durable on
// the validator that said it, unless that validator may have lost its disk
// since: its connection broke (it may have restarted empty), or the caller
// reports a restart (the cluster harness kills and wipes validators; a wipe
// while nothing of the load generator was in flight to it breaks no
// connection the load generator would see). Each such event advances the
// validator's epoch; an acknowledgement stamped with an older epoch is in
// doubt and is resubmitted elsewhere. Thread-safe.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_VALIDATOR_EPOCHS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_VALIDATOR_EPOCHS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gridledger::loadgen {

class ValidatorEpochs {
 public:
  // validators_per_slice[s]: validators of slice s, indexed as in
  // LoadgenOptions::grpc_by_slice[s].
  explicit ValidatorEpochs(const std::vector<uint32_t>& validators_per_slice);
  // The shape of per-slice validator addresses (LoadgenOptions::grpc_by_slice).
  static std::vector<uint32_t> ShapeOf(
      const std::vector<std::vector<std::string>>& addresses_by_slice);
  ValidatorEpochs(const ValidatorEpochs&) = delete;
  ValidatorEpochs& operator=(const ValidatorEpochs&) = delete;

  // The caller killed or wiped the validator: call once it has stopped (and
  // before it restarts), so every acknowledgement it gave is in doubt.
  void MarkRestarted(uint32_t slice, uint32_t validator) { Advance(slice, validator); }
  // Its connection broke or was refused.
  void MarkConnectionBroke(uint32_t slice, uint32_t validator) { Advance(slice, validator); }

  // The validator's epoch now: stamp a send with it before the send.
  uint64_t Stamp(uint32_t slice, uint32_t validator) const;
  // An acknowledgement to a send stamped `stamp` may have been lost.
  bool InDoubt(uint32_t slice, uint32_t validator, uint64_t stamp) const {
    return Stamp(slice, validator) != stamp;
  }

  // The shape this was built for.
  const std::vector<uint32_t>& validators_per_slice() const { return validators_per_slice_; }

 private:
  void Advance(uint32_t slice, uint32_t validator);
  size_t Slot(uint32_t slice, uint32_t validator) const;

  const std::vector<uint32_t> validators_per_slice_;
  std::vector<size_t> first_slot_;  // of each slice in epochs_
  std::unique_ptr<std::atomic<uint64_t>[]> epochs_;
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_VALIDATOR_EPOCHS_H_
