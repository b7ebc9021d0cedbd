#include "storage/lmdb_env.h"

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "gtest/gtest.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

ByteSpan S(const std::string& s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
std::string Str(ByteSpan b) { return std::string(b.begin(), b.end()); }

struct Fixture {
  explicit Fixture(LmdbOptions options = {}) {
    options.dir = dir.path() + "/env";
    auto opened = LmdbEnv::Open(options);
    GL_CHECK(opened.ok());
    env = std::move(*opened);
    auto t = env->OpenTable("t");
    GL_CHECK(t.ok());
    table = *t;
  }
  TempDir dir;
  std::unique_ptr<LmdbEnv> env;
  LmdbTable table;
};

TEST(LmdbStatusTest, MapsCodes) {
  EXPECT_TRUE(LmdbStatus(MDB_SUCCESS, "x").ok());
  EXPECT_EQ(LmdbStatus(MDB_NOTFOUND, "get").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LmdbStatus(MDB_MAP_FULL, "put").code(), absl::StatusCode::kResourceExhausted);
  absl::Status corrupted = LmdbStatus(MDB_CORRUPTED, "get");
  EXPECT_EQ(corrupted.code(), absl::StatusCode::kInternal);
  EXPECT_NE(corrupted.message().find("lmdb get: MDB_CORRUPTED"), absl::string_view::npos)
      << corrupted;
}

TEST(LmdbEnvTest, GetMissingIsNotFoundAndPutIsVisibleAfterCommit) {
  Fixture f;
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) { return txn.Put(f.table, S("a"), S("1")); }).ok());
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  auto a = read->Get(f.table, S("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Str(*a), "1");
  EXPECT_EQ(read->Get(f.table, S("b")).status().code(), absl::StatusCode::kNotFound);
}

TEST(LmdbEnvTest, DeleteRemovesAndMissingDeleteIsNotFound) {
  Fixture f;
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) { return txn.Put(f.table, S("a"), S("1")); }).ok());
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) { return txn.Delete(f.table, S("a")); }).ok());
  absl::Status missing = f.env->Write([&](WriteTxn& txn) { return txn.Delete(f.table, S("a")); });
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->Get(f.table, S("a")).status().code(), absl::StatusCode::kNotFound);
}

TEST(LmdbEnvTest, UncommittedWriteIsAbortedOnDestruction) {
  Fixture f;
  {
    auto txn = f.env->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(txn->Put(f.table, S("k"), S("v")).ok());
    auto inside = txn->Get(f.table, S("k"));
    ASSERT_TRUE(inside.ok());
    EXPECT_EQ(Str(*inside), "v");
  }
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->Get(f.table, S("k")).status().code(), absl::StatusCode::kNotFound);
}

TEST(LmdbEnvTest, FailedWriteBodyCommitsNothing) {
  Fixture f;
  absl::Status st = f.env->Write([&](WriteTxn& txn) {
    GL_CHECK(txn.Put(f.table, S("k"), S("v")).ok());
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(st, absl::FailedPreconditionError("changed my mind"));
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->Get(f.table, S("k")).status().code(), absl::StatusCode::kNotFound);
}

TEST(LmdbEnvTest, CursorIteratesInKeyOrder) {
  Fixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    // Big-endian numbers sort numerically as bytes.
    std::string k(4, '\0');
    for (int b = 0; b < 4; ++b) k[b] = static_cast<char>((i * 7919) >> (8 * (3 - b)));
    keys.push_back(k);
  }
  std::vector<std::string> shuffled = keys;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) -> absl::Status {
    for (const auto& k : shuffled) {
      absl::Status st = txn.Put(f.table, S(k), S("v" + k));
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }).ok());
  std::sort(keys.begin(), keys.end());
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  std::vector<std::string> seen;
  {
    auto cursor = read->OpenCursor(f.table);
    ASSERT_TRUE(cursor.ok());
    for (auto on = cursor->First(); ; on = cursor->Next()) {
      ASSERT_TRUE(on.ok());
      if (!*on) break;
      seen.push_back(Str(cursor->key()));
      EXPECT_EQ(Str(cursor->value()), "v" + seen.back());
    }
    EXPECT_EQ(seen, keys);
    // SeekAtLeast lands on the first key >= the probe.
    std::string probe = keys[100];
    probe.back() = static_cast<char>(probe.back() + 1);
    auto on = cursor->SeekAtLeast(S(probe));
    ASSERT_TRUE(on.ok() && *on);
    EXPECT_EQ(Str(cursor->key()), keys[101]);
    std::string past_end(5, '\xff');
    on = cursor->SeekAtLeast(S(past_end));
    ASSERT_TRUE(on.ok());
    EXPECT_FALSE(*on);
  }
}

TEST(LmdbEnvTest, MapGrowsOnMapFullAndRetriesTheWholeWrite) {
  LmdbOptions options;
  options.initial_map_size_bytes = 64 << 10;
  options.max_map_size_bytes = 64 << 20;
  Fixture f(options);
  const uint64_t initial = f.env->map_size_bytes();
  int body_runs = 0;
  const std::string value(512, 'x');
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) -> absl::Status {
    ++body_runs;
    for (int i = 0; i < 4000; ++i) {
      absl::Status st = txn.Put(f.table, S("key" + std::to_string(i)), S(value));
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }).ok());
  EXPECT_GT(f.env->map_growths(), 0);
  EXPECT_EQ(body_runs, f.env->map_growths() + 1);
  EXPECT_GE(f.env->map_size_bytes(), initial << f.env->map_growths());
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  for (int i = 0; i < 4000; i += 97) {
    auto got = read->Get(f.table, S("key" + std::to_string(i)));
    ASSERT_TRUE(got.ok()) << i;
    EXPECT_EQ(Str(*got), value);
  }
}

TEST(LmdbEnvTest, RawWriteReportsMapFull) {
  LmdbOptions options;
  options.initial_map_size_bytes = 64 << 10;
  Fixture f(options);
  auto txn = f.env->BeginWrite();
  ASSERT_TRUE(txn.ok());
  absl::Status st;
  const std::string value(512, 'x');
  for (int i = 0; i < 4000 && st.ok(); ++i) {
    st = txn->Put(f.table, S("key" + std::to_string(i)), S(value));
  }
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_TRUE(txn->map_full());
}

TEST(LmdbEnvTest, MapGrowthStopsAtTheBound) {
  LmdbOptions options;
  options.initial_map_size_bytes = 64 << 10;
  options.max_map_size_bytes = 256 << 10;
  Fixture f(options);
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) { return txn.Put(f.table, S("keep"), S("me")); }).ok());
  const std::string value(1024, 'y');
  absl::Status st = f.env->Write([&](WriteTxn& txn) -> absl::Status {
    for (int i = 0; i < 2000; ++i) {
      absl::Status put = txn.Put(f.table, S("key" + std::to_string(i)), S(value));
      if (!put.ok()) return put;
    }
    return absl::OkStatus();
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_EQ(f.env->map_size_bytes(), uint64_t{256} << 10);
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(Str(*read->Get(f.table, S("keep"))), "me");
  EXPECT_EQ(read->Get(f.table, S("key0")).status().code(), absl::StatusCode::kNotFound);
}

TEST(LmdbEnvTest, GrowthWaitsForAnOpenReaderOnAnotherThread) {
  LmdbOptions options;
  options.initial_map_size_bytes = 64 << 10;
  Fixture f(options);
  auto reader = f.env->BeginRead();
  ASSERT_TRUE(reader.ok());
  // MDB_NOTLS: the read txn may end on another thread.
  std::thread closer([txn = std::move(*reader)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    txn.Abort();
  });
  const std::string value(512, 'z');
  absl::Status st = f.env->Write([&](WriteTxn& txn) -> absl::Status {
    for (int i = 0; i < 1000; ++i) {
      absl::Status put = txn.Put(f.table, S("k" + std::to_string(i)), S(value));
      if (!put.ok()) return put;
    }
    return absl::OkStatus();
  });
  closer.join();
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_GT(f.env->map_growths(), 0);
}

TEST(LmdbEnvTest, DataWrittenWithGrowthSurvivesReopen) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  options.initial_map_size_bytes = 64 << 10;
  const std::string value(512, 'q');
  {
    auto env = LmdbEnv::Open(options);
    ASSERT_TRUE(env.ok());
    auto table = (*env)->OpenTable("t");
    ASSERT_TRUE(table.ok());
    ASSERT_TRUE((*env)->Write([&](WriteTxn& txn) -> absl::Status {
      for (int i = 0; i < 1000; ++i) {
        absl::Status put = txn.Put(*table, S("k" + std::to_string(i)), S(value));
        if (!put.ok()) return put;
      }
      return absl::OkStatus();
    }).ok());
    EXPECT_GT((*env)->map_growths(), 0);
  }
  auto env = LmdbEnv::Open(options);
  ASSERT_TRUE(env.ok());
  // LMDB reopens with at least the pages in use, whatever the initial size.
  EXPECT_GE((*env)->map_size_bytes(), uint64_t{1000} * 512);
  auto table = (*env)->OpenTable("t");
  ASSERT_TRUE(table.ok());
  auto read = (*env)->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(Str(*read->Get(*table, S("k999"))), value);
}

TEST(LmdbEnvTest, RejectsBadOptions) {
  LmdbOptions options;
  EXPECT_EQ(LmdbEnv::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  TempDir dir;
  options.dir = dir.path();
  options.initial_map_size_bytes = 2 << 20;
  options.max_map_size_bytes = 1 << 20;
  EXPECT_EQ(LmdbEnv::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LmdbEnvTest, WriteCursorPutInsertsOrReplacesOnlyWhenAllowed) {
  Fixture f;
  int replace_calls = 0;
  std::string seen_old;
  auto allow = [&](ByteSpan old) {
    ++replace_calls;
    seen_old = Str(old);
    return absl::OkStatus();
  };
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) -> absl::Status {
    auto cursor = txn.OpenWriteCursor(f.table);
    if (!cursor.ok()) return cursor.status();
    if (absl::Status s = cursor->Put(S("a"), S("1"), allow); !s.ok()) return s;
    return cursor->Put(S("a"), S("second, longer"), allow);
  }).ok());
  EXPECT_EQ(replace_calls, 1);  // not for the insert
  EXPECT_EQ(seen_old, "1");
  // A refused replacement leaves the entry and returns the refusal.
  absl::Status refused = f.env->Write([&](WriteTxn& txn) -> absl::Status {
    auto cursor = txn.OpenWriteCursor(f.table);
    if (!cursor.ok()) return cursor.status();
    absl::Status s = cursor->Put(S("a"), S("3"), [&](ByteSpan old) {
      seen_old = Str(old);
      return absl::FailedPreconditionError("kept");
    });
    EXPECT_EQ(Str(*txn.Get(f.table, S("a"))), "second, longer");
    return s;
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(seen_old, "second, longer");
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(Str(*read->Get(f.table, S("a"))), "second, longer");
}

TEST(LmdbEnvTest, WriteCursorDeleteHandsOverTheOldValue) {
  Fixture f;
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) { return txn.Put(f.table, S("a"), S("1")); }).ok());
  std::vector<std::string> removed;
  absl::Status missing = f.env->Write([&](WriteTxn& txn) -> absl::Status {
    auto cursor = txn.OpenWriteCursor(f.table);
    if (!cursor.ok()) return cursor.status();
    if (absl::Status s = cursor->Delete(S("a"), [&](ByteSpan old) { removed.push_back(Str(old)); });
        !s.ok()) {
      return s;
    }
    return cursor->Delete(S("b"), [&](ByteSpan old) { removed.push_back(Str(old)); });
  });
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);  // and the write rolled back
  EXPECT_EQ(removed, std::vector<std::string>{"1"});
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) -> absl::Status {
    auto cursor = txn.OpenWriteCursor(f.table);
    if (!cursor.ok()) return cursor.status();
    return cursor->Delete(S("a"), [](ByteSpan) {});
  }).ok());
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->Get(f.table, S("a")).status().code(), absl::StatusCode::kNotFound);
}

// Random keys, values of every size class (in-page, overflow pages), mixed
// inserts, replacements and deletes through one cursor kept across them,
// interleaved with plain puts: the table ends as a map fed the same writes.
TEST(LmdbEnvTest, WriteCursorAgreesWithAMapOverManyMixedWrites) {
  Fixture f;
  std::mt19937_64 rng(7);
  std::map<std::string, std::string> want;
  for (int round = 0; round < 4; ++round) {
    ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) -> absl::Status {
      auto cursor = txn.OpenWriteCursor(f.table);
      if (!cursor.ok()) return cursor.status();
      for (int i = 0; i < 3000; ++i) {
        const std::string key = "k" + std::to_string(rng() % 2000);
        const size_t sizes[] = {1, 17, 200, 5000};
        const std::string value(sizes[rng() % 4], static_cast<char>('a' + rng() % 26));
        absl::Status s;
        switch (rng() % 4) {
          case 0:
            s = cursor->Delete(S(key), [&](ByteSpan old) { EXPECT_EQ(Str(old), want[key]); });
            if (absl::IsNotFound(s)) {
              EXPECT_FALSE(want.contains(key));
              s = absl::OkStatus();
            }
            want.erase(key);
            break;
          case 1:
            s = txn.Put(f.table, S(key), S(value));
            want[key] = value;
            break;
          default:
            s = cursor->Put(S(key), S(value), [&](ByteSpan old) {
              EXPECT_EQ(Str(old), want[key]);
              return absl::OkStatus();
            });
            want[key] = value;
        }
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }).ok());
  }
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  auto cursor = read->OpenCursor(f.table);
  ASSERT_TRUE(cursor.ok());
  std::map<std::string, std::string> got;
  auto on = cursor->First();
  for (size_t n = 0; on.ok() && *on && n <= want.size(); ++n) {
    got[Str(cursor->key())] = Str(cursor->value());
    on = cursor->Next();
  }
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(got == want) << got.size() << " entries, want " << want.size();
}

TEST(LmdbEnvTest, HasTableDoesNotCreateIt) {
  Fixture f;
  auto has = f.env->HasTable("t");
  ASSERT_TRUE(has.ok()) << has.status();
  EXPECT_TRUE(*has);
  has = f.env->HasTable("absent");
  ASSERT_TRUE(has.ok()) << has.status();
  EXPECT_FALSE(*has);
  has = f.env->HasTable("absent");  // still absent: the look-up created nothing
  ASSERT_TRUE(has.ok()) << has.status();
  EXPECT_FALSE(*has);
}

TEST(LmdbEnvTest, AppendTakesOnlyKeysAboveTheLast) {
  Fixture f;
  ASSERT_TRUE(f.env->Write([&](WriteTxn& txn) -> absl::Status {
    for (const char* k : {"a", "b", "c"}) {
      if (absl::Status s = txn.Append(f.table, S(k), S(k)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }).ok());
  for (const char* k : {"c", "b"}) {
    const absl::Status s = f.env->Write([&](WriteTxn& txn) { return txn.Append(f.table, S(k), S("x")); });
    EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << k;
  }
  auto read = f.env->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(Str(*read->Get(f.table, S("b"))), "b");
  EXPECT_EQ(Str(*read->Get(f.table, S("c"))), "c");
}

// Waits (bounded: 10 s) until `n` WriteRiding() calls are waiting.
bool AwaitRiders(const LmdbEnv& env, size_t n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (env.waiting_riders() != n) {
    if (absl::Now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

bool Has(LmdbEnv& env, LmdbTable table, const std::string& key) {
  auto read = env.BeginRead();
  GL_CHECK(read.ok());
  return read->Get(table, S(key)).ok();
}

// A WriteRiding(body, 60 s) call on a thread of its own, queued before the
// constructor returns (false queued(): it never did within 10 s).
class RidingThread {
 public:
  RidingThread(LmdbEnv& env, std::function<absl::Status(WriteTxn&)> body)
      : body_(std::move(body)),
        thread_([this, &env] { status_ = env.WriteRiding(body_, absl::Seconds(60)); }),
        queued_(AwaitRiders(env, 1)) {}
  bool queued() const { return queued_; }
  // Call after the write that should take it (which also frees a rider
  // that queued late).
  absl::Status Join() {
    thread_.join();
    return status_;
  }

 private:
  std::function<absl::Status(WriteTxn&)> body_;
  absl::Status status_ = absl::UnknownError("not run");
  std::thread thread_;
  const bool queued_;
};

TEST(LmdbEnvTest, ARidingWriteSharesTheNextWritesCommit) {
  Fixture f;
  RidingThread rider(*f.env, [&](WriteTxn& txn) { return txn.Put(f.table, S("r"), S("1")); });
  const absl::Status host =
      f.env->Write([&](WriteTxn& txn) { return txn.Put(f.table, S("h"), S("1")); });
  const absl::Status rider_status = rider.Join();
  ASSERT_TRUE(rider.queued()) << "the rider never queued";
  EXPECT_TRUE(host.ok()) << host;
  EXPECT_TRUE(rider_status.ok()) << rider_status;
  EXPECT_EQ(f.env->synced_writes(), 1u);
  EXPECT_EQ(f.env->ridden_writes(), 1u);
  EXPECT_TRUE(Has(*f.env, f.table, "r"));
  EXPECT_TRUE(Has(*f.env, f.table, "h"));
}

TEST(LmdbEnvTest, ARidingWriteCommitsAloneWhenNoWriteComes) {
  Fixture f;
  const absl::Status st = f.env->WriteRiding(
      [&](WriteTxn& txn) { return txn.Put(f.table, S("r"), S("1")); }, absl::Milliseconds(1));
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(f.env->synced_writes(), 1u);
  EXPECT_EQ(f.env->ridden_writes(), 0u);
  EXPECT_EQ(f.env->waiting_riders(), 0u);
  EXPECT_TRUE(Has(*f.env, f.table, "r"));
}

TEST(LmdbEnvTest, AFailingRiderIsRolledBackAloneAndMeetsItsErrorItself) {
  Fixture f;
  int rider_runs = 0;
  RidingThread rider(*f.env, [&](WriteTxn& txn) -> absl::Status {
    ++rider_runs;
    GL_CHECK(txn.Put(f.table, S("r"), S("1")).ok());
    return absl::FailedPreconditionError("rider changed its mind");
  });
  const absl::Status host =
      f.env->Write([&](WriteTxn& txn) { return txn.Put(f.table, S("h"), S("1")); });
  const absl::Status rider_status = rider.Join();
  ASSERT_TRUE(rider.queued()) << "the rider never queued";
  EXPECT_TRUE(host.ok()) << host;
  EXPECT_EQ(rider_status, absl::FailedPreconditionError("rider changed its mind"));
  EXPECT_EQ(rider_runs, 2);  // in the host's transaction, then alone
  EXPECT_EQ(f.env->ridden_writes(), 0u);
  EXPECT_TRUE(Has(*f.env, f.table, "h"));
  EXPECT_FALSE(Has(*f.env, f.table, "r"));
}

TEST(LmdbEnvTest, AFailingHostHandsItsRidersBackToCommitAlone) {
  Fixture f;
  RidingThread rider(*f.env, [&](WriteTxn& txn) { return txn.Put(f.table, S("r"), S("1")); });
  const absl::Status host = f.env->Write([&](WriteTxn& txn) {
    GL_CHECK(txn.Put(f.table, S("h"), S("1")).ok());
    return absl::AbortedError("host changed its mind");
  });
  const absl::Status rider_status = rider.Join();
  ASSERT_TRUE(rider.queued()) << "the rider never queued";
  EXPECT_EQ(host, absl::AbortedError("host changed its mind"));
  EXPECT_TRUE(rider_status.ok()) << rider_status;
  EXPECT_EQ(f.env->synced_writes(), 1u);  // the rider's own
  EXPECT_EQ(f.env->ridden_writes(), 0u);
  EXPECT_FALSE(Has(*f.env, f.table, "h"));
  EXPECT_TRUE(Has(*f.env, f.table, "r"));
}

TEST(LmdbEnvTest, ARiderThatFillsTheMapRunsAgainAfterGrowth) {
  LmdbOptions options;
  options.initial_map_size_bytes = 64 << 10;
  Fixture f(options);
  const std::string value(512, 'z');
  RidingThread rider(*f.env, [&](WriteTxn& txn) -> absl::Status {
    for (int i = 0; i < 1000; ++i) {
      GL_RETURN_IF_ERROR(txn.Put(f.table, S("r" + std::to_string(i)), S(value)));
    }
    return absl::OkStatus();
  });
  const absl::Status host =
      f.env->Write([&](WriteTxn& txn) { return txn.Put(f.table, S("h"), S("1")); });
  const absl::Status rider_status = rider.Join();
  ASSERT_TRUE(rider.queued()) << "the rider never queued";
  EXPECT_TRUE(host.ok()) << host;
  EXPECT_TRUE(rider_status.ok()) << rider_status;
  EXPECT_GT(f.env->map_growths(), 0);
  EXPECT_EQ(f.env->ridden_writes(), 1u);
  EXPECT_TRUE(Has(*f.env, f.table, "r999"));
  EXPECT_TRUE(Has(*f.env, f.table, "h"));
}

}  // namespace
}  // namespace gridledger::storage
