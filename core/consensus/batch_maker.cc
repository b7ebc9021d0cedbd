#include "core/consensus/batch_maker.h"

#include <algorithm>

namespace gridledger::consensus {
namespace {
constexpr size_t kInitialTxs = 256;
constexpr size_t kInitialBytes = size_t{32} << 10;
}  // namespace

std::optional<TxList> BatchMaker::Add(ByteSpan tx, TimeMs now) {
  if (open_.empty()) {
    opened_ms_ = now;
    // A start, then doubling: a full-size reservation would stay with every
    // small batch sealed by the delay, in the batch store.
    open_.reserve(std::min(batch_txs_max_, kInitialTxs), std::min(batch_bytes_, kInitialBytes));
  }
  open_bytes_ += tx.size();
  open_.push_back(tx);
  if (open_bytes_ >= batch_bytes_ || open_.size() >= batch_txs_max_) return Seal();
  return std::nullopt;
}

std::optional<TxList> BatchMaker::Tick(TimeMs now) {
  if (open_.empty() || now < opened_ms_ + max_batch_delay_ms_) return std::nullopt;
  return Seal();
}

void BatchMaker::Restore(std::vector<Bytes> txs) {
  for (Bytes& tx : txs) restored_.push_back(std::move(tx));
}

std::optional<TxList> BatchMaker::TakeRestored() {
  if (restored_.empty()) return std::nullopt;
  TxList out;
  size_t bytes = 0;
  while (!restored_.empty() && bytes < batch_bytes_ && out.size() < batch_txs_max_) {
    bytes += restored_.front().size();
    out.push_back(restored_.front());
    restored_.pop_front();
  }
  return out;
}

TxList BatchMaker::Seal() {
  TxList out = std::move(open_);
  open_.clear();
  open_bytes_ = 0;
  return out;
}

}  // namespace gridledger::consensus
