// Executes a committed block over the node store and records it: the bridge
// between the executor (pure) and the store (durable).
#ifndef GRIDLEDGER_STORAGE_BLOCK_COMMIT_H_
#define GRIDLEDGER_STORAGE_BLOCK_COMMIT_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/execution/executor.h"
#include "storage/node_store.h"

namespace gridledger::storage {

// The store write for `block` executed into `outcome` as commit `sequence`:
// every non-duplicate result indexed with its raw bytes (a transaction held
// and released in this same commit only with its final result), the released
// results, the changed accounts, the nonce-hold changes and the commit
// metadata.
BlockWrite MakeBlockWrite(uint64_t sequence, const Digest& anchor,
                          absl::Span<const BlockTx> block, const BlockOutcome& outcome);

// Called between a block's execution and its write: blocks until the write
// may begin (the records before the commit are durable), or says why not.
using BeforeWrite = std::function<absl::Status()>;

// Executes `block` over a snapshot of `store`, then commits the results, the
// account updates and the commit metadata as the next sequence in one synced
// write transaction, `extra` (may be null) included, at consensus time
// consensus_time_ms (Executor::ExecuteBlock), with the commit's receipt
// imports (their credits and the receipts the block emits are market-table
// records: receipt_records.h). `before_write` (may be null) runs after the
// execution and before the write; its error is returned and nothing is
// written. Returns the outcome once it is durable.
absl::StatusOr<BlockOutcome> ExecuteAndCommit(NodeStore& store, const Executor& executor,
                                              const Digest& anchor,
                                              absl::Span<const BlockTx> block,
                                              uint64_t consensus_time_ms = 0,
                                              const ExtraCommitWrite& extra = nullptr,
                                              absl::Span<const Bytes> imports = {},
                                              const BeforeWrite& before_write = nullptr);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_BLOCK_COMMIT_H_
