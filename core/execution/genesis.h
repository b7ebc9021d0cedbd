// The genesis description of a ledger and its file, TOML (format version 2):
//
//   version = 2
//   dso = "<key>"
//   accounts = '''                  # optional compact form of [[account]], at the
//   0 <key> 1000000                 # root (before any table): one "<slice> <key>
//   '''                             # <balance>" per line
//
//   [market]                        # optional table; each key optional
//   interval_ms = 900000
//   gate_closure_ms = 300000
//   reading_window_ms = 3600000
//
//   [[slice]]                       # slices 0, 1, 2, ... in order
//   id = 0
//   dso = "<key>"                   # optional: this slice's own DSO
//
//   [[slice.validator]]             # its committee, indexes 0, 1, 2, ...
//   index = 0
//   key = "<key>"
//   address = "<host>:<port>"
//
//   [[account]]                     # optional, any number
//   slice = 0
//   key = "<key>"
//   balance = 1000000               # micro-units
//
// - <key>: a BIP-340 x-only public key, 64 lowercase hex digits, on the curve.
// - Every slice has at least one validator; `id` and `index` count 0, 1, 2, ...
// - <host>: letters, digits, '.', '-' (no IPv6 literals); <port>: 1..65535.
// - Market bounds: 1 <= interval_ms <= kMaxMarketIntervalMs, gate_closure_ms
//   <= kMaxGateClosureMs, 1 <= reading_window_ms <= kMaxReadingWindowMs;
//   an absent key takes its default (kDefaultMarketIntervalMs, ...).
// - A slice's DSO key (it signs REGISTER and SET_TARIFF there) is the
//   top-level `dso` unless the slice names another one; naming the top-level
//   key itself there is rejected, so one genesis has one form in memory.
// - A balance fits a TOML integer (at most 2^63 - 1); the total supply fits
//   in 64 bits. Validator keys, validator addresses and (slice, key) of
//   accounts are unique.
// Anything else (TOML syntax, a repeated or unknown key, a wrong type, a
// value out of range) is InvalidArgument "genesis line N: <key>: ..."
// (core/common/toml_fields.h). Parse(Serialize(g)) == g.
// Cost: toml++ holds the whole document while parsing, about 1 KB and 7 us
// per [[account]] table (200,000 accounts: 22 MB of text, 1.5 s, 220 MB
// peak). The compact `accounts` string holds them as one value, 82 B of text
// each; the curve check of each key remains (docs/benchmarks.md). The same
// account rules apply to both forms, and an account may appear in one only.
// SerializeGenesis writes the compact form above kCompactAccountsAbove.
//
// The chain id (GenesisDigest) hashes a fixed canonical encoding of the
// Genesis, not the file: comments, order of keys and whitespace do not
// change it, and it is the same as for the version 1 line format this file
// replaced (docs/deploy.md: migration), so stores made before stay valid.
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

inline constexpr uint32_t kGenesisFormatVersion = 2;
inline constexpr absl::string_view kTagGenesis = "gridledger/genesis";
inline constexpr size_t kMaxGenesisSlices = 1024;
inline constexpr size_t kMaxValidatorsPerSlice = 256;
inline constexpr size_t kMaxGenesisAccounts = size_t{1} << 22;
// SerializeGenesis writes more accounts than this in the compact form.
inline constexpr size_t kCompactAccountsAbove = 64;
inline constexpr uint64_t kMaxGenesisBalance = INT64_MAX;  // a TOML integer
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
  std::optional<PublicKey> dso = std::nullopt;  // nullopt: Genesis::dso
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
// Reads `path` (at most kMaxGenesisFileBytes) and parses it; a parse error is
// InvalidArgument "<path>: <ParseGenesis's message>". Nodes and archives load
// their genesis through this.
absl::StatusOr<Genesis> ReadGenesisFile(const std::string& path);
// The TOML text, one fixed layout. It parses back only if `genesis` obeys
// the rules above; ValidateGenesis checks exactly that (for genesis built in
// code).
std::string SerializeGenesis(const Genesis& genesis);
absl::Status ValidateGenesis(const Genesis& genesis);

// TaggedHash(kTagGenesis, canonical encoding of `genesis`): the chain id.
Digest GenesisDigest(const Genesis& genesis);
// The state summary of `slice` before its first commit.
Digest GenesisStateSummary(const Genesis& genesis, SliceId slice);
// The DSO key of `slice` (its own, or Genesis::dso). `slice` must exist.
PublicKey SliceDso(const Genesis& genesis, SliceId slice);
// The genesis accounts whose home is `slice`, in file order.
std::vector<GenesisAccount> GenesisAccountsOf(const Genesis& genesis, SliceId slice);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_GENESIS_H_
