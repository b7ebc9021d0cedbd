#include "core/execution/genesis.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/common/toml_fields.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/execution/executor.h"

namespace gridledger {
namespace {

constexpr absl::string_view kWhat = "genesis";
constexpr absl::string_view kRootKeys[] = {"version", "dso", "market", "slice", "account",
                                           "accounts"};
constexpr absl::string_view kMarketKeys[] = {"interval_ms", "gate_closure_ms",
                                             "reading_window_ms"};
constexpr absl::string_view kSliceKeys[] = {"id", "dso", "validator"};
constexpr absl::string_view kValidatorKeys[] = {"index", "key", "address"};
constexpr absl::string_view kAccountKeys[] = {"slice", "key", "balance"};

// Canonical decimal: digits only, no leading zeros, fits in u64.
bool ParseCanonicalU64(absl::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

// A BIP-340 x-only key in lowercase hex; InvalidArgument with the reason alone.
absl::StatusOr<PublicKey> ParseKeyHex(absl::string_view hex) {
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::InvalidArgumentError("not lowercase hex");
    }
  }
  if (hex.size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat("expected 64 hex digits, got ", hex.size()));
  }
  auto bytes = HexDecodeFixed<32>(hex, "key");
  if (!bytes.ok()) return bytes.status();
  PublicKey out(*bytes);
  secp256k1_xonly_pubkey parsed;
  if (secp256k1_xonly_pubkey_parse(SecpContext(), &parsed, out.data()) != 1) {
    return absl::InvalidArgumentError("not a valid x-only public key");
  }
  return out;
}

// The same for a TOML key; the error names `key` and its line.
absl::StatusOr<PublicKey> ParseKey(const TomlFields& fields, absl::string_view key) {
  GL_ASSIGN_OR_RETURN(const std::string hex, fields.String(key));
  auto parsed = ParseKeyHex(hex);
  if (!parsed.ok()) return fields.ErrorAt(key, parsed.status().message());
  return *parsed;
}

bool ValidHost(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ItemPath(absl::string_view array, size_t i) { return absl::StrCat(array, "[", i, "]"); }

class Parser {
 public:
  absl::StatusOr<Genesis> Run(absl::string_view text) {
    // The line format this one replaced starts with its magic; say so
    // rather than report a TOML syntax error.
    if (text.substr(0, 19) == "gridledger-genesis ") {
      return absl::InvalidArgumentError(
          "genesis line 1: this is the old line format (version 1); the genesis is TOML since "
          "version 2: regenerate it or convert it (docs/deploy.md, migration)");
    }
    GL_ASSIGN_OR_RETURN(const toml::table root, ParseTomlDocument(text, kWhat));
    GL_ASSIGN_OR_RETURN(const TomlFields fields, TomlFields::Of(root, kWhat, "", kRootKeys));
    GL_RETURN_IF_ERROR(
        fields.Uint("version", kGenesisFormatVersion, kGenesisFormatVersion).status());
    GL_ASSIGN_OR_RETURN(genesis_.dso, ParseKey(fields, "dso"));
    GL_ASSIGN_OR_RETURN(const toml::table* market, fields.OptionalTable("market"));
    if (market != nullptr) GL_RETURN_IF_ERROR(ParseMarket(*market));
    GL_ASSIGN_OR_RETURN(const std::vector<const toml::table*> slices,
                        fields.TableArray("slice", kMaxGenesisSlices));
    if (slices.empty()) return fields.ErrorAt("slice", "no [[slice]] declared");
    for (size_t i = 0; i < slices.size(); ++i) GL_RETURN_IF_ERROR(ParseSlice(*slices[i], i));
    GL_ASSIGN_OR_RETURN(const std::vector<const toml::table*> accounts,
                        fields.TableArray("account", kMaxGenesisAccounts));
    genesis_.accounts.reserve(accounts.size());
    for (size_t i = 0; i < accounts.size(); ++i) {
      GL_RETURN_IF_ERROR(ParseAccount(*accounts[i], i));
    }
    GL_ASSIGN_OR_RETURN(const std::optional<std::string> compact,
                        fields.OptionalString("accounts"));
    if (compact.has_value()) GL_RETURN_IF_ERROR(ParseCompactAccounts(fields, *compact));
    return std::move(genesis_);
  }

 private:
  absl::Status ParseMarket(const toml::table& table) {
    GL_ASSIGN_OR_RETURN(const TomlFields fields,
                        TomlFields::Of(table, kWhat, "market", kMarketKeys));
    MarketTiming& m = genesis_.market;
    GL_ASSIGN_OR_RETURN(const std::optional<uint64_t> interval,
                        fields.OptionalUint("interval_ms", 1, kMaxMarketIntervalMs));
    GL_ASSIGN_OR_RETURN(const std::optional<uint64_t> gate,
                        fields.OptionalUint("gate_closure_ms", 0, kMaxGateClosureMs));
    GL_ASSIGN_OR_RETURN(const std::optional<uint64_t> window,
                        fields.OptionalUint("reading_window_ms", 1, kMaxReadingWindowMs));
    m.interval_ms = interval.value_or(kDefaultMarketIntervalMs);
    m.gate_closure_ms = gate.value_or(kDefaultGateClosureMs);
    m.reading_window_ms = window.value_or(kDefaultReadingWindowMs);
    return absl::OkStatus();
  }

  absl::Status ParseSlice(const toml::table& table, size_t i) {
    GL_ASSIGN_OR_RETURN(const TomlFields fields,
                        TomlFields::Of(table, kWhat, ItemPath("slice", i), kSliceKeys));
    GL_ASSIGN_OR_RETURN(const uint64_t id, fields.Uint("id", 0, UINT32_MAX));
    if (id != i) {
      return fields.ErrorAt("id", absl::StrCat(id, " out of order (expected ", i, ")"));
    }
    GenesisSlice slice{SliceId(static_cast<uint32_t>(id)), {}, std::nullopt};
    if (fields.Has("dso")) {
      GL_ASSIGN_OR_RETURN(slice.dso, ParseKey(fields, "dso"));
      if (*slice.dso == genesis_.dso) {
        return fields.ErrorAt("dso", "repeats the top-level dso key: omit it");
      }
    }
    GL_ASSIGN_OR_RETURN(const std::vector<const toml::table*> validators,
                        fields.TableArray("validator", kMaxValidatorsPerSlice));
    if (validators.empty()) {
      return fields.TableError(
          absl::StrCat("slice ", id, " has no validators ([[slice.validator]])"));
    }
    for (size_t j = 0; j < validators.size(); ++j) {
      GL_ASSIGN_OR_RETURN(
          GenesisValidator v,
          ParseValidator(*validators[j], absl::StrCat(ItemPath("slice", i), ".",
                                                      ItemPath("validator", j)), j));
      slice.validators.push_back(std::move(v));
    }
    genesis_.slices.push_back(std::move(slice));
    return absl::OkStatus();
  }

  absl::StatusOr<GenesisValidator> ParseValidator(const toml::table& table, std::string path,
                                                  size_t j) {
    GL_ASSIGN_OR_RETURN(const TomlFields fields,
                        TomlFields::Of(table, kWhat, std::move(path), kValidatorKeys));
    GL_ASSIGN_OR_RETURN(const uint64_t index, fields.Uint("index", 0, UINT32_MAX));
    if (index != j) {
      return fields.ErrorAt("index", absl::StrCat(index, " out of order (expected ", j, ")"));
    }
    GenesisValidator v;
    GL_ASSIGN_OR_RETURN(v.key, ParseKey(fields, "key"));
    if (!validator_keys_.insert(v.key).second) {
      return fields.ErrorAt("key", "duplicate validator key");
    }
    GL_ASSIGN_OR_RETURN(const std::string address, fields.String("address"));
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || !ValidHost(absl::string_view(address).substr(0, colon))) {
      return fields.ErrorAt("address", absl::StrCat("\"", address,
                                                    "\" is not host:port (host: letters, digits, "
                                                    "'.', '-')"));
    }
    uint64_t port = 0;
    if (!ParseCanonicalU64(absl::string_view(address).substr(colon + 1), &port) || port == 0 ||
        port > 65535) {
      return fields.ErrorAt("address", absl::StrCat("port of \"", address,
                                                    "\" is not a decimal number in [1, 65535]"));
    }
    if (!addresses_.insert(address).second) {
      return fields.ErrorAt("address",
                            absl::StrCat("duplicate validator address \"", address, "\""));
    }
    v.host = address.substr(0, colon);
    v.port = static_cast<uint16_t>(port);
    return v;
  }

  absl::Status ParseAccount(const toml::table& table, size_t i) {
    GL_ASSIGN_OR_RETURN(const TomlFields fields,
                        TomlFields::Of(table, kWhat, ItemPath("account", i), kAccountKeys));
    GL_ASSIGN_OR_RETURN(const uint64_t slice, fields.Uint("slice", 0, UINT32_MAX));
    if (slice >= genesis_.slices.size()) {
      return fields.ErrorAt("slice", absl::StrCat("slice ", slice, " is not declared"));
    }
    GenesisAccount account;
    account.account.slice = SliceId(static_cast<uint32_t>(slice));
    GL_ASSIGN_OR_RETURN(account.account.key, ParseKey(fields, "key"));
    GL_ASSIGN_OR_RETURN(const uint64_t balance, fields.Uint("balance", 0, kMaxGenesisBalance));
    account.balance = Amount(balance);
    if (const std::optional<Refusal> refused = AddAccount(account)) {
      return fields.ErrorAt(refused->field, refused->reason);
    }
    return absl::OkStatus();
  }

  // The rules both account forms share, checked as an account is added.
  struct Refusal {
    absl::string_view field;  // the [[account]] key the reason is about
    absl::string_view reason;
  };
  std::optional<Refusal> AddAccount(const GenesisAccount& account) {
    if (account.balance.value() > UINT64_MAX - total_supply_) {
      return Refusal{"balance", "total supply overflows 64 bits"};
    }
    if (!accounts_.insert(account.account).second) {
      return Refusal{"key", "duplicate account (same slice and key)"};
    }
    total_supply_ += account.balance.value();
    genesis_.accounts.push_back(account);
    return std::nullopt;
  }

  // The compact form (genesis.h): one "<slice> <key> <balance>" per line of
  // one string, so toml++ holds a single value instead of a table per
  // account. Same rules as [[account]]; an error names the entry.
  absl::Status ParseCompactAccounts(const TomlFields& fields, absl::string_view text) {
    size_t entry = 0;
    for (absl::string_view rest = text; !rest.empty();) {
      const size_t eol = rest.find('\n');
      const absl::string_view line = rest.substr(0, eol);
      rest = eol == absl::string_view::npos ? absl::string_view() : rest.substr(eol + 1);
      if (line.empty()) continue;  // the string's first or last newline
      ++entry;
      if (genesis_.accounts.size() >= kMaxGenesisAccounts) {
        return fields.ErrorAt("accounts", absl::StrCat("more than ", kMaxGenesisAccounts,
                                                       " accounts in all"));
      }
      auto bad = [&](absl::string_view why) {
        return fields.ErrorAt(
            "accounts", absl::StrCat("entry ", entry, " \"",
                                     line.substr(0, std::min<size_t>(line.size(), 96)),
                                     "\": ", why));
      };
      const size_t a = line.find(' ');
      const size_t b = a == absl::string_view::npos ? a : line.find(' ', a + 1);
      if (b == absl::string_view::npos || line.find(' ', b + 1) != absl::string_view::npos) {
        return bad("expected \"<slice> <key> <balance>\", single spaces");
      }
      uint64_t slice = 0, balance = 0;
      if (!ParseCanonicalU64(line.substr(0, a), &slice) || slice >= genesis_.slices.size()) {
        return bad("slice is not a declared slice id");
      }
      auto key = ParseKeyHex(line.substr(a + 1, b - a - 1));
      if (!key.ok()) return bad(absl::StrCat("key: ", key.status().message()));
      if (!ParseCanonicalU64(line.substr(b + 1), &balance) || balance > kMaxGenesisBalance) {
        return bad(absl::StrCat("balance is not a decimal in [0, ", kMaxGenesisBalance, "]"));
      }
      const GenesisAccount account{AccountRef{SliceId(static_cast<uint32_t>(slice)), *key},
                                   Amount(balance)};
      if (const std::optional<Refusal> refused = AddAccount(account)) {
        return bad(refused->reason);
      }
    }
    if (entry == 0) return fields.ErrorAt("accounts", "no entries: omit the key");
    return absl::OkStatus();
  }

  Genesis genesis_;
  uint64_t total_supply_ = 0;
  absl::flat_hash_set<PublicKey> validator_keys_;
  absl::flat_hash_set<std::string> addresses_;
  absl::flat_hash_set<AccountRef> accounts_;
};

// The pre-image of the chain id: the version 1 line format, which the TOML
// file replaced. Keeping it keeps every chain id (and every store made
// before) unchanged, and makes the digest independent of TOML layout.
std::string DigestText(const Genesis& genesis) {
  std::string out = "gridledger-genesis 1\n";
  absl::StrAppend(&out, "dso ", genesis.dso.Hex(), "\n");
  if (!(genesis.market == MarketTiming{})) {
    absl::StrAppend(&out, "market ", genesis.market.interval_ms, " ",
                    genesis.market.gate_closure_ms, " ", genesis.market.reading_window_ms, "\n");
  }
  for (const GenesisSlice& slice : genesis.slices) {
    absl::StrAppend(&out, "slice ", slice.id.value());
    if (slice.dso.has_value()) absl::StrAppend(&out, " ", slice.dso->Hex());
    absl::StrAppend(&out, "\n");
    for (size_t i = 0; i < slice.validators.size(); ++i) {
      const GenesisValidator& v = slice.validators[i];
      absl::StrAppend(&out, "validator ", slice.id.value(), " ", i, " ", v.key.Hex(), " ",
                      v.host, ":", v.port, "\n");
    }
  }
  for (const GenesisAccount& a : genesis.accounts) {
    absl::StrAppend(&out, "account ", a.account.slice.value(), " ", a.account.key.Hex(), " ",
                    a.balance.value(), "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<Genesis> ParseGenesis(absl::string_view text) { return Parser().Run(text); }

absl::StatusOr<Genesis> ReadGenesisFile(const std::string& path) {
  GL_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, kMaxGenesisFileBytes, "genesis"));
  auto genesis = ParseGenesis(text);
  if (!genesis.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", genesis.status().message()));
  }
  return genesis;
}

std::string SerializeGenesis(const Genesis& genesis) {
  // Keys and hosts are hex and [A-Za-z0-9.-] (ValidateGenesis): quoting them
  // needs no escapes, so the layout is written directly.
  std::string out = absl::StrCat("# gridledger genesis (TOML, core/execution/genesis.h)\n",
                                 "version = ", kGenesisFormatVersion, "\n",
                                 "dso = \"", genesis.dso.Hex(), "\"\n");
  const bool compact = genesis.accounts.size() > kCompactAccountsAbove;
  if (compact) {
    // At the root, so before any table; a TOML literal string: keys and
    // decimals need no escapes.
    absl::StrAppend(&out, "# accounts: <slice> <key> <balance> per line (compact form)\n",
                    "accounts = '''\n");
    for (const GenesisAccount& a : genesis.accounts) {
      absl::StrAppend(&out, a.account.slice.value(), " ", a.account.key.Hex(), " ",
                      a.balance.value(), "\n");
    }
    absl::StrAppend(&out, "'''\n");
  }
  if (!(genesis.market == MarketTiming{})) {
    absl::StrAppend(&out, "\n[market]\ninterval_ms = ", genesis.market.interval_ms,
                    "\ngate_closure_ms = ", genesis.market.gate_closure_ms,
                    "\nreading_window_ms = ", genesis.market.reading_window_ms, "\n");
  }
  for (const GenesisSlice& slice : genesis.slices) {
    absl::StrAppend(&out, "\n[[slice]]\nid = ", slice.id.value(), "\n");
    if (slice.dso.has_value()) absl::StrAppend(&out, "dso = \"", slice.dso->Hex(), "\"\n");
    for (size_t i = 0; i < slice.validators.size(); ++i) {
      const GenesisValidator& v = slice.validators[i];
      absl::StrAppend(&out, "\n[[slice.validator]]\nindex = ", i, "\nkey = \"", v.key.Hex(),
                      "\"\naddress = \"", v.host, ":", v.port, "\"\n");
    }
  }
  for (const GenesisAccount& a : genesis.accounts) {
    if (compact) break;
    absl::StrAppend(&out, "\n[[account]]\nslice = ", a.account.slice.value(), "\nkey = \"",
                    a.account.key.Hex(), "\"\nbalance = ", a.balance.value(), "\n");
  }
  return out;
}

absl::Status ValidateGenesis(const Genesis& genesis) {
  GL_ASSIGN_OR_RETURN(Genesis parsed, ParseGenesis(SerializeGenesis(genesis)));
  if (!(parsed == genesis)) {
    return absl::InvalidArgumentError("genesis: does not survive a serialize/parse round trip");
  }
  return absl::OkStatus();
}

Digest GenesisDigest(const Genesis& genesis) {
  const std::string text = DigestText(genesis);
  return TaggedHash(kTagGenesis,
                    ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Digest GenesisStateSummary(const Genesis& genesis, SliceId slice) {
  Bytes buf;
  ByteWriter w(&buf);
  w.Raw(GenesisDigest(genesis).span());
  w.U32(slice.value());
  return TaggedHash(kTagStateSummary, buf);
}

PublicKey SliceDso(const Genesis& genesis, SliceId slice) {
  GL_CHECK_MSG(slice.value() < genesis.slices.size(), "SliceDso of a slice not in the genesis");
  const std::optional<PublicKey>& own = genesis.slices[slice.value()].dso;
  return own.value_or(genesis.dso);
}

std::vector<GenesisAccount> GenesisAccountsOf(const Genesis& genesis, SliceId slice) {
  std::vector<GenesisAccount> out;
  for (const GenesisAccount& a : genesis.accounts) {
    if (a.account.slice == slice) out.push_back(a);
  }
  return out;
}

}  // namespace gridledger
