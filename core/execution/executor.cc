#include "core/execution/executor.h"

#include <algorithm>
#include <string>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"
#include "core/execution/market_exec.h"
#include "core/execution/overlay.h"

namespace gridledger {
namespace {

TxResult Fail(const TxId& id, uint32_t index, TxResultCode code, std::string reason) {
  return TxResult{id, index, code, std::move(reason)};
}

AccountRef SenderOf(const Transaction& tx) { return AccountRef{tx.slice, tx.sender}; }

// One block's execution: the inputs, then releases and expiries.
class BlockRun {
 public:
  BlockRun(SliceId slice, const NonceHoldLimits& limits, const MarketConfig& market,
           const StateView& state, uint64_t sequence, uint64_t now_ms)
      : slice_(slice), limits_(limits), state_(state), sequence_(sequence),
        market_(slice, market, &overlay_, now_ms) {}

  absl::StatusOr<TxResult> ExecuteInput(const BlockTx& btx, uint32_t index);
  absl::StatusOr<TxResult> ExecuteMarketInput(const BlockTx& btx, uint32_t index);
  // Runs a market transaction whose nonce is its sender's next; on success
  // advances the nonce.
  absl::StatusOr<TxResult> ApplyMarket(const BlockTx& btx, uint32_t index);
  // Steps 1 and 2 of executor.h's nonce hold; appends to `released`.
  absl::Status ReleaseAndExpire(uint32_t first_index, std::vector<ReleasedTx>* released);

  Overlay& overlay() { return overlay_; }
  MarketRun& market() { return market_; }

 private:
  // The checks that do not depend on the account's balance or nonce.
  static std::optional<TxResult> StaticCheck(SliceId slice, const BlockTx& btx, uint32_t index);
  // Executes a transfer whose nonce equals its sender's next nonce.
  absl::StatusOr<TxResult> Apply(const BlockTx& btx, uint32_t index, AccountState sender);
  absl::StatusOr<TxResult> TryHold(const BlockTx& btx, uint32_t index,
                                   const AccountState& sender);
  absl::Status ReleaseAccount(const AccountRef& account, uint32_t* index,
                              std::vector<ReleasedTx>* released);

  const SliceId slice_;
  const NonceHoldLimits& limits_;
  const StateView& state_;
  const uint64_t sequence_;  // this commit
  Overlay overlay_{state_};
  MarketRun market_;
  absl::btree_set<AccountRef> advanced_;  // senders whose next nonce moved
};

absl::StatusOr<TxResult> BlockRun::ExecuteMarketInput(const BlockTx& btx, uint32_t index) {
  const Transaction& tx = btx.tx;
  const AccountRef sender_ref = SenderOf(tx);
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> sender, overlay_.Get(sender_ref));
  const bool dso = market_.IsDso(tx.sender);
  if (!sender.has_value() && !dso) {
    return Fail(btx.id, index, TxResultCode::kUnknownSender, "unknown sender account");
  }
  const Nonce next = sender.has_value() ? sender->next_nonce : Nonce(0);
  if (tx.nonce < next) {
    return Fail(btx.id, index, TxResultCode::kBadNonce,
                absl::StrCat("nonce ", tx.nonce.value(), " is below next expected nonce ",
                             next.value(), " (replayed or already used)"));
  }
  if (tx.nonce > next) {
    if (sender.has_value()) return TryHold(btx, index, *sender);
    return Fail(btx.id, index, TxResultCode::kNonceNotNext,
                absl::StrCat("nonce ", tx.nonce.value(), " is ahead of next nonce ", next.value(),
                             " of the DSO, which has no account to hold it for"));
  }
  return ApplyMarket(btx, index);
}

absl::StatusOr<TxResult> BlockRun::ApplyMarket(const BlockTx& btx, uint32_t index) {
  const AccountRef sender_ref = SenderOf(btx.tx);
  GL_ASSIGN_OR_RETURN(TxResult result, market_.Execute(btx, index));
  if (!result.ok()) return result;
  // Read after the rule: it may have moved the sender's balance (escrow).
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> sender, overlay_.Get(sender_ref));
  AccountState advanced = sender.value_or(AccountState{});
  ++advanced.next_nonce;
  overlay_.Set(sender_ref, advanced);
  advanced_.insert(sender_ref);
  return result;
}

std::optional<TxResult> BlockRun::StaticCheck(SliceId slice, const BlockTx& btx,
                                              uint32_t index) {
  const auto& body = std::get<TransferBody>(btx.tx.body);
  if (body.amount.value() == 0) {
    return Fail(btx.id, index, TxResultCode::kZeroAmount, "amount must be greater than 0");
  }
  if (body.to.slice != slice) {
    return Fail(btx.id, index, TxResultCode::kCrossSlice,
                "cross-slice transfers not yet supported");
  }
  return std::nullopt;
}

absl::StatusOr<TxResult> BlockRun::ExecuteInput(const BlockTx& btx, uint32_t index) {
  const Transaction& tx = btx.tx;
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> sender, overlay_.Get(SenderOf(tx)));
  if (!sender.has_value()) {
    return Fail(btx.id, index, TxResultCode::kUnknownSender, "unknown sender account");
  }
  if (tx.nonce < sender->next_nonce) {
    return Fail(btx.id, index, TxResultCode::kBadNonce,
                absl::StrCat("nonce ", tx.nonce.value(), " is below next expected nonce ",
                             sender->next_nonce.value(), " (replayed or already used)"));
  }
  if (std::optional<TxResult> failed = StaticCheck(slice_, btx, index)) return *failed;
  if (tx.nonce > sender->next_nonce) return TryHold(btx, index, *sender);
  return Apply(btx, index, *sender);
}

absl::StatusOr<TxResult> BlockRun::Apply(const BlockTx& btx, uint32_t index,
                                         AccountState sender) {
  const Transaction& tx = btx.tx;
  const auto& body = std::get<TransferBody>(tx.body);
  GL_CHECK(tx.nonce == sender.next_nonce);
  if (sender.balance < body.amount) {
    return Fail(btx.id, index, TxResultCode::kInsufficientBalance,
                absl::StrCat("insufficient balance: ", sender.balance.value(), " < amount ",
                             body.amount.value()));
  }
  const AccountRef sender_ref = SenderOf(tx);
  sender.balance = sender.balance - body.amount.value();
  ++sender.next_nonce;
  overlay_.Set(sender_ref, sender);
  advanced_.insert(sender_ref);
  // After the debit, so a self-transfer sees it; repays market debt first.
  GL_RETURN_IF_ERROR(market_.Credit(body.to.key, body.amount.value()));
  return TxResult{btx.id, index, TxResultCode::kSuccess, ""};
}

absl::StatusOr<TxResult> BlockRun::TryHold(const BlockTx& btx, uint32_t index,
                                           const AccountState& sender) {
  const Transaction& tx = btx.tx;
  const std::string ahead = absl::StrCat("nonce ", tx.nonce.value(), " is ahead of next nonce ",
                                         sender.next_nonce.value());
  GL_ASSIGN_OR_RETURN(const Overlay::HeldQueue* queue, overlay_.Held(SenderOf(tx)));
  if (auto it = queue->find(tx.nonce); it != queue->end()) {
    return Fail(btx.id, index, TxResultCode::kBadNonce,
                absl::StrCat(ahead, " and already held for transaction ",
                             it->second.btx.id.ShortHex()));
  }
  if (queue->size() >= limits_.max_per_account) {
    return Fail(btx.id, index, TxResultCode::kNonceHoldFull,
                absl::StrCat(ahead, "; the account already holds ", queue->size(),
                             " transactions (max_per_account ", limits_.max_per_account, ")"));
  }
  GL_ASSIGN_OR_RETURN(uint64_t total, overlay_.HeldTotal());
  if (total >= limits_.max_per_slice) {
    return Fail(btx.id, index, TxResultCode::kNonceHoldFull,
                absl::StrCat(ahead, "; the slice already holds ", total,
                             " transactions (max_per_slice ", limits_.max_per_slice, ")"));
  }
  overlay_.Hold(HeldTx{btx, sequence_});
  return Fail(btx.id, index, TxResultCode::kHeld,
              absl::StrCat(ahead, ": held until the gap fills, at the latest until commit ",
                           sequence_ + limits_.hold_commits));
}

absl::Status BlockRun::ReleaseAccount(const AccountRef& account, uint32_t* index,
                                      std::vector<ReleasedTx>* released) {
  for (;;) {
    GL_ASSIGN_OR_RETURN(const Overlay::HeldQueue* queue, overlay_.Held(account));
    if (queue->empty()) return absl::OkStatus();
    GL_ASSIGN_OR_RETURN(std::optional<AccountState> sender, overlay_.Get(account));
    GL_CHECK_MSG(sender.has_value(), "an account with held transactions exists");
    const HeldTx head = queue->begin()->second;
    if (head.btx.tx.nonce > sender->next_nonce) return absl::OkStatus();
    overlay_.Release(head.key());
    if (head.btx.tx.nonce < sender->next_nonce) {
      released->push_back(ReleasedTx{
          Fail(head.btx.id, (*index)++, TxResultCode::kBadNonce,
               absl::StrCat("nonce ", head.btx.tx.nonce.value(), " held since commit ",
                            head.held_sequence, " was used by another transaction (next nonce ",
                            sender->next_nonce.value(), ")")),
          head.btx.raw});
      continue;
    }
    GL_ASSIGN_OR_RETURN(TxResult result, head.btx.tx.kind() == TxKind::kTransfer
                                             ? Apply(head.btx, (*index)++, *sender)
                                             : ApplyMarket(head.btx, (*index)++));
    const bool ok = result.ok();
    released->push_back(ReleasedTx{std::move(result), head.btx.raw});
    if (!ok) return absl::OkStatus();  // the nonce is not consumed: the rest wait
  }
}

absl::Status BlockRun::ReleaseAndExpire(uint32_t first_index, std::vector<ReleasedTx>* released) {
  uint32_t index = first_index;
  // ReleaseAccount may advance only the account it releases, so the set of
  // advanced accounts is fixed by now; copy it, Apply inserts into it.
  const std::vector<AccountRef> advanced(advanced_.begin(), advanced_.end());
  for (const AccountRef& account : advanced) {
    GL_RETURN_IF_ERROR(ReleaseAccount(account, &index, released));
  }
  if (sequence_ <= limits_.hold_commits) return absl::OkStatus();
  GL_ASSIGN_OR_RETURN(std::vector<HeldTx> due, state_.HeldUpTo(sequence_ - limits_.hold_commits));
  for (const HeldTx& h : due) {
    const HeldKey key = h.key();
    GL_ASSIGN_OR_RETURN(const Overlay::HeldQueue* queue, overlay_.Held(key.account));
    auto it = queue->find(key.nonce);
    if (it == queue->end() || it->second.btx.id != h.btx.id) continue;  // released above
    overlay_.Release(key);
    released->push_back(ReleasedTx{
        Fail(h.btx.id, index++, TxResultCode::kNonceGapExpired,
             absl::StrCat("nonce ", key.nonce.value(), " held since commit ", h.held_sequence,
                          ": the gap did not fill within ", limits_.hold_commits, " commits")),
        h.btx.raw});
  }
  return absl::OkStatus();
}

}  // namespace

Executor::Executor(SliceId slice, NonceHoldLimits limits, MarketConfig market)
    : slice_(slice), limits_(limits), market_(market) {
  GL_CHECK_MSG(limits_.hold_commits >= 1, "NonceHoldLimits.hold_commits must be >= 1");
  GL_CHECK_MSG(market_.timing.interval_ms >= 1, "MarketTiming.interval_ms must be >= 1");
}

absl::StatusOr<BlockOutcome> Executor::ExecuteBlock(const StateView& state,
                                                    absl::Span<const BlockTx> block,
                                                    uint64_t consensus_time_ms) const {
  if (block.size() > kMaxBlockTxs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block: ", block.size(), " transactions exceeds kMaxBlockTxs=", kMaxBlockTxs));
  }
  GL_ASSIGN_OR_RETURN(uint64_t last, state.LastCommittedSequence());
  // Consensus time never goes back (a later anchor may carry an earlier median).
  uint64_t now_ms = 0;
  {
    Overlay probe(state);
    GL_ASSIGN_OR_RETURN(uint64_t previous, MarketState(&probe).Meta(MarketMeta::kConsensusTime));
    now_ms = std::max(previous, consensus_time_ms);
  }
  BlockRun run(slice_, limits_, market_, state, last + 1, now_ms);
  if (now_ms > 0) run.market().state().PutMeta(MarketMeta::kConsensusTime, now_ms);
  GL_RETURN_IF_ERROR(run.market().RunDue());
  absl::flat_hash_set<TxId> seen;  // ids executed earlier in this block
  seen.reserve(block.size());
  BlockOutcome out;
  out.results.reserve(block.size());
  for (size_t i = 0; i < block.size(); ++i) {
    const BlockTx& btx = block[i];
    const uint32_t index = static_cast<uint32_t>(i);
    GL_ASSIGN_OR_RETURN(bool executed_before, state.HasExecuted(btx.id));
    if (executed_before || !seen.insert(btx.id).second) {
      out.results.push_back(Fail(btx.id, index, TxResultCode::kDuplicate, "duplicate"));
      continue;
    }
    if (btx.tx.slice != slice_) {
      out.results.push_back(Fail(
          btx.id, index, TxResultCode::kWrongSlice,
          absl::StrCat("transaction for slice ", btx.tx.slice.value(),
                       " executed in slice ", slice_.value())));
      continue;
    }
    GL_ASSIGN_OR_RETURN(TxResult result, btx.tx.kind() == TxKind::kTransfer
                                             ? run.ExecuteInput(btx, index)
                                             : run.ExecuteMarketInput(btx, index));
    out.results.push_back(std::move(result));
  }
  GL_RETURN_IF_ERROR(
      run.ReleaseAndExpire(static_cast<uint32_t>(block.size()), &out.released));
  out.accounts = run.overlay().SortedChanges();
  run.overlay().HeldChanges(&out.held_added, &out.held_removed);
  GL_ASSIGN_OR_RETURN(out.market, run.overlay().MarketChanges());
  GL_ASSIGN_OR_RETURN(Digest previous, state.StateSummary());
  out.state_summary = NextStateSummary(previous, out);
  return out;
}

Digest NextStateSummary(const Digest& previous, const BlockOutcome& outcome) {
  Bytes buf;
  ByteWriter w(&buf);
  w.Raw(previous.span());
  auto write_result = [&w](const TxResult& r) {
    w.Raw(r.id.span());
    w.U8(static_cast<uint8_t>(r.code));
    w.VarBytes(ByteSpan(reinterpret_cast<const uint8_t*>(r.reason.data()), r.reason.size()));
  };
  w.U64(outcome.results.size());
  for (const TxResult& r : outcome.results) write_result(r);
  w.U64(outcome.released.size());
  for (const ReleasedTx& r : outcome.released) write_result(r.result);
  w.U64(outcome.accounts.size());
  for (const auto& [ref, acct] : outcome.accounts) {
    w.U32(ref.slice.value());
    w.Raw(ref.key.span());
    w.U64(acct.balance.value());
    w.U64(acct.next_nonce.value());
  }
  auto write_key = [&w](const HeldKey& key) {
    w.U32(key.account.slice.value());
    w.Raw(key.account.key.span());
    w.U64(key.nonce.value());
  };
  w.U64(outcome.held_added.size());
  for (const HeldTx& h : outcome.held_added) {
    write_key(h.key());
    w.Raw(h.btx.id.span());
    w.U64(h.held_sequence);
  }
  w.U64(outcome.held_removed.size());
  for (const HeldKey& key : outcome.held_removed) write_key(key);
  w.U64(outcome.market.size());
  for (const auto& [key, value] : outcome.market) {
    w.VarBytes(key);
    w.U8(value.has_value() ? 1 : 0);
    if (value.has_value()) w.VarBytes(*value);
  }
  return TaggedHashCached(kTagStateSummary, buf);
}

}  // namespace gridledger
