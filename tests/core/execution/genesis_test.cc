#include "core/execution/genesis.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

std::string KeyHex(uint64_t seed) { return KeyPair::FromSeed(seed).public_key().Hex(); }

Genesis Sample() {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  for (uint32_t s = 0; s < 2; ++s) {
    GenesisSlice slice{SliceId(s), {}};
    for (uint32_t i = 0; i < 4; ++i) {
      slice.validators.push_back(GenesisValidator{KeyPair::FromSeed(100 + s * 10 + i).public_key(),
                                                  "127.0.0.1",
                                                  static_cast<uint16_t>(7000 + s * 4 + i)});
    }
    g.slices.push_back(slice);
  }
  for (uint32_t a = 0; a < 5; ++a) {
    g.accounts.push_back(GenesisAccount{
        AccountRef{SliceId(a % 2), KeyPair::FromSeed(1000 + a).public_key()},
        Amount(1'000'000 * (a + 1))});
  }
  return g;
}

TEST(GenesisTest, SerializesToTheDocumentedLayout) {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  g.slices.push_back(GenesisSlice{SliceId(0), {GenesisValidator{
                                                  KeyPair::FromSeed(2).public_key(), "node-a.lan",
                                                  7001}}});
  g.accounts.push_back(
      GenesisAccount{AccountRef{SliceId(0), KeyPair::FromSeed(3).public_key()}, Amount(42)});
  EXPECT_EQ(SerializeGenesis(g),
            absl::StrCat("# gridledger genesis (TOML, core/execution/genesis.h)\n",
                         "version = 2\n",
                         "dso = \"", KeyHex(1), "\"\n",
                         "\n[[slice]]\nid = 0\n",
                         "\n[[slice.validator]]\nindex = 0\nkey = \"", KeyHex(2),
                         "\"\naddress = \"node-a.lan:7001\"\n",
                         "\n[[account]]\nslice = 0\nkey = \"", KeyHex(3), "\"\nbalance = 42\n"));
  // The chain id is the hash of the version 1 line text, whatever the file
  // format: a genesis converted to TOML keeps its chain id and its stores.
  const std::string v1 = absl::StrCat("gridledger-genesis 1\n", "dso ", KeyHex(1), "\n",
                                      "slice 0\n", "validator 0 0 ", KeyHex(2),
                                      " node-a.lan:7001\n", "account 0 ", KeyHex(3), " 42\n");
  EXPECT_EQ(GenesisDigest(g),
            TaggedHash(kTagGenesis,
                       ByteSpan(reinterpret_cast<const uint8_t*>(v1.data()), v1.size())));
}

// What an operator may write differently (comments, key order, inline
// tables, accounts before slices) is the same genesis with the same chain id.
TEST(GenesisTest, LayoutAndCommentsDoNotChangeTheGenesis) {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  g.market = MarketTiming{2000, kDefaultGateClosureMs, 4000};
  g.slices.push_back(GenesisSlice{SliceId(0), {GenesisValidator{
                                                  KeyPair::FromSeed(2).public_key(), "10.0.0.1",
                                                  7001}}});
  g.accounts.push_back(
      GenesisAccount{AccountRef{SliceId(0), KeyPair::FromSeed(3).public_key()}, Amount(42)});
  const std::string text = absl::StrCat(
      "# accounts first, market keys partly given\n",
      "account = [ { balance = 42, slice = 0, key = \"", KeyHex(3), "\" } ]\n",
      "dso = \"", KeyHex(1), "\"   # the DSO\n",
      "version = 2\n",
      "market = { reading_window_ms = 4000, interval_ms = 2000 }\n",
      "[[slice]]\n",
      "validator = [ { address = \"10.0.0.1:7001\", index = 0, key = \"", KeyHex(2), "\" } ]\n",
      "id = 0\n");
  auto parsed = ParseGenesis(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text.substr(0, 600);
  EXPECT_EQ(*parsed, g);
  EXPECT_EQ(GenesisDigest(*parsed), GenesisDigest(*ParseGenesis(SerializeGenesis(g))));
}

TEST(GenesisTest, ParseAndSerializeRoundTrip) {
  const Genesis g = Sample();
  const std::string text = SerializeGenesis(g);
  auto parsed = ParseGenesis(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text.substr(0, 600);
  EXPECT_EQ(*parsed, g);
  EXPECT_EQ(SerializeGenesis(*parsed), text);
  EXPECT_TRUE(ValidateGenesis(g).ok());
}

TEST(GenesisTest, DigestsAndSliceHelpers) {
  const Genesis g = Sample();
  EXPECT_EQ(GenesisDigest(g), GenesisDigest(*ParseGenesis(SerializeGenesis(g))));
  Genesis other = g;
  other.accounts[0].balance = Amount(1);
  EXPECT_NE(GenesisDigest(g), GenesisDigest(other));
  EXPECT_NE(GenesisStateSummary(g, SliceId(0)), GenesisStateSummary(g, SliceId(1)));
  auto slice1 = GenesisAccountsOf(g, SliceId(1));
  ASSERT_EQ(slice1.size(), 2u);
  EXPECT_EQ(slice1[0], g.accounts[1]);
  EXPECT_EQ(slice1[1], g.accounts[3]);
}

TEST(GenesisTest, ValidateRejectsGenesisBuiltWrongInCode) {
  Genesis g = Sample();
  g.slices[1].validators.clear();
  EXPECT_EQ(ValidateGenesis(g).code(), absl::StatusCode::kInvalidArgument);
  g = Sample();
  g.slices[1].id = SliceId(5);
  EXPECT_EQ(ValidateGenesis(g).code(), absl::StatusCode::kInvalidArgument);
}

TEST(GenesisTest, MarketTimingAndSliceDsoRoundTripAndDefault) {
  Genesis g = Sample();
  EXPECT_EQ(g.market, MarketTiming{});
  EXPECT_EQ(SliceDso(g, SliceId(1)), g.dso);
  const Digest before = GenesisDigest(g);
  g.market = MarketTiming{2000, 500, 2000};
  g.slices[1].dso = KeyPair::FromSeed(77).public_key();
  const std::string text = SerializeGenesis(g);
  EXPECT_NE(text.find("\n[market]\ninterval_ms = 2000\ngate_closure_ms = 500\n"
                      "reading_window_ms = 2000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(absl::StrCat("\n[[slice]]\nid = 1\ndso = \"", KeyHex(77), "\"\n")),
            std::string::npos)
      << text;
  auto parsed = ParseGenesis(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text.substr(0, 600);
  EXPECT_EQ(*parsed, g);
  EXPECT_EQ(SerializeGenesis(*parsed), text);
  EXPECT_EQ(SliceDso(*parsed, SliceId(1)), KeyPair::FromSeed(77).public_key());
  EXPECT_EQ(SliceDso(*parsed, SliceId(0)), g.dso);
  EXPECT_NE(GenesisDigest(g), before);  // the chain id covers the market
}

// Every error names its line and its key. The base document, one line each:
//  1 version = 2          5 [[slice.validator]]   9 [[slice.validator]]  13 [[account]]
//  2 dso = K1             6 index = 0            10 index = 1            14 slice = 0
//  3 [[slice]]            7 key = K2             11 key = K3             15 key = K4
//  4 id = 0               8 address = ..:7000    12 address = ..:7001    16 balance = 5
std::vector<std::string> BaseLines() {
  auto q = [](uint64_t seed) { return absl::StrCat("\"", KeyHex(seed), "\""); };
  return {"version = 2",
          "dso = " + q(1),
          "[[slice]]",
          "id = 0",
          "[[slice.validator]]",
          "index = 0",
          "key = " + q(2),
          "address = \"127.0.0.1:7000\"",
          "[[slice.validator]]",
          "index = 1",
          "key = " + q(3),
          "address = \"127.0.0.1:7001\"",
          "[[account]]",
          "slice = 0",
          "key = " + q(4),
          "balance = 5"};
}
std::string Join(const std::vector<std::string>& lines) {
  return absl::StrJoin(lines, "\n") + "\n";
}
std::string With(int line, const std::string& replacement) {
  std::vector<std::string> lines = BaseLines();
  lines[line - 1] = replacement;
  return Join(lines);
}
std::string Inserted(int line, const std::string& content) {
  std::vector<std::string> lines = BaseLines();
  lines.insert(lines.begin() + (line - 1), content);
  return Join(lines);
}
std::string Appended(const std::string& content) { return Join(BaseLines()) + content; }

struct Malformed {
  const char* name;
  std::string text;
  int line;            // 0: the message names no line
  const char* reason;  // substring of the message
};

TEST(GenesisTest, MalformedDocumentsAreRejectedNamingKeyAndLine) {
  ASSERT_TRUE(ParseGenesis(Join(BaseLines())).ok()) << ParseGenesis(Join(BaseLines())).status();
  const std::string k = absl::StrCat("\"", KeyHex(5000), "\"");
  std::string upper_key = KeyHex(5000);
  for (char& c : upper_key) c = static_cast<char>(std::toupper(c));
  const std::string off_curve(64, 'f');  // x >= p: not a valid x-only key
  const std::string max = "9223372036854775807";
  const std::vector<Malformed> cases = {
      {"old line format", "gridledger-genesis 1\ndso " + KeyHex(1) + "\n", 1, "old line format"},
      {"TOML syntax", With(7, "key = " + KeyHex(2)), 7, "Error while parsing"},
      {"duplicate key", Inserted(8, "key = " + k), 8, "cannot redefine existing string 'key'"},
      {"unknown key", Inserted(3, "colour = 1"), 3, "unknown key colour"},
      {"unknown nested key", Inserted(8, "weight = 1"), 8,
       "unknown key slice[0].validator[0].weight"},
      {"version missing", With(1, "# no version"), 0, "missing key version"},
      {"version wrong type", With(1, "version = \"2\""), 1,
       "version: expected an integer, got a string"},
      {"future version", With(1, "version = 3"), 1, "version: 3 is out of range [2, 2]"},
      {"dso missing", With(2, "# no dso"), 0, "missing key dso"},
      {"dso not hex", With(2, "dso = \"" + std::string(64, 'g') + "\""), 2,
       "dso: not lowercase hex"},
      {"dso uppercase hex", With(2, "dso = \"" + upper_key + "\""), 2, "dso: not lowercase hex"},
      {"dso short key", With(2, "dso = \"abcd\""), 2, "dso: expected 64 hex digits, got 4"},
      {"dso empty", With(2, "dso = \"\""), 2, "dso: empty string"},
      {"key off the curve", With(2, "dso = \"" + off_curve + "\""), 2,
       "not a valid x-only public key"},
      {"slice not an array", Join({BaseLines()[0], BaseLines()[1], "[slice]", "id = 0"}), 3,
       "slice: expected an array of tables ([[slice]]), got a table"},
      {"no slices", Join({BaseLines()[0], BaseLines()[1]}), 0, "slice: no [[slice]] declared"},
      {"slice out of order", With(4, "id = 1"), 4, "slice[0].id: 1 out of order (expected 0)"},
      {"slice id missing", With(4, "# no id"), 3, "missing key slice[0].id"},
      {"slice without validators",
       Join({BaseLines()[0], BaseLines()[1], "[[slice]]", "id = 0"}), 3,
       "slice[0]: slice 0 has no validators"},
      {"slice dso repeats dso", Inserted(5, "dso = \"" + KeyHex(1) + "\""), 5,
       "slice[0].dso: repeats the top-level dso key"},
      {"validator index gap", With(10, "index = 2"), 10,
       "slice[0].validator[1].index: 2 out of order (expected 1)"},
      {"duplicate validator key", With(11, "key = \"" + KeyHex(2) + "\""), 11,
       "slice[0].validator[1].key: duplicate validator key"},
      {"address wrong type", With(8, "address = 7000"), 8,
       "slice[0].validator[0].address: expected a string, got an integer"},
      {"address without port", With(8, "address = \"localhost\""), 8, "is not host:port"},
      {"address bad host", With(8, "address = \"my_host:80\""), 8, "is not host:port"},
      {"port zero", With(8, "address = \"h:0\""), 8, "not a decimal number in [1, 65535]"},
      {"port too big", With(8, "address = \"h:65536\""), 8, "not a decimal number in [1, 65535]"},
      {"port leading zero", With(8, "address = \"h:080\""), 8, "not a decimal number"},
      {"duplicate address", With(12, "address = \"127.0.0.1:7000\""), 12,
       "duplicate validator address \"127.0.0.1:7000\""},
      {"account unknown slice", With(14, "slice = 2"), 14,
       "account[0].slice: slice 2 is not declared"},
      {"balance negative", With(16, "balance = -5"), 16,
       "account[0].balance: -5 is out of range [0, 9223372036854775807]"},
      {"balance past a TOML integer", With(16, "balance = 9223372036854775808"), 16,
       "not representable in 64 bits"},
      {"balance as a float", With(16, "balance = 5.0"), 16,
       "account[0].balance: expected an integer, got a float"},
      {"total supply overflow",
       Appended(absl::StrCat("[[account]]\nslice = 0\nkey = ", k, "\nbalance = ", max,
                             "\n[[account]]\nslice = 0\nkey = \"", KeyHex(5001),
                             "\"\nbalance = ", max, "\n")),
       24, "account[2].balance: total supply overflows 64 bits"},
      {"duplicate account",
       Appended(absl::StrCat("[[account]]\nslice = 0\nkey = \"", KeyHex(4), "\"\nbalance = 1\n")),
       19, "account[1].key: duplicate account"},
      {"market not a table", Inserted(3, "market = 5"), 3,
       "market: expected a table, got an integer"},
      {"market zero interval", Inserted(3, "[market]\ninterval_ms = 0"), 4,
       "market.interval_ms: 0 is out of range [1, 86400000]"},
      {"market zero window", Inserted(3, "[market]\nreading_window_ms = 0"), 4,
       "market.reading_window_ms: 0 is out of range [1, "},
      {"market interval too long", Inserted(3, "[market]\ninterval_ms = 86400001"), 4,
       "market.interval_ms: 86400001 is out of range"},
      {"market unknown key", Inserted(3, "[market]\nintervall_ms = 2000"), 4,
       "unknown key market.intervall_ms"},
  };
  for (const Malformed& c : cases) {
    auto parsed = ParseGenesis(c.text);
    ASSERT_FALSE(parsed.ok()) << c.name;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    const std::string prefix =
        c.line == 0 ? "genesis: " : absl::StrCat("genesis line ", c.line, ": ");
    EXPECT_EQ(std::string(parsed.status().message()).substr(0, prefix.size()), prefix)
        << c.name << ": " << parsed.status();
    EXPECT_NE(parsed.status().message().find(c.reason), absl::string_view::npos)
        << c.name << ": " << parsed.status();
  }
}

}  // namespace
}  // namespace gridledger

namespace gridledger {
namespace {

// The compact accounts form (issue 14: large geneses): same Genesis, same
// chain id as the [[account]] tables; every account rule applies; an error
// names the entry.
TEST(GenesisCompactAccounts, LargeGenesisRoundTripsInTheCompactFormWithTheSameChainId) {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  g.slices.push_back(GenesisSlice{SliceId(0), {GenesisValidator{KeyPair::FromSeed(2).public_key(),
                                                                "127.0.0.1", 7001}}});
  g.slices.push_back(GenesisSlice{SliceId(1), {GenesisValidator{KeyPair::FromSeed(3).public_key(),
                                                                "127.0.0.1", 7002}}});
  for (uint32_t a = 0; a < kCompactAccountsAbove + 1; ++a) {
    g.accounts.push_back(GenesisAccount{
        AccountRef{SliceId(a % 2), KeyPair::FromSeed(5000 + a).public_key()}, Amount(a)});
  }
  const std::string text = SerializeGenesis(g);
  EXPECT_EQ(text.find("[[account]]"), std::string::npos);
  EXPECT_NE(text.find("accounts = '''\n0 " + KeyHex(5000) + " 0\n1 "), std::string::npos) << text;
  auto parsed = ParseGenesis(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text.substr(0, 600);
  EXPECT_EQ(*parsed, g);
  EXPECT_TRUE(ValidateGenesis(g).ok());
  // The chain id hashes the accounts, not their form: the same Genesis
  // written as tables gives the same id.
  const size_t from = text.find("# accounts: ");
  ASSERT_NE(from, std::string::npos);
  const size_t to = text.find("'''\n", text.find("accounts = '''") + 14) + 4;
  std::string as_tables = text.substr(0, from) + text.substr(to);
  for (const GenesisAccount& a : g.accounts) {
    absl::StrAppend(&as_tables, "\n[[account]]\nslice = ", a.account.slice.value(), "\nkey = \"",
                    a.account.key.Hex(), "\"\nbalance = ", a.balance.value(), "\n");
  }
  auto from_tables = ParseGenesis(as_tables);
  ASSERT_TRUE(from_tables.ok()) << from_tables.status();
  EXPECT_EQ(GenesisDigest(*from_tables), GenesisDigest(g));
}

std::string OneSliceWith(const std::string& root, const std::string& tail = "") {
  return absl::StrCat("version = 2\ndso = \"", KeyHex(1), "\"\n", root, "[[slice]]\nid = 0\n",
                      "[[slice.validator]]\nindex = 0\nkey = \"", KeyHex(2),
                      "\"\naddress = \"h:1\"\n", tail);
}

TEST(GenesisCompactAccounts, BothFormsTogetherAndEveryRuleNamingTheEntry) {
  // Tables and the compact string may be mixed; tables come first.
  auto mixed = ParseGenesis(OneSliceWith(
      absl::StrCat("accounts = '''\n0 ", KeyHex(4), " 7\n'''\n"),
      absl::StrCat("[[account]]\nslice = 0\nkey = \"", KeyHex(3), "\"\nbalance = 5\n")));
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  ASSERT_EQ(mixed->accounts.size(), 2u);
  EXPECT_EQ(mixed->accounts[0].balance, Amount(5));
  EXPECT_EQ(mixed->accounts[1].balance, Amount(7));

  struct Bad {
    std::string entries;
    std::string reason;
  };
  const std::string k = KeyHex(4);
  const Bad bad[] = {
      {"1 " + k + " 7", "entry 1 \"1 " + k + " 7\": slice is not a declared slice id"},
      {"0 " + k + " 7\n0 " + k + " 8", "entry 2 "},
      {"0 " + k + " 7\n0 " + k + " 8", "duplicate account (same slice and key)"},
      {"0 " + k.substr(2) + " 7", "key: expected 64 hex digits, got 62"},
      {"0 " + std::string(64, 'f') + " 7", "key: not a valid x-only public key"},
      {"0 " + k + " 07", "balance is not a decimal"},
      {"0 " + k + " 9223372036854775808", "balance is not a decimal"},
      {"0  " + k + " 7", "single spaces"},
      {"0 " + k, "expected \"<slice> <key> <balance>\""},
      {"0 " + k + " 7 9", "expected \"<slice> <key> <balance>\""},
      {"\n", "no entries"},
  };
  for (const Bad& b : bad) {
    auto parsed = ParseGenesis(OneSliceWith("accounts = '''\n" + b.entries + "\n'''\n"));
    ASSERT_FALSE(parsed.ok()) << b.entries;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("genesis line 3: accounts: "), std::string::npos)
        << parsed.status();
    EXPECT_NE(parsed.status().message().find(b.reason), std::string::npos)
        << b.entries << " -> " << parsed.status();
  }
  // One account in both forms is a duplicate too.
  auto twice = ParseGenesis(OneSliceWith(
      absl::StrCat("accounts = '''\n0 ", k, " 7\n'''\n"),
      absl::StrCat("[[account]]\nslice = 0\nkey = \"", k, "\"\nbalance = 5\n")));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("duplicate account"), std::string::npos)
      << twice.status();
}

}  // namespace
}  // namespace gridledger
