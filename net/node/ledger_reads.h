// Client API reads answered from one slice's store, shared by a validator
// (ClientService) and an archive node (net/archive/archive_service.h), so
// both answer alike.
#ifndef GRIDLEDGER_NET_NODE_LEDGER_READS_H_
#define GRIDLEDGER_NET_NODE_LEDGER_READS_H_

#include <string>

#include "absl/status/status.h"
#include "core/common/types.h"
#include "net/proto/ledger.pb.h"
#include "storage/node_store.h"

namespace gridledger::node {

// INVALID_ARGUMENT-worthy: "<field>: expected 32 bytes, got N" (empty when fine).
std::string Bytes32Problem(const std::string& field, const std::string& value);

// The stored transaction `id`: status, result and commit into `response`.
// NotFound when `store` has none; storage errors as they come.
absl::Status FillStoredTransaction(const storage::NodeStore& store, const TxId& id,
                                   gridledger::v1::GetTransactionResponse* response);

// Account `key` (32 bytes, checked by the caller) of `slice` as of the
// store's last commit (read first: the answer reflects at least that one).
absl::Status FillAccount(const storage::NodeStore& store, SliceId slice, const std::string& key,
                         gridledger::v1::GetAccountResponse* response);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_LEDGER_READS_H_
