#include "core/consensus/batch_maker.h"

namespace gridledger::consensus {

std::optional<std::vector<Bytes>> BatchMaker::Add(Bytes tx, TimeMs now) {
  if (open_.empty()) opened_ms_ = now;
  open_bytes_ += tx.size();
  open_.push_back(std::move(tx));
  if (open_bytes_ >= batch_bytes_ || open_.size() >= batch_txs_max_) return Seal();
  return std::nullopt;
}

std::optional<std::vector<Bytes>> BatchMaker::Tick(TimeMs now) {
  if (open_.empty() || now < opened_ms_ + max_batch_delay_ms_) return std::nullopt;
  return Seal();
}

std::vector<Bytes> BatchMaker::Seal() {
  std::vector<Bytes> out = std::move(open_);
  open_.clear();
  open_bytes_ = 0;
  return out;
}

}  // namespace gridledger::consensus
