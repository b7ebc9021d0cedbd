#include "net/node/tx_checker.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/common/thread_priority.h"
#include "core/crypto/sha256.h"
#include "core/tx/codec.h"
#include "core/verify/cpu_batch_verifier.h"
#include "gtest/gtest.h"
#include "net/node/failed_tx_cache.h"

namespace gridledger::node {
namespace {

// The real CPU backend, counting the envelopes it is asked to verify.
class CountingVerifier final : public BatchVerifier {
 public:
  explicit CountingVerifier(std::atomic<uint64_t>* verified) : verified_(verified) {}
  absl::string_view name() const override { return "cpu-counting"; }
  absl::Status Verify(absl::Span<const VerifyItem> items, absl::Span<uint8_t> results) override {
    *verified_ += items.size();
    return cpu_.Verify(items, results);
  }
  absl::Status VerifyTransactions(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                  absl::Span<Digest> ids, absl::Span<uint8_t> valid) override {
    *verified_ += txs.size();
    return cpu_.VerifyTransactions(chain_id, txs, ids, valid);
  }

 private:
  CpuBatchVerifier cpu_{1};
  std::atomic<uint64_t>* verified_;
};

const Digest kChain = Sha256(Bytes{'c', 'h', 'k'});

Bytes Transfer(uint64_t nonce, bool corrupt) {
  const KeyPair from = KeyPair::FromSeed(31);
  Transaction tx;
  tx.slice = SliceId(0);
  tx.nonce = Nonce(nonce);
  tx.sender = from.public_key();
  tx.body = TransferBody{AccountRef{SliceId(0), KeyPair::FromSeed(32).public_key()}, Amount(3)};
  SignTransaction(&tx, from, kChain);
  Bytes bytes = Encode(tx);
  if (corrupt) bytes.back() ^= 0x01;
  return bytes;
}

TEST(TxCheckerSecurityTest, ARecentlyFailedSignatureIsRefusedWithoutVerifyingAgain) {
  std::atomic<uint64_t> verified{0};
  TxChecker checker(std::make_unique<CountingVerifier>(&verified), kChain, SliceId(0), nullptr);
  const Bytes bad = Transfer(0, /*corrupt=*/true);
  const Bytes good = Transfer(1, /*corrupt=*/false);
  std::vector<ByteSpan> spans{ByteSpan(bad), ByteSpan(good)};

  std::vector<AdmitCheck> first = checker.CheckClientTxs(spans);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].code, AdmitCode::kBadSignature);
  EXPECT_EQ(first[1].code, AdmitCode::kAccepted) << first[1].reason;
  EXPECT_EQ(verified.load(), 2u);

  // A flood of the same bad envelope: answered from the cache, and the good
  // one beside it is still verified and accepted.
  for (int i = 0; i < 100; ++i) {
    std::vector<AdmitCheck> again = checker.CheckClientTxs(spans);
    ASSERT_EQ(again[0].code, AdmitCode::kBadSignature);
    EXPECT_NE(again[0].reason.find("refused again without verifying"), std::string::npos)
        << again[0].reason;
    ASSERT_EQ(again[1].code, AdmitCode::kAccepted);
  }
  EXPECT_EQ(verified.load(), 2u + 100u);
  EXPECT_EQ(checker.failed_cache().hits(), 100u);

  // A peer batch carrying the known-bad envelope is refused before any
  // verification; a clean one is verified.
  consensus::Batch batch;
  batch.transactions = {good, bad};
  const uint64_t before = verified.load();
  EXPECT_FALSE(checker.VerifyPeerBatch(batch));
  EXPECT_EQ(verified.load(), before);
  batch.transactions = {good};
  EXPECT_TRUE(checker.VerifyPeerBatch(batch));
  EXPECT_EQ(verified.load(), before + 1);
}

// The real CPU backend, recording the thread and nice value of each call.
class ThreadRecordingVerifier final : public BatchVerifier {
 public:
  struct Call {
    std::thread::id thread;
    int nice;
    size_t txs;
  };
  absl::string_view name() const override { return "cpu-recording"; }
  absl::Status Verify(absl::Span<const VerifyItem> items, absl::Span<uint8_t> results) override {
    return cpu_.Verify(items, results);
  }
  absl::Status VerifyTransactions(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                  absl::Span<Digest> ids, absl::Span<uint8_t> valid) override {
    {
      absl::MutexLock lock(&mu_);
      calls_.push_back({std::this_thread::get_id(), ThisThreadNice().value_or(-100), txs.size()});
    }
    return cpu_.VerifyTransactions(chain_id, txs, ids, valid);
  }
  std::vector<Call> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  CpuBatchVerifier cpu_{1};
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

// With a verifier of their own, peers' batches are verified on the calling
// thread (the peer-batch worker's) at its priority, never through the client
// queue, whose thread runs niced; a bad signature in a peer batch still fails
// the batch and is remembered.
TEST(TxCheckerTest, PeerBatchesVerifiedApartFromNicedClientAdmission) {
  auto client_owned = std::make_unique<ThreadRecordingVerifier>();
  auto peer_owned = std::make_unique<ThreadRecordingVerifier>();
  ThreadRecordingVerifier* client = client_owned.get();
  ThreadRecordingVerifier* peer = peer_owned.get();
  const int base = ThisThreadNice().value_or(-100);
  if (base == -100 || base + 5 > 19) GTEST_SKIP() << "no room to raise nice from " << base;
  TxCheckerOptions options;
  options.peer_verifier = std::move(peer_owned);
  options.client_nice_increment = 5;
  TxChecker checker(std::move(client_owned), kChain, SliceId(0), nullptr, std::move(options));
  ASSERT_TRUE(checker.peers_verified_apart());

  const Bytes good = Transfer(1, /*corrupt=*/false);
  const Bytes bad = Transfer(0, /*corrupt=*/true);
  std::vector<ByteSpan> spans{ByteSpan(good), ByteSpan(bad)};
  std::vector<AdmitCheck> admitted = checker.CheckClientTxs(spans);
  ASSERT_EQ(admitted.size(), 2u);
  EXPECT_EQ(admitted[0].code, AdmitCode::kAccepted) << admitted[0].reason;
  EXPECT_EQ(admitted[1].code, AdmitCode::kBadSignature);
  ASSERT_EQ(client->calls().size(), 1u);
  EXPECT_NE(client->calls()[0].thread, std::this_thread::get_id());
  EXPECT_EQ(client->calls()[0].nice, base + 5);
  EXPECT_TRUE(peer->calls().empty());

  consensus::Batch batch;
  batch.transactions = {Transfer(2, false), Transfer(3, false)};
  EXPECT_TRUE(checker.VerifyPeerBatch(batch));
  const Bytes bad_peer = Transfer(4, /*corrupt=*/true);
  batch.transactions = {Transfer(5, false), bad_peer};
  EXPECT_FALSE(checker.VerifyPeerBatch(batch));
  EXPECT_TRUE(checker.failed_cache().Contains(ComputeTxId(bad_peer)));
  ASSERT_EQ(peer->calls().size(), 2u);
  for (const ThreadRecordingVerifier::Call& call : peer->calls()) {
    EXPECT_EQ(call.thread, std::this_thread::get_id());
    EXPECT_EQ(call.nice, base);
    EXPECT_EQ(call.txs, 2u);
  }
  EXPECT_EQ(client->calls().size(), 1u);  // peers' batches never reached it
}

// The real CPU backend, held inside its first call until released.
class BlockingVerifier final : public BatchVerifier {
 public:
  absl::string_view name() const override { return "cpu-blocking"; }
  absl::Status Verify(absl::Span<const VerifyItem> items, absl::Span<uint8_t> results) override {
    return cpu_.Verify(items, results);
  }
  absl::Status VerifyTransactions(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                  absl::Span<Digest> ids, absl::Span<uint8_t> valid) override {
    if (!entered.HasBeenNotified()) entered.Notify();
    // Bounded: a broken test releases it at the latest here.
    release.WaitForNotificationWithTimeout(absl::Seconds(120));
    return cpu_.VerifyTransactions(chain_id, txs, ids, valid);
  }
  absl::Notification entered;
  absl::Notification release;

 private:
  CpuBatchVerifier cpu_{1};
};

// What verifying apart is for: a peer batch is verified while client
// verification is busy, instead of waiting behind it.
TEST(TxCheckerTest, APeerBatchIsVerifiedWhileClientVerificationIsBusy) {
  auto client_owned = std::make_unique<BlockingVerifier>();
  BlockingVerifier* client = client_owned.get();
  TxCheckerOptions options;
  options.peer_verifier = std::make_unique<CpuBatchVerifier>(1);
  TxChecker checker(std::move(client_owned), kChain, SliceId(0), nullptr, std::move(options));

  const Bytes good = Transfer(1, /*corrupt=*/false);
  const std::vector<ByteSpan> spans{ByteSpan(good)};
  absl::Notification answered;
  std::vector<AdmitCheck> answers;
  checker.CheckClientTxsAsync(spans, "client", [&](std::vector<AdmitCheck> checks) {
    answers = std::move(checks);
    answered.Notify();
  });
  ASSERT_TRUE(client->entered.WaitForNotificationWithTimeout(absl::Seconds(60)));

  consensus::Batch batch;
  batch.transactions = {Transfer(2, /*corrupt=*/false)};
  absl::Notification peer_done;
  bool peer_ok = false;
  std::thread peer([&] {
    peer_ok = checker.VerifyPeerBatch(batch);
    peer_done.Notify();
  });
  const bool apart = peer_done.WaitForNotificationWithTimeout(absl::Seconds(60));
  EXPECT_FALSE(answered.HasBeenNotified());  // the client's round is still held
  client->release.Notify();
  peer.join();
  EXPECT_TRUE(apart) << "the peer batch waited for client verification";
  EXPECT_TRUE(peer_ok);
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(60)));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].code, AdmitCode::kAccepted) << answers[0].reason;
}

double Verifications(const net::NodeMetrics& metrics, net::SignatureKind kind) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != "gridledger_signature_verifications_total") continue;
    for (const auto& metric : family.metric) {
      if (metric.label.size() == 1 &&
          metric.label[0].value == std::string(net::SignatureKindName(kind))) {
        return metric.counter.value;
      }
    }
  }
  return -1;
}

// The verification counters (issue 12 item 1) count what reaches the
// backend, by kind: a cached refusal is not a verification.
TEST(TxCheckerTest, CountsVerificationsByKindAsTheBackendSeesThem) {
  std::atomic<uint64_t> verified{0};
  net::NodeMetrics metrics;
  TxChecker checker(std::make_unique<CountingVerifier>(&verified), kChain, SliceId(0), &metrics);
  const Bytes bad = Transfer(0, /*corrupt=*/true);
  const Bytes good = Transfer(1, /*corrupt=*/false);
  std::vector<ByteSpan> spans{ByteSpan(bad), ByteSpan(good)};
  checker.CheckClientTxs(spans);
  checker.CheckClientTxs(spans);  // the bad one from the cache
  EXPECT_EQ(Verifications(metrics, net::SignatureKind::kTxAdmission), 3.0);
  consensus::Batch batch;
  batch.transactions = {good, Transfer(2, /*corrupt=*/false)};
  EXPECT_TRUE(checker.VerifyPeerBatch(batch));
  EXPECT_EQ(Verifications(metrics, net::SignatureKind::kTxPeerBatch), 2.0);
  EXPECT_EQ(Verifications(metrics, net::SignatureKind::kConsensus), 0.0);
  EXPECT_EQ(verified.load(), 5u);
}

// Admission's duplicate check (issue 12): ids the caller already knows are
// answered kDuplicate with its reason and never reach the backend; the rest
// are verified as before, blocking or not.
TEST(TxCheckerTest, KnownIdsAreAnsweredDuplicateWithoutVerifying) {
  std::atomic<uint64_t> verified{0};
  net::NodeMetrics metrics;
  TxChecker checker(std::make_unique<CountingVerifier>(&verified), kChain, SliceId(0), &metrics);
  const Bytes known = Transfer(4, /*corrupt=*/false);
  const Bytes fresh = Transfer(5, /*corrupt=*/false);
  const Bytes garbage = {1, 2, 3};
  std::vector<ByteSpan> spans{ByteSpan(known), ByteSpan(garbage), ByteSpan(fresh)};
  const TxId known_id = ComputeTxId(known);
  std::vector<size_t> asked;  // ids per call: the decodable ones only
  auto duplicates = [&](absl::Span<const TxId> ids, std::vector<std::string>* reasons) {
    asked.push_back(ids.size());
    ASSERT_EQ(reasons->size(), ids.size());
    for (size_t k = 0; k < ids.size(); ++k) {
      if (ids[k] == known_id) (*reasons)[k] = "duplicate: committed at sequence 7";
    }
  };
  std::vector<AdmitCheck> got = checker.CheckClientTxs(spans, "c", duplicates);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].code, AdmitCode::kDuplicate);
  EXPECT_EQ(got[0].reason, "duplicate: committed at sequence 7");
  EXPECT_EQ(got[0].id, known_id);
  EXPECT_EQ(got[1].code, AdmitCode::kMalformed);
  EXPECT_EQ(got[2].code, AdmitCode::kAccepted) << got[2].reason;
  EXPECT_EQ(verified.load(), 1u);
  EXPECT_EQ(Verifications(metrics, net::SignatureKind::kTxAdmission), 1.0);

  absl::Mutex mu;
  std::optional<std::vector<AdmitCheck>> async_got;
  checker.CheckClientTxsAsync(
      spans, "c",
      [&](std::vector<AdmitCheck> checks) {
        absl::MutexLock lock(&mu);
        async_got = std::move(checks);
      },
      duplicates);
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](std::optional<std::vector<AdmitCheck>>* g) {
                                          return g->has_value();
                                        },
                                        &async_got),
                                    absl::Seconds(30)));
    ASSERT_EQ(async_got->size(), 3u);
    EXPECT_EQ((*async_got)[0].code, AdmitCode::kDuplicate);
    EXPECT_EQ((*async_got)[2].code, AdmitCode::kAccepted) << (*async_got)[2].reason;
  }
  EXPECT_EQ(verified.load(), 2u);

  // All known: nothing is verified, and the answer still comes.
  std::vector<ByteSpan> only_known{ByteSpan(known)};
  got = checker.CheckClientTxs(only_known, "c", duplicates);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].code, AdmitCode::kDuplicate);
  EXPECT_EQ(verified.load(), 2u);
  EXPECT_EQ(asked, (std::vector<size_t>{2, 2, 1}));
}

TEST(FailedTxCacheTest, ForgetsTheOldestAtCapacity) {
  FailedTxCache cache(3);
  std::vector<TxId> ids;
  for (uint8_t i = 0; i < 5; ++i) ids.push_back(Sha256(Bytes{i}));
  for (const TxId& id : ids) cache.Insert(id);
  cache.Insert(ids[4]);  // a repeat does not evict
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Contains(ids[0]));
  EXPECT_FALSE(cache.Contains(ids[1]));
  EXPECT_TRUE(cache.Contains(ids[2]));
  EXPECT_TRUE(cache.Contains(ids[3]));
  EXPECT_TRUE(cache.Contains(ids[4]));
  EXPECT_EQ(cache.hits(), 3u);
}

}  // namespace
}  // namespace gridledger::node
