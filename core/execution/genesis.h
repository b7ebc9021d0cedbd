// The genesis description of a ledger and its strict, versioned text format.
//
// Format version 1 (one record per line, every line ends in '\n', fields are
// separated by exactly one space, no blank lines, no comments, no leading or
// trailing spaces):
//
//   gridledger-genesis 1
//   dso <key>
//   slice <slice>
//   validator <slice> <index> <key> <host>:<port>
//   ...                                   (more validators, then more slices)
//   account <slice> <key> <balance>
//   ...
//
// - <key>: a BIP-340 x-only public key, 64 lowercase hex digits, on the curve.
// - Slices are numbered 0, 1, 2, ... in order; each `slice` line is followed
//   by its validators (at least one), whose <slice> repeats the slice id and
//   whose <index> counts 0, 1, 2, ...
// - <host>: letters, digits, '.', '-' (no IPv6 literals); <port>: 1..65535.
// - Account lines come after every slice; <balance> is micro-units.
// - Numbers are canonical decimal (no sign, no leading zeros).
// - Validator keys, validator addresses and (slice, key) of accounts are
//   unique; the total supply fits in 64 bits.
// Anything else is rejected with InvalidArgument "genesis line N: ...".
// Parse(Serialize(g)) == g and Serialize(Parse(text)) == text.
#ifndef GRIDLEDGER_CORE_EXECUTION_GENESIS_H_
#define GRIDLEDGER_CORE_EXECUTION_GENESIS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/types.h"

namespace gridledger {

inline constexpr uint32_t kGenesisFormatVersion = 1;
inline constexpr absl::string_view kGenesisMagic = "gridledger-genesis";
inline constexpr absl::string_view kTagGenesis = "gridledger/genesis";
inline constexpr size_t kMaxGenesisSlices = 1024;
inline constexpr size_t kMaxValidatorsPerSlice = 256;
inline constexpr size_t kMaxGenesisAccounts = size_t{1} << 22;
inline constexpr size_t kMaxGenesisLineBytes = 512;

struct GenesisValidator {
  PublicKey key;
  std::string host;
  uint16_t port = 0;
  bool operator==(const GenesisValidator&) const = default;
};

struct GenesisSlice {
  SliceId id;
  std::vector<GenesisValidator> validators;  // committee, by index
  bool operator==(const GenesisSlice&) const = default;
};

struct GenesisAccount {
  AccountRef account;
  Amount balance;
  bool operator==(const GenesisAccount&) const = default;
};

struct Genesis {
  PublicKey dso;
  std::vector<GenesisSlice> slices;  // slices[i].id == i
  std::vector<GenesisAccount> accounts;
  bool operator==(const Genesis&) const = default;
};

absl::StatusOr<Genesis> ParseGenesis(absl::string_view text);
// The canonical text. It parses back only if `genesis` obeys the rules above;
// ValidateGenesis checks exactly that (for genesis built in code).
std::string SerializeGenesis(const Genesis& genesis);
absl::Status ValidateGenesis(const Genesis& genesis);

// TaggedHash(kTagGenesis, SerializeGenesis(genesis)).
Digest GenesisDigest(const Genesis& genesis);
// The state summary of `slice` before its first commit.
Digest GenesisStateSummary(const Genesis& genesis, SliceId slice);
// The genesis accounts whose home is `slice`, in file order.
std::vector<GenesisAccount> GenesisAccountsOf(const Genesis& genesis, SliceId slice);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_GENESIS_H_
