// Seeds a validator's store with its slice's genesis accounts.
#ifndef GRIDLEDGER_STORAGE_GENESIS_SEED_H_
#define GRIDLEDGER_STORAGE_GENESIS_SEED_H_

#include "absl/status/status.h"
#include "core/execution/genesis.h"
#include "storage/node_store.h"

namespace gridledger::storage {

// Writes the genesis accounts whose home is `slice` (balance from genesis,
// next nonce 0), GenesisStateSummary(genesis, slice) and GenesisDigest(genesis)
// in one write txn. Idempotent: only an empty store is written; a store seeded
// from the same genesis is left as it is; anything else is FailedPrecondition.
// InvalidArgument when `slice` is not in the genesis.
absl::Status SeedFromGenesis(NodeStore& store, const Genesis& genesis, SliceId slice);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_GENESIS_SEED_H_
