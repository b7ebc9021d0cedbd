#include "storage/consensus_store.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"

#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/thread_name.h"
#include "core/common/status_macros.h"
#include "core/consensus/messages.h"
#include "core/execution/executor.h"

namespace gridledger::storage {
namespace {

using consensus::Batch;
using consensus::Certificate;
using consensus::Header;

constexpr uint8_t kOwnKey[] = {'h'};
constexpr uint8_t kCommitKey[] = {'s'};
// A commit's transaction list is bounded by the executor's block bound.
constexpr size_t kMaxCommitTxIds = kMaxBlockTxs;

Bytes RoundDigestKey(Round round, const Digest& digest) {
  Bytes key;
  ByteWriter w(&key);
  w.U64(round.value());
  w.Raw(digest.span());
  return key;
}

Bytes U64Key(uint64_t v) {
  Bytes key;
  ByteWriter(&key).U64(v);
  return key;
}

Bytes U32Key(uint32_t v) {
  Bytes key;
  ByteWriter(&key).U32(v);
  return key;
}

absl::Status CorruptRecord(absl::string_view table, const absl::Status& why) {
  return absl::DataLossError(absl::StrCat("consensus store ", table, ": ", why.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConsensusStore>> ConsensusStore::Open(LmdbEnv* env) {
  Tables t;
  GL_ASSIGN_OR_RETURN(t.voted, env->OpenTable("cons_voted"));
  GL_ASSIGN_OR_RETURN(t.own, env->OpenTable("cons_own"));
  GL_ASSIGN_OR_RETURN(t.certs, env->OpenTable("cons_certs"));
  GL_ASSIGN_OR_RETURN(t.batches, env->OpenTable("cons_batches"));
  GL_ASSIGN_OR_RETURN(t.commit, env->OpenTable("cons_commit"));
  GL_ASSIGN_OR_RETURN(t.committed, env->OpenTable("cons_committed"));
  GL_ASSIGN_OR_RETURN(t.commit_txs, env->OpenTable("commit_txs"));
  GL_ASSIGN_OR_RETURN(t.commit_subdag, env->OpenTable("commit_subdag"));
  std::unique_ptr<ConsensusStore> store(new ConsensusStore(env, t));
  for (int i = 0; i < 2; ++i) {
    GL_ASSIGN_OR_RETURN(store->logs_[i],
                        RecordLog::Open(absl::StrCat(env->dir(), "/consensus-", i, ".log")));
  }
  GL_RETURN_IF_ERROR(store->Recover());
  {
    absl::MutexLock lock(&store->mu_);
    store->active_since_ = std::chrono::steady_clock::now();
  }
  store->merger_ = std::thread([s = store.get()] { s->MergerLoop(); });
  return store;
}

ConsensusStore::~ConsensusStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (merger_.joinable()) merger_.join();
}

absl::Status ConsensusStore::Recover() {
  // Older generation first (the order does not change the result, see the
  // header; it keeps the tables' history in the order it was written).
  std::array<int, 2> order = {0, 1};
  if (logs_[1]->generation() < logs_[0]->generation()) order = {1, 0};
  std::vector<consensus::PersistRecord> records;
  for (int i : order) {
    GL_RETURN_IF_ERROR(logs_[i]->ForEach([&](ByteSpan entry) -> absl::Status {
      auto decoded = DecodeLogEntry(entry);
      if (!decoded.ok()) {
        return absl::DataLossError(absl::StrCat("consensus log ", logs_[i]->path(), ": ",
                                                decoded.status().message()));
      }
      for (auto& r : *decoded) records.push_back(std::move(r));
      return absl::OkStatus();
    }));
  }
  if (!records.empty()) {
    GL_RETURN_IF_ERROR(env_->Write(
        [&](WriteTxn& txn) -> absl::Status { return ApplyRecords(txn, records); }));
  }
  // Both empty from here; the higher generation goes to the active log.
  for (int i : order) {
    if (logs_[i]->entry_bytes() > 0) GL_RETURN_IF_ERROR(logs_[i]->Reset(NextGeneration()));
  }
  return absl::OkStatus();
}

uint64_t ConsensusStore::NextGeneration() const {
  return std::max(logs_[0]->generation(), logs_[1]->generation()) + 1;
}

absl::Status ConsensusStore::MergeLog(int index) {
  std::vector<consensus::PersistRecord> records;
  {
    absl::MutexLock lock(&mu_);
    records = unmerged_[index].TakeRecords();
  }
  absl::Status status = absl::OkStatus();
  if (!records.empty()) {
    status = env_->Write(
        [&](WriteTxn& txn) -> absl::Status { return ApplyRecords(txn, records); });
  }
  // Only once the tables hold them durably may the log forget them.
  if (status.ok() && logs_[index]->entry_bytes() > 0) {
    status = logs_[index]->Reset(NextGeneration());
  }
  absl::MutexLock lock(&mu_);
  if (!status.ok()) {
    if (failed_.ok()) failed_ = status;
    return status;
  }
  unmerged_[index].Clear();
  ++log_stats_.merges;
  return absl::OkStatus();
}

void ConsensusStore::MergerLoop() {
  NameThisThread("gl-cons-merge");
  for (;;) {
    int retired = 0;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ConsensusStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->handoff_ || s->stopping_;
          },
          this));
      if (!handoff_) return;  // stopping, nothing retired
      handoff_ = false;
      retired = 1 - active_;
    }
    (void)MergeLog(retired);  // a failure is kept in failed_
    absl::MutexLock lock(&mu_);
    merging_ = false;
  }
}

absl::Status ConsensusStore::MergeLogs() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ConsensusStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return !s->merging_; },
      this));
  GL_RETURN_IF_ERROR(failed_);
  // merging_ without a handoff keeps the merger asleep and Persist from
  // swapping logs.
  merging_ = true;
  const int active = active_;
  mu_.Unlock();
  absl::Status status = MergeLog(1 - active);
  if (status.ok()) status = MergeLog(active);
  mu_.Lock();
  merging_ = false;
  active_since_ = std::chrono::steady_clock::now();
  return status;
}

void ConsensusStore::StopWaitingForSpace() {
  absl::MutexLock lock(&mu_);
  stop_waiting_for_space_ = true;
}

ConsensusStore::LogStats ConsensusStore::log_stats() const {
  absl::MutexLock lock(&mu_);
  return log_stats_;
}

absl::Status ConsensusStore::Persist(absl::Span<const consensus::PersistRecord> records) {
  if (records.empty()) return absl::OkStatus();
  int active = 0;
  {
    absl::MutexLock lock(&mu_);
    GL_RETURN_IF_ERROR(failed_);
    // Back-pressure: the active log is full and the other still merging.
    if (logs_[active_]->entry_bytes() >= kConsensusLogMaxBytes) {
      mu_.Await(absl::Condition(
          +[](ConsensusStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return !s->merging_ || !s->failed_.ok();
          },
          this));
      GL_RETURN_IF_ERROR(failed_);
    }
    active = active_;
  }
  // Only this thread appends, and the merger never touches the active log.
  const Bytes entry = EncodeLogEntry(records);
  const ByteSpan part(entry);
  absl::Status appended = logs_[active]->Append({&part, 1});
  // A full disk pauses consensus, as LMDB's writes do with wait_for_space,
  // until space returns or StopWaitingForSpace.
  for (absl::Duration backoff = absl::Milliseconds(kDiskFullRetryMinMs);
       absl::IsResourceExhausted(appended);
       backoff = std::min(2 * backoff, absl::Milliseconds(kDiskFullRetryMaxMs))) {
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_waiting_for_space_), backoff)) break;
    mu_.Unlock();
    appended = logs_[active]->Append({&part, 1});
    mu_.Lock();
  }
  if (!appended.ok()) {
    absl::MutexLock lock(&mu_);
    if (failed_.ok()) failed_ = appended;
    return appended;
  }
  absl::MutexLock lock(&mu_);
  for (const consensus::PersistRecord& record : records) unmerged_[active].Add(record);
  ++log_stats_.appends;
  const auto now = std::chrono::steady_clock::now();
  if (!merging_ && (logs_[active]->entry_bytes() >= kConsensusLogMergeBytes ||
                    now - active_since_ >= absl::ToChronoNanoseconds(kConsensusLogMergeInterval))) {
    merging_ = handoff_ = true;  // the merger takes the retired log: the other one
    active_ = 1 - active;
    active_since_ = now;
  }
  return absl::OkStatus();
}

absl::Status ConsensusStore::ApplyRecords(
    WriteTxn& txn, absl::Span<const consensus::PersistRecord> records) const {
  for (const consensus::PersistRecord& record : records) {
    if (const auto* lv = std::get_if<consensus::LastVotedRecord>(&record)) {
      const Bytes key = U32Key(lv->author.value());
      auto existing = txn.Get(t_.voted, key);
      if (existing.ok()) {
        ByteReader r(*existing);
        GL_ASSIGN_OR_RETURN(uint64_t round, r.U64("round"));
        if (round > lv->round.value()) continue;
      } else if (!absl::IsNotFound(existing.status())) {
        return existing.status();
      }
      Bytes value;
      ByteWriter w(&value);
      w.U64(lv->round.value());
      w.Raw(lv->header.span());
      GL_RETURN_IF_ERROR(txn.Put(t_.voted, key, value));
    } else if (const auto* own = std::get_if<consensus::OwnHeaderRecord>(&record)) {
      auto existing = txn.Get(t_.own, ByteSpan(kOwnKey, 1));
      if (existing.ok()) {
        ByteReader r(*existing);
        auto header = consensus::DecodeHeader(r);
        if (!header.ok()) return CorruptRecord("cons_own", header.status());
        if (header->round > own->header.round) continue;
      } else if (!absl::IsNotFound(existing.status())) {
        return existing.status();
      }
      Bytes value;
      ByteWriter w(&value);
      consensus::EncodeHeader(own->header, w);
      GL_RETURN_IF_ERROR(txn.Put(t_.own, ByteSpan(kOwnKey, 1), value));
    } else if (const auto* cert = std::get_if<consensus::CertificateRecord>(&record)) {
      Bytes value;
      ByteWriter w(&value);
      consensus::EncodeCertificate(cert->certificate, w);
      GL_RETURN_IF_ERROR(txn.Put(
          t_.certs,
          RoundDigestKey(cert->certificate.header.round,
                         consensus::CertificateDigest(cert->certificate)),
          value));
    } else if (const auto* batch = std::get_if<consensus::BatchRecord>(&record)) {
      Bytes value;
      value.reserve(consensus::BatchEncodedBytes(*batch->batch));
      ByteWriter w(&value);
      consensus::EncodeBatch(*batch->batch, w);
      GL_RETURN_IF_ERROR(
          txn.Put(t_.batches, consensus::BatchDigestOfEncoding(value).span(), value));
    }
  }
  return absl::OkStatus();
}

absl::Status ConsensusStore::RecordCommit(const consensus::CommittedSubDag& sub,
                                          uint64_t sequence, absl::Span<const TxId> tx_ids) {
  return env_->Write([&](WriteTxn& txn) -> absl::Status {
    return WriteCommitRecord(txn, sub, sequence, tx_ids);
  });
}

absl::Status ConsensusStore::WriteCommitRecord(WriteTxn& txn,
                                               const consensus::CommittedSubDag& sub,
                                               uint64_t sequence,
                                               absl::Span<const TxId> tx_ids) const {
  if (tx_ids.size() > kMaxCommitTxIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("commit ", sequence, ": ", tx_ids.size(), " transactions exceed ",
                     kMaxCommitTxIds));
  }
  // Each record sized up front: one allocation, not one per doubling.
  Bytes state;
  state.reserve(16);
  ByteWriter sw(&state);
  sw.U64(sub.last_committed_round.value());  // bullshark.h: pieces of an anchor
  sw.U64(sub.index + 1);
  Bytes ids;
  ids.reserve(4 + tx_ids.size() * TxId::size());
  ByteWriter iw(&ids);
  iw.U32(static_cast<uint32_t>(tx_ids.size()));
  for (const TxId& id : tx_ids) iw.Raw(id.span());
  Bytes subdag;
  subdag.reserve(8 + Digest::size() + 8 + 4 + sub.certificates.size() * (8 + Digest::size()));
  ByteWriter dw(&subdag);
  dw.U64(sub.anchor_round.value());
  dw.Raw(sub.anchor.span());
  dw.U64(sub.last_committed_round.value());
  dw.U32(static_cast<uint32_t>(sub.certificates.size()));
  for (const Certificate& c : sub.certificates) {
    dw.U64(c.header.round.value());
    dw.Raw(consensus::CertificateDigest(c).span());
  }
  const uint8_t empty = 0;
  // The sub-DAG record serves commit sync to peers (commit_sync_server).
  GL_RETURN_IF_ERROR(txn.Put(t_.commit_subdag, U64Key(sequence), subdag));
  GL_RETURN_IF_ERROR(txn.Put(t_.commit, ByteSpan(kCommitKey, 1), state));
  for (const Certificate& c : sub.certificates) {
    GL_RETURN_IF_ERROR(txn.Put(
        t_.committed, RoundDigestKey(c.header.round, consensus::CertificateDigest(c)),
        ByteSpan(&empty, 1)));
  }
  return txn.Put(t_.commit_txs, U64Key(sequence), ids);
}

absl::StatusOr<consensus::PersistedState> ConsensusStore::Load(uint64_t gc_depth) const {
  consensus::PersistedState state;
  // The unmerged records first, then a read that begins after: a merge that
  // moved one out of memory meanwhile had already committed it.
  UnmergedRecords unmerged;  // both logs' indexes
  {
    absl::MutexLock lock(&mu_);
    for (const UnmergedRecords& u : unmerged_) unmerged.AddIndexesOf(u);
  }
  // Authors whose unmerged vote is not yet taken (LMDB's are read below).
  absl::flat_hash_map<uint32_t, consensus::LastVotedRecord> unmerged_voted = unmerged.voted();
  const std::optional<Header>& unmerged_own = unmerged.own_header();
  const std::map<std::pair<uint64_t, Digest>, Certificate>& unmerged_certs =
      unmerged.certificates();
  const absl::flat_hash_map<Digest, std::shared_ptr<const Batch>>& unmerged_batches =
      unmerged.batches();
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());

  // Commit state.
  auto commit = txn.Get(t_.commit, ByteSpan(kCommitKey, 1));
  if (commit.ok()) {
    ByteReader r(*commit);
    auto round = r.U64("last_committed_round");
    auto next = r.U64("next_commit_index");
    if (!round.ok() || !next.ok() || !r.ExpectEnd("commit state").ok()) {
      return CorruptRecord("cons_commit", absl::InvalidArgumentError("bad commit state record"));
    }
    state.last_committed_round = Round(*round);
    state.next_commit_index = *next;
  } else if (!absl::IsNotFound(commit.status())) {
    return commit.status();
  }

  // Last votes, one per author.
  {
    GL_ASSIGN_OR_RETURN(Cursor cur, txn.OpenCursor(t_.voted));
    GL_ASSIGN_OR_RETURN(bool on, cur.First());
    for (size_t i = 0; on && i <= consensus::Committee::kMaxValidators; ++i) {
      ByteReader kr(cur.key());
      ByteReader vr(cur.value());
      auto author = kr.U32("author");
      auto round = vr.U64("round");
      auto digest = vr.Fixed<32>("header");
      if (!author.ok() || !round.ok() || !digest.ok()) {
        return CorruptRecord("cons_voted", absl::InvalidArgumentError("short record"));
      }
      consensus::LastVotedRecord stored{ValidatorIndex(*author), Round(*round), Digest(*digest)};
      auto newer = unmerged_voted.find(*author);
      if (newer != unmerged_voted.end()) {
        if (newer->second.round > stored.round) stored = newer->second;
        unmerged_voted.erase(newer);
      }
      state.last_voted.push_back(stored);
      GL_ASSIGN_OR_RETURN(on, cur.Next());
    }
    for (const auto& [author, lv] : unmerged_voted) state.last_voted.push_back(lv);
    std::sort(state.last_voted.begin(), state.last_voted.end(),
              [](const auto& a, const auto& b) { return a.author < b.author; });
  }

  // Own header.
  auto own = txn.Get(t_.own, ByteSpan(kOwnKey, 1));
  if (own.ok()) {
    ByteReader r(*own);
    auto header = consensus::DecodeHeader(r);
    if (!header.ok()) return CorruptRecord("cons_own", header.status());
    state.own_header = std::move(*header);
  } else if (!absl::IsNotFound(own.status())) {
    return own.status();
  }
  if (unmerged_own.has_value() &&
      (!state.own_header.has_value() || state.own_header->round <= unmerged_own->round)) {
    state.own_header = unmerged_own;
  }

  // Certificates (and committed marks) above the GC horizon.
  const uint64_t last = state.last_committed_round.value();
  const uint64_t from_round = last > gc_depth ? last - gc_depth : 0;
  const Bytes from_key = U64Key(from_round);
  {
    GL_ASSIGN_OR_RETURN(Cursor cur, txn.OpenCursor(t_.certs));
    GL_ASSIGN_OR_RETURN(bool on, cur.SeekAtLeast(from_key));
    // Stored and unmerged, in the table's (round, digest) order.
    std::map<std::pair<uint64_t, Digest>, Certificate> certs;
    while (on) {
      ByteReader kr(cur.key());
      auto round = kr.U64("round");
      if (cur.key().size() != 40 || !round.ok()) {
        return CorruptRecord("cons_certs", absl::InvalidArgumentError("bad key size"));
      }
      ByteReader r(cur.value());
      auto cert = consensus::DecodeCertificate(r);
      if (!cert.ok()) return CorruptRecord("cons_certs", cert.status());
      certs.emplace(std::make_pair(*round, Digest::FromSpan(cur.key().subspan(8))),
                    std::move(*cert));
      GL_ASSIGN_OR_RETURN(on, cur.Next());
    }
    certs.insert(unmerged_certs.lower_bound({from_round, Digest()}), unmerged_certs.end());
    state.certificates.reserve(certs.size());
    for (auto& [key, cert] : certs) state.certificates.push_back(std::move(cert));
  }
  {
    GL_ASSIGN_OR_RETURN(Cursor cur, txn.OpenCursor(t_.committed));
    GL_ASSIGN_OR_RETURN(bool on, cur.SeekAtLeast(from_key));
    while (on) {
      if (cur.key().size() != 40) {
        return CorruptRecord("cons_committed", absl::InvalidArgumentError("bad key size"));
      }
      state.committed_certificates.push_back(Digest::FromSpan(cur.key().subspan(8)));
      GL_ASSIGN_OR_RETURN(on, cur.Next());
    }
  }

  // The batches those certificates (and the own header) carry.
  auto load_batch = [&](const Digest& d) -> absl::Status {
    auto value = txn.Get(t_.batches, d.span());
    if (absl::IsNotFound(value.status())) {
      auto unmerged = unmerged_batches.find(d);
      if (unmerged != unmerged_batches.end()) state.batches.push_back(*unmerged->second);
      return absl::OkStatus();  // else fetched on demand
    }
    if (!value.ok()) return value.status();
    ByteReader r(*value);
    auto batch = consensus::DecodeBatch(r);
    if (!batch.ok()) return CorruptRecord("cons_batches", batch.status());
    state.batches.push_back(std::move(*batch));
    return absl::OkStatus();
  };
  for (const Certificate& c : state.certificates) {
    for (const Digest& d : c.header.batches) GL_RETURN_IF_ERROR(load_batch(d));
  }
  if (state.own_header.has_value()) {
    for (const Digest& d : state.own_header->batches) GL_RETURN_IF_ERROR(load_batch(d));
  }
  return state;
}

absl::StatusOr<std::vector<TxId>> ConsensusStore::CommitTxIds(uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  return CommitTxIdsIn(txn, sequence);
}

absl::StatusOr<std::vector<TxId>> ConsensusStore::CommitTxIdsIn(const Txn& txn,
                                                                uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(ByteSpan value, txn.Get(t_.commit_txs, U64Key(sequence)));
  ByteReader r(value);
  auto n = r.U32("count");
  if (!n.ok() || *n > kMaxCommitTxIds || r.remaining() != size_t{*n} * 32) {
    return CorruptRecord("commit_txs", absl::InvalidArgumentError(
                                     absl::StrCat("bad record for sequence ", sequence)));
  }
  std::vector<TxId> ids;
  ids.reserve(*n);
  for (uint32_t i = 0; i < *n; ++i) {
    auto id = r.Fixed<32>("id");
    ids.push_back(TxId(*id));
  }
  return ids;
}

absl::StatusOr<uint64_t> ConsensusStore::LastRecordedSequence() const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  auto commit = txn.Get(t_.commit, ByteSpan(kCommitKey, 1));
  if (absl::IsNotFound(commit.status())) return 0;
  if (!commit.ok()) return commit.status();
  ByteReader r(*commit);
  auto round = r.U64("last_committed_round");
  auto next = r.U64("next_commit_index");
  if (!round.ok() || !next.ok()) {
    return CorruptRecord("cons_commit", absl::InvalidArgumentError("bad commit state record"));
  }
  return *next;  // the next commit index is the last store sequence
}

absl::StatusOr<consensus::CommittedSubDag> ConsensusStore::ReadCommit(uint64_t sequence) const {
  if (sequence == 0) return absl::NotFoundError("commit sequence 0");
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(ByteSpan value, txn.Get(t_.commit_subdag, U64Key(sequence)));
  consensus::CommittedSubDag sub;
  sub.index = sequence - 1;
  ByteReader r(value);
  auto anchor_round = r.U64("anchor_round");
  auto anchor = r.Fixed<32>("anchor");
  auto last_round = r.U64("last_committed_round");
  auto n = r.U32("count");
  if (!anchor_round.ok() || !anchor.ok() || !last_round.ok() || !n.ok() ||
      *n > consensus::kMaxSyncCommitCertificates || r.remaining() != size_t{*n} * 40) {
    return CorruptRecord("commit_subdag", absl::InvalidArgumentError(
                                        absl::StrCat("bad record for sequence ", sequence)));
  }
  sub.anchor_round = Round(*anchor_round);
  sub.anchor = Digest(*anchor);
  sub.last_committed_round = Round(*last_round);
  for (uint32_t i = 0; i < *n; ++i) {
    auto round = r.U64("round");
    auto digest = r.Fixed<32>("digest");
    const Digest d(*digest);
    GL_ASSIGN_OR_RETURN(Certificate cert, LookupCertificate(txn, Round(*round), d));
    for (const Digest& bd : cert.header.batches) {
      GL_ASSIGN_OR_RETURN(std::shared_ptr<const Batch> batch, LookupBatch(txn, bd));
      sub.batches.push_back(std::move(batch));
    }
    sub.certificates.push_back(std::move(cert));
  }
  return sub;
}

absl::StatusOr<std::pair<Round, Round>> ConsensusStore::SubDagRoundsIn(
    const Txn& txn, uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(ByteSpan value, txn.Get(t_.commit_subdag, U64Key(sequence)));
  ByteReader r(value);
  auto anchor_round = r.U64("anchor_round");
  auto anchor = r.Fixed<32>("anchor");
  auto last_round = r.U64("last_committed_round");
  if (!anchor_round.ok() || !anchor.ok() || !last_round.ok()) {
    return CorruptRecord("commit_subdag", absl::InvalidArgumentError(
                                        absl::StrCat("bad record for sequence ", sequence)));
  }
  return std::make_pair(Round(*anchor_round), Round(*last_round));
}

absl::StatusOr<Round> ConsensusStore::CommittedRoundIn(const Txn& txn,
                                                       uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(auto rounds, SubDagRoundsIn(txn, sequence));
  return rounds.second;
}

absl::StatusOr<bool> ConsensusStore::IsAnchorsLastPieceIn(const Txn& txn,
                                                          uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(auto rounds, SubDagRoundsIn(txn, sequence));
  return rounds.first == rounds.second;
}

absl::StatusOr<std::vector<Certificate>> ConsensusStore::CertificatesLinking(
    Round round, const Digest& parent, size_t max) const {
  std::vector<Certificate> out;
  absl::flat_hash_set<Digest> seen_digests;
  // The unmerged records first, then a read that begins after: a merge that
  // moved one out of memory meanwhile had already committed it.
  {
    absl::MutexLock lock(&mu_);
    for (const UnmergedRecords& u : unmerged_) {
      const auto& certs = u.certificates();
      for (auto it = certs.lower_bound({round.value(), Digest()});
           it != certs.end() && it->first.first == round.value() && out.size() < max; ++it) {
        const auto& parents = it->second.header.parents;
        if (std::binary_search(parents.begin(), parents.end(), parent) &&
            seen_digests.insert(it->first.second).second) {
          out.push_back(it->second);
        }
      }
    }
  }
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(Cursor cur, txn.OpenCursor(t_.certs));
  GL_ASSIGN_OR_RETURN(bool on, cur.SeekAtLeast(U64Key(round.value())));
  // Bounded: one (round, author) slot per validator, a few more with conflicts.
  for (size_t seen = 0; on && out.size() < max && seen < 4 * consensus::Committee::kMaxValidators;
       ++seen) {
    ByteReader kr(cur.key());
    auto key_round = kr.U64("round");
    if (!key_round.ok() || *key_round != round.value()) break;
    ByteReader r(cur.value());
    auto cert = consensus::DecodeCertificate(r);
    if (!cert.ok()) return CorruptRecord("cons_certs", cert.status());
    const auto& parents = cert->header.parents;
    if (std::binary_search(parents.begin(), parents.end(), parent) &&
        seen_digests.insert(Digest::FromSpan(cur.key().subspan(8))).second) {
      out.push_back(std::move(*cert));
    }
    GL_ASSIGN_OR_RETURN(on, cur.Next());
  }
  return out;
}

absl::StatusOr<std::optional<ConsensusStore::CommitState>> ConsensusStore::ReadCommitState(
    const Txn& txn) const {
  auto commit = txn.Get(t_.commit, ByteSpan(kCommitKey, 1));
  if (absl::IsNotFound(commit.status())) return std::optional<CommitState>();
  if (!commit.ok()) return commit.status();
  ByteReader r(*commit);
  auto round = r.U64("last_committed_round");
  auto next = r.U64("next_commit_index");
  if (!round.ok() || !next.ok() || !r.ExpectEnd("commit state").ok()) {
    return CorruptRecord("cons_commit", absl::InvalidArgumentError("bad commit state record"));
  }
  return std::optional<CommitState>(CommitState{Round(*round), *next});
}

absl::Status ConsensusStore::ReadCommitted(const Txn& txn, Round from, Round to,
                                           std::vector<Certificate>* certificates,
                                           std::vector<Batch>* batches) const {
  GL_ASSIGN_OR_RETURN(Cursor cur, txn.OpenCursor(t_.committed));
  GL_ASSIGN_OR_RETURN(bool on, cur.SeekAtLeast(U64Key(from.value())));
  std::vector<Digest> batch_digests;
  while (on) {
    if (cur.key().size() != 40) {
      return CorruptRecord("cons_committed", absl::InvalidArgumentError("bad key size"));
    }
    ByteReader kr(cur.key());
    GL_ASSIGN_OR_RETURN(uint64_t round, kr.U64("round"));
    if (round > to.value()) break;
    GL_ASSIGN_OR_RETURN(
        Certificate cert,
        LookupCertificate(txn, Round(round), Digest::FromSpan(cur.key().subspan(8))));
    for (const Digest& d : cert.header.batches) batch_digests.push_back(d);
    certificates->push_back(std::move(cert));
    GL_ASSIGN_OR_RETURN(on, cur.Next());
  }
  for (const Digest& d : batch_digests) {
    GL_ASSIGN_OR_RETURN(std::shared_ptr<const Batch> batch, LookupBatch(txn, d));
    batches->push_back(*batch);
  }
  return absl::OkStatus();
}

absl::Status ConsensusStore::WriteRestoredTip(WriteTxn& txn, const CommitState& state,
                                              absl::Span<const Certificate> certificates,
                                              absl::Span<const Batch> batches) const {
  Bytes value;
  ByteWriter w(&value);
  w.U64(state.last_committed_round.value());
  w.U64(state.next_commit_index);
  GL_RETURN_IF_ERROR(txn.Put(t_.commit, ByteSpan(kCommitKey, 1), value));
  const uint8_t empty = 0;
  for (const Certificate& c : certificates) {
    const Bytes key = RoundDigestKey(c.header.round, consensus::CertificateDigest(c));
    Bytes cert;
    ByteWriter cw(&cert);
    consensus::EncodeCertificate(c, cw);
    GL_RETURN_IF_ERROR(txn.Put(t_.certs, key, cert));
    GL_RETURN_IF_ERROR(txn.Put(t_.committed, key, ByteSpan(&empty, 1)));
  }
  for (const Batch& b : batches) {
    Bytes batch;
    ByteWriter bw(&batch);
    consensus::EncodeBatch(b, bw);
    GL_RETURN_IF_ERROR(txn.Put(t_.batches, consensus::BatchDigest(b).span(), batch));
  }
  return absl::OkStatus();
}

absl::StatusOr<Certificate> ConsensusStore::LookupCertificate(const Txn& txn, Round round,
                                                              const Digest& digest) const {
  const Bytes key = RoundDigestKey(round, digest);
  auto decode = [](ByteSpan bytes) -> absl::StatusOr<Certificate> {
    ByteReader r(bytes);
    auto cert = consensus::DecodeCertificate(r);
    if (!cert.ok()) return CorruptRecord("cons_certs", cert.status());
    return cert;
  };
  auto stored = txn.Get(t_.certs, key);
  if (stored.ok()) return decode(*stored);
  if (!absl::IsNotFound(stored.status())) return stored.status();
  {
    absl::MutexLock lock(&mu_);
    for (const UnmergedRecords& u : unmerged_) {
      if (const Certificate* c = u.FindCertificate(round, digest)) return *c;
    }
  }
  GL_ASSIGN_OR_RETURN(ReadTxn fresh, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(ByteSpan bytes, fresh.Get(t_.certs, key));
  return decode(bytes);
}

absl::StatusOr<std::shared_ptr<const Batch>> ConsensusStore::LookupBatch(
    const Txn& txn, const Digest& digest) const {
  auto decode = [](ByteSpan bytes) -> absl::StatusOr<std::shared_ptr<const Batch>> {
    ByteReader r(bytes);
    auto batch = consensus::DecodeBatch(r);
    if (!batch.ok()) return CorruptRecord("cons_batches", batch.status());
    return std::make_shared<const Batch>(std::move(*batch));
  };
  auto stored = txn.Get(t_.batches, digest.span());
  if (stored.ok()) return decode(*stored);
  if (!absl::IsNotFound(stored.status())) return stored.status();
  {
    absl::MutexLock lock(&mu_);
    for (const UnmergedRecords& u : unmerged_) {
      if (auto b = u.FindBatch(digest)) return b;
    }
  }
  GL_ASSIGN_OR_RETURN(ReadTxn fresh, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(ByteSpan bytes, fresh.Get(t_.batches, digest.span()));
  return decode(bytes);
}

}  // namespace gridledger::storage
