#include "core/execution/genesis.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/execution/executor.h"

namespace gridledger {
namespace {

absl::Status LineError(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("genesis line ", line, ": ", what));
}

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

absl::Status ParseNumber(size_t line, absl::string_view field, absl::string_view s,
                         uint64_t max, uint64_t* out) {
  if (!ParseCanonicalU64(s, out) || *out > max) {
    return LineError(line, absl::StrCat(field, " '", s,
                                        "' is not a canonical decimal number in [0, ", max, "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PublicKey> ParseKey(size_t line, absl::string_view field, absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return LineError(line, absl::StrCat(field, ": not lowercase hex"));
    }
  }
  auto bytes = HexDecodeFixed<32>(s, field);
  if (!bytes.ok()) return LineError(line, bytes.status().message());
  PublicKey key(*bytes);
  secp256k1_xonly_pubkey parsed;
  if (secp256k1_xonly_pubkey_parse(SecpContext(), &parsed, key.data()) != 1) {
    return LineError(line, absl::StrCat(field, ": not a valid x-only public key"));
  }
  return key;
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

absl::Status ExpectFields(size_t line, const std::vector<absl::string_view>& fields,
                          size_t count) {
  if (fields.size() != count) {
    return LineError(line, absl::StrCat("'", fields[0], "' needs ", count - 1, " fields, got ",
                                        fields.size() - 1));
  }
  return absl::OkStatus();
}

class Parser {
 public:
  absl::StatusOr<Genesis> Run(absl::string_view text) {
    if (text.empty()) return LineError(1, "empty input: missing header");
    if (text.back() != '\n') {
      return LineError(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1,
                       "missing final newline");
    }
    text.remove_suffix(1);
    size_t line = 0;
    for (absl::string_view content : absl::StrSplit(text, '\n')) {
      ++line;
      GL_RETURN_IF_ERROR(ParseLine(line, content));
    }
    const size_t end = line + 1;
    if (line < 2) return LineError(end, "end of file before the dso record");
    if (genesis_.slices.empty()) return LineError(end, "end of file: no slice declared");
    GL_RETURN_IF_ERROR(CloseSlice(end));
    return std::move(genesis_);
  }

 private:
  enum class Section { kHeader, kDso, kMarket, kSlices, kAccounts };

  absl::Status ParseLine(size_t line, absl::string_view content) {
    if (content.size() > kMaxGenesisLineBytes) {
      return LineError(line, absl::StrCat("longer than ", kMaxGenesisLineBytes, " bytes"));
    }
    if (content.empty()) return LineError(line, "blank line");
    for (char c : content) {
      if (c == '\r' || c == '\t') return LineError(line, "control character (CR or tab)");
    }
    std::vector<absl::string_view> fields = absl::StrSplit(content, ' ');
    for (absl::string_view f : fields) {
      if (f.empty()) return LineError(line, "empty field (leading, trailing or double space)");
    }
    const absl::string_view kind = fields[0];
    switch (section_) {
      case Section::kHeader: return ParseHeader(line, fields);
      case Section::kDso:
        if (kind != "dso") return LineError(line, "expected the 'dso' record on line 2");
        GL_RETURN_IF_ERROR(ExpectFields(line, fields, 2));
        {
          GL_ASSIGN_OR_RETURN(genesis_.dso, ParseKey(line, "dso key", fields[1]));
        }
        section_ = Section::kMarket;
        return absl::OkStatus();
      case Section::kMarket:
        section_ = Section::kSlices;
        if (kind == "market") return ParseMarket(line, fields);
        [[fallthrough]];
      case Section::kSlices:
      case Section::kAccounts:
        if (kind == "slice") return ParseSlice(line, fields);
        if (kind == "validator") return ParseValidator(line, fields);
        if (kind == "account") return ParseAccount(line, fields);
        if (kind == "dso") return LineError(line, "duplicate 'dso' record");
        if (kind == "market") return LineError(line, "'market' must come right after 'dso'");
        return LineError(line, absl::StrCat("unknown record type '", kind, "'"));
    }
    return LineError(line, "unreachable");
  }

  absl::Status ParseHeader(size_t line, const std::vector<absl::string_view>& fields) {
    if (fields[0] != kGenesisMagic || fields.size() != 2) {
      return LineError(line, absl::StrCat("expected header '", kGenesisMagic, " ",
                                          kGenesisFormatVersion, "'"));
    }
    uint64_t version = 0;
    if (!ParseCanonicalU64(fields[1], &version) || version != kGenesisFormatVersion) {
      return LineError(line, absl::StrCat("unsupported genesis version '", fields[1],
                                          "' (this build reads ", kGenesisFormatVersion, ")"));
    }
    section_ = Section::kDso;
    return absl::OkStatus();
  }

  absl::Status ParseMarket(size_t line, const std::vector<absl::string_view>& fields) {
    GL_RETURN_IF_ERROR(ExpectFields(line, fields, 4));
    MarketTiming& m = genesis_.market;
    GL_RETURN_IF_ERROR(
        ParseNumber(line, "market interval_ms", fields[1], kMaxMarketIntervalMs, &m.interval_ms));
    GL_RETURN_IF_ERROR(ParseNumber(line, "market gate_closure_ms", fields[2], kMaxGateClosureMs,
                                   &m.gate_closure_ms));
    GL_RETURN_IF_ERROR(ParseNumber(line, "market reading_window_ms", fields[3],
                                   kMaxReadingWindowMs, &m.reading_window_ms));
    if (m.interval_ms == 0) return LineError(line, "market interval_ms must be >= 1");
    if (m.reading_window_ms == 0) return LineError(line, "market reading_window_ms must be >= 1");
    if (m == MarketTiming{}) {
      return LineError(line, "'market' repeats the defaults: omit the line (canonical form)");
    }
    return absl::OkStatus();
  }

  absl::Status ParseSlice(size_t line, const std::vector<absl::string_view>& fields) {
    if (section_ == Section::kAccounts) {
      return LineError(line, "'slice' after an 'account' record (slices come first)");
    }
    std::optional<PublicKey> dso;
    if (fields.size() == 3) {
      GL_ASSIGN_OR_RETURN(dso, ParseKey(line, "slice dso key", fields[2]));
      if (*dso == genesis_.dso) {
        return LineError(line, "slice dso key repeats the 'dso' key: omit it (canonical form)");
      }
    } else {
      GL_RETURN_IF_ERROR(ExpectFields(line, fields, 2));
    }
    uint64_t id = 0;
    GL_RETURN_IF_ERROR(ParseNumber(line, "slice id", fields[1], UINT32_MAX, &id));
    if (id != genesis_.slices.size()) {
      return LineError(line, absl::StrCat("slice id ", id, " out of order (expected ",
                                          genesis_.slices.size(), ")"));
    }
    if (genesis_.slices.size() >= kMaxGenesisSlices) {
      return LineError(line, absl::StrCat("more than kMaxGenesisSlices=", kMaxGenesisSlices));
    }
    if (!genesis_.slices.empty()) GL_RETURN_IF_ERROR(CloseSlice(line));
    genesis_.slices.push_back(GenesisSlice{SliceId(static_cast<uint32_t>(id)), {}, dso});
    return absl::OkStatus();
  }

  absl::Status CloseSlice(size_t line) {
    if (genesis_.slices.back().validators.empty()) {
      return LineError(line, absl::StrCat("slice ", genesis_.slices.back().id.value(),
                                          " has no validators"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseValidator(size_t line, const std::vector<absl::string_view>& fields) {
    if (section_ == Section::kAccounts) {
      return LineError(line, "'validator' after an 'account' record (slices come first)");
    }
    GL_RETURN_IF_ERROR(ExpectFields(line, fields, 5));
    if (genesis_.slices.empty()) return LineError(line, "'validator' before any 'slice'");
    GenesisSlice& slice = genesis_.slices.back();
    uint64_t slice_id = 0;
    uint64_t index = 0;
    GL_RETURN_IF_ERROR(ParseNumber(line, "validator slice", fields[1], UINT32_MAX, &slice_id));
    if (slice_id != slice.id.value()) {
      return LineError(line, absl::StrCat("validator slice ", slice_id,
                                          " is not the current slice ", slice.id.value()));
    }
    GL_RETURN_IF_ERROR(ParseNumber(line, "validator index", fields[2], UINT32_MAX, &index));
    if (index != slice.validators.size()) {
      return LineError(line, absl::StrCat("validator index ", index, " out of order (expected ",
                                          slice.validators.size(), ")"));
    }
    if (slice.validators.size() >= kMaxValidatorsPerSlice) {
      return LineError(line,
                       absl::StrCat("more than kMaxValidatorsPerSlice=", kMaxValidatorsPerSlice));
    }
    GenesisValidator v;
    GL_ASSIGN_OR_RETURN(v.key, ParseKey(line, "validator key", fields[3]));
    if (!validator_keys_.insert(v.key).second) {
      return LineError(line, "duplicate validator key");
    }
    const absl::string_view address = fields[4];
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos || !ValidHost(address.substr(0, colon))) {
      return LineError(line, absl::StrCat("address '", address,
                                          "' is not host:port (host: letters, digits, '.', '-')"));
    }
    uint64_t port = 0;
    GL_RETURN_IF_ERROR(ParseNumber(line, "port", address.substr(colon + 1), 65535, &port));
    if (port == 0) return LineError(line, "port 0 is not allowed");
    if (!addresses_.insert(std::string(address)).second) {
      return LineError(line, absl::StrCat("duplicate validator address '", address, "'"));
    }
    v.host = std::string(address.substr(0, colon));
    v.port = static_cast<uint16_t>(port);
    slice.validators.push_back(std::move(v));
    return absl::OkStatus();
  }

  absl::Status ParseAccount(size_t line, const std::vector<absl::string_view>& fields) {
    if (genesis_.slices.empty()) return LineError(line, "'account' before any 'slice'");
    if (section_ == Section::kSlices) {
      GL_RETURN_IF_ERROR(CloseSlice(line));
      section_ = Section::kAccounts;
    }
    GL_RETURN_IF_ERROR(ExpectFields(line, fields, 4));
    uint64_t slice = 0;
    uint64_t balance = 0;
    GL_RETURN_IF_ERROR(ParseNumber(line, "account slice", fields[1], UINT32_MAX, &slice));
    if (slice >= genesis_.slices.size()) {
      return LineError(line, absl::StrCat("account slice ", slice, " is not declared"));
    }
    GenesisAccount account;
    account.account.slice = SliceId(static_cast<uint32_t>(slice));
    GL_ASSIGN_OR_RETURN(account.account.key, ParseKey(line, "account key", fields[2]));
    GL_RETURN_IF_ERROR(ParseNumber(line, "balance", fields[3], UINT64_MAX, &balance));
    if (balance > UINT64_MAX - total_supply_) {
      return LineError(line, "total supply overflows 64 bits");
    }
    total_supply_ += balance;
    account.balance = Amount(balance);
    if (genesis_.accounts.size() >= kMaxGenesisAccounts) {
      return LineError(line, absl::StrCat("more than kMaxGenesisAccounts=", kMaxGenesisAccounts));
    }
    if (!accounts_.insert(account.account).second) {
      return LineError(line, "duplicate account (same slice and key)");
    }
    genesis_.accounts.push_back(account);
    return absl::OkStatus();
  }

  Section section_ = Section::kHeader;
  Genesis genesis_;
  uint64_t total_supply_ = 0;
  absl::flat_hash_set<PublicKey> validator_keys_;
  absl::flat_hash_set<std::string> addresses_;
  absl::flat_hash_set<AccountRef> accounts_;
};

}  // namespace

absl::StatusOr<Genesis> ParseGenesis(absl::string_view text) { return Parser().Run(text); }

std::string SerializeGenesis(const Genesis& genesis) {
  std::string out = absl::StrCat(kGenesisMagic, " ", kGenesisFormatVersion, "\n");
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

absl::Status ValidateGenesis(const Genesis& genesis) {
  GL_ASSIGN_OR_RETURN(Genesis parsed, ParseGenesis(SerializeGenesis(genesis)));
  if (!(parsed == genesis)) {
    return absl::InvalidArgumentError("genesis: does not survive a serialize/parse round trip");
  }
  return absl::OkStatus();
}

Digest GenesisDigest(const Genesis& genesis) {
  const std::string text = SerializeGenesis(genesis);
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
