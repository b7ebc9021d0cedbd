// The genesis description of a ledger and its strict, versioned text format.
//
// Format version 1 (one record per line, every line ends in '\n', fields are
// separated by exactly one space, no blank lines, no comments, no leading or
// trailing spaces):
//
//   gridledger-genesis 1
//   dso <key>
//   market <interval_ms> <gate_closure_ms> <reading_window_ms>   (optional)
//   slice <slice> [<dso key>]
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
// - `market` (right after `dso`) sets the market timing; absent means the
//   defaults (kDefaultMarketIntervalMs, ...), and a line that repeats exactly
//   the defaults is rejected, so the text stays canonical. Bounds:
//   1 <= interval_ms <= kMaxMarketIntervalMs, gate_closure_ms <=
//   kMaxGateClosureMs, 1 <= reading_window_ms <= kMaxReadingWindowMs.
// - A slice's DSO key (it signs REGISTER and SET_TARIFF there) is the `dso`
//   key unless the slice line names another one; naming the `dso` key itself
//   there is rejected (not canonical).
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
#include <optional>
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
// Bound on reading a genesis file (and the accounts.keys beside it, one line
// per funded account): every reader uses it with ReadFileBounded.
inline constexpr size_t kMaxGenesisFileBytes = size_t{512} << 20;

// Market timing (issue 10): interval k spans [k * interval_ms, (k+1) *
// interval_ms) of consensus time; orders close gate_closure_ms before it
// starts; readings are accepted for reading_window_ms after it ends.
inline constexpr uint64_t kDefaultMarketIntervalMs = 900'000;
inline constexpr uint64_t kDefaultGateClosureMs = 300'000;
inline constexpr uint64_t kDefaultReadingWindowMs = 3'600'000;
inline constexpr uint64_t kMaxMarketIntervalMs = 86'400'000;
inline constexpr uint64_t kMaxGateClosureMs = 7 * 86'400'000ULL;
inline constexpr uint64_t kMaxReadingWindowMs = 7 * 86'400'000ULL;

struct MarketTiming {
  uint64_t interval_ms = kDefaultMarketIntervalMs;
  uint64_t gate_closure_ms = kDefaultGateClosureMs;
  uint64_t reading_window_ms = kDefaultReadingWindowMs;
  bool operator==(const MarketTiming&) const = default;
};

struct GenesisValidator {
  PublicKey key;
  std::string host;
  uint16_t port = 0;
  bool operator==(const GenesisValidator&) const = default;
};

struct GenesisSlice {
  SliceId id;
  std::vector<GenesisValidator> validators;  // committee, by index
  std::optional<PublicKey> dso;  // nullopt: Genesis::dso
  bool operator==(const GenesisSlice&) const = default;
};

struct GenesisAccount {
  AccountRef account;
  Amount balance;
  bool operator==(const GenesisAccount&) const = default;
};

struct Genesis {
  PublicKey dso;
  MarketTiming market;
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
// The DSO key of `slice` (its own, or Genesis::dso). `slice` must exist.
PublicKey SliceDso(const Genesis& genesis, SliceId slice);
// The genesis accounts whose home is `slice`, in file order.
std::vector<GenesisAccount> GenesisAccountsOf(const Genesis& genesis, SliceId slice);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_GENESIS_H_
