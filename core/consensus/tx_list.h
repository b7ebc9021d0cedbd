// The transactions of a batch in one buffer: their bytes back to back and the
// end offset of each. A batch of n transactions then costs two heap
// allocations instead of n + 1, whether it is sealed, decoded from a peer,
// copied into the store or sent (issue 12 item 4); its wire encoding
// (messages.h) is unchanged. Read-only views (ByteSpan) stay valid while the
// list is alive and not changed.
#ifndef GRIDLEDGER_CORE_CONSENSUS_TX_LIST_H_
#define GRIDLEDGER_CORE_CONSENSUS_TX_LIST_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <vector>

#include "core/common/bytes.h"
#include "core/common/check.h"

namespace gridledger::consensus {

class TxList {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ByteSpan;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = ByteSpan;

    Iterator() = default;
    ByteSpan operator*() const { return (*list_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++index_;
      return before;
    }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }

   private:
    friend class TxList;
    Iterator(const TxList* list, size_t index) : list_(list), index_(index) {}
    const TxList* list_ = nullptr;
    size_t index_ = 0;
  };

  TxList() = default;
  // Copies each transaction (tests and restored transactions).
  TxList(std::initializer_list<Bytes> txs) {
    for (const Bytes& tx : txs) push_back(tx);
  }
  explicit TxList(const std::vector<Bytes>& txs) {
    for (const Bytes& tx : txs) push_back(tx);
  }

  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  // Sum of the transactions' sizes.
  size_t payload_bytes() const { return bytes_.size(); }
  ByteSpan operator[](size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return ByteSpan(bytes_.data() + begin, ends_[i] - begin);
  }
  ByteSpan front() const { return (*this)[0]; }
  ByteSpan back() const { return (*this)[size() - 1]; }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

  void reserve(size_t txs, size_t bytes) {
    ends_.reserve(txs);
    bytes_.reserve(bytes);
  }
  // Offsets are u32: a batch is bounded far below 4 GiB (kMaxBatchTransactions
  // x kMaxTransactionBytes, or the sealing limits).
  void push_back(ByteSpan tx) {
    GL_CHECK(bytes_.size() + tx.size() <= UINT32_MAX);
    bytes_.insert(bytes_.end(), tx.begin(), tx.end());
    ends_.push_back(static_cast<uint32_t>(bytes_.size()));
  }
  void clear() {
    bytes_.clear();
    ends_.clear();
  }
  std::vector<Bytes> ToVector() const {
    std::vector<Bytes> out;
    out.reserve(size());
    for (ByteSpan tx : *this) out.emplace_back(tx.begin(), tx.end());
    return out;
  }

  // Same transactions in the same order (the offsets fix the split).
  bool operator==(const TxList&) const = default;

 private:
  Bytes bytes_;
  std::vector<uint32_t> ends_;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_TX_LIST_H_
