#include "storage/tx_runs.h"

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "storage/records.h"

namespace gridledger::storage {
namespace {

// Far above any real list (a few runs per level); bounds the decode.
constexpr uint32_t kMaxListedRuns = 4096;

void PutRun(ByteWriter& w, const TxRun& run) {
  w.U32(run.number);
  w.U8(run.level);
  w.U64(run.entries);
}

absl::StatusOr<TxRun> GetRun(ByteReader& r) {
  TxRun run;
  GL_ASSIGN_OR_RETURN(run.number, r.U32("run number"));
  GL_ASSIGN_OR_RETURN(run.level, r.U8("run level"));
  GL_ASSIGN_OR_RETURN(run.entries, r.U64("run entries"));
  return run;
}

absl::StatusOr<std::vector<TxRun>> GetRuns(ByteReader& r, absl::string_view what) {
  GL_ASSIGN_OR_RETURN(const uint32_t n, r.U32(what));
  if (n > kMaxListedRuns) return absl::InvalidArgumentError(absl::StrCat(what, ": ", n, " runs"));
  std::vector<TxRun> runs;
  runs.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(TxRun run, GetRun(r));
    runs.push_back(run);
  }
  return runs;
}

absl::Status CheckList(const TxRunList& list) {
  if (list.live.size() + list.dead.size() > kMaxListedRuns) {
    return absl::InvalidArgumentError(absl::StrCat(list.live.size() + list.dead.size(), " runs"));
  }
  if (list.compaction.has_value() && list.compaction->inputs.size() > kTxRunsPerLevel) {
    return absl::InvalidArgumentError(
        absl::StrCat(list.compaction->inputs.size(), " compaction inputs"));
  }
  absl::flat_hash_set<uint32_t> numbers;
  auto add = [&](uint32_t number) -> absl::Status {
    if (number == 0 || number >= list.next_number || !numbers.insert(number).second) {
      return absl::InvalidArgumentError(absl::StrCat("run number ", number, " (next ",
                                                     list.next_number, ") repeated or unissued"));
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < list.live.size(); ++i) {
    GL_RETURN_IF_ERROR(add(list.live[i].number));
    if (i > 0 && list.live[i].level < list.live[i - 1].level) {
      return absl::InvalidArgumentError("live runs' levels decrease toward the oldest");
    }
  }
  for (const TxRun& run : list.dead) GL_RETURN_IF_ERROR(add(run.number));
  if (list.compaction.has_value()) {
    const TxCompaction& c = *list.compaction;
    GL_RETURN_IF_ERROR(add(c.output.number));
    if (c.inputs.empty() || c.output.level == 0) {
      return absl::InvalidArgumentError("compaction without inputs or into level 0");
    }
    auto first = std::find_if(list.live.begin(), list.live.end(),
                              [&](const TxRun& run) { return run.number == c.inputs[0]; });
    if (static_cast<size_t>(list.live.end() - first) < c.inputs.size()) {
      return absl::InvalidArgumentError("compaction inputs not listed");
    }
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      if (first[i].number != c.inputs[i] || first[i].level + 1 != c.output.level) {
        return absl::InvalidArgumentError(
            "compaction inputs not a contiguous block of the level below its output");
      }
    }
  }
  return absl::OkStatus();
}

// A cursor over one source of the index in id order: a run (under its
// number) or the txs table (run 0: the id is the whole key).
class IndexCursor {
 public:
  static absl::StatusOr<IndexCursor> Open(const Txn& txn, LmdbTable table, uint32_t run,
                                          const std::optional<TxId>& after) {
    GL_ASSIGN_OR_RETURN(Cursor cursor, txn.OpenCursor(table));
    IndexCursor out(std::move(cursor), run);
    bool on = false;
    if (run == 0) {
      if (after.has_value()) {
        GL_ASSIGN_OR_RETURN(on, out.cursor_.SeekAtLeast(after->span()));
      } else {
        GL_ASSIGN_OR_RETURN(on, out.cursor_.First());
      }
    } else {
      const auto key = TxRunKey(run, after.value_or(TxId()));
      GL_ASSIGN_OR_RETURN(on, out.cursor_.SeekAtLeast(ByteSpan(key.data(), key.size())));
    }
    GL_RETURN_IF_ERROR(out.Load(on));
    if (out.on_ && after.has_value() && out.id_ == *after) GL_RETURN_IF_ERROR(out.Next());
    return out;
  }
  IndexCursor(IndexCursor&&) noexcept = default;

  bool on() const { return on_; }
  const TxId& id() const { return id_; }
  uint64_t sequence() const { return sequence_; }
  absl::Status Next() {
    GL_ASSIGN_OR_RETURN(bool on, cursor_.Next());
    return Load(on);
  }

 private:
  IndexCursor(Cursor cursor, uint32_t run) : cursor_(std::move(cursor)), run_(run) {}

  absl::Status Load(bool on) {
    on_ = false;
    if (!on) return absl::OkStatus();
    const ByteSpan key = cursor_.key();
    if (run_ == 0) {
      if (key.size() != TxId::size()) {
        return absl::DataLossError(absl::StrCat("txs key of ", key.size(), " bytes"));
      }
      id_ = TxId::FromSpan(key);
    } else {
      if (key.size() != kTxRunKeyBytes) {
        return absl::DataLossError(absl::StrCat("txs run key of ", key.size(), " bytes"));
      }
      const uint32_t run = uint32_t{key[0]} << 24 | uint32_t{key[1]} << 16 |
                           uint32_t{key[2]} << 8 | uint32_t{key[3]};
      if (run != run_) return absl::OkStatus();  // past this run's entries
      id_ = TxId::FromSpan(key.subspan(4));
    }
    GL_ASSIGN_OR_RETURN(sequence_, DecodeTxIndexValue(cursor_.value()));
    on_ = true;
    return absl::OkStatus();
  }

  Cursor cursor_;
  uint32_t run_;
  bool on_ = false;
  TxId id_;
  uint64_t sequence_ = 0;
};

// Merges `sources` (newest first) in id order, each id once from the newest
// source holding it, until `fn` returns false or all are exhausted.
absl::Status MergeInIdOrder(std::vector<IndexCursor>& sources,
                            absl::FunctionRef<absl::StatusOr<bool>(const TxId&, uint64_t)> fn) {
  while (true) {
    IndexCursor* newest_min = nullptr;
    for (IndexCursor& source : sources) {
      if (source.on() && (newest_min == nullptr || source.id() < newest_min->id())) {
        newest_min = &source;
      }
    }
    if (newest_min == nullptr) return absl::OkStatus();
    const TxId id = newest_min->id();
    GL_ASSIGN_OR_RETURN(const bool more, fn(id, newest_min->sequence()));
    for (IndexCursor& source : sources) {
      if (source.on() && source.id() == id) GL_RETURN_IF_ERROR(source.Next());
    }
    if (!more) return absl::OkStatus();
  }
}

// Deletes up to `max` entries of `run` (from its lowest id); returns how many.
absl::StatusOr<size_t> DeleteRunEntries(WriteTxn& txn, LmdbTable table, uint32_t run,
                                        size_t max) {
  std::vector<std::array<uint8_t, kTxRunKeyBytes>> keys;
  {
    GL_ASSIGN_OR_RETURN(IndexCursor cursor, IndexCursor::Open(txn, table, run, std::nullopt));
    while (cursor.on() && keys.size() < max) {
      keys.push_back(TxRunKey(run, cursor.id()));
      GL_RETURN_IF_ERROR(cursor.Next());
    }
  }
  GL_ASSIGN_OR_RETURN(WriteCursor writer, txn.OpenWriteCursor(table));
  for (const auto& key : keys) {
    GL_RETURN_IF_ERROR(writer.Delete(ByteSpan(key.data(), key.size()), [](ByteSpan) {}));
  }
  return keys.size();
}

// A filter for `claimed` ids of a run in `table`, sized by at most the
// table's entries: a corrupt count cannot ask for more memory than the data.
absl::StatusOr<std::shared_ptr<RunFilter>> MakeFilter(const Txn& txn, LmdbTable table,
                                                      uint64_t claimed) {
  GL_ASSIGN_OR_RETURN(const uint64_t stored, txn.Entries(table));
  return std::make_shared<RunFilter>(std::min(claimed, stored));
}

// Picks the next compaction: the oldest kTxRunsPerLevel runs of the lowest
// level that has that many.
std::optional<std::pair<size_t, uint8_t>> PickCompaction(const TxRunList& list) {
  // live is newest first with levels non-decreasing, so each level is one block.
  size_t begin = 0;
  while (begin < list.live.size()) {
    size_t end = begin;
    const uint8_t level = list.live[begin].level;
    while (end < list.live.size() && list.live[end].level == level) ++end;
    if (end - begin >= kTxRunsPerLevel && level < 255) {
      return std::make_pair(end - kTxRunsPerLevel, level);
    }
    begin = end;
  }
  return std::nullopt;
}

}  // namespace

Bytes EncodeTxRunList(const TxRunList& list) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(1);  // version
  w.U32(list.next_number);
  w.U32(static_cast<uint32_t>(list.live.size()));
  for (const TxRun& run : list.live) PutRun(w, run);
  w.U32(static_cast<uint32_t>(list.dead.size()));
  for (const TxRun& run : list.dead) PutRun(w, run);
  w.U8(list.compaction.has_value() ? 1 : 0);
  if (list.compaction.has_value()) {
    const TxCompaction& c = *list.compaction;
    PutRun(w, c.output);
    w.U32(static_cast<uint32_t>(c.inputs.size()));
    for (uint32_t input : c.inputs) w.U32(input);
    w.U8(c.written_through.has_value() ? 1 : 0);
    if (c.written_through.has_value()) w.Raw(c.written_through->span());
  }
  return out;
}

absl::StatusOr<TxRunList> DecodeTxRunList(ByteSpan value) {
  auto decode = [&]() -> absl::StatusOr<TxRunList> {
    ByteReader r(value);
    GL_ASSIGN_OR_RETURN(const uint8_t version, r.U8("version"));
    if (version != 1) return absl::InvalidArgumentError(absl::StrCat("version ", version));
    TxRunList list;
    GL_ASSIGN_OR_RETURN(list.next_number, r.U32("next number"));
    GL_ASSIGN_OR_RETURN(list.live, GetRuns(r, "live runs"));
    GL_ASSIGN_OR_RETURN(list.dead, GetRuns(r, "dead runs"));
    GL_ASSIGN_OR_RETURN(const uint8_t compacting, r.U8("compaction flag"));
    if (compacting > 1) return absl::InvalidArgumentError("compaction flag above 1");
    if (compacting == 1) {
      TxCompaction c;
      GL_ASSIGN_OR_RETURN(c.output, GetRun(r));
      GL_ASSIGN_OR_RETURN(const uint32_t n, r.U32("inputs"));
      if (n > kTxRunsPerLevel) return absl::InvalidArgumentError(absl::StrCat(n, " inputs"));
      for (uint32_t i = 0; i < n; ++i) {
        GL_ASSIGN_OR_RETURN(const uint32_t input, r.U32("input"));
        c.inputs.push_back(input);
      }
      GL_ASSIGN_OR_RETURN(const uint8_t has_through, r.U8("written-through flag"));
      if (has_through > 1) return absl::InvalidArgumentError("written-through flag above 1");
      if (has_through == 1) {
        GL_ASSIGN_OR_RETURN(auto id, r.Fixed<32>("written through"));
        c.written_through = TxId(id);
      }
      list.compaction = std::move(c);
    }
    GL_RETURN_IF_ERROR(r.ExpectEnd("run list"));
    GL_RETURN_IF_ERROR(CheckList(list));
    return list;
  };
  absl::StatusOr<TxRunList> list = decode();
  if (!list.ok()) {
    return absl::DataLossError(
        absl::StrCat("corrupt meta record ", kMetaTxsRuns, ": ", list.status().message()));
  }
  return list;
}

absl::StatusOr<TxRunList> ReadTxRunList(const Txn& txn, const NodeTables& tables) {
  absl::StatusOr<ByteSpan> value = txn.Get(tables.meta, MetaKey(kMetaTxsRuns));
  if (absl::IsNotFound(value.status())) return TxRunList();
  GL_RETURN_IF_ERROR(value.status());
  return DecodeTxRunList(*value);
}

absl::Status WriteTxRunList(WriteTxn& txn, const NodeTables& tables, const TxRunList& list) {
  // What the decoder would refuse is never written (the store would not
  // open again): a failed commit instead.
  if (absl::Status valid = CheckList(list); !valid.ok()) {
    return absl::InternalError(absl::StrCat("run list not written: ", valid.message()));
  }
  return txn.Put(tables.meta, MetaKey(kMetaTxsRuns), EncodeTxRunList(list));
}

std::array<uint8_t, kTxRunKeyBytes> TxRunKey(uint32_t run, const TxId& id) {
  std::array<uint8_t, kTxRunKeyBytes> key;
  for (int i = 0; i < 4; ++i) key[i] = static_cast<uint8_t>(run >> (24 - 8 * i));
  std::memcpy(key.data() + 4, id.data(), TxId::size());
  return key;
}

LmdbTable TxRunTable(const NodeTables& tables, const TxRun& run) {
  return run.level == 0 ? tables.txs_runs : tables.txs_merged;
}

absl::StatusOr<TxRunSet> TxRunSet::Read(const Txn& txn, const NodeTables& tables,
                                        const TxRunFilters& filters) {
  GL_ASSIGN_OR_RETURN(const TxRunList list, ReadTxRunList(txn, tables));
  return FromList(list, filters);
}

TxRunSet TxRunSet::FromList(const TxRunList& list, const TxRunFilters& filters) {
  TxRunSet set;
  set.runs_.reserve(list.live.size());
  for (const TxRun& run : list.live) set.runs_.push_back(Entry{run, filters.Get(run.number)});
  return set;
}

absl::StatusOr<std::optional<uint64_t>> TxRunSet::Find(const Txn& txn, const NodeTables& tables,
                                                       const TxId& id) const {
  for (const Entry& entry : runs_) {
    if (entry.filter != nullptr && !entry.filter->MayContain(id)) continue;
    const auto key = TxRunKey(entry.run.number, id);
    absl::StatusOr<ByteSpan> value =
        txn.Get(TxRunTable(tables, entry.run), ByteSpan(key.data(), key.size()));
    if (absl::IsNotFound(value.status())) continue;
    GL_RETURN_IF_ERROR(value.status());
    GL_ASSIGN_OR_RETURN(const uint64_t sequence, DecodeTxIndexValue(*value));
    return std::optional<uint64_t>(sequence);
  }
  return std::optional<uint64_t>();
}

absl::Status ForEachIndexedTx(const Txn& txn, const NodeTables& tables, const TxRunList& list,
                              absl::FunctionRef<absl::Status(const TxId&, uint64_t)> fn) {
  std::vector<IndexCursor> sources;
  sources.reserve(list.live.size() + 1);
  for (const TxRun& run : list.live) {
    GL_ASSIGN_OR_RETURN(IndexCursor cursor,
                        IndexCursor::Open(txn, TxRunTable(tables, run), run.number, std::nullopt));
    sources.push_back(std::move(cursor));
  }
  GL_ASSIGN_OR_RETURN(IndexCursor base, IndexCursor::Open(txn, tables.txs, 0, std::nullopt));
  sources.push_back(std::move(base));
  return MergeInIdOrder(sources, [&](const TxId& id, uint64_t sequence) -> absl::StatusOr<bool> {
    GL_RETURN_IF_ERROR(fn(id, sequence));
    return true;
  });
}

absl::StatusOr<std::optional<std::pair<uint32_t, std::shared_ptr<RunFilter>>>> WriteTxRun(
    WriteTxn& txn, const NodeTables& tables, TxRunList& list,
    absl::Span<const std::pair<TxId, uint64_t>> entries) {
  using Result = std::optional<std::pair<uint32_t, std::shared_ptr<RunFilter>>>;
  if (entries.empty()) return Result();
  const TxRun run{list.next_number, 0, entries.size()};
  auto filter = std::make_shared<RunFilter>(entries.size());
  for (const auto& [id, sequence] : entries) {
    const auto key = TxRunKey(run.number, id);
    absl::Status appended = txn.Append(tables.txs_runs, ByteSpan(key.data(), key.size()),
                                       EncodeCommitKey(sequence));
    if (absl::IsAlreadyExists(appended)) {
      return absl::DataLossError(absl::StrCat("txs_runs holds keys above run ", run.number,
                                              " (next run number), or its ids are unsorted"));
    }
    GL_RETURN_IF_ERROR(appended);
    filter->Add(id);
  }
  ++list.next_number;
  list.live.insert(list.live.begin(), run);
  return Result(std::make_pair(run.number, std::move(filter)));
}

absl::StatusOr<TxCompactionStep> CompactTxRuns(WriteTxn& txn, const NodeTables& tables,
                                               TxRunList& list,
                                               std::shared_ptr<RunFilter>& building,
                                               size_t budget) {
  TxCompactionStep step;
  // Dead runs first, oldest first: their pages return to LMDB's free list.
  // At most half the budget while there is a merge to do, so a batch of
  // dead runs does not hold it up.
  const size_t delete_budget =
      list.compaction.has_value() || PickCompaction(list).has_value() ? budget / 2 : budget;
  while (!list.dead.empty() && step.work < delete_budget) {
    TxRun& run = list.dead.back();
    const size_t max = delete_budget - step.work;
    GL_ASSIGN_OR_RETURN(const size_t deleted,
                        DeleteRunEntries(txn, TxRunTable(tables, run), run.number, max));
    step.work += deleted;
    step.changed = true;
    run.entries -= std::min<uint64_t>(run.entries, deleted);
    if (deleted < max) list.dead.pop_back();  // no entries left
  }
  if (!list.compaction.has_value() && step.work < budget) {
    const auto pick = PickCompaction(list);
    if (pick.has_value()) {
      const auto [first, level] = *pick;
      TxCompaction c;
      c.output = TxRun{list.next_number++, static_cast<uint8_t>(level + 1), 0};
      uint64_t expected = 0;
      for (size_t i = first; i < first + kTxRunsPerLevel; ++i) {
        c.inputs.push_back(list.live[i].number);
        expected += list.live[i].entries;
      }
      GL_ASSIGN_OR_RETURN(building,
                          MakeFilter(txn, TxRunTable(tables, list.live[first]), expected));
      list.compaction = std::move(c);
      step.changed = true;
    }
  }
  if (!list.compaction.has_value() || step.work >= budget) return step;
  TxCompaction& c = *list.compaction;
  auto first = std::find_if(list.live.begin(), list.live.end(),
                            [&](const TxRun& run) { return run.number == c.inputs[0]; });
  GL_CHECK(building != nullptr);  // set when the compaction began, or at open
  std::vector<std::pair<TxId, uint64_t>> chunk;
  bool exhausted = false;
  {
    std::vector<IndexCursor> inputs;
    inputs.reserve(c.inputs.size());
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      GL_ASSIGN_OR_RETURN(IndexCursor cursor,
                          IndexCursor::Open(txn, TxRunTable(tables, first[i]), first[i].number,
                                            c.written_through));
      inputs.push_back(std::move(cursor));
    }
    const size_t max = budget - step.work;
    GL_RETURN_IF_ERROR(
        MergeInIdOrder(inputs, [&](const TxId& id, uint64_t sequence) -> absl::StatusOr<bool> {
          chunk.emplace_back(id, sequence);
          return chunk.size() < max;
        }));
    exhausted = std::none_of(inputs.begin(), inputs.end(),
                             [](const IndexCursor& input) { return input.on(); });
  }
  for (const auto& [id, sequence] : chunk) {
    const auto key = TxRunKey(c.output.number, id);
    absl::Status appended = txn.Append(tables.txs_merged, ByteSpan(key.data(), key.size()),
                                       EncodeCommitKey(sequence));
    if (absl::IsAlreadyExists(appended)) {
      return absl::DataLossError(absl::StrCat("txs_merged holds keys above compaction output ",
                                              c.output.number));
    }
    GL_RETURN_IF_ERROR(appended);
    building->Add(id);
  }
  step.work += chunk.size();
  step.changed = true;
  c.output.entries += chunk.size();
  if (!chunk.empty()) c.written_through = chunk.back().first;
  if (!exhausted) return step;
  // Complete: the output takes its inputs' place; they are deleted later.
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    list.dead.insert(list.dead.begin(), first[i]);
    step.unlisted.push_back(first[i].number);
  }
  const size_t at = first - list.live.begin();
  list.live.erase(first, first + c.inputs.size());
  list.live.insert(list.live.begin() + at, c.output);
  step.completed = c.output.number;
  list.compaction.reset();
  return step;
}

absl::Status LoadTxRunFilters(const Txn& txn, const NodeTables& tables, const TxRunList& list,
                              TxRunFilters& filters, std::shared_ptr<RunFilter>& building) {
  auto scan = [&](const TxRun& run, RunFilter& filter) -> absl::Status {
    GL_ASSIGN_OR_RETURN(IndexCursor cursor,
                        IndexCursor::Open(txn, TxRunTable(tables, run), run.number, std::nullopt));
    uint64_t seen = 0;
    while (cursor.on()) {
      filter.Add(cursor.id());
      ++seen;
      GL_RETURN_IF_ERROR(cursor.Next());
    }
    if (seen != run.entries) {
      return absl::DataLossError(absl::StrCat("txs run ", run.number, " holds ", seen,
                                              " entries, its list says ", run.entries));
    }
    return absl::OkStatus();
  };
  filters.Clear();
  for (const TxRun& run : list.live) {
    GL_ASSIGN_OR_RETURN(std::shared_ptr<RunFilter> filter,
                        MakeFilter(txn, TxRunTable(tables, run), run.entries));
    GL_RETURN_IF_ERROR(scan(run, *filter));
    filters.Publish(run.number, std::move(filter));
  }
  building.reset();
  if (list.compaction.has_value()) {
    uint64_t expected = 0;
    for (const TxRun& run : list.live) {
      if (std::find(list.compaction->inputs.begin(), list.compaction->inputs.end(),
                    run.number) != list.compaction->inputs.end()) {
        expected += run.entries;
      }
    }
    GL_ASSIGN_OR_RETURN(building, MakeFilter(txn, tables.txs_merged, expected));
    GL_RETURN_IF_ERROR(scan(list.compaction->output, *building));
  }
  return absl::OkStatus();
}

}  // namespace gridledger::storage
