#include "core/consensus/messages.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "core/common/status_macros.h"
#include "core/crypto/sha256.h"

namespace gridledger::consensus {
namespace {

enum class Tag : uint8_t {
  kBatch = 1,
  kBatchAck = 2,
  kHeader = 3,
  kVote = 4,
  kCertificate = 5,
  kCertificateRequest = 6,
  kCertificateResponse = 7,
  kBatchRequest = 8,
  kBatchResponse = 9,
  kCommitSyncRequest = 10,
  kCommitSyncResponse = 11,
  // 12 is kCheckpointVoteTag (core/consensus/checkpoint.h): checkpoint votes
  // share the peer frame space but are not consensus Messages.
};

void EncodeHeaderUnsigned(const Header& h, ByteWriter& w) {
  w.Raw(h.chain_id.span());
  w.U32(h.slice.value());
  w.U32(h.author.value());
  w.U64(h.round.value());
  w.U32(static_cast<uint32_t>(h.parents.size()));
  for (const Digest& d : h.parents) w.Raw(d.span());
  w.U32(static_cast<uint32_t>(h.weak_parents.size()));
  for (const WeakLink& l : h.weak_parents) {
    w.U64(l.round.value());
    w.Raw(l.certificate.span());
  }
  w.U32(static_cast<uint32_t>(h.batches.size()));
  for (const Digest& d : h.batches) w.Raw(d.span());
  w.U64(h.timestamp_ms);
}

void EncodeDigests(const std::vector<Digest>& ds, ByteWriter& w) {
  w.U32(static_cast<uint32_t>(ds.size()));
  for (const Digest& d : ds) w.Raw(d.span());
}

absl::StatusOr<uint32_t> Count(ByteReader& r, size_t max, absl::string_view field) {
  GL_ASSIGN_OR_RETURN(uint32_t n, r.U32(field));
  if (n > max) {
    return absl::InvalidArgumentError(std::string(field) + ": " + std::to_string(n) +
                                      " exceeds the limit " + std::to_string(max));
  }
  return n;
}

absl::StatusOr<Digest> ReadDigest(ByteReader& r, absl::string_view field) {
  GL_ASSIGN_OR_RETURN(auto bytes, r.Fixed<32>(field));
  return Digest(bytes);
}

absl::StatusOr<Signature> ReadSignature(ByteReader& r, absl::string_view field) {
  GL_ASSIGN_OR_RETURN(auto bytes, r.Fixed<64>(field));
  return Signature(bytes);
}

absl::StatusOr<std::vector<Digest>> DecodeDigests(ByteReader& r, size_t max,
                                                  absl::string_view field) {
  GL_ASSIGN_OR_RETURN(uint32_t n, Count(r, max, field));
  std::vector<Digest> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(Digest d, ReadDigest(r, field));
    out.push_back(d);
  }
  return out;
}

absl::StatusOr<CommitPart> DecodeCommitPart(ByteReader& r) {
  CommitPart p;
  GL_ASSIGN_OR_RETURN(p.sequence, r.U64("commit_part.sequence"));
  GL_ASSIGN_OR_RETURN(uint64_t anchor_round, r.U64("commit_part.anchor_round"));
  GL_ASSIGN_OR_RETURN(p.anchor, ReadDigest(r, "commit_part.anchor"));
  GL_ASSIGN_OR_RETURN(uint64_t last_round, r.U64("commit_part.last_committed_round"));
  p.anchor_round = Round(anchor_round);
  p.last_committed_round = Round(last_round);
  GL_ASSIGN_OR_RETURN(p.total_certificates,
                      Count(r, kMaxSyncCommitCertificates, "commit_part.total_certificates"));
  GL_ASSIGN_OR_RETURN(p.first_certificate, r.U32("commit_part.first_certificate"));
  GL_ASSIGN_OR_RETURN(uint32_t n,
                      Count(r, kMaxResponseCertificates, "commit_part.certificates"));
  if (size_t{p.first_certificate} + n > p.total_certificates) {
    return absl::InvalidArgumentError(
        "commit_part.certificates: past total_certificates " +
        std::to_string(p.total_certificates));
  }
  p.certificates.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(Certificate c, DecodeCertificate(r));
    p.certificates.push_back(std::move(c));
  }
  return p;
}

absl::StatusOr<CommitSyncResponse> DecodeCommitSyncResponse(ByteReader& r) {
  CommitSyncResponse resp;
  GL_ASSIGN_OR_RETURN(resp.highest_sequence, r.U64("commit_sync_response.highest_sequence"));
  GL_ASSIGN_OR_RETURN(uint8_t complete, r.U8("commit_sync_response.complete"));
  if (complete > 1) {
    return absl::InvalidArgumentError("commit_sync_response.complete: not 0 or 1");
  }
  resp.complete = complete == 1;
  GL_ASSIGN_OR_RETURN(uint32_t np,
                      Count(r, kMaxSyncPartsPerMessage, "commit_sync_response.commits"));
  for (uint32_t i = 0; i < np; ++i) {
    GL_ASSIGN_OR_RETURN(CommitPart p, DecodeCommitPart(r));
    resp.commits.push_back(std::move(p));
  }
  GL_ASSIGN_OR_RETURN(uint32_t nb,
                      Count(r, kMaxSyncBatchesPerMessage, "commit_sync_response.batches"));
  for (uint32_t i = 0; i < nb; ++i) {
    GL_ASSIGN_OR_RETURN(Batch b, DecodeBatch(r));
    resp.batches.push_back(std::move(b));
  }
  GL_ASSIGN_OR_RETURN(uint32_t ns,
                      Count(r, Committee::kMaxValidators, "commit_sync_response.support"));
  for (uint32_t i = 0; i < ns; ++i) {
    GL_ASSIGN_OR_RETURN(Certificate c, DecodeCertificate(r));
    resp.support.push_back(std::move(c));
  }
  return resp;
}

absl::StatusOr<Vote> DecodeVote(ByteReader& r) {
  Vote v;
  GL_ASSIGN_OR_RETURN(v.header, ReadDigest(r, "vote.header"));
  GL_ASSIGN_OR_RETURN(uint32_t author, r.U32("vote.header_author"));
  GL_ASSIGN_OR_RETURN(uint64_t round, r.U64("vote.round"));
  GL_ASSIGN_OR_RETURN(uint32_t voter, r.U32("vote.voter"));
  GL_ASSIGN_OR_RETURN(v.signature, ReadSignature(r, "vote.signature"));
  v.header_author = ValidatorIndex(author);
  v.round = Round(round);
  v.voter = ValidatorIndex(voter & ~kAvailabilityVoteBit);
  v.verified = (voter & kAvailabilityVoteBit) == 0;
  return v;
}

}  // namespace

const char* MessageName(const Message& m) {
  static constexpr const char* kNames[] = {
      "Batch",       "BatchAck",           "Header",
      "Vote",        "Certificate",        "CertificateRequest",
      "CertificateResponse", "BatchRequest", "BatchResponse",
      "CommitSyncRequest", "CommitSyncResponse"};
  return kNames[m.index()];
}

Digest BatchDigest(const Batch& batch) {
  Bytes buf;
  buf.reserve(BatchEncodedBytes(batch));  // one allocation, not a doubling series
  ByteWriter w(&buf);
  EncodeBatch(batch, w);
  return BatchDigestOfEncoding(buf);
}

Digest BatchDigestOfEncoding(ByteSpan encoded) { return TaggedHashCached(kTagBatch, encoded); }

size_t BatchPayloadBytes(const Batch& batch) {
  return batch.transactions.payload_bytes();
}

size_t BatchEncodedBytes(const Batch& batch) {
  return 4 + 4 + 8 + 4 + 4 * batch.transactions.size() + BatchPayloadBytes(batch);
}

size_t CertificateEncodedBytes(const Certificate& cert) {
  const Header& h = cert.header;
  return 32 + 4 + 4 + 8 + 4 + 32 * h.parents.size() + 4 + 40 * h.weak_parents.size() + 4 +
         32 * h.batches.size() + 8 + 64 + 4 +
         (4 + 64) * cert.votes.size();
}

Digest HeaderDigest(const Header& header) {
  Bytes buf;
  buf.reserve(100 + 32 * (header.parents.size() + header.batches.size()) +
              40 * header.weak_parents.size());
  ByteWriter w(&buf);
  EncodeHeaderUnsigned(header, w);
  return TaggedHashCached(kTagHeader, buf);
}

Digest VotePayload(const Digest& header_digest, bool verified) {
  return TaggedHashCached(verified ? kTagVote : kTagAvailabilityVote, header_digest.span());
}

std::vector<Certificate> GenesisCertificates(const Committee& committee) {
  std::vector<Certificate> out;
  for (size_t i = 0; i < committee.size(); ++i) {
    Certificate c;
    c.header.slice = committee.slice();
    c.header.chain_id = committee.chain_id();
    c.header.author = ValidatorIndex(static_cast<uint32_t>(i));
    c.header.round = Round(0);
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status VerifyHeader(const Header& header, const Digest& digest,
                          const Committee& committee, SignatureChecker& checker) {
  if (header.chain_id != committee.chain_id()) {
    return absl::InvalidArgumentError(
        "header.chain_id: signed for another network (chain id " + header.chain_id.ShortHex() +
        ", this network is " + committee.chain_id().ShortHex() + ")");
  }
  if (header.slice != committee.slice()) {
    return absl::InvalidArgumentError("header.slice: not this committee's slice");
  }
  if (!committee.Contains(header.author)) {
    return absl::InvalidArgumentError("header.author: not in the committee");
  }
  if (header.round.value() == 0) {
    return absl::InvalidArgumentError("header.round: round 0 is genesis");
  }
  if (header.parents.size() < committee.quorum() ||
      header.parents.size() > committee.size()) {
    return absl::InvalidArgumentError("header.parents: need 2f+1..n parents, got " +
                                      std::to_string(header.parents.size()));
  }
  for (size_t i = 1; i < header.parents.size(); ++i) {
    if (!(header.parents[i - 1] < header.parents[i])) {
      return absl::InvalidArgumentError("header.parents: not strictly ascending");
    }
  }
  if (header.weak_parents.size() > std::min(committee.size(), kMaxWeakLinks)) {
    return absl::InvalidArgumentError("header.weak_parents: " +
                                      std::to_string(header.weak_parents.size()) +
                                      " exceed the committee size or kMaxWeakLinks");
  }
  for (size_t i = 0; i < header.weak_parents.size(); ++i) {
    const Round r = header.weak_parents[i].round;
    if (r.value() == 0 || r.value() + 2 > header.round.value()) {
      return absl::InvalidArgumentError("header.weak_parents: round " + std::to_string(r.value()) +
                                        " outside 1..round-2");
    }
    if (i > 0 && !(header.weak_parents[i - 1] < header.weak_parents[i])) {
      return absl::InvalidArgumentError("header.weak_parents: not strictly ascending");
    }
  }
  if (header.batches.size() > kMaxHeaderBatches) {
    return absl::InvalidArgumentError("header.batches: too many");
  }
  absl::flat_hash_set<Digest> seen(header.batches.begin(), header.batches.end());
  if (seen.size() != header.batches.size()) {
    return absl::InvalidArgumentError("header.batches: duplicate digest");
  }
  if (!checker.Verify(committee.key(header.author), digest, header.signature)) {
    return absl::InvalidArgumentError("header.signature: invalid");
  }
  return absl::OkStatus();
}

absl::Status VerifyVote(const Vote& vote, const Committee& committee,
                        SignatureChecker& checker) {
  if (!committee.Contains(vote.voter)) {
    return absl::InvalidArgumentError("vote.voter: not in the committee");
  }
  if (!committee.Contains(vote.header_author)) {
    return absl::InvalidArgumentError("vote.header_author: not in the committee");
  }
  if (!checker.Verify(committee.key(vote.voter), VotePayload(vote.header, vote.verified),
                      vote.signature)) {
    return absl::InvalidArgumentError("vote.signature: invalid");
  }
  return absl::OkStatus();
}

absl::Status VerifyCertificate(const Certificate& cert, const Digest& digest,
                               const Committee& committee, SignatureChecker& checker) {
  GL_RETURN_IF_ERROR(VerifyHeader(cert.header, digest, committee, checker));
  if (cert.votes.size() < committee.quorum() || cert.votes.size() > committee.size()) {
    return absl::InvalidArgumentError("certificate.votes: need 2f+1..n votes, got " +
                                      std::to_string(cert.votes.size()));
  }
  size_t verified = 0;
  for (const VoteSignature& v : cert.votes) verified += v.verified ? 1 : 0;
  if (verified < committee.validity()) {
    return absl::InvalidArgumentError("certificate.votes: " + std::to_string(verified) +
                                      " verified votes, need f+1 = " +
                                      std::to_string(committee.validity()));
  }
  const Digest payload = VotePayload(digest, /*verified=*/true);
  const Digest availability_payload = VotePayload(digest, /*verified=*/false);
  for (size_t i = 0; i < cert.votes.size(); ++i) {
    const VoteSignature& v = cert.votes[i];
    if (i > 0 && !(cert.votes[i - 1].voter < v.voter)) {
      return absl::InvalidArgumentError("certificate.votes: voters not strictly ascending");
    }
    if (!committee.Contains(v.voter)) {
      return absl::InvalidArgumentError("certificate.votes: voter not in the committee");
    }
    if (!checker.Verify(committee.key(v.voter), v.verified ? payload : availability_payload,
                        v.signature)) {
      return absl::InvalidArgumentError("certificate.votes: invalid signature of voter " +
                                        std::to_string(v.voter.value()));
    }
  }
  return absl::OkStatus();
}

absl::Status VerifyBatchShape(const Batch& batch, const Committee& committee,
                              size_t max_batch_bytes, size_t max_batch_txs) {
  if (batch.slice != committee.slice()) {
    return absl::InvalidArgumentError("batch.slice: not this committee's slice");
  }
  if (!committee.Contains(batch.author)) {
    return absl::InvalidArgumentError("batch.author: not in the committee");
  }
  if (batch.transactions.empty()) {
    return absl::InvalidArgumentError("batch.transactions: empty");
  }
  if (batch.transactions.size() > max_batch_txs) {
    return absl::InvalidArgumentError("batch.transactions: " +
                                      std::to_string(batch.transactions.size()) +
                                      " exceed batch_txs_max " + std::to_string(max_batch_txs));
  }
  // One transaction may overshoot batch_bytes: the batch maker seals after it.
  if (BatchPayloadBytes(batch) > max_batch_bytes + kMaxTransactionBytes) {
    return absl::InvalidArgumentError("batch.transactions: " +
                                      std::to_string(BatchPayloadBytes(batch)) +
                                      " bytes over batch_bytes " + std::to_string(max_batch_bytes));
  }
  return absl::OkStatus();
}

void EncodeBatch(const Batch& b, ByteWriter& w) {
  w.U32(b.slice.value());
  w.U32(b.author.value());
  w.U64(b.sequence);
  w.U32(static_cast<uint32_t>(b.transactions.size()));
  for (ByteSpan tx : b.transactions) w.VarBytes(tx);
}

void EncodeHeader(const Header& h, ByteWriter& w) {
  EncodeHeaderUnsigned(h, w);
  w.Raw(h.signature.span());
}

void EncodeCertificate(const Certificate& c, ByteWriter& w) {
  EncodeHeader(c.header, w);
  w.U32(static_cast<uint32_t>(c.votes.size()));
  for (const VoteSignature& v : c.votes) {
    w.U32(v.voter.value() | (v.verified ? 0 : kAvailabilityVoteBit));
    w.Raw(v.signature.span());
  }
}

Bytes EncodeMessage(const Message& m) {
  Bytes out;
  if (const Batch* b = std::get_if<Batch>(&m)) out.reserve(1 + BatchEncodedBytes(*b));
  ByteWriter w(&out);
  w.U8(static_cast<uint8_t>(m.index() + 1));
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, Batch>) {
          EncodeBatch(msg, w);
        } else if constexpr (std::is_same_v<T, BatchAck>) {
          w.Raw(msg.batch.span());
          if (!msg.verified) w.U8(kStoredOnlyAck);
        } else if constexpr (std::is_same_v<T, Header>) {
          EncodeHeader(msg, w);
        } else if constexpr (std::is_same_v<T, Vote>) {
          w.Raw(msg.header.span());
          w.U32(msg.header_author.value());
          w.U64(msg.round.value());
          w.U32(msg.voter.value() | (msg.verified ? 0 : kAvailabilityVoteBit));
          w.Raw(msg.signature.span());
        } else if constexpr (std::is_same_v<T, Certificate>) {
          EncodeCertificate(msg, w);
        } else if constexpr (std::is_same_v<T, CertificateRequest>) {
          EncodeDigests(msg.digests, w);
          w.U64(msg.from_round.value());
          w.U64(msg.to_round.value());
        } else if constexpr (std::is_same_v<T, CertificateResponse>) {
          w.U32(static_cast<uint32_t>(msg.certificates.size()));
          for (const Certificate& c : msg.certificates) EncodeCertificate(c, w);
        } else if constexpr (std::is_same_v<T, BatchRequest>) {
          EncodeDigests(msg.digests, w);
        } else if constexpr (std::is_same_v<T, BatchResponse>) {
          w.U32(static_cast<uint32_t>(msg.batches.size()));
          for (const Batch& b : msg.batches) EncodeBatch(b, w);
        } else if constexpr (std::is_same_v<T, CommitSyncRequest>) {
          w.U64(msg.from_sequence);
          w.U32(msg.max_commits);
        } else if constexpr (std::is_same_v<T, CommitSyncResponse>) {
          w.U64(msg.highest_sequence);
          w.U8(msg.complete ? 1 : 0);
          w.U32(static_cast<uint32_t>(msg.commits.size()));
          for (const CommitPart& p : msg.commits) {
            w.U64(p.sequence);
            w.U64(p.anchor_round.value());
            w.Raw(p.anchor.span());
            w.U64(p.last_committed_round.value());
            w.U32(p.total_certificates);
            w.U32(p.first_certificate);
            w.U32(static_cast<uint32_t>(p.certificates.size()));
            for (const Certificate& c : p.certificates) EncodeCertificate(c, w);
          }
          w.U32(static_cast<uint32_t>(msg.batches.size()));
          for (const Batch& b : msg.batches) EncodeBatch(b, w);
          w.U32(static_cast<uint32_t>(msg.support.size()));
          for (const Certificate& c : msg.support) EncodeCertificate(c, w);
        }
      },
      m);
  return out;
}

absl::StatusOr<Batch> DecodeBatch(ByteReader& r) {
  Batch b;
  GL_ASSIGN_OR_RETURN(uint32_t slice, r.U32("batch.slice"));
  GL_ASSIGN_OR_RETURN(uint32_t author, r.U32("batch.author"));
  GL_ASSIGN_OR_RETURN(b.sequence, r.U64("batch.sequence"));
  GL_ASSIGN_OR_RETURN(uint32_t n, Count(r, kMaxBatchTransactions, "batch.transactions"));
  b.slice = SliceId(slice);
  b.author = ValidatorIndex(author);
  // Two passes over the same bytes: the first checks every length (the same
  // errors, in the same order, as one pass) and sums them, so the second
  // copies into a list sized once.
  ByteReader sizing = r;
  size_t payload_bytes = 0;
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(ByteSpan tx, sizing.VarBytes(kMaxTransactionBytes, "batch.transaction"));
    payload_bytes += tx.size();
  }
  b.transactions.reserve(n, payload_bytes);
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(ByteSpan tx, r.VarBytes(kMaxTransactionBytes, "batch.transaction"));
    b.transactions.push_back(tx);
  }
  return b;
}

absl::StatusOr<Header> DecodeHeader(ByteReader& r) {
  Header h;
  GL_ASSIGN_OR_RETURN(h.chain_id, ReadDigest(r, "header.chain_id"));
  GL_ASSIGN_OR_RETURN(uint32_t slice, r.U32("header.slice"));
  GL_ASSIGN_OR_RETURN(uint32_t author, r.U32("header.author"));
  GL_ASSIGN_OR_RETURN(uint64_t round, r.U64("header.round"));
  h.slice = SliceId(slice);
  h.author = ValidatorIndex(author);
  h.round = Round(round);
  GL_ASSIGN_OR_RETURN(h.parents,
                      DecodeDigests(r, Committee::kMaxValidators, "header.parents"));
  for (size_t i = 1; i < h.parents.size(); ++i) {
    if (!(h.parents[i - 1] < h.parents[i])) {
      return absl::InvalidArgumentError("header.parents: not strictly ascending");
    }
  }
  GL_ASSIGN_OR_RETURN(uint32_t nw, Count(r, kMaxWeakLinks, "header.weak_parents"));
  h.weak_parents.reserve(nw);
  for (uint32_t i = 0; i < nw; ++i) {
    WeakLink l;
    GL_ASSIGN_OR_RETURN(uint64_t weak_round, r.U64("header.weak_parents.round"));
    l.round = Round(weak_round);
    GL_ASSIGN_OR_RETURN(l.certificate, ReadDigest(r, "header.weak_parents.certificate"));
    if (!h.weak_parents.empty() && !(h.weak_parents.back() < l)) {
      return absl::InvalidArgumentError("header.weak_parents: not strictly ascending");
    }
    h.weak_parents.push_back(l);
  }
  GL_ASSIGN_OR_RETURN(h.batches, DecodeDigests(r, kMaxHeaderBatches, "header.batches"));
  GL_ASSIGN_OR_RETURN(h.timestamp_ms, r.U64("header.timestamp_ms"));
  GL_ASSIGN_OR_RETURN(h.signature, ReadSignature(r, "header.signature"));
  return h;
}

absl::StatusOr<Certificate> DecodeCertificate(ByteReader& r) {
  Certificate c;
  GL_ASSIGN_OR_RETURN(c.header, DecodeHeader(r));
  GL_ASSIGN_OR_RETURN(uint32_t n, Count(r, Committee::kMaxValidators, "certificate.votes"));
  c.votes.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(uint32_t voter, r.U32("certificate.voter"));
    GL_ASSIGN_OR_RETURN(Signature sig, ReadSignature(r, "certificate.signature"));
    const bool verified = (voter & kAvailabilityVoteBit) == 0;
    voter &= ~kAvailabilityVoteBit;
    if (i > 0 && !(c.votes.back().voter.value() < voter)) {
      return absl::InvalidArgumentError("certificate.votes: voters not strictly ascending");
    }
    c.votes.push_back(VoteSignature{ValidatorIndex(voter), sig, verified});
  }
  return c;
}

absl::StatusOr<Message> DecodeMessage(ByteSpan bytes) {
  ByteReader r(bytes);
  GL_ASSIGN_OR_RETURN(uint8_t tag, r.U8("message.tag"));
  Message out;
  switch (static_cast<Tag>(tag)) {
    case Tag::kBatch: {
      GL_ASSIGN_OR_RETURN(out, DecodeBatch(r));
      break;
    }
    case Tag::kBatchAck: {
      GL_ASSIGN_OR_RETURN(Digest d, ReadDigest(r, "batch_ack.batch"));
      // Absent: stored and verified (the encoding before availability
      // votes); kStoredOnlyAck: stored only. Nothing else.
      bool verified = true;
      if (r.remaining() > 0) {
        GL_ASSIGN_OR_RETURN(uint8_t flag, r.U8("batch_ack.stored_only"));
        if (flag != kStoredOnlyAck) {
          return absl::InvalidArgumentError("batch_ack.stored_only: not " +
                                            std::to_string(kStoredOnlyAck));
        }
        verified = false;
      }
      out = BatchAck{d, verified};
      break;
    }
    case Tag::kHeader: {
      GL_ASSIGN_OR_RETURN(out, DecodeHeader(r));
      break;
    }
    case Tag::kVote: {
      GL_ASSIGN_OR_RETURN(out, DecodeVote(r));
      break;
    }
    case Tag::kCertificate: {
      GL_ASSIGN_OR_RETURN(out, DecodeCertificate(r));
      break;
    }
    case Tag::kCertificateRequest: {
      CertificateRequest req;
      GL_ASSIGN_OR_RETURN(req.digests,
                          DecodeDigests(r, kMaxRequestDigests, "certificate_request.digests"));
      GL_ASSIGN_OR_RETURN(uint64_t from, r.U64("certificate_request.from_round"));
      GL_ASSIGN_OR_RETURN(uint64_t to, r.U64("certificate_request.to_round"));
      req.from_round = Round(from);
      req.to_round = Round(to);
      out = std::move(req);
      break;
    }
    case Tag::kCertificateResponse: {
      CertificateResponse resp;
      GL_ASSIGN_OR_RETURN(uint32_t n, Count(r, kMaxResponseCertificates,
                                            "certificate_response.certificates"));
      for (uint32_t i = 0; i < n; ++i) {
        GL_ASSIGN_OR_RETURN(Certificate c, DecodeCertificate(r));
        resp.certificates.push_back(std::move(c));
      }
      out = std::move(resp);
      break;
    }
    case Tag::kBatchRequest: {
      BatchRequest req;
      GL_ASSIGN_OR_RETURN(req.digests,
                          DecodeDigests(r, kMaxRequestDigests, "batch_request.digests"));
      out = std::move(req);
      break;
    }
    case Tag::kBatchResponse: {
      BatchResponse resp;
      GL_ASSIGN_OR_RETURN(uint32_t n,
                          Count(r, kMaxResponseBatches, "batch_response.batches"));
      for (uint32_t i = 0; i < n; ++i) {
        GL_ASSIGN_OR_RETURN(Batch b, DecodeBatch(r));
        resp.batches.push_back(std::move(b));
      }
      out = std::move(resp);
      break;
    }
    case Tag::kCommitSyncRequest: {
      CommitSyncRequest req;
      GL_ASSIGN_OR_RETURN(req.from_sequence, r.U64("commit_sync_request.from_sequence"));
      GL_ASSIGN_OR_RETURN(req.max_commits, r.U32("commit_sync_request.max_commits"));
      if (req.max_commits < 1 || req.max_commits > kMaxSyncCommitsPerRequest) {
        return absl::InvalidArgumentError("commit_sync_request.max_commits: must be 1.." +
                                          std::to_string(kMaxSyncCommitsPerRequest));
      }
      out = req;
      break;
    }
    case Tag::kCommitSyncResponse: {
      GL_ASSIGN_OR_RETURN(out, DecodeCommitSyncResponse(r));
      break;
    }
    default:
      return absl::InvalidArgumentError("message.tag: unknown tag " + std::to_string(tag));
  }
  GL_RETURN_IF_ERROR(r.ExpectEnd(MessageName(out)));
  return out;
}

}  // namespace gridledger::consensus
