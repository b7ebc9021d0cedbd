#include "net/node/admitted_store.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/tx/codec.h"

namespace gridledger::node {

namespace {

Bytes OrderKey(uint64_t order) {
  Bytes key;
  ByteWriter(&key).U64(order);
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
  store->thread_ = std::thread([raw = store.get()] { raw->Loop(); });
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
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AdmittedStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->stopping_ || !s->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, nothing left to write
      // Group commit: let others join for a short, bounded window.
      if (!stopping_) {
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
    }
    const absl::StatusOr<std::vector<std::pair<TxId, uint64_t>>> written = WriteGroup(group);
    {
      absl::MutexLock lock(&mu_);
      if (written.ok()) {
        ++stats_.writes;
        for (const auto& r : group) stats_.txs += r->txs.size();
        for (const auto& [id, order] : *written) written_.emplace(id, order);
      }
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

absl::StatusOr<std::vector<std::pair<TxId, uint64_t>>> AdmittedStore::WriteGroup(
    const std::vector<std::shared_ptr<Request>>& group) {
  // Each transaction once: one already in the table (admitted again before
  // its commit) is durable as it is.
  std::vector<std::pair<TxId, uint64_t>> orders;
  std::vector<const Bytes*> raws;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<TxId> in_group;
    for (const auto& r : group) {
      for (const auto& [id, raw] : r->txs) {
        if (written_.contains(id) || !in_group.insert(id).second) continue;
        orders.emplace_back(id, next_order_++);
        raws.push_back(&raw);
      }
    }
  }
  GL_RETURN_IF_ERROR(env_->Write([&](storage::WriteTxn& txn) -> absl::Status {
    Bytes value;
    for (size_t i = 0; i < orders.size(); ++i) {
      value.clear();
      ByteWriter w(&value);
      w.Raw(orders[i].first.span());
      w.Raw(*raws[i]);
      GL_RETURN_IF_ERROR(txn.Append(table_, OrderKey(orders[i].second), value));
    }
    return absl::OkStatus();
  }));
  return orders;
}

absl::Status AdmittedStore::EraseIn(storage::WriteTxn& txn, absl::Span<const TxId> ids) const {
  std::vector<uint64_t> orders;
  {
    absl::MutexLock lock(&mu_);
    if (written_.empty()) return absl::OkStatus();
    for (const TxId& id : ids) {
      auto it = written_.find(id);
      if (it != written_.end()) orders.push_back(it->second);
    }
  }
  if (orders.empty()) return absl::OkStatus();
  // Ascending: the cursor stays on a leaf page while the next key is in it.
  std::sort(orders.begin(), orders.end());
  GL_ASSIGN_OR_RETURN(storage::WriteCursor cursor, txn.OpenWriteCursor(table_));
  for (uint64_t order : orders) {
    absl::Status s = cursor.Delete(OrderKey(order), [](ByteSpan) {});
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

void AdmittedStore::Forget(absl::Span<const TxId> ids) {
  absl::MutexLock lock(&mu_);
  if (written_.empty()) return;
  for (const TxId& id : ids) written_.erase(id);
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
  for (const auto& [id, order] : kept) written_.emplace(id, order);
  return out;
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
