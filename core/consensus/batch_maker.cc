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

void BatchMaker::Restore(std::vector<Bytes> txs) {
  for (Bytes& tx : txs) restored_.push_back(std::move(tx));
}

std::optional<std::vector<Bytes>> BatchMaker::TakeRestored() {
  if (restored_.empty()) return std::nullopt;
  std::vector<Bytes> out;
  size_t bytes = 0;
  while (!restored_.empty() && bytes < batch_bytes_ && out.size() < batch_txs_max_) {
    bytes += restored_.front().size();
    out.push_back(std::move(restored_.front()));
    restored_.pop_front();
  }
  return out;
}

std::vector<Bytes> BatchMaker::Seal() {
  std::vector<Bytes> out = std::move(open_);
  open_.clear();
  open_bytes_ = 0;
  return out;
}

}  // namespace gridledger::consensus
