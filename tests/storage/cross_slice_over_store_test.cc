// Cross-slice receipts over the LMDB node store: the source's receipts and
// the destination's credited marks are written in each commit's one write,
// covered by the state root, and survive a restart, so an import executed
// again after the restart credits nothing twice.
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/execution/executor.h"
#include "core/execution/genesis.h"
#include "core/execution/receipt.h"
#include "core/execution/receipt_records.h"
#include "gtest/gtest.h"
#include "storage/block_commit.h"
#include "storage/genesis_seed.h"
#include "storage/node_store.h"
#include "tests/core/execution/block_builder.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

constexpr SliceId kA(0);
constexpr SliceId kB(1);

Genesis MakeGenesis() {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  for (uint32_t s = 0; s < 2; ++s) {
    GenesisSlice slice;
    slice.id = SliceId(s);
    for (uint32_t i = 0; i < 4; ++i) {
      slice.validators.push_back(GenesisValidator{KeyPair::FromSeed(10 * (s + 1) + i).public_key(),
                                                  "127.0.0.1",
                                                  static_cast<uint16_t>(7000 + 4 * s + i)});
    }
    g.slices.push_back(slice);
  }
  g.accounts.push_back(GenesisAccount{AccountRef{kA, KeyPair::FromSeed(100).public_key()},
                                      Amount(10'000)});
  return g;
}

std::unique_ptr<NodeStore> OpenStore(const std::string& dir) {
  LmdbOptions options;
  options.dir = dir;
  auto store = NodeStore::Open(options);
  GL_CHECK(store.ok());
  return std::move(*store);
}

uint64_t Balance(NodeStore& store, const AccountRef& ref) {
  auto view = store.Snapshot();
  GL_CHECK(view.ok());
  auto acct = (*view)->GetAccount(ref);
  GL_CHECK(acct.ok());
  return acct->has_value() ? (*acct)->balance.value() : 0;
}

TEST(CrossSliceOverStoreTest, ReceiptsAndCreditsAreStateAndSurviveRestart) {
  const Genesis genesis = MakeGenesis();
  const CrossSliceConfig config = CrossSliceConfig::FromGenesis(genesis);
  TempDir dir_a, dir_b;
  auto a = OpenStore(dir_a.path());
  auto b = OpenStore(dir_b.path());
  ASSERT_TRUE(SeedFromGenesis(*a, genesis, kA).ok());
  ASSERT_TRUE(SeedFromGenesis(*b, genesis, kB).ok());
  const Executor exec_a(kA, {}, {}, config), exec_b(kB, {}, {}, config);
  const AccountRef from = genesis.accounts[0].account;
  const AccountRef to{kB, KeyPair::FromSeed(200).public_key()};

  auto sent = ExecuteAndCommit(*a, exec_a, Digest(),
                               {::gridledger::testing::Transfer(kA, from.key, 0, to, 700)});
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_EQ(sent->receipts.size(), 1u);
  // The receipt records are state: the running root equals one recomputed
  // from the tables.
  EXPECT_EQ(*a->StateRoot(), *a->RecomputeStateRoot());
  // The relay's reads, over the store.
  {
    auto view = a->Snapshot();
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(**OutgoingReceipt(**view, kB, 1), sent->receipts[0]);
    EXPECT_EQ(*CommitDestinations(**view, 1), DestinationHashes(sent->receipts));
  }
  const consensus::Checkpoint c{GenesisDigest(genesis), kA, 1, *a->StateRootAt(1),
                                sent->receipts_root};
  std::vector<std::pair<ValidatorIndex, Signature>> sigs;
  for (uint32_t i = 0; i < 3; ++i) {
    sigs.emplace_back(ValidatorIndex(i),
                      KeyPair::FromSeed(10 + i).Sign(consensus::CheckpointDigest(c)));
  }
  auto imports = MakeReceiptImports(c, sigs, kB, sent->receipts, DestinationHashes(sent->receipts));
  ASSERT_TRUE(imports.ok()) << imports.status();

  auto credited = ExecuteAndCommit(*b, exec_b, Digest(), {}, 0, nullptr, *imports);
  ASSERT_TRUE(credited.ok()) << credited.status();
  ASSERT_EQ(credited->imports.size(), 1u);
  EXPECT_EQ(credited->imports[0].credited, 1u) << credited->imports[0].refused;
  EXPECT_EQ(Balance(*b, to), 700u);
  EXPECT_EQ(*b->StateRoot(), *b->RecomputeStateRoot());

  // Restart both; the relay sends the import again: a duplicate.
  a.reset();
  b.reset();
  a = OpenStore(dir_a.path());
  b = OpenStore(dir_b.path());
  auto again = ExecuteAndCommit(*b, exec_b, Digest(), {}, 0, nullptr, *imports);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->imports[0].credited, 0u);
  EXPECT_EQ(again->imports[0].duplicates, 1u);
  EXPECT_EQ(Balance(*b, to), 700u);
  EXPECT_EQ(Balance(*a, from), 10'000u - 700u);
  auto view = b->Snapshot();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*NextIncoming(**view, kA), 2u);
}

}  // namespace
}  // namespace gridledger::storage
