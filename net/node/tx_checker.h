// Admission and batch checks of raw transaction envelopes. Client admission
// verifies through a FairVerifyQueue: its one thread is the only caller of
// the client backend (which need not be re-entrant), no lock is held while it
// verifies, and every client connection gets an equal share of each round.
// Peers' batches either share that queue under a priority key (one backend:
// a GPU wants every signature in one large batch) or, with a CPU backend,
// have a verifier of their own called on the peer-batch worker's thread, so
// consensus work never queues behind client requests and the client side
// can run at a lower priority (TxCheckerOptions).
#ifndef GRIDLEDGER_NET_NODE_TX_CHECKER_H_
#define GRIDLEDGER_NET_NODE_TX_CHECKER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "core/consensus/messages.h"
#include "core/verify/batch_verifier.h"
#include "net/metrics/node_metrics.h"
#include "net/node/failed_tx_cache.h"
#include "net/node/fair_verify_queue.h"

namespace gridledger::node {

enum class AdmitCode { kAccepted, kMalformed, kBadSignature, kWrongSlice, kDuplicate };

struct AdmitCheck {
  std::optional<TxId> id;  // set once the envelope decodes
  AdmitCode code = AdmitCode::kAccepted;
  std::string reason;      // empty when accepted
};

// Called once per client request, after decoding and before verifying, with
// the ids that would be verified: sets reasons[k] (sized like ids, empty) to
// why ids[k] is already known. Those are answered kDuplicate unverified.
using DuplicateCheck =
    absl::FunctionRef<void(absl::Span<const TxId> ids, std::vector<std::string>* reasons)>;
// The DuplicateCheck of a caller that knows no transaction: all are verified.
inline void NoneKnown(absl::Span<const TxId>, std::vector<std::string>*) {}

// The nice increment of client verification when peers' batches have their
// own verifier. On a saturated machine the scheduler then gives the cores to
// consensus (peers' batches, headers, votes, the writers, execution) first
// and to new client transactions with what is left, which queue at
// admission (where back-pressure answers the client) instead of stretching
// every round; with idle cores nice changes nothing. Measured on 2 cores at
// saturation, 3 interleaved pairs: 5-12 % more committed, the header stage
// halved, far fewer rejections; no change below saturation
// (docs/benchmarks.md, "Peer batches verified apart, client verification
// niced"). The niced thread also runs the admission continuations (handing
// transactions to consensus, answering the stream): their critical sections
// are short, and one preempted while holding a lock delays others by at
// most a scheduling slice.
inline constexpr int kClientVerifyNiceIncrement = 10;

struct TxCheckerOptions {
  // Verifies peers' batches on the calling thread (VerifyWorker's), apart
  // from client admission. Null: they share the client verifier's queue
  // under a priority key.
  std::unique_ptr<BatchVerifier> peer_verifier;
  // The client verification thread's nice increment (0..19), for the
  // FairVerifyQueue's thread; a CPU backend's pool is niced where it is made
  // (CpuBatchVerifier). Only with a peer_verifier (GL_CHECK): niced, the
  // shared queue would delay peers' batches, and with them every header.
  int client_nice_increment = 0;
};

class TxChecker {
 public:
  // `metrics` may be null. `chain_id` (the genesis digest) is the network
  // every signature must be made for. `verifier` checks client admissions,
  // and peers' batches too unless options.peer_verifier is set.
  TxChecker(std::unique_ptr<BatchVerifier> verifier, const Digest& chain_id, SliceId slice,
            net::NodeMetrics* metrics, TxCheckerOptions options = {});

  // Client admission: strict Decode (size bound included), slice must be
  // ours, signature verified. One answer per input, same order. An envelope
  // whose signature failed recently is refused without verifying it again.
  // `client` names the connection whose fair share the verification uses.
  // The ids `duplicates` names are answered kDuplicate unverified.
  std::vector<AdmitCheck> CheckClientTxs(absl::Span<const ByteSpan> txs,
                                         const std::string& client = "",
                                         DuplicateCheck duplicates = NoneKnown);
  // The same checks without blocking (the streaming RPC on gRPC's callback
  // API): `done` gets the answers on the verification thread (inline when
  // nothing needs verifying). `txs` must stay alive until then.
  using ChecksDone = absl::AnyInvocable<void(std::vector<AdmitCheck> checks) &&>;
  // `duplicates` is called before this returns.
  void CheckClientTxsAsync(absl::Span<const ByteSpan> txs, const std::string& client,
                           ChecksDone done, DuplicateCheck duplicates = NoneKnown);

  // A peer's batch: every envelope decodes and every signature verifies; a
  // receipt import entry (core/execution/receipt.h) passes the import checker.
  bool VerifyPeerBatch(const consensus::Batch& batch) { return VerifyPeerBatches({&batch}); }
  // Several peers' batches in one backend call (VerifyWorker's coalescing),
  // without copying their transactions: true exactly when each would pass.
  // With a peer verifier the calling thread verifies (one caller at a time).
  bool VerifyPeerBatches(absl::Span<const consensus::Batch* const> batches);
  // True when peers' batches have a verifier of their own.
  bool peers_verified_apart() const { return peer_verifier_ != nullptr; }

  // Checks a receipt import entry of a peer's batch (ReceiptService's
  // CheckReceiptImport); before the first batch. Unset: imports are refused.
  using ImportChecker = std::function<bool(ByteSpan entry)>;
  void set_import_checker(ImportChecker checker) { import_checker_ = std::move(checker); }

  const FailedTxCache& failed_cache() const { return failed_; }

  absl::string_view backend_name() const { return verifier_->name(); }
  // Verification of `client`'s own requests still queued
  // (FairVerifyQueue::QueuedWork).
  absl::Duration QueuedVerification(const std::string& client) const {
    return queue_.QueuedWork(client);
  }

 private:
  // One client request's checks: decoded before, finished after verifying.
  struct ClientCheck {
    std::vector<AdmitCheck> out;
    std::vector<ByteSpan> to_verify;
    std::vector<size_t> where;
    std::vector<Digest> ids;
    std::vector<uint8_t> valid;
  };
  std::unique_ptr<ClientCheck> DecodeClientTxs(absl::Span<const ByteSpan> txs,
                                               DuplicateCheck duplicates);
  std::vector<AdmitCheck> FinishClientCheck(ClientCheck& check, bool backend_ok);
  // ids/valid sized like txs. False when the backend failed.
  bool Verify(const std::string& key, absl::Span<const ByteSpan> txs, std::vector<Digest>* ids,
              std::vector<uint8_t>* valid);

  // Verifies on the backend, observing the call in the metrics.
  absl::Status VerifyOn(BatchVerifier& backend, absl::Span<const ByteSpan> txs,
                        absl::Span<Digest> ids, absl::Span<uint8_t> valid);

  // Used by the queue's thread only.
  std::unique_ptr<BatchVerifier> verifier_;
  // A backend need not be re-entrant: one peer-batch call at a time.
  absl::Mutex peer_mu_;
  const std::unique_ptr<BatchVerifier> peer_verifier_ ABSL_PT_GUARDED_BY(peer_mu_);  // or null
  FailedTxCache failed_;
  ImportChecker import_checker_;
  const Digest chain_id_;
  const SliceId slice_;
  net::NodeMetrics* metrics_;
  FairVerifyQueue queue_;  // last: its thread stops before the rest goes
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_TX_CHECKER_H_
