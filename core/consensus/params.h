// Consensus parameters of one slice (DESIGN.md §2). Every node of a committee
// must use the same values for gc_depth (it shapes the committed order) and
// for the peer bounds (batch_bytes, batch_txs_max, header_batches_max: a
// validator refuses what exceeds its own values, so a smaller value elsewhere
// stalls the larger proposer); the others only affect pacing.
// ValidateParameters (core.h) checks they fit the commit and message bounds.
#ifndef GRIDLEDGER_CORE_CONSENSUS_PARAMS_H_
#define GRIDLEDGER_CORE_CONSENSUS_PARAMS_H_

#include <cstddef>
#include <cstdint>

namespace gridledger::consensus {

// Milliseconds on the runtime's monotonic clock (the simulator's virtual clock).
using TimeMs = uint64_t;

struct Parameters {
  // A batch is sealed once its transactions reach this many bytes...
  size_t batch_bytes = 500'000;
  // ...or when it holds this many transactions. A peer's batch over either
  // bound (batch_bytes plus one transaction) is refused when it arrives.
  size_t batch_txs_max = 16'384;
  // ...or this long after its first transaction arrived, whichever is first.
  // With max_header_delay_ms it sets latency at low load (docs/benchmarks.md,
  // "Pacing": 10/25 ms halve p50 against 20/50 ms at 1000 tx/s, for ~30 %
  // more CPU per transaction there and almost none near saturation).
  uint64_t max_batch_delay_ms = 10;
  // A header carries at most this many batch digests; reaching it proposes at
  // once. A peer's header with more is refused at vote time, so every
  // certificate holds at most header_batches_max x batch_txs_max transactions.
  size_t header_batches_max = 32;
  // A header is proposed at the latest this long after the previous one (given
  // 2f+1 parents), so the DAG keeps growing without load.
  uint64_t max_header_delay_ms = 25;
  // With nothing to order (no own batch or open transactions, no uncommitted
  // certificate or pending header carrying batches), rounds slow down to one
  // header per this long, so an idle validator costs almost nothing. Any
  // payload anywhere in the DAG brings back max_header_delay_ms.
  uint64_t idle_header_delay_ms = 1'000;
  // How long a validator in an even round waits for the anchor's certificate
  // before advancing without it (Bullshark's leader timeout). Short, so a
  // crashed leader costs its rounds 300 ms, not a second: a skipped anchor
  // is still committed by the next one's walk back when a path exists.
  uint64_t leader_timeout_ms = 300;
  // After this many consecutive timeouts on one leader, stop waiting for its
  // anchors until one of its certificates arrives current again
  // (leader_reputation.h); at most f leaders are suspected at once. 0: always
  // wait. Local to each validator: it only affects pacing.
  uint32_t leader_misses_to_suspect = 2;
  // Memory keeps certificates and batches this many rounds behind the last
  // committed anchor; older ones are garbage collected (storage keeps them).
  uint64_t gc_depth = 50;
  // Retransmission period for an uncertified own header, batches short of
  // acks, and catch-up requests still unanswered. Makes progress survive loss.
  uint64_t sync_retry_ms = 500;
  // An author needs acks from 2f of its n-1 peers; the f peers after it in
  // index order (wrapping) are spare. Each of them defers verifying that
  // author's pushed batches (VerifyBatchAction::deferrable) while the other
  // peers keep up (a certificate within two rounds of the newest, and acks
  // for the spare's own batches: core.h's kMissedAcksBeforeVerifying) and
  // the author's late pushes have not suspended it (kLatePushesBeforeBackoff).
  // The certificate of the batch's header usually arrives first; it proves
  // that an honest validator verified the batch (f+1 verified votes, of
  // which at most f faulty: Core::StoreProvenBatch), so the work is
  // cancelled. Across n = 3f+1 validators that is f
  // verifications fewer per transaction. The cost: those f peers cannot vote
  // for the author's header until then, so its certificate needs every other
  // peer's vote. Asked for at once: a batch the author still pushes after two
  // retransmission periods and twice as long as the spare's own batches wait
  // for acks (short of acks, and not only because everyone is slow), one in
  // a header the author sends again (short of votes), and an anchor's.
  // Local to each validator: it only affects cost and pacing.
  bool defer_peer_verification = true;
  // With defer_peer_verification: the 2f peers after an author in index
  // order (not only f) defer verifying its batches, and meanwhile store them
  // at once, acknowledge them as stored (BatchAck::verified false) and vote
  // for its headers with availability votes (Vote::verified false). A
  // certificate needs 2f+1 votes of which f+1 verified: the author's own and
  // those of the f peers before it, so each transaction is verified f+1
  // times in all instead of 2f+1, and a certificate still shows that an
  // honest validator checked every signature in it. A deferring peer
  // verifies when asked as above (but not for an anchor, and a header sent
  // again only after twice its own ack wait: Core::HandleHeader), and then
  // votes again, verified. Local to
  // each validator like the deferral: every validator accepts both kinds of
  // votes. False restores 2f+1 verified votes per certificate (the wider
  // margin against forged signatures, docs/architecture.md).
  bool availability_votes = true;
  // The largest message peers accept (the transport's max_frame_bytes):
  // responses to catch-up requests are split to fit, and a sealed batch
  // always fits one message.
  size_t message_bytes_max = size_t{4} << 20;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_PARAMS_H_
