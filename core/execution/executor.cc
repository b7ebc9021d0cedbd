#include "core/execution/executor.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"

namespace gridledger {
namespace {

// Reads through to the base view; writes stay in the overlay.
class Overlay {
 public:
  explicit Overlay(const StateView& base) : base_(base) {}

  absl::StatusOr<std::optional<AccountState>> Get(const AccountRef& ref) const {
    auto it = changed_.find(ref);
    if (it != changed_.end()) return std::optional<AccountState>(it->second);
    return base_.GetAccount(ref);
  }
  void Set(const AccountRef& ref, const AccountState& state) { changed_[ref] = state; }

  std::vector<std::pair<AccountRef, AccountState>> SortedChanges() const {
    std::vector<std::pair<AccountRef, AccountState>> out(changed_.begin(), changed_.end());
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

 private:
  const StateView& base_;
  absl::flat_hash_map<AccountRef, AccountState> changed_;
};

TxResult Fail(const BlockTx& btx, uint32_t index, TxResultCode code, std::string reason) {
  return TxResult{btx.id, index, code, std::move(reason)};
}

absl::StatusOr<TxResult> ExecuteTransfer(SliceId slice, const BlockTx& btx, uint32_t index,
                                         Overlay& state) {
  const Transaction& tx = btx.tx;
  const auto& body = std::get<TransferBody>(tx.body);
  const AccountRef sender_ref{tx.slice, tx.sender};
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> sender, state.Get(sender_ref));
  if (!sender.has_value()) {
    return Fail(btx, index, TxResultCode::kUnknownSender, "unknown sender account");
  }
  if (tx.nonce != sender->next_nonce) {
    return Fail(btx, index, TxResultCode::kBadNonce,
                absl::StrCat("nonce ", tx.nonce.value(), " does not match next expected nonce ",
                             sender->next_nonce.value()));
  }
  if (body.amount.value() == 0) {
    return Fail(btx, index, TxResultCode::kZeroAmount, "amount must be greater than 0");
  }
  if (body.to.slice != slice) {
    return Fail(btx, index, TxResultCode::kCrossSlice,
                "cross-slice transfers not yet supported");
  }
  if (sender->balance < body.amount) {
    return Fail(btx, index, TxResultCode::kInsufficientBalance,
                absl::StrCat("insufficient balance: ", sender->balance.value(), " < amount ",
                             body.amount.value()));
  }
  sender->balance = sender->balance - body.amount.value();
  ++sender->next_nonce;
  state.Set(sender_ref, *sender);
  // Read the recipient after the debit so a self-transfer sees it.
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> recipient, state.Get(body.to));
  AccountState credited = recipient.value_or(AccountState{});
  // Total supply fits in u64 (genesis checks it) and transfers conserve it.
  GL_CHECK_MSG(credited.balance.value() <= UINT64_MAX - body.amount.value(),
               "balance overflow: money was created somewhere");
  credited.balance = credited.balance + body.amount.value();
  state.Set(body.to, credited);
  return TxResult{btx.id, index, TxResultCode::kSuccess, ""};
}

}  // namespace

absl::StatusOr<BlockOutcome> Executor::ExecuteBlock(const StateView& state,
                                                    absl::Span<const BlockTx> block) const {
  if (block.size() > kMaxBlockTxs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block: ", block.size(), " transactions exceeds kMaxBlockTxs=", kMaxBlockTxs));
  }
  Overlay overlay(state);
  absl::flat_hash_set<TxId> seen;  // ids executed earlier in this block
  seen.reserve(block.size());
  BlockOutcome out;
  out.results.reserve(block.size());
  for (size_t i = 0; i < block.size(); ++i) {
    const BlockTx& btx = block[i];
    const uint32_t index = static_cast<uint32_t>(i);
    GL_ASSIGN_OR_RETURN(bool executed_before, state.HasExecuted(btx.id));
    if (executed_before || !seen.insert(btx.id).second) {
      out.results.push_back(Fail(btx, index, TxResultCode::kDuplicate, "duplicate"));
      continue;
    }
    if (btx.tx.slice != slice_) {
      out.results.push_back(Fail(
          btx, index, TxResultCode::kWrongSlice,
          absl::StrCat("transaction for slice ", btx.tx.slice.value(),
                       " executed in slice ", slice_.value())));
      continue;
    }
    if (btx.tx.kind() != TxKind::kTransfer) {
      out.results.push_back(
          Fail(btx, index, TxResultCode::kNotExecutable,
               absl::StrCat("kind ", TxKindName(btx.tx.kind()), " not yet executable")));
      continue;
    }
    GL_ASSIGN_OR_RETURN(TxResult result, ExecuteTransfer(slice_, btx, index, overlay));
    out.results.push_back(std::move(result));
  }
  out.accounts = overlay.SortedChanges();
  GL_ASSIGN_OR_RETURN(Digest previous, state.StateSummary());
  out.state_summary = NextStateSummary(previous, out.results, out.accounts);
  return out;
}

Digest NextStateSummary(const Digest& previous, absl::Span<const TxResult> results,
                        absl::Span<const std::pair<AccountRef, AccountState>> accounts) {
  Bytes buf;
  ByteWriter w(&buf);
  w.Raw(previous.span());
  w.U64(results.size());
  for (const TxResult& r : results) {
    w.Raw(r.id.span());
    w.U8(static_cast<uint8_t>(r.code));
    w.VarBytes(ByteSpan(reinterpret_cast<const uint8_t*>(r.reason.data()), r.reason.size()));
  }
  w.U64(accounts.size());
  for (const auto& [ref, acct] : accounts) {
    w.U32(ref.slice.value());
    w.Raw(ref.key.span());
    w.U64(acct.balance.value());
    w.U64(acct.next_nonce.value());
  }
  return TaggedHashCached(kTagStateSummary, buf);
}

}  // namespace gridledger
