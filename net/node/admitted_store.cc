#include "net/node/admitted_store.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/common/thread_name.h"
#include "core/tx/codec.h"

namespace gridledger::node {

namespace {

// Big-endian, in a fixed array: a key per admitted and per committed
// transaction, with no heap allocation.
std::array<uint8_t, 8> OrderKey(uint64_t order) {
  std::array<uint8_t, 8> key;
  PutBigEndian(order, key.size(), key.data());
  return key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdmittedStore>> AdmittedStore::Open(storage::LmdbEnv* env) {
  GL_ASSIGN_OR_RETURN(const bool v1, env->HasTable(kAdmittedTableV1));
  if (v1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data dir ", env->dir(), " holds admitted transactions in the version-1 layout (table '",
        kAdmittedTableV1, "', keyed by id), which this version does not read; there is no "
        "migration: start from an empty data dir"));
  }
  GL_ASSIGN_OR_RETURN(storage::LmdbTable table, env->OpenTable(kAdmittedTable));
  auto store = std::unique_ptr<AdmittedStore>(new AdmittedStore(env, table));
  {
    // Orders continue above the last entry even if Recover is never called.
    GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env->BeginRead());
    GL_ASSIGN_OR_RETURN(storage::Cursor cur, txn.OpenCursor(table));
    GL_ASSIGN_OR_RETURN(bool on, cur.Last());
    if (on) {
      ByteReader r(cur.key());
      auto last = r.U64("order");
      if (!last.ok() || r.remaining() != 0) return absl::DataLossError("admitted: corrupt key");
      absl::MutexLock lock(&store->mu_);
      store->next_order_ = *last + 1;
    }
  }
  store->thread_ = std::thread([raw = store.get()] {
    NameThisThread("gl-admit-write");
    raw->Loop();
  });
  return store;
}

AdmittedStore::~AdmittedStore() { Stop(); }

void AdmittedStore::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status AdmittedStore::Persist(std::vector<std::pair<TxId, Bytes>> txs,
                                    absl::Duration timeout) {
  if (txs.empty()) return absl::OkStatus();
  auto request = std::make_shared<Request>();
  request->txs = std::move(txs);
  absl::MutexLock lock(&mu_);
  if (!Enqueue(request)) return absl::UnavailableError("node is stopping");
  // The request stays shared with the writer: a caller that gives up leaves
  // it to be written (harmless: the core already has the transactions).
  if (!mu_.AwaitWithTimeout(absl::Condition(&request->done), timeout)) {
    return absl::UnavailableError(
        absl::StrCat("admitted transactions not durable within ", absl::FormatDuration(timeout),
                     env_->disk_full() ? " (disk full)" : ""));
  }
  return request->status;
}

bool AdmittedStore::Enqueue(std::shared_ptr<Request> request) {
  if (stopping_) return false;
  queued_txs_ += request->txs.size();
  queue_.push_back(std::move(request));
  return true;
}

void AdmittedStore::PersistAsync(std::vector<std::pair<TxId, Bytes>> txs, PersistDone done) {
  if (txs.empty()) {
    std::move(done)(absl::OkStatus());
    return;
  }
  auto request = std::make_shared<Request>();
  request->txs = std::move(txs);
  request->on_done = std::move(done);
  {
    absl::MutexLock lock(&mu_);
    if (Enqueue(request)) return;
  }
  std::move(request->on_done)(absl::UnavailableError("node is stopping"));
}

void AdmittedStore::Loop() {
  for (;;) {
    std::vector<std::shared_ptr<Request>> group;
    std::function<void(WritePhase)> hook;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AdmittedStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->stopping_ || !s->queue_.empty() || !s->stale_orders_.empty();
          },
          this));
      // Stopping with nothing left to write.
      if (queue_.empty() && stale_orders_.empty()) return;
      // Group commit: let others join for a short, bounded window.
      if (!queue_.empty() && !stopping_) {
        mu_.AwaitWithTimeout(absl::Condition(
                                 +[](AdmittedStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
                                   return s->stopping_ || s->queued_txs_ >= kAdmitGroupTxsMax;
                                 },
                                 this),
                             kAdmitGroupWindow);
      }
      size_t taken = 0;
      while (!queue_.empty() &&
             (group.empty() || taken + queue_.front()->txs.size() <= kAdmitGroupTxsMax)) {
        taken += queue_.front()->txs.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_txs_ -= taken;
      hook = write_hook_;
    }
    absl::StatusOr<std::vector<std::pair<TxId, uint64_t>>> written =
        absl::FailedPreconditionError("no group");
    if (!group.empty()) {
      written = WriteGroup(group, hook);
      if (hook) hook(WritePhase::kAfterWrite);
      absl::MutexLock lock(&mu_);
      if (written.ok()) {
        ++stats_.writes;
        for (const auto& r : group) stats_.txs += r->txs.size();
        for (const auto& [id, order] : *written) {
          auto it = written_.find(id);
          if (it == written_.end() || it->second.order != order) continue;  // erased by a commit
          if (it->second.stale) {
            stale_orders_.push_back(order);
            written_.erase(it);
          } else {
            it->second.durable = true;
          }
        }
      }
    }
    // Before the answers, so a caller that saw its transactions committed
    // meanwhile finds no row of them once Persist returned.
    RemoveStaleRows();
    if (group.empty()) continue;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& r : group) {
        r->status = written.status();
        r->done = true;
        r->txs.clear();
      }
    }
    for (const auto& r : group) {
      if (r->on_done) std::move(r->on_done)(written.status());
    }
  }
}

void AdmittedStore::RemoveStaleRows() {
  std::vector<uint64_t> orders;
  {
    absl::MutexLock lock(&mu_);
    orders.swap(stale_orders_);
  }
  if (orders.empty()) return;
  std::sort(orders.begin(), orders.end());
  // On failure the rows stay: Recover drops them (their transactions are
  // committed), so they are not retried here against a failing disk.
  // Not riding: the answers wait for it (rare: a commit that overtook its
  // admission write).
  env_->Write([&](storage::WriteTxn& txn) -> absl::Status {
        for (uint64_t order : orders) {
          absl::Status s = txn.Delete(table_, OrderKey(order));
          if (!s.ok() && !absl::IsNotFound(s)) return s;
        }
        return absl::OkStatus();
      }).IgnoreError();
}

absl::StatusOr<AdmittedStore::WrittenOrders> AdmittedStore::WriteGroup(
    const std::vector<std::shared_ptr<Request>>& group,
    const std::function<void(WritePhase)>& hook) {
  // Each transaction once: one already in the table (admitted again before
  // its commit) is durable as it is.
  WrittenOrders orders;
  std::vector<const Bytes*> raws;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<TxId> in_group;
    for (const auto& r : group) {
      for (const auto& [id, raw] : r->txs) {
        if (written_.contains(id) || !in_group.insert(id).second) continue;
        orders.emplace_back(id, next_order_);
        // Recorded before the write: a commit's EraseIn from now on finds it.
        written_.emplace(id, Entry{next_order_});
        ++next_order_;
        raws.push_back(&raw);
      }
    }
  }
  if (hook) hook(WritePhase::kBeforeWrite);
  const absl::Status status = env_->WriteRiding([&](storage::WriteTxn& txn) -> absl::Status {
    Bytes value;
    for (size_t i = 0; i < orders.size(); ++i) {
      value.clear();
      ByteWriter w(&value);
      w.Raw(orders[i].first.span());
      w.Raw(*raws[i]);
      GL_RETURN_IF_ERROR(txn.Append(table_, OrderKey(orders[i].second), value));
    }
    return absl::OkStatus();
  }, kAdmitRideWait);
  if (!status.ok()) {
    // Not written: its entries go (a stale mark needs no row removed).
    absl::MutexLock lock(&mu_);
    for (const auto& [id, order] : orders) {
      auto it = written_.find(id);
      if (it != written_.end() && it->second.order == order) written_.erase(it);
    }
    return status;
  }
  return orders;
}

absl::Status AdmittedStore::EraseIn(storage::WriteTxn& txn, absl::Span<const TxId> ids) {
  std::vector<uint64_t> orders;
  {
    absl::MutexLock lock(&mu_);
    erased_.clear();  // of an earlier EraseIn whose write did not commit
    if (written_.empty()) return absl::OkStatus();
    for (const TxId& id : ids) {
      auto it = written_.find(id);
      if (it != written_.end()) orders.push_back(it->second.order);
    }
  }
  if (orders.empty()) return absl::OkStatus();
  // Ascending: the cursor stays on a leaf page while the next key is in it.
  std::sort(orders.begin(), orders.end());
  absl::flat_hash_set<uint64_t> erased;
  erased.reserve(orders.size());
  GL_ASSIGN_OR_RETURN(storage::WriteCursor cursor, txn.OpenWriteCursor(table_));
  for (uint64_t order : orders) {
    absl::Status s = cursor.Delete(OrderKey(order), [](ByteSpan) {});
    if (s.ok()) {
      erased.insert(order);
    } else if (!absl::IsNotFound(s)) {  // NotFound: its admission write comes later
      return s;
    }
  }
  absl::MutexLock lock(&mu_);
  erased_ = std::move(erased);
  return absl::OkStatus();
}

void AdmittedStore::Forget(absl::Span<const TxId> ids) {
  absl::MutexLock lock(&mu_);
  for (const TxId& id : ids) {
    if (written_.empty()) break;
    auto it = written_.find(id);
    if (it == written_.end()) continue;
    if (erased_.contains(it->second.order)) {
      written_.erase(it);  // the commit's write deleted its row
    } else if (it->second.durable) {
      // Written after the commit's EraseIn (or admitted again after its
      // commit): the writer thread deletes the row.
      stale_orders_.push_back(it->second.order);
      written_.erase(it);
    } else {
      it->second.stale = true;  // being written: deleted once it is
    }
  }
  erased_.clear();
}

absl::StatusOr<std::vector<std::pair<TxId, Bytes>>> AdmittedStore::Recover(
    const storage::NodeStore& store) {
  std::vector<std::pair<TxId, Bytes>> out;
  std::vector<std::pair<TxId, uint64_t>> kept;
  std::vector<uint64_t> settled;
  {
    GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env_->BeginRead());
    GL_ASSIGN_OR_RETURN(storage::Cursor cur, txn.OpenCursor(table_));
    absl::flat_hash_set<TxId> seen;
    // In key order, which is admission order.
    GL_ASSIGN_OR_RETURN(bool on, cur.First());
    while (on) {
      ByteReader kr(cur.key());
      auto order = kr.U64("order");
      if (!order.ok() || kr.remaining() != 0 || cur.value().size() <= TxId::kSize) {
        return absl::DataLossError("admitted: corrupt record");
      }
      const TxId id = TxId::FromSpan(cur.value().first(TxId::kSize));
      const ByteSpan raw = cur.value().subspan(TxId::kSize);
      // Written only after the envelope decoded and its id matched.
      if (ComputeTxId(raw) != id) return absl::DataLossError("admitted: id does not match record");
      auto stored = store.GetTx(id);
      if (stored.ok() || !seen.insert(id).second) {
        settled.push_back(*order);  // committed, or a second copy
      } else if (absl::IsNotFound(stored.status())) {
        kept.emplace_back(id, *order);
        out.emplace_back(id, Bytes(raw.begin(), raw.end()));
      } else {
        return stored.status();
      }
      GL_ASSIGN_OR_RETURN(on, cur.Next());
    }
  }
  if (!settled.empty()) {
    GL_RETURN_IF_ERROR(env_->Write([&](storage::WriteTxn& txn) -> absl::Status {
      for (uint64_t order : settled) GL_RETURN_IF_ERROR(txn.Delete(table_, OrderKey(order)));
      return absl::OkStatus();
    }));
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [id, order] : kept) written_.emplace(id, Entry{order, /*durable=*/true});
  return out;
}

void AdmittedStore::SetWriteHookForTest(std::function<void(WritePhase)> hook) {
  absl::MutexLock lock(&mu_);
  write_hook_ = std::move(hook);
}

AdmittedStats AdmittedStore::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

size_t AdmittedStore::outstanding() const {
  absl::MutexLock lock(&mu_);
  return written_.size();
}

}  // namespace gridledger::node
