// Cross-slice TRANSFER by receipts (core/execution/receipt.h): the source
// debits and emits numbered receipts, the destination credits each exactly
// once from an import that a final checkpoint of the source certifies, and
// nothing else (replays, reordering, forgeries, too few signatures, unknown
// slices) has any effect.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/execution/executor.h"
#include "core/execution/memory_state.h"
#include "core/execution/receipt.h"
#include "core/execution/receipt_records.h"
#include "gtest/gtest.h"
#include "tests/core/execution/block_builder.h"

namespace gridledger {
namespace {

using testing::TestKey;
using testing::Transfer;

constexpr SliceId kA(0);
constexpr SliceId kB(1);
constexpr SliceId kC(2);
constexpr size_t kValidators = 4;

Digest ChainId() { return Sha256(Bytes{'x', 's'}); }

// Three slices of four validators each; keys from seeds 100 * slice + i.
struct Network {
  Network() {
    config.chain_id = ChainId();
    for (uint32_t s = 0; s < 3; ++s) {
      std::vector<PublicKey> committee;
      keys.emplace_back();
      for (uint32_t i = 0; i < kValidators; ++i) {
        keys[s].push_back(KeyPair::FromSeed(100 * s + i + 1));
        committee.push_back(keys[s].back().public_key());
      }
      config.committees.push_back(committee);
    }
  }
  std::vector<std::vector<KeyPair>> keys;
  CrossSliceConfig config;
};

const Network& Net() {
  static const Network* net = new Network();
  return *net;
}

// One slice's state and executor.
class Slice {
 public:
  explicit Slice(SliceId id) : id_(id), executor_(id, {}, {}, Net().config) {}

  void Fund(uint64_t n, uint64_t balance) {
    state_.SetAccount(AccountRef{id_, TestKey(n)}, AccountState{Amount(balance), Nonce(0)});
  }
  BlockOutcome Run(const std::vector<BlockTx>& block, const std::vector<Bytes>& imports = {}) {
    absl::StatusOr<BlockOutcome> outcome = executor_.ExecuteBlock(state_, block, 0, imports);
    GL_CHECK(outcome.ok());
    state_.Apply(*outcome);
    return *outcome;
  }
  uint64_t Balance(uint64_t n) const {
    auto got = state_.GetAccount(AccountRef{id_, TestKey(n)});
    GL_CHECK(got.ok());
    return got->has_value() ? (*got)->balance.value() : 0;
  }
  uint64_t Total() const {
    uint64_t sum = 0;
    for (const auto& [ref, acct] : state_.SortedAccounts()) sum += acct.balance.value();
    return sum;
  }
  uint64_t sequence() const { return state_.last_committed_sequence(); }
  const MemoryState& state() const { return state_; }
  SliceId id() const { return id_; }

 private:
  SliceId id_;
  Executor executor_;
  MemoryState state_;
};

consensus::Checkpoint CheckpointOf(const Slice& source, const BlockOutcome& outcome) {
  return consensus::Checkpoint{ChainId(), source.id(), source.sequence(), Digest(),
                               outcome.receipts_root, Digest()};
}

std::vector<std::pair<ValidatorIndex, Signature>> Sign(const consensus::Checkpoint& c,
                                                       std::vector<uint32_t> signers) {
  std::vector<std::pair<ValidatorIndex, Signature>> out;
  for (uint32_t i : signers) {
    out.emplace_back(ValidatorIndex(i),
                     Net().keys[c.slice.value()][i].Sign(consensus::CheckpointDigest(c)));
  }
  return out;
}

// The imports of `outcome` (just executed by `source`) for `dest`.
std::vector<Bytes> Imports(const Slice& source, const BlockOutcome& outcome, SliceId dest,
                           std::vector<uint32_t> signers = {0, 1, 2}) {
  const consensus::Checkpoint c = CheckpointOf(source, outcome);
  std::vector<Receipt> mine;
  for (const Receipt& r : outcome.receipts) {
    if (r.destination == dest) mine.push_back(r);
  }
  auto imports = MakeReceiptImports(c, Sign(c, signers), dest, mine,
                                    DestinationHashes(outcome.receipts));
  GL_CHECK(imports.ok());
  return *imports;
}

ImportOutcome Single(const BlockOutcome& outcome) {
  GL_CHECK(outcome.imports.size() == 1);
  return outcome.imports[0];
}

// Money of both slices plus the receipts from a to b not yet credited.
uint64_t Conserved(const Slice& a, const Slice& b) {
  const uint64_t next = *NextIncoming(b.state(), a.id());
  return a.Total() + b.Total() + *OutgoingAmountFrom(a.state(), b.id(), next);
}

TEST(CrossSliceTest, SourceDebitsAndEmitsNumberedReceiptsCoveredByTheRoot) {
  Slice a(kA);
  a.Fund(1, 1000);
  const BlockTx t1 = Transfer(kA, TestKey(1), 0, AccountRef{kB, TestKey(2)}, 300);
  const BlockTx t2 = Transfer(kA, TestKey(1), 1, AccountRef{kB, TestKey(3)}, 200);
  const BlockOutcome o = a.Run({t1, t2});
  ASSERT_EQ(o.results.size(), 2u);
  EXPECT_EQ(o.results[0].code, TxResultCode::kSuccess);
  EXPECT_EQ(o.results[1].code, TxResultCode::kSuccess);
  EXPECT_EQ(a.Balance(1), 500u);
  ASSERT_EQ(o.receipts.size(), 2u);
  EXPECT_EQ(o.receipts[0], (Receipt{kA, 1, 0, 1, kB, TestKey(2), Amount(300), t1.id}));
  EXPECT_EQ(o.receipts[1], (Receipt{kA, 1, 1, 2, kB, TestKey(3), Amount(200), t2.id}));
  EXPECT_EQ(o.receipts_root, ReceiptsRootOf(DestinationHashes(o.receipts)));
  EXPECT_NE(o.receipts_root, Digest());
  // The records: receipts by (destination, number), the next number, the
  // commit's destination hashes.
  EXPECT_EQ(*NextOutgoing(a.state(), kB), 3u);
  EXPECT_EQ(**OutgoingReceipt(a.state(), kB, 2), o.receipts[1]);
  EXPECT_EQ(*CommitDestinations(a.state(), 1), DestinationHashes(o.receipts));
  EXPECT_EQ(*OutgoingAmountFrom(a.state(), kB, 1), 500u);
  // A commit without receipts has the zero root and no record.
  const BlockOutcome empty = a.Run({Transfer(kA, TestKey(1), 2, AccountRef{kA, TestKey(4)}, 1)});
  EXPECT_EQ(empty.receipts_root, Digest());
  EXPECT_TRUE(CommitDestinations(a.state(), 2)->empty());
  // Numbering continues across commits.
  const BlockOutcome third = a.Run({Transfer(kA, TestKey(1), 3, AccountRef{kB, TestKey(2)}, 5)});
  ASSERT_EQ(third.receipts.size(), 1u);
  EXPECT_EQ(third.receipts[0].number, 3u);
  EXPECT_EQ(third.receipts[0].index, 0u);
}

TEST(CrossSliceTest, TransferToAnUnknownSliceChangesNothing) {
  Slice a(kA);
  a.Fund(1, 100);
  const BlockOutcome o = a.Run({Transfer(kA, TestKey(1), 0, AccountRef{SliceId(7), TestKey(2)}, 10)});
  EXPECT_EQ(o.results[0].code, TxResultCode::kCrossSlice);
  EXPECT_EQ(o.results[0].reason, "recipient slice 7 does not exist");
  EXPECT_EQ(a.Balance(1), 100u);
  EXPECT_TRUE(o.receipts.empty());
}

TEST(CrossSliceTest, ImportCreditsOnceAndReplaysAreDuplicates) {
  Slice a(kA), b(kB);
  a.Fund(1, 1000);
  const uint64_t supply = 1000;
  const BlockOutcome o = a.Run({Transfer(kA, TestKey(1), 0, AccountRef{kB, TestKey(2)}, 300)});
  EXPECT_EQ(Conserved(a, b), supply);  // 300 in flight
  const std::vector<Bytes> imports = Imports(a, o, kB);
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(Single(b.Run({}, imports)).credited, 1u);
  EXPECT_EQ(b.Balance(2), 300u);
  EXPECT_EQ(*NextIncoming(b.state(), kA), 2u);
  EXPECT_EQ(Conserved(a, b), supply);
  // The same import again, twice in one block, and one signed by other members.
  const BlockOutcome again = b.Run({}, {imports[0], imports[0], Imports(a, o, kB, {1, 2, 3})[0]});
  for (const ImportOutcome& io : again.imports) {
    EXPECT_EQ(io.credited, 0u);
    EXPECT_EQ(io.duplicates, 1u);
    EXPECT_EQ(io.refused, "");
  }
  EXPECT_EQ(b.Balance(2), 300u);
  EXPECT_EQ(Conserved(a, b), supply);
}

TEST(CrossSliceTest, ReceiptsAreCreditedInSourceOrderOnly) {
  Slice a(kA), b(kB);
  a.Fund(1, 1000);
  const BlockOutcome o1 = a.Run({Transfer(kA, TestKey(1), 0, AccountRef{kB, TestKey(2)}, 10)});
  const std::vector<Bytes> i1 = Imports(a, o1, kB);
  const BlockOutcome o2 = a.Run({Transfer(kA, TestKey(1), 1, AccountRef{kB, TestKey(2)}, 20)});
  const std::vector<Bytes> i2 = Imports(a, o2, kB);
  // The second commit's receipt arrives first: refused, nothing credited.
  const ImportOutcome early = Single(b.Run({}, i2));
  EXPECT_EQ(early.credited, 0u);
  EXPECT_EQ(early.refused, "out of order: receipt 2 from slice 0, next expected is 1");
  EXPECT_EQ(b.Balance(2), 0u);
  // Both in one block, in source order: both credited.
  const BlockOutcome both = b.Run({}, {i1[0], i2[0]});
  EXPECT_EQ(both.imports[0].credited, 1u);
  EXPECT_EQ(both.imports[1].credited, 1u);
  EXPECT_EQ(b.Balance(2), 30u);
  EXPECT_EQ(Conserved(a, b), 1000u);
}

TEST(CrossSliceTest, ManyReceiptsTravelInChunksAndTheLimitHolds) {
  Slice a(kA), b(kB);
  std::vector<BlockTx> block;
  for (uint64_t n = 0; n < kMaxReceiptsPerDestination + 1; ++n) {
    a.Fund(1000 + n, 10);
    block.push_back(Transfer(kA, TestKey(1000 + n), 0, AccountRef{kB, TestKey(2)}, 10));
  }
  // One more to slice C still fits: the limit is per destination.
  a.Fund(5000, 10);
  block.push_back(Transfer(kA, TestKey(5000), 0, AccountRef{kC, TestKey(3)}, 10));
  const BlockOutcome o = a.Run(block);
  EXPECT_EQ(o.results[kMaxReceiptsPerDestination].code, TxResultCode::kCrossSlice);
  EXPECT_EQ(o.results[kMaxReceiptsPerDestination].reason,
            "receipt limit: this commit already has 512 receipts for slice 1; send it again");
  EXPECT_EQ(o.results.back().code, TxResultCode::kSuccess);
  ASSERT_EQ(o.receipts.size(), kMaxReceiptsPerDestination + 1);
  const std::vector<Bytes> imports = Imports(a, o, kB);
  ASSERT_EQ(imports.size(), kMaxReceiptChunks);
  for (const Bytes& i : imports) EXPECT_LE(i.size(), kMaxReceiptImportBytes);
  // The last chunk alone is out of order; then all in order.
  EXPECT_NE(Single(b.Run({}, {imports.back()})).refused, "");
  const BlockOutcome all = b.Run({}, imports);
  for (const ImportOutcome& io : all.imports) EXPECT_EQ(io.credited, kReceiptsPerChunk);
  EXPECT_EQ(b.Balance(2), 10 * kMaxReceiptsPerDestination);
}

class ForgedImportSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_.Fund(1, 1000);
    outcome_ = a_.Run({Transfer(kA, TestKey(1), 0, AccountRef{kB, TestKey(2)}, 300)});
    checkpoint_ = CheckpointOf(a_, outcome_);
    import_ = *DecodeReceiptImport(Imports(a_, outcome_, kB)[0]);
  }
  // Executes `m` (re-encoded) at B; expects no effect and returns the reason.
  std::string Refused(const ReceiptImport& m) {
    absl::StatusOr<Bytes> bytes = EncodeReceiptImport(m);
    GL_CHECK(bytes.ok());
    const ImportOutcome io = Single(b_.Run({}, {*bytes}));
    EXPECT_EQ(io.credited, 0u);
    EXPECT_EQ(b_.Balance(2), 0u);
    EXPECT_EQ(*NextIncoming(b_.state(), kA), 1u);
    return io.refused;
  }
  ReceiptImport Resigned(consensus::Checkpoint c, std::vector<uint32_t> signers = {0, 1, 2}) {
    ReceiptImport m = import_;
    m.checkpoint = c;
    m.signatures = Sign(c, signers);
    return m;
  }

  Slice a_{kA}, b_{kB};
  BlockOutcome outcome_;
  consensus::Checkpoint checkpoint_;
  ReceiptImport import_;
};

TEST_F(ForgedImportSecurityTest, TheGenuineImportCredits) {
  EXPECT_EQ(Single(b_.Run({}, {*EncodeReceiptImport(import_)})).credited, 1u);
}

TEST_F(ForgedImportSecurityTest, OnlyFPlusOneSignatures) {
  EXPECT_EQ(Refused(Resigned(checkpoint_, {0, 1})),
            "receipt_import: 2 checkpoint signatures, slice 0 needs 3");
}

TEST_F(ForgedImportSecurityTest, AForgedAmount) {
  ReceiptImport m = import_;
  m.receipts[0].amount = Amount(3000);
  EXPECT_EQ(Refused(m), "receipt_import.receipts: do not hash to chunk 0's hash");
  // Recomputing the chunk hash does not help: the root is signed.
  m.chunk_hashes = ReceiptChunkHashes(m.receipts);
  EXPECT_EQ(Refused(m), "receipt_import.receipts: do not hash to the checkpoint's receipts_root");
  // Nor does a checkpoint over the forged root: its signatures do not verify.
  ReceiptImport forged = m;
  forged.checkpoint.receipts_root =
      ReceiptsRootOf({{kB, DestinationHash(kB, m.chunk_hashes)}});
  EXPECT_EQ(Refused(forged),
            "receipt_import: checkpoint signature of validator 0 of slice 0 does not verify");
}

TEST_F(ForgedImportSecurityTest, SignedByAnotherSlicesCommittee) {
  ReceiptImport m = import_;
  for (auto& [signer, sig] : m.signatures) {
    sig = Net().keys[2][signer.value()].Sign(consensus::CheckpointDigest(checkpoint_));
  }
  EXPECT_EQ(Refused(m),
            "receipt_import: checkpoint signature of validator 0 of slice 0 does not verify");
}

TEST_F(ForgedImportSecurityTest, ASignerOutsideTheCommittee) {
  ReceiptImport m = import_;
  m.signatures.back().first = ValidatorIndex(9);
  EXPECT_EQ(Refused(m), "receipt_import: signer 9 is not in slice 0");
}

TEST_F(ForgedImportSecurityTest, AnotherChain) {
  consensus::Checkpoint c = checkpoint_;
  c.chain_id = Sha256(Bytes{'o'});
  EXPECT_NE(Refused(Resigned(c)).find("is not this chain's"), std::string::npos);
}

TEST_F(ForgedImportSecurityTest, AnUnknownSourceSlice) {
  ReceiptImport m = import_;
  m.checkpoint.slice = SliceId(9);
  EXPECT_EQ(Refused(m), "receipt_import.checkpoint.slice: 9 unknown");
}

TEST_F(ForgedImportSecurityTest, ForAnotherDestination) {
  // Genuine, but for B: slice C refuses it.
  Slice c(kC);
  const ImportOutcome io = Single(c.Run({}, {*EncodeReceiptImport(import_)}));
  EXPECT_EQ(io.credited, 0u);
  EXPECT_EQ(io.refused, "receipt_import.destination: 1 is not this slice 2");
}

TEST_F(ForgedImportSecurityTest, UndecodableBytes) {
  Bytes raw = *EncodeReceiptImport(import_);
  raw.push_back(0);
  EXPECT_NE(Single(b_.Run({}, {raw})).refused, "");
  raw.resize(40);
  EXPECT_NE(Single(b_.Run({}, {raw})).refused, "");
  EXPECT_EQ(b_.Balance(2), 0u);
}

TEST_F(ForgedImportSecurityTest, ReceiptsOfAnotherCheckpointUnderThisOne) {
  // The next commit's receipt under this commit's certified checkpoint.
  const BlockOutcome o2 = a_.Run({Transfer(kA, TestKey(1), 1, AccountRef{kB, TestKey(2)}, 50)});
  ReceiptImport m = import_;
  m.receipts = o2.receipts;
  EXPECT_EQ(Refused(m),
            "receipt_import.receipt: 0: source, sequence or destination differ from the "
            "checkpoint");
}

// Long random runs over three slices, one per seed (a failure names its
// seed, which replays it): every transfer's money is, at every commit, in
// exactly one place (a balance or a receipt in flight), and once every
// import is delivered (duplicated, in shuffled order, retried until
// credited) nothing is in flight.
class CrossSliceSeedTest : public ::testing::TestWithParam<uint64_t> {};

INSTANTIATE_TEST_SUITE_P(Seeds, CrossSliceSeedTest, ::testing::Range<uint64_t>(1, 11));

TEST_P(CrossSliceSeedTest, MoneyIsConservedAcrossSlicesUnderReorderAndReplay) {
  std::vector<Slice> slices;
  for (uint32_t s = 0; s < 3; ++s) slices.emplace_back(SliceId(s));
  constexpr uint64_t kAccounts = 8;
  std::vector<std::vector<uint64_t>> nonce(3, std::vector<uint64_t>(kAccounts, 0));
  for (auto& s : slices) {
    for (uint64_t n = 0; n < kAccounts; ++n) s.Fund(n, 1000);
  }
  const uint64_t supply = 3 * kAccounts * 1000;
  std::mt19937_64 rng(GetParam());
  // Imports ever produced, per destination; delivered at random.
  std::vector<std::vector<Bytes>> produced(3);
  auto in_flight = [&] {
    uint64_t sum = 0;
    for (uint32_t src = 0; src < 3; ++src) {
      for (uint32_t dst = 0; dst < 3; ++dst) {
        if (src == dst) continue;
        const uint64_t next = *NextIncoming(slices[dst].state(), SliceId(src));
        sum += *OutgoingAmountFrom(slices[src].state(), SliceId(dst), next);
      }
    }
    return sum;
  };
  auto total = [&] {
    uint64_t sum = in_flight();
    for (const auto& s : slices) sum += s.Total();
    return sum;
  };
  for (int step = 0; step < 500; ++step) {
    const uint32_t s = static_cast<uint32_t>(rng() % 3);
    std::vector<BlockTx> block;
    for (int k = 0; k < 4; ++k) {
      const uint64_t from = rng() % kAccounts;
      const SliceId to(static_cast<uint32_t>(rng() % 3));
      block.push_back(Transfer(SliceId(s), TestKey(from), nonce[s][from]++,
                               AccountRef{to, TestKey(rng() % kAccounts)}, 1 + rng() % 50));
    }
    std::vector<Bytes> deliver;
    auto& pool = produced[s];
    for (int k = 0; k < 3 && !pool.empty(); ++k) deliver.push_back(pool[rng() % pool.size()]);
    const BlockOutcome o = slices[s].Run(block, deliver);
    // A failed transfer did not consume its nonce.
    for (size_t i = 0; i < block.size(); ++i) {
      if (!o.results[i].ok()) {
        const uint64_t from_n = [&] {
          for (uint64_t n = 0; n < kAccounts; ++n) {
            if (block[i].tx.sender == TestKey(n)) return n;
          }
          return uint64_t{0};
        }();
        nonce[s][from_n] = std::min(nonce[s][from_n], block[i].tx.nonce.value());
      }
    }
    for (uint32_t d = 0; d < 3; ++d) {
      if (d == s) continue;
      bool any = false;
      for (const Receipt& r : o.receipts) any |= r.destination.value() == d;
      if (!any) continue;
      for (Bytes& i : Imports(slices[s], o, SliceId(d))) produced[d].push_back(std::move(i));
    }
    ASSERT_EQ(total(), supply) << "step " << step;
    // Each slice alone: balances + sent - credited = its genesis supply.
    for (const auto& sl : slices) {
      const ReceiptTotals t = *ReadReceiptTotals(sl.state());
      ASSERT_EQ(sl.Total() + t.sent_amount - t.credited_amount, kAccounts * 1000);
    }
  }
  // Drain: deliver every import in order until nothing is in flight.
  for (uint32_t d = 0; d < 3; ++d) slices[d].Run({}, produced[d]);
  EXPECT_EQ(in_flight(), 0u);
  EXPECT_EQ(total(), supply);
  uint64_t sent = 0, credited = 0;
  for (const auto& sl : slices) {
    sent += ReadReceiptTotals(sl.state())->sent;
    credited += ReadReceiptTotals(sl.state())->credited;
  }
  EXPECT_GT(sent, 100u);
  EXPECT_EQ(credited, sent);
}

}  // namespace
}  // namespace gridledger
