#include "core/execution/genesis.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/crypto/schnorr.h"
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

TEST(GenesisTest, SerializesToTheDocumentedFormat) {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  g.slices.push_back(GenesisSlice{SliceId(0), {GenesisValidator{
                                                  KeyPair::FromSeed(2).public_key(), "node-a.lan",
                                                  7001}}});
  g.accounts.push_back(
      GenesisAccount{AccountRef{SliceId(0), KeyPair::FromSeed(3).public_key()}, Amount(42)});
  EXPECT_EQ(SerializeGenesis(g), absl::StrCat("gridledger-genesis 1\n",
                                              "dso ", KeyHex(1), "\n",
                                              "slice 0\n",
                                              "validator 0 0 ", KeyHex(2), " node-a.lan:7001\n",
                                              "account 0 ", KeyHex(3), " 42\n"));
}

TEST(GenesisTest, ParseAndSerializeRoundTrip) {
  const Genesis g = Sample();
  const std::string text = SerializeGenesis(g);
  auto parsed = ParseGenesis(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
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

// Each malformed-line class is rejected with the number of the offending line.
struct Malformed {
  const char* name;
  std::string text;
  int line;
  const char* reason;  // substring of the message
};

std::vector<std::string> SampleLines() {
  std::vector<std::string> lines = absl::StrSplit(SerializeGenesis(Sample()), '\n');
  lines.pop_back();  // the empty piece after the final newline
  return lines;
}

// Lines: 1 header, 2 dso, 3 slice 0, 4-7 validators, 8 slice 1, 9-12
// validators, 13-17 accounts.
std::string With(int line, const std::string& replacement) {
  std::vector<std::string> lines = SampleLines();
  lines[line - 1] = replacement;
  return absl::StrJoin(lines, "\n") + "\n";
}
std::string Without(int line) {
  std::vector<std::string> lines = SampleLines();
  lines.erase(lines.begin() + (line - 1));
  return absl::StrJoin(lines, "\n") + "\n";
}
std::string Inserted(int line, const std::string& content) {
  std::vector<std::string> lines = SampleLines();
  lines.insert(lines.begin() + (line - 1), content);
  return absl::StrJoin(lines, "\n") + "\n";
}

std::string NoValidatorsInSlice0() {
  std::vector<std::string> lines = SampleLines();
  lines.erase(lines.begin() + 3, lines.begin() + 7);
  return absl::StrJoin(lines, "\n") + "\n";
}

TEST(GenesisTest, MarketTimingAndSliceDsoRoundTripAndDefault) {
  Genesis g = Sample();
  EXPECT_EQ(g.market, MarketTiming{});
  EXPECT_EQ(SliceDso(g, SliceId(1)), g.dso);
  const Digest before = GenesisDigest(g);
  g.market = MarketTiming{2000, 500, 2000};
  g.slices[1].dso = KeyPair::FromSeed(77).public_key();
  const std::string text = SerializeGenesis(g);
  EXPECT_NE(text.find(absl::StrCat("\nmarket 2000 500 2000\nslice 0\n")), std::string::npos)
      << text;
  EXPECT_NE(text.find(absl::StrCat("\nslice 1 ", KeyHex(77), "\n")), std::string::npos) << text;
  auto parsed = ParseGenesis(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, g);
  EXPECT_EQ(SerializeGenesis(*parsed), text);
  EXPECT_EQ(SliceDso(*parsed, SliceId(1)), KeyPair::FromSeed(77).public_key());
  EXPECT_EQ(SliceDso(*parsed, SliceId(0)), g.dso);
  EXPECT_NE(GenesisDigest(g), before);  // the chain id covers the market
}

TEST(GenesisTest, MalformedLinesAreRejectedWithTheLineNumber) {
  const std::vector<std::string> lines = SampleLines();
  ASSERT_EQ(lines.size(), 17u);
  const std::string good = absl::StrJoin(lines, "\n") + "\n";
  const std::string k = KeyHex(5000);
  std::string upper_key = k;
  for (char& c : upper_key) c = static_cast<char>(std::toupper(c));
  const std::string off_curve(64, 'f');  // x >= p: not a valid x-only key
  const std::vector<Malformed> cases = {
      {"empty", "", 1, "missing header"},
      {"bad magic", With(1, "gridledger-genesys 1"), 1, "expected header"},
      {"header field count", With(1, "gridledger-genesis"), 1, "expected header"},
      {"future version", With(1, "gridledger-genesis 2"), 1, "unsupported genesis version '2'"},
      {"no final newline", good.substr(0, good.size() - 1), 17, "missing final newline"},
      {"blank line", Inserted(3, ""), 3, "blank line"},
      {"carriage return", With(5, lines[4] + "\r"), 5, "control character"},
      {"double space", With(4, absl::StrCat("validator 0  0 ", k, " h:1")), 4, "empty field"},
      {"trailing space", With(13, lines[12] + " "), 13, "empty field"},
      {"dso missing", Without(2), 2, "expected the 'dso' record"},
      {"dso twice", Inserted(3, "dso " + k), 3, "duplicate 'dso'"},
      {"dso not hex", With(2, "dso " + std::string(64, 'g')), 2, "not lowercase hex"},
      {"dso uppercase hex", With(2, "dso " + upper_key), 2, "not lowercase hex"},
      {"dso short key", With(2, "dso abcd"), 2, "expected 32 bytes"},
      {"key off the curve", With(2, "dso " + off_curve), 2, "not a valid x-only public key"},
      {"unknown record", With(13, "acount 0 " + k + " 5"), 13, "unknown record type 'acount'"},
      {"slice out of order", With(3, "slice 1"), 3, "slice id 1 out of order"},
      {"slice id non-canonical", With(8, "slice 01"), 8, "not a canonical decimal"},
      {"slice without validators", NoValidatorsInSlice0(), 4, "slice 0 has no validators"},
      {"last slice without validators", absl::StrJoin(lines.begin(), lines.begin() + 8, "\n") + "\n",
       9, "slice 1 has no validators"},
      {"validator before slice", Inserted(3, "validator 0 0 " + k + " h:1"), 3,
       "'validator' before any 'slice'"},
      {"validator index gap", With(5, absl::StrCat("validator 0 2 ", k, " h:1")), 5,
       "validator index 2 out of order (expected 1)"},
      {"validator wrong slice", With(5, absl::StrCat("validator 1 1 ", k, " h:1")), 5,
       "not the current slice 0"},
      {"validator field count", With(5, absl::StrCat("validator 0 1 ", k)), 5,
       "'validator' needs 4 fields, got 3"},
      {"validator index repeated", With(5, lines[3]), 5, "validator index 0 out of order"},
      {"duplicate validator key", With(9, absl::StrCat("validator 1 0 ", lines[3].substr(14))), 9,
       "duplicate validator key"},
      {"address without port", With(5, absl::StrCat("validator 0 1 ", k, " localhost")), 5,
       "is not host:port"},
      {"address bad host", With(5, absl::StrCat("validator 0 1 ", k, " my_host:80")), 5,
       "is not host:port"},
      {"port zero", With(5, absl::StrCat("validator 0 1 ", k, " h:0")), 5, "port 0"},
      {"port too big", With(5, absl::StrCat("validator 0 1 ", k, " h:65536")), 5,
       "port '65536' is not a canonical decimal number in [0, 65535]"},
      {"duplicate address", With(5, absl::StrCat("validator 0 1 ", k, " 127.0.0.1:7000")), 5,
       "duplicate validator address '127.0.0.1:7000'"},
      {"account unknown slice", With(13, "account 2 " + k + " 5"), 13,
       "account slice 2 is not declared"},
      {"balance with sign", With(13, "account 0 " + k + " -5"), 13, "balance '-5'"},
      {"balance leading zero", With(13, "account 0 " + k + " 05"), 13, "balance '05'"},
      {"balance overflow", With(13, "account 0 " + k + " 18446744073709551616"), 13,
       "balance '18446744073709551616'"},
      {"total supply overflow", With(14, "account 1 " + k + " 18446744073709551615"), 14,
       "total supply overflows 64 bits"},
      {"duplicate account", Inserted(14, lines[12]), 14, "duplicate account"},
      {"slice after accounts", Inserted(14, "slice 2"), 14, "'slice' after an 'account'"},
      {"validator after accounts", Inserted(14, absl::StrCat("validator 1 4 ", k, " h:9")), 14,
       "'validator' after an 'account'"},
      {"no slices", "gridledger-genesis 1\ndso " + lines[1].substr(4) + "\n", 3,
       "no slice declared"},
      {"header only", "gridledger-genesis 1\n", 2, "before the dso record"},
      {"market misplaced", Inserted(4, "market 2000 500 2000"), 4,
       "'market' must come right after 'dso'"},
      {"market defaults", Inserted(3, "market 900000 300000 3600000"), 3,
       "repeats the defaults"},
      {"market zero interval", Inserted(3, "market 0 500 2000"), 3, "interval_ms must be >= 1"},
      {"market zero window", Inserted(3, "market 2000 500 0"), 3,
       "reading_window_ms must be >= 1"},
      {"market interval too long", Inserted(3, "market 86400001 500 2000"), 3,
       "market interval_ms '86400001'"},
      {"market field count", Inserted(3, "market 2000 500"), 3, "'market' needs 3 fields"},
      {"slice dso repeats dso", With(3, "slice 0 " + lines[1].substr(4)), 3,
       "repeats the 'dso' key"},
      {"slice dso bad key", With(3, "slice 0 " + off_curve), 3, "not a valid x-only public key"},
      {"line too long", With(13, "account 0 " + k + " 5" + std::string(600, '0')), 13,
       "longer than 512 bytes"},
  };
  for (const Malformed& c : cases) {
    auto parsed = ParseGenesis(c.text);
    ASSERT_FALSE(parsed.ok()) << c.name;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    const std::string prefix = absl::StrCat("genesis line ", c.line, ": ");
    EXPECT_EQ(std::string(parsed.status().message()).substr(0, prefix.size()), prefix)
        << c.name << ": " << parsed.status();
    EXPECT_NE(parsed.status().message().find(c.reason), absl::string_view::npos)
        << c.name << ": " << parsed.status();
  }
}

}  // namespace
}  // namespace gridledger
