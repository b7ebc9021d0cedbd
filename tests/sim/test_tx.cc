#include "tests/sim/test_tx.h"

namespace gridledger::sim {
namespace {

constexpr uint32_t kMagic = 0x474c5458;  // "GLTX"

uint64_t Mix(uint32_t client, uint64_t sequence) {
  uint64_t z = (static_cast<uint64_t>(client) << 40) ^ sequence ^ 0x5bd1e995a1b2c3d4ULL;
  z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
  z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
  return z ^ (z >> 33);
}

Bytes Encode(uint32_t client, uint64_t sequence, uint64_t check) {
  Bytes out;
  ByteWriter w(&out);
  w.U32(kMagic);
  w.U32(client);
  w.U64(sequence);
  w.U64(check);
  return out;
}

}  // namespace

Bytes MakeTestTx(uint32_t client, uint64_t sequence) {
  return Encode(client, sequence, Mix(client, sequence));
}

Bytes MakeForgedTestTx(uint32_t client, uint64_t sequence) {
  return Encode(client, sequence, Mix(client, sequence) ^ 1);
}

std::optional<std::pair<uint32_t, uint64_t>> ParseTestTx(ByteSpan tx) {
  if (tx.size() != kTestTxBytes) return std::nullopt;
  ByteReader r(tx);
  auto magic = r.U32("magic");
  auto client = r.U32("client");
  auto sequence = r.U64("sequence");
  auto check = r.U64("check");
  if (!magic.ok() || *magic != kMagic || !check.ok() || *check != Mix(*client, *sequence)) {
    return std::nullopt;
  }
  return std::make_pair(*client, *sequence);
}

}  // namespace gridledger::sim
