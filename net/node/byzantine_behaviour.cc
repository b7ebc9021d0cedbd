#include "net/node/byzantine_behaviour.h"

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/tx/codec.h"
#include "core/tx/transaction.h"

namespace gridledger::node {

using consensus::Batch;
using consensus::BatchResponse;
using consensus::Header;
using consensus::Message;

ByzantineBehaviour::ByzantineBehaviour(ByzantineBehaviours behaviours,
                                       const consensus::Committee& committee, ValidatorIndex me,
                                       const KeyPair& key, size_t header_batches_max,
                                       uint64_t seed)
    : behaviours_(behaviours), committee_(committee), me_(me), key_(key),
      header_batches_max_(header_batches_max), rng_(seed) {
  if (!behaviours_.flood_batches && !behaviours_.equivocate) return;
  // Transfers from an account no genesis funds, correctly signed for this
  // network: honest validators verify and store the batches carrying them,
  // and execution would fail them should one ever be committed.
  const KeyPair sender = KeyPair::FromSeed(0xB7A0'0000ULL + me.value());
  const KeyPair receiver = KeyPair::FromSeed(0xB7A1'0000ULL + me.value());
  for (size_t i = 0; i < kJunkTransactions; ++i) {
    Transaction tx;
    tx.slice = committee_.slice();
    tx.nonce = Nonce(i);
    tx.sender = sender.public_key();
    tx.body = TransferBody{AccountRef{committee_.slice(), receiver.public_key()}, Amount(1)};
    SignTransaction(&tx, sender, committee_.chain_id());
    junk_txs_.push_back(Encode(tx));
  }
}

std::vector<ValidatorIndex> ByzantineBehaviour::Targets(
    const consensus::SendAction& send) const {
  if (send.to.has_value()) return {*send.to};
  std::vector<ValidatorIndex> out;
  for (uint32_t v = 0; v < committee_.size(); ++v) {
    if (ValidatorIndex(v) != me_) out.push_back(ValidatorIndex(v));
  }
  return out;
}

Digest ByzantineBehaviour::RandomDigest() {
  Digest d;
  for (size_t i = 0; i < d.bytes.size(); i += 8) {
    const uint64_t x = rng_();
    std::memcpy(d.bytes.data() + i, &x, 8);
  }
  return d;
}

Header ByzantineBehaviour::Oversized(Header h) {
  while (h.batches.size() <= header_batches_max_) h.batches.push_back(RandomDigest());
  h.signature = key_.Sign(consensus::HeaderDigest(h));
  ++stats_.oversized_headers;
  return h;
}

Batch ByzantineBehaviour::JunkBatch() {
  Batch b{committee_.slice(), me_, flood_sequence_++,
          {junk_txs_[junk_next_++ % junk_txs_.size()]}};
  return b;
}

void ByzantineBehaviour::SendOwnBatch(const Batch& batch, std::vector<RewrittenSend>* out) {
  SendOwnBatchTo(batch, Targets(consensus::SendAction{std::nullopt, {}}), out);
}

void ByzantineBehaviour::SendOwnBatchTo(const Batch& batch, std::vector<ValidatorIndex> targets,
                                        std::vector<RewrittenSend>* out) {
  if (behaviours_.withhold_batches && targets.size() == 1) {
    // The core retransmits a batch to each peer that has not acked it:
    // exactly the peers it is withheld from.
    ++stats_.withheld_sends;
    return;
  }
  if (behaviours_.withhold_batches) {
    // Just enough for availability (2f others plus itself), a different
    // peer left out each time.
    const size_t keep = 2 * committee_.max_faulty();
    const size_t skip = withhold_rotation_++ % targets.size();
    std::vector<ValidatorIndex> kept;
    for (size_t i = 1; i <= targets.size() && kept.size() < keep; ++i) {
      kept.push_back(targets[(skip + i) % targets.size()]);
    }
    stats_.withheld_sends += targets.size() - kept.size();
    targets = std::move(kept);
  }
  const Bytes bytes = consensus::EncodeMessage(batch);
  for (ValidatorIndex t : targets) out->push_back(RewrittenSend{t, bytes});
}

const Header& ByzantineBehaviour::Twin(const Header& h, std::vector<RewrittenSend>* out) {
  auto it = twins_.find(h.round.value());
  if (it != twins_.end()) return it->second;
  Header twin = h;
  if (!twin.batches.empty()) {
    twin.batches.clear();
  } else {
    // Nothing to leave out: carry a fresh batch of ours instead, sent first
    // so honest validators can vote for either twin.
    const Batch batch = JunkBatch();
    SendOwnBatch(batch, out);
    twin.batches.push_back(consensus::BatchDigest(batch));
  }
  twin.signature = key_.Sign(consensus::HeaderDigest(twin));
  ++stats_.equivocations;
  it = twins_.emplace(h.round.value(), std::move(twin)).first;
  while (twins_.size() > kMaxEquivocations) twins_.erase(twins_.begin());
  return it->second;
}

void ByzantineBehaviour::AfterOwnHeader(std::vector<RewrittenSend>* out) {
  if (behaviours_.flood_batches) {
    for (size_t i = 0; i < kFloodBatchesPerHeader; ++i) SendOwnBatch(JunkBatch(), out);
    stats_.flood_batches += kFloodBatchesPerHeader;
  }
  if (behaviours_.garbage_frames) {
    std::uniform_int_distribution<size_t> length(1, kGarbageFrameBytesMax);
    std::uniform_int_distribution<uint32_t> peer(0, static_cast<uint32_t>(committee_.size()) - 2);
    for (size_t i = 0; i < kGarbageFramesPerHeader; ++i) {
      Bytes garbage(length(rng_));
      for (uint8_t& b : garbage) b = static_cast<uint8_t>(rng_());
      uint32_t to = peer(rng_);
      if (to >= me_.value()) ++to;
      out->push_back(RewrittenSend{ValidatorIndex(to), std::move(garbage)});
    }
    stats_.garbage_frames += kGarbageFramesPerHeader;
  }
}

std::vector<RewrittenSend> ByzantineBehaviour::Rewrite(const consensus::SendAction& send) {
  std::vector<RewrittenSend> out;
  const std::vector<ValidatorIndex> targets = Targets(send);
  const Message& message = send.message;
  if (behaviours_.withhold_batches && std::holds_alternative<BatchResponse>(message)) {
    ++stats_.withheld_sends;  // never serve a fetch
    return out;
  }
  if (std::holds_alternative<Batch>(message) && std::get<Batch>(message).author == me_) {
    SendOwnBatchTo(std::get<Batch>(message), targets, &out);
    return out;
  }
  const auto* own = std::get_if<Header>(&message);
  if (own == nullptr || own->author != me_) {
    const Bytes bytes = consensus::EncodeMessage(message);
    for (ValidatorIndex t : targets) out.push_back(RewrittenSend{t, bytes});
    return out;
  }
  // One of our headers.
  Header first = *own;
  if (behaviours_.oversize_headers && own_headers_ % 2 == 1) first = Oversized(first);
  ++own_headers_;
  if (!behaviours_.equivocate) {
    const Bytes bytes = consensus::EncodeMessage(first);
    for (ValidatorIndex t : targets) out.push_back(RewrittenSend{t, bytes});
  } else {
    const Bytes twin = consensus::EncodeMessage(Twin(first, &out));
    const Bytes real = consensus::EncodeMessage(first);
    for (size_t i = 0; i < targets.size(); ++i) {
      // Half the peers see the twin first; every peer sees both.
      const bool twin_first = i >= targets.size() / 2;
      out.push_back(RewrittenSend{targets[i], twin_first ? twin : real});
      out.push_back(RewrittenSend{targets[i], twin_first ? real : twin});
    }
  }
  AfterOwnHeader(&out);
  return out;
}

SendRewriter MakeByzantineRewriter(ByzantineBehaviours behaviours,
                                   const consensus::Committee& committee, ValidatorIndex me,
                                   const KeyPair& key, size_t header_batches_max,
                                   const Logger& logger) {
  logger.Warn(absl::StrCat("TEST ONLY: Byzantine validator ", me.value(), ", behaviours ",
                           behaviours.ToString()));
  auto behaviour = std::make_shared<ByzantineBehaviour>(
      behaviours, committee, me, key, header_batches_max, std::random_device()());
  return [behaviour](const consensus::SendAction& send) { return behaviour->Rewrite(send); };
}

}  // namespace gridledger::node
