#include "core/execution/executor.h"

#include <algorithm>
#include <map>
#include <string>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"
#include "core/execution/market_exec.h"
#include "core/execution/overlay.h"
#include "core/execution/receipt_records.h"

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
           const CrossSliceConfig& cross_slice, const StateView& state, uint64_t sequence,
           uint64_t now_ms)
      : slice_(slice), limits_(limits), cross_slice_(cross_slice), state_(state),
        sequence_(sequence), market_(slice, market, &overlay_, now_ms) {}

  // Credits one receipt import's receipts that are next (executor.h).
  absl::StatusOr<ImportOutcome> CreditImport(const Bytes& raw);
  // Records the commit's receipts ('q' record) and returns them with their
  // root, sorted by (destination, index).
  std::vector<Receipt> FinishReceipts(Digest* root);

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
  std::optional<TxResult> StaticCheck(const BlockTx& btx, uint32_t index) const;
  // Emits the receipt of a debited cross-slice transfer; returns its number.
  absl::StatusOr<uint64_t> EmitReceipt(const BlockTx& btx);
  // Executes a transfer whose nonce equals its sender's next nonce.
  absl::StatusOr<TxResult> Apply(const BlockTx& btx, uint32_t index, AccountState sender);
  absl::StatusOr<TxResult> TryHold(const BlockTx& btx, uint32_t index,
                                   const AccountState& sender);
  absl::Status ReleaseAccount(const AccountRef& account, uint32_t* index,
                              std::vector<ReleasedTx>* released);

  const SliceId slice_;
  const NonceHoldLimits& limits_;
  const CrossSliceConfig& cross_slice_;
  const StateView& state_;
  const uint64_t sequence_;  // this commit
  Overlay overlay_{state_};
  MarketRun market_;
  absl::btree_set<AccountRef> advanced_;  // senders whose next nonce moved
  std::map<SliceId, std::vector<Receipt>> receipts_;  // emitted, by destination
};

absl::StatusOr<ImportOutcome> BlockRun::CreditImport(const Bytes& raw) {
  ImportOutcome out;
  absl::StatusOr<ReceiptImport> import = DecodeReceiptImport(raw);
  if (!import.ok()) {
    out.refused = std::string(import.status().message());
    return out;
  }
  if (absl::Status s = VerifyReceiptImport(*import, cross_slice_, slice_); !s.ok()) {
    out.refused = std::string(s.message());
    return out;
  }
  const SliceId source = import->checkpoint.slice;
  const Bytes key = NextInKey(source);
  GL_ASSIGN_OR_RETURN(ReceiptCounter counter, ReadCounter(overlay_, key));
  uint64_t& next = counter.next;
  for (const Receipt& r : import->receipts) {
    if (r.number < next) {
      ++out.duplicates;
      continue;
    }
    if (r.number > next) {
      // Numbers in an import are consecutive: nothing of it can be credited.
      out.refused = absl::StrCat("out of order: receipt ", r.number, " from slice ",
                                 source.value(), ", next expected is ", next);
      return out;
    }
    GL_RETURN_IF_ERROR(market_.Credit(r.to, r.amount.value()));
    ++out.credited;
    ++next;
    counter.amount += r.amount.value();
  }
  if (out.credited > 0) overlay_.PutMarket(key, EncodeCounter(counter));
  return out;
}

absl::StatusOr<uint64_t> BlockRun::EmitReceipt(const BlockTx& btx) {
  const auto& body = std::get<TransferBody>(btx.tx.body);
  const SliceId dest = body.to.slice;
  std::vector<Receipt>& list = receipts_[dest];
  const Bytes next_key = NextOutKey(dest);
  GL_ASSIGN_OR_RETURN(ReceiptCounter counter, ReadCounter(overlay_, next_key));
  const uint64_t number = counter.next;
  Receipt r{slice_, sequence_, static_cast<uint32_t>(list.size()), number, dest,
            body.to.key, body.amount, btx.id};
  overlay_.PutMarket(OutReceiptKey(dest, number), EncodeReceipt(r));
  overlay_.PutMarket(next_key, EncodeCounter({number + 1, counter.amount + body.amount.value()}));
  list.push_back(r);
  return number;
}

std::vector<Receipt> BlockRun::FinishReceipts(Digest* root) {
  std::vector<Receipt> all;
  for (auto& [dest, list] : receipts_) all.insert(all.end(), list.begin(), list.end());
  const std::vector<std::pair<SliceId, Digest>> hashes = DestinationHashes(all);
  *root = ReceiptsRootOf(hashes);
  if (!all.empty()) {
    overlay_.PutMarket(CommitReceiptsKey(sequence_), EncodeDestinationHashes(hashes));
  }
  return all;
}

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

std::optional<TxResult> BlockRun::StaticCheck(const BlockTx& btx, uint32_t index) const {
  const auto& body = std::get<TransferBody>(btx.tx.body);
  if (body.amount.value() == 0) {
    return Fail(btx.id, index, TxResultCode::kZeroAmount, "amount must be greater than 0");
  }
  if (body.to.slice != slice_ && !cross_slice_.HasSlice(body.to.slice)) {
    return Fail(btx.id, index, TxResultCode::kCrossSlice,
                absl::StrCat("recipient slice ", body.to.slice.value(), " does not exist"));
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
  if (std::optional<TxResult> failed = StaticCheck(btx, index)) return *failed;
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
  const bool cross = body.to.slice != slice_;
  if (cross) {
    auto it = receipts_.find(body.to.slice);
    if (it != receipts_.end() && it->second.size() >= kMaxReceiptsPerDestination) {
      return Fail(btx.id, index, TxResultCode::kCrossSlice,
                  absl::StrCat("receipt limit: this commit already has ",
                               kMaxReceiptsPerDestination, " receipts for slice ",
                               body.to.slice.value(), "; send it again"));
    }
  }
  const AccountRef sender_ref = SenderOf(tx);
  sender.balance = sender.balance - body.amount.value();
  ++sender.next_nonce;
  overlay_.Set(sender_ref, sender);
  advanced_.insert(sender_ref);
  if (cross) {
    // Success with an empty reason like any transfer (the tx index requires
    // it); the receipt is found by (destination, number) or its commit.
    GL_RETURN_IF_ERROR(EmitReceipt(btx).status());
    return TxResult{btx.id, index, TxResultCode::kSuccess, ""};
  }
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
  // Nothing held anywhere (the slice's count, as of now): no account has a
  // queue to release, and no queue need be read for each sender.
  GL_ASSIGN_OR_RETURN(const uint64_t held_total, overlay_.HeldTotal());
  if (held_total > 0) {
    // ReleaseAccount may advance only the account it releases, so the set of
    // advanced accounts is fixed by now; copy it, Apply inserts into it.
    const std::vector<AccountRef> advanced(advanced_.begin(), advanced_.end());
    for (const AccountRef& account : advanced) {
      GL_RETURN_IF_ERROR(ReleaseAccount(account, &index, released));
    }
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

Executor::Executor(SliceId slice, NonceHoldLimits limits, MarketConfig market,
                   CrossSliceConfig cross_slice)
    : slice_(slice), limits_(limits), market_(market), cross_slice_(std::move(cross_slice)) {
  GL_CHECK_MSG(limits_.hold_commits >= 1, "NonceHoldLimits.hold_commits must be >= 1");
  GL_CHECK_MSG(market_.timing.interval_ms >= 1, "MarketTiming.interval_ms must be >= 1");
}

absl::StatusOr<BlockOutcome> Executor::ExecuteBlock(const StateView& state,
                                                    absl::Span<const BlockTx> block,
                                                    uint64_t consensus_time_ms,
                                                    absl::Span<const Bytes> imports) const {
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
  if (imports.size() > kMaxBlockTxs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block: ", imports.size(), " receipt imports exceeds kMaxBlockTxs=", kMaxBlockTxs));
  }
  BlockRun run(slice_, limits_, market_, cross_slice_, state, last + 1, now_ms);
  if (now_ms > 0) run.market().state().PutMeta(MarketMeta::kConsensusTime, now_ms);
  GL_RETURN_IF_ERROR(run.market().RunDue());
  BlockOutcome out;
  out.imports.reserve(imports.size());
  for (const Bytes& raw : imports) {
    GL_ASSIGN_OR_RETURN(ImportOutcome credited, run.CreditImport(raw));
    out.imports.push_back(std::move(credited));
  }
  // What the block reads from the base, read before it executes: in one
  // pass each, the store's lookups overlap instead of waiting one by one
  // between executions (StateView::GetAccounts, HasExecutedAll).
  // A transaction executed before is never read further; a recipient is
  // read ahead even when its transfer will fail first (a harmless read of
  // the base: what execution reads does not change).
  std::vector<bool> executed_before;
  {
    std::vector<TxId> ids;
    ids.reserve(block.size());
    for (const BlockTx& btx : block) ids.push_back(btx.id);
    GL_ASSIGN_OR_RETURN(executed_before, state.HasExecutedAll(ids));
    GL_CHECK(executed_before.size() == block.size());
    std::vector<AccountRef> accounts;
    accounts.reserve(2 * block.size());
    for (size_t i = 0; i < block.size(); ++i) {
      const Transaction& tx = block[i].tx;
      if (executed_before[i] || tx.slice != slice_) continue;
      accounts.push_back(SenderOf(tx));
      if (const auto* body = std::get_if<TransferBody>(&tx.body);
          body != nullptr && body->to.slice == slice_) {
        accounts.push_back(body->to);
      }
    }
    GL_RETURN_IF_ERROR(run.overlay().Preload(accounts));
  }
  absl::flat_hash_set<TxId> seen;  // ids executed earlier in this block
  seen.reserve(block.size());
  out.results.reserve(block.size());
  for (size_t i = 0; i < block.size(); ++i) {
    const BlockTx& btx = block[i];
    const uint32_t index = static_cast<uint32_t>(i);
    if (executed_before[i] || !seen.insert(btx.id).second) {
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
  out.receipts = run.FinishReceipts(&out.receipts_root);
  out.accounts = run.overlay().SortedChanges();
  out.accounts_before = run.overlay().BaseStates(out.accounts);
  run.overlay().HeldChanges(&out.held_added, &out.held_removed);
  GL_ASSIGN_OR_RETURN(out.market, run.overlay().MarketChanges());
  GL_ASSIGN_OR_RETURN(Digest previous, state.StateSummary());
  out.state_summary = NextStateSummary(previous, out);
  return out;
}

Digest NextStateSummary(const Digest& previous, const BlockOutcome& outcome) {
  Bytes buf;
  // Sized once (reasons and market records aside): growing by doubling
  // copied a large block's summary input several times over.
  buf.reserve(Digest::kSize + 6 * 8 + 34 * (outcome.results.size() + outcome.released.size()) +
              52 * outcome.accounts.size() +
              84 * outcome.held_added.size() + 44 * outcome.held_removed.size());
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
