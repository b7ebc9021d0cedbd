#include "storage/genesis_seed.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace gridledger::storage {

absl::Status SeedFromGenesis(NodeStore& store, const Genesis& genesis, SliceId slice) {
  if (slice.value() >= genesis.slices.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "slice ", slice.value(), " is not in the genesis (", genesis.slices.size(), " slices)"));
  }
  std::vector<std::pair<AccountRef, AccountState>> accounts;
  for (const GenesisAccount& a : GenesisAccountsOf(genesis, slice)) {
    accounts.emplace_back(a.account, AccountState{a.balance, Nonce(0)});
  }
  return store.SeedGenesis(GenesisDigest(genesis), GenesisStateSummary(genesis, slice), accounts);
}

}  // namespace gridledger::storage
