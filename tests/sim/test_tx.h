// The simulator's client transactions: opaque to the consensus core, checkable
// by the simulated runtime's batch verifier (which stands in for BatchVerifier:
// a wrong check value plays the part of a bad signature).
//
//   magic u32 "GLTX" | client u32 | sequence u64 | check u64 = Mix(client, sequence)
#ifndef GRIDLEDGER_TESTS_SIM_TEST_TX_H_
#define GRIDLEDGER_TESTS_SIM_TEST_TX_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "core/common/bytes.h"

namespace gridledger::sim {

inline constexpr size_t kTestTxBytes = 24;

Bytes MakeTestTx(uint32_t client, uint64_t sequence);
// A transaction whose check value is wrong (what a Byzantine batch carries).
Bytes MakeForgedTestTx(uint32_t client, uint64_t sequence);
// (client, sequence) when the bytes are a well-formed test transaction.
std::optional<std::pair<uint32_t, uint64_t>> ParseTestTx(ByteSpan tx);

}  // namespace gridledger::sim

#endif  // GRIDLEDGER_TESTS_SIM_TEST_TX_H_
