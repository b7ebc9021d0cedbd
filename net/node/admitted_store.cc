#include "net/node/admitted_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/tx/codec.h"

namespace gridledger::node {

absl::StatusOr<std::unique_ptr<AdmittedStore>> AdmittedStore::Open(storage::LmdbEnv* env) {
  GL_ASSIGN_OR_RETURN(storage::LmdbTable table, env->OpenTable(kAdmittedTable));
  auto store = std::unique_ptr<AdmittedStore>(new AdmittedStore(env, table));
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
    const absl::Status status = WriteGroup(group);
    {
      absl::MutexLock lock(&mu_);
      if (status.ok()) {
        ++stats_.writes;
        for (const auto& r : group) {
          stats_.txs += r->txs.size();
          for (const auto& [id, raw] : r->txs) written_.insert(id);
        }
      }
      for (const auto& r : group) {
        r->status = status;
        r->done = true;
        r->txs.clear();
      }
    }
    for (const auto& r : group) {
      if (r->on_done) std::move(r->on_done)(status);
    }
  }
}

absl::Status AdmittedStore::WriteGroup(const std::vector<std::shared_ptr<Request>>& group) {
  uint64_t order = 0;
  size_t n = 0;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& r : group) n += r->txs.size();
    order = next_order_;
    next_order_ += n;
  }
  return env_->Write([&](storage::WriteTxn& txn) -> absl::Status {
    uint64_t o = order;
    Bytes value;
    for (const auto& r : group) {
      for (const auto& [id, raw] : r->txs) {
        value.clear();
        ByteWriter w(&value);
        w.U64(o++);
        w.Raw(raw);
        GL_RETURN_IF_ERROR(txn.Put(table_, id.span(), value));
      }
    }
    return absl::OkStatus();
  });
}

absl::Status AdmittedStore::EraseIn(storage::WriteTxn& txn, absl::Span<const TxId> ids) const {
  std::vector<TxId> ours;
  {
    absl::MutexLock lock(&mu_);
    if (written_.empty()) return absl::OkStatus();
    for (const TxId& id : ids) {
      if (written_.contains(id)) ours.push_back(id);
    }
  }
  for (const TxId& id : ours) {
    absl::Status s = txn.Delete(table_, id.span());
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
  struct Entry {
    uint64_t order;
    TxId id;
    Bytes raw;
  };
  std::vector<Entry> entries;
  std::vector<TxId> settled;
  uint64_t next_order = 0;
  {
    GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, env_->BeginRead());
    GL_ASSIGN_OR_RETURN(storage::Cursor cur, txn.OpenCursor(table_));
    GL_ASSIGN_OR_RETURN(bool on, cur.First());
    while (on) {
      ByteReader r(cur.value());
      auto order = r.U64("order");
      if (cur.key().size() != TxId::kSize || !order.ok() || r.remaining() == 0) {
        return absl::DataLossError("admitted: corrupt record");
      }
      const TxId id = TxId::FromSpan(cur.key());
      next_order = std::max(next_order, *order + 1);
      const ByteSpan raw = cur.value().subspan(8);
      // Written only after the envelope decoded and its id matched.
      if (ComputeTxId(raw) != id) return absl::DataLossError("admitted: id does not match record");
      auto stored = store.GetTx(id);
      if (stored.ok()) {
        settled.push_back(id);
      } else if (absl::IsNotFound(stored.status())) {
        entries.push_back(Entry{*order, id, Bytes(raw.begin(), raw.end())});
      } else {
        return stored.status();
      }
      GL_ASSIGN_OR_RETURN(on, cur.Next());
    }
  }
  if (!settled.empty()) {
    GL_RETURN_IF_ERROR(env_->Write([&](storage::WriteTxn& txn) -> absl::Status {
      for (const TxId& id : settled) GL_RETURN_IF_ERROR(txn.Delete(table_, id.span()));
      return absl::OkStatus();
    }));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.order < b.order; });
  std::vector<std::pair<TxId, Bytes>> out;
  out.reserve(entries.size());
  absl::MutexLock lock(&mu_);
  next_order_ = std::max(next_order_, next_order);
  for (Entry& e : entries) {
    written_.insert(e.id);
    out.emplace_back(e.id, std::move(e.raw));
  }
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
