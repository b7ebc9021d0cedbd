#include "net/node/ledger_reads.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/string_bytes.h"
#include "net/node/commit_batches.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;

v1::TransactionStatus TransactionStatusOf(TxStatus status) {
  switch (status) {
    case TxStatus::kCommitted: return v1::TRANSACTION_STATUS_COMMITTED;
    case TxStatus::kFailed: return v1::TRANSACTION_STATUS_FAILED;
    case TxStatus::kHeld: return v1::TRANSACTION_STATUS_HELD;
  }
  return v1::TRANSACTION_STATUS_UNKNOWN;
}

}  // namespace

std::string Bytes32Problem(const std::string& field, const std::string& value) {
  if (value.size() == 32) return "";
  return absl::StrCat(field, ": expected 32 bytes, got ", value.size());
}

absl::Status FillStoredTransaction(const storage::NodeStore& store, const TxId& id,
                                   v1::GetTransactionResponse* response) {
  GL_ASSIGN_OR_RETURN(storage::StoredTx stored, store.GetTx(id));
  response->set_status(TransactionStatusOf(stored.status()));
  v1::ExecutionResult* result = response->mutable_result();
  result->set_success(stored.code == TxResultCode::kSuccess);
  result->set_code(ExecutionCodeName(stored.code));
  result->set_reason(stored.reason);
  response->set_commit_sequence(stored.commit_sequence);
  return absl::OkStatus();
}

absl::Status FillAccount(const storage::NodeStore& store, SliceId slice, const std::string& key,
                         v1::GetAccountResponse* response) {
  response->set_as_of_commit_sequence(store.last_committed_sequence());
  response->set_slice(slice.value());
  response->set_key(key);
  auto account = store.GetAccount(AccountRef{slice, PublicKey::FromSpan(SpanOf(key))});
  if (absl::IsNotFound(account.status())) {
    response->set_exists(false);
    return absl::OkStatus();
  }
  GL_RETURN_IF_ERROR(account.status());
  response->set_exists(true);
  response->set_balance(account->balance.value());
  response->set_next_nonce(account->next_nonce.value());
  return absl::OkStatus();
}

}  // namespace gridledger::node
