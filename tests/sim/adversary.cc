#include "tests/sim/adversary.h"

#include <cstring>

#include "tests/sim/test_tx.h"

namespace gridledger::sim {

using consensus::Batch;
using consensus::BatchAck;
using consensus::BatchResponse;
using consensus::Certificate;
using consensus::Header;
using consensus::Message;
using consensus::Vote;

std::vector<uint32_t> Adversary::Targets(const consensus::SendAction& send) const {
  std::vector<uint32_t> out;
  if (send.to.has_value()) {
    out.push_back(send.to->value());
  } else {
    for (uint32_t v = 0; v < committee_->size(); ++v) {
      if (v != me_) out.push_back(v);
    }
  }
  return out;
}

void Adversary::Remember(const Bytes& bytes) {
  if (!behaviour_.replay) return;
  if (remembered_.size() >= kMaxRemembered) remembered_.pop_front();
  remembered_.push_back(bytes);
}

Digest Adversary::RandomDigest() {
  Digest d;
  for (size_t i = 0; i < d.bytes.size(); i += 8) {
    const uint64_t x = rng_.Next();
    std::memcpy(d.bytes.data() + i, &x, 8);
  }
  return d;
}

Header Adversary::Oversized(Header h) {
  while (h.batches.size() <= header_batches_max_) h.batches.push_back(RandomDigest());
  h.signature = key_->Sign(consensus::HeaderDigest(h));
  return h;
}

std::vector<Outgoing> Adversary::RewriteSend(const consensus::SendAction& send) {
  std::vector<Outgoing> out;
  std::vector<uint32_t> targets = Targets(send);
  Message message = send.message;

  if (behaviour_.oversize_headers && std::holds_alternative<Header>(message) &&
      std::get<Header>(message).author.value() == me_ && rng_.Chance(500'000)) {
    // Honest validators refuse it at vote time; its round goes uncertified.
    message = Oversized(std::get<Header>(message));
  }
  if (behaviour_.withhold_acks && std::holds_alternative<BatchAck>(message)) return out;
  if (behaviour_.withhold_batches) {
    if (std::holds_alternative<BatchResponse>(message)) return out;  // never serve fetches
    if (std::holds_alternative<Batch>(message) && targets.size() > 1) {
      // Just enough for availability: 2f others plus itself.
      targets.resize(std::min(targets.size(), 2 * committee_->max_faulty()));
    }
  }
  if (behaviour_.forged_transactions && std::holds_alternative<Batch>(message) &&
      rng_.Chance(500'000)) {
    auto& batch = std::get<Batch>(message);
    consensus::TxList forged{MakeForgedTestTx(999, rng_.Next())};
    for (size_t i = 1; i < batch.transactions.size(); ++i) forged.push_back(batch.transactions[i]);
    batch.transactions = std::move(forged);
  }

  std::optional<Message> second;  // the equivocating twin, for half the targets
  if (behaviour_.equivocate && std::holds_alternative<Header>(message) &&
      std::get<Header>(message).author.value() == me_) {
    const Header& h1 = std::get<Header>(message);
    auto it = equivocations_.find(h1.round.value());
    if (it == equivocations_.end()) {
      Header h2 = h1;
      if (!h2.batches.empty()) {
        h2.batches.clear();
      } else if (h2.parents.size() > committee_->quorum()) {
        h2.parents.pop_back();
      }
      if (!(h2.batches == h1.batches && h2.parents == h1.parents)) {
        const Digest d2 = consensus::HeaderDigest(h2);
        h2.signature = key_->Sign(d2);
        Equivocation e{h2, d2, {}, false};
        e.votes[ValidatorIndex(me_)] = key_->Sign(consensus::VotePayload(d2));
        it = equivocations_.emplace(h1.round.value(), std::move(e)).first;
        while (equivocations_.size() > kMaxEquivocations) {
          equivocations_.erase(equivocations_.begin());
        }
      }
    }
    if (it != equivocations_.end()) second = it->second.header;
  }

  std::vector<std::pair<uint32_t, Message>> sends;
  for (size_t i = 0; i < targets.size(); ++i) {
    // Half the peers see one twin first, half the other; everyone sees both.
    const bool swap = second.has_value() && i >= targets.size() / 2;
    sends.emplace_back(targets[i], swap ? *second : message);
    if (second.has_value()) sends.emplace_back(targets[i], swap ? message : *second);
  }
  for (auto& [target, m] : sends) {
    if (behaviour_.bad_signatures && rng_.Chance(300'000)) {
      if (auto* h = std::get_if<Header>(&m)) h->signature.bytes[5] ^= 0x40;
      if (auto* v = std::get_if<Vote>(&m)) v->signature.bytes[40] ^= 0x01;
      if (auto* c = std::get_if<Certificate>(&m)) c->votes.back().signature.bytes[0] ^= 0x80;
    }
    Bytes bytes = consensus::EncodeMessage(m);
    Remember(bytes);
    out.push_back(Outgoing{target, std::move(bytes)});
  }
  return out;
}

std::vector<Outgoing> Adversary::OnIncoming(uint32_t from, const Message& message,
                                            ByteSpan raw) {
  std::vector<Outgoing> out;
  if (behaviour_.replay && rng_.Chance(200'000)) Remember(Bytes(raw.begin(), raw.end()));
  if (!behaviour_.equivocate) return out;
  if (const auto* h = std::get_if<Header>(&message)) {
    // Votes for every header it sees, equivocating or not.
    if (h->author.value() == from && committee_->Contains(h->author)) {
      const Digest d = consensus::HeaderDigest(*h);
      Vote v{d, h->author, h->round, ValidatorIndex(me_), key_->Sign(consensus::VotePayload(d))};
      out.push_back(Outgoing{from, consensus::EncodeMessage(v)});
    }
  } else if (const auto* v = std::get_if<Vote>(&message)) {
    auto it = equivocations_.find(v->round.value());
    if (it == equivocations_.end() || it->second.digest != v->header || v->voter.value() != from ||
        it->second.certified) {
      return out;
    }
    Equivocation& e = it->second;
    e.votes[v->voter] = v->signature;  // unverified: a bad one only spoils its own twin
    if (e.votes.size() >= committee_->quorum()) {
      e.certified = true;
      ++second_certificates_;
      Certificate c{e.header, {}};
      for (const auto& [voter, sig] : e.votes) c.votes.push_back({voter, sig});
      const Bytes bytes = consensus::EncodeMessage(c);
      for (uint32_t t = 0; t < committee_->size(); ++t) {
        if (t != me_) out.push_back(Outgoing{t, bytes});
      }
    }
  }
  return out;
}

std::vector<Outgoing> Adversary::OnTick(Round round) {
  std::vector<Outgoing> out;
  const uint32_t n = static_cast<uint32_t>(committee_->size());
  auto random_peer = [&] {
    uint32_t t = static_cast<uint32_t>(rng_.Range(0, n - 2));
    return t >= me_ ? t + 1 : t;
  };
  if (behaviour_.unknown_votes && rng_.Chance(50'000)) {
    const Digest fake = RandomDigest();
    const uint32_t author = random_peer();
    Vote v{fake, ValidatorIndex(author), round, ValidatorIndex(me_),
           key_->Sign(consensus::VotePayload(fake))};
    out.push_back(Outgoing{author, consensus::EncodeMessage(v)});
  }
  if (behaviour_.replay && !remembered_.empty() && rng_.Chance(100'000)) {
    const Bytes& old = remembered_[rng_.Range(0, remembered_.size() - 1)];
    out.push_back(Outgoing{random_peer(), old});
  }
  if (behaviour_.flood_batches) {
    // Valid batches (so honest validators store them) that no header ever
    // carries: they fill this author's share of the store, never another's.
    for (size_t i = 0; i < kFloodBatchesPerTick; ++i) {
      Batch b{committee_->slice(), ValidatorIndex(me_), flood_sequence_++,
              {MakeTestTx(1000 + me_, flood_sequence_)}};
      const Bytes bytes = consensus::EncodeMessage(b);
      for (uint32_t t = 0; t < n; ++t) {
        if (t != me_) out.push_back(Outgoing{t, bytes});
      }
    }
  }
  if (behaviour_.replay && rng_.Chance(20'000)) {
    Bytes garbage(rng_.Range(1, 64));
    for (uint8_t& b : garbage) b = static_cast<uint8_t>(rng_.Next());
    out.push_back(Outgoing{random_peer(), std::move(garbage)});
  }
  return out;
}

}  // namespace gridledger::sim
