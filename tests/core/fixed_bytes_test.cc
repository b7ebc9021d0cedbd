// FixedBytes compares in 8-byte words (core/common/types.h): the order and
// equality must stay exactly std::array's byte-wise lexicographic ones, which
// sorted tables and ordered containers rely on.
#include <array>
#include <compare>
#include <random>

#include "core/common/types.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

template <typename T>
void ExpectSameAsBytewise(const T& a, const T& b) {
  EXPECT_EQ(a <=> b, a.bytes <=> b.bytes) << a.Hex() << " vs " << b.Hex();
  EXPECT_EQ(a == b, a.bytes == b.bytes) << a.Hex() << " vs " << b.Hex();
}

TEST(FixedBytesTest, OrderAndEqualityAreBytewiseLexicographic) {
  std::mt19937_64 rng(12);
  for (int round = 0; round < 2000; ++round) {
    PublicKey a;
    for (uint8_t& byte : a.bytes) byte = static_cast<uint8_t>(rng());
    // b differs from a in one byte (every position over the rounds), or not
    // at all, so every word and byte boundary decides an order.
    PublicKey b = a;
    const size_t at = static_cast<size_t>(round) % (PublicKey::kSize + 1);
    if (at < PublicKey::kSize) b.bytes[at] = static_cast<uint8_t>(rng());
    ExpectSameAsBytewise(a, b);
    ExpectSameAsBytewise(b, a);
    Signature s;
    Signature t;
    for (uint8_t& byte : s.bytes) byte = static_cast<uint8_t>(rng() & 3);  // many ties
    for (uint8_t& byte : t.bytes) byte = static_cast<uint8_t>(rng() & 3);
    ExpectSameAsBytewise(s, t);
  }
  // The high byte of a word outranks the rest of it.
  PublicKey low;
  PublicKey high;
  low.bytes[7] = 0xff;
  high.bytes[0] = 0x01;
  EXPECT_LT(low, high);
  EXPECT_EQ(PublicKey() <=> PublicKey(), std::strong_ordering::equal);
}

}  // namespace
}  // namespace gridledger
