// Test helper: a store write whose whole content is a function of its
// sequence number, so a reader can check any commit without remembering it.
#ifndef GRIDLEDGER_TESTS_STORAGE_SYNTHETIC_BLOCKS_H_
#define GRIDLEDGER_TESTS_STORAGE_SYNTHETIC_BLOCKS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "core/crypto/sha256.h"
#include "storage/node_store.h"

namespace gridledger::storage::testing {

inline Digest Tagged(absl::string_view what, uint64_t a, uint64_t b = 0) {
  Bytes buf;
  ByteWriter w(&buf);
  w.U64(a);
  w.U64(b);
  return TaggedHash(absl::StrCat("gridledger/test/", what), buf);
}

inline TxId SyntheticTxId(uint64_t sequence, uint32_t i) { return Tagged("tx", sequence, i); }
inline AccountRef SyntheticAccount(uint64_t sequence) {
  return AccountRef{SliceId(0), PublicKey(Tagged("account", sequence).bytes)};
}
// Written by every block: its value says which block wrote last.
inline AccountRef CounterAccount() { return AccountRef{SliceId(0), PublicKey()}; }

inline BlockWrite SyntheticBlock(uint64_t sequence) {
  BlockWrite b;
  b.sequence = sequence;
  const uint32_t n = 1 + static_cast<uint32_t>(sequence % 7);
  b.meta.anchor = Tagged("anchor", sequence);
  b.meta.num_txs = n + 1;  // one more slot: a duplicate, which is not indexed
  b.meta.state_summary = Tagged("summary", sequence);
  for (uint32_t i = 0; i < n; ++i) {
    StoredTx tx;
    if (i % 3 == 1) {
      tx.code = TxResultCode::kInsufficientBalance;
      tx.reason = absl::StrCat("insufficient balance: ", sequence, " < amount ", i);
    }
    tx.commit_sequence = sequence;
    tx.index = i + 1;
    tx.raw.assign(40 + (sequence + i) % 100, static_cast<uint8_t>(sequence + i));
    b.txs.emplace_back(SyntheticTxId(sequence, i), std::move(tx));
  }
  b.accounts.emplace_back(SyntheticAccount(sequence),
                          AccountState{Amount(sequence * 10), Nonce(sequence)});
  b.accounts.emplace_back(CounterAccount(), AccountState{Amount(sequence), Nonce(sequence)});
  return b;
}

}  // namespace gridledger::storage::testing

#endif  // GRIDLEDGER_TESTS_STORAGE_SYNTHETIC_BLOCKS_H_
