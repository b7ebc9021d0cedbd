// Consensus messages of one slice (DESIGN.md §2) and their canonical binary
// encoding. Every integer is big-endian (core/common/bytes.h); every list has a
// u32 count bounded by a named constant; decoding is strict (unknown tags, short
// or trailing bytes, unsorted or duplicate lists are rejected with a reason).
//
//   Batch       slice u32 | author u32 | sequence u64 | n u32 | n x (len u32 | tx)
//   BatchAck    batch 32 [| stored_only u8 = 1]  (absent: stored and verified)
//   Header      chain_id 32 | slice u32 | author u32 | round u64 | np u32 | np x parent 32
//               (strictly ascending) | nw u32 | nw x (round u64 | certificate 32)
//               (weak links, strictly ascending by (round, digest)) | nb u32 |
//               nb x batch 32 | timestamp_ms u64 | signature 64
//   Vote        header 32 | header_author u32 | round u64 | voter u32 | signature 64
//   Certificate Header | nv u32 | nv x (voter u32 | signature 64) (voters ascending)
//               A voter field with kAvailabilityVoteBit set is an availability
//               vote by voter & ~bit. The encodings of verified votes and acks
//               are those from before availability votes, so stores and peers
//               of the earlier release still read as all verified.
//   CertificateRequest  nd u32 | nd x digest 32 | from_round u64 | to_round u64
//   CertificateResponse nc u32 | nc x Certificate
//   BatchRequest        nd u32 | nd x digest 32
//   BatchResponse       nb u32 | nb x Batch
//   CommitSyncRequest   from_sequence u64 | max_commits u32
//   CommitSyncResponse  highest_sequence u64 | complete u8 | np u32 | np x CommitPart |
//                       nb u32 | nb x Batch | ns u32 | ns x Certificate (support)
//     CommitPart        sequence u64 | anchor_round u64 | anchor 32 |
//                       last_committed_round u64 | total u32 | first u32 |
//                       nc u32 | nc x Certificate
//   Message     tag u8 | one of the above
//
// Digests: batch = TaggedHash(kTagBatch, Batch encoding); header =
// TaggedHash(kTagHeader, Header encoding without its signature); a certificate's
// digest is its header's. The header author signs the header digest; a voter
// signs TaggedHash(kTagVote, header digest), or TaggedHash(kTagAvailabilityVote,
// header digest) for an availability vote (VotePayload). The chain id (genesis digest) is
// part of the header encoding, so it is inside every header, vote and
// certificate signature: a message signed for another network cannot be
// replayed here, and VerifyHeader names the mismatch.
#ifndef GRIDLEDGER_CORE_CONSENSUS_MESSAGES_H_
#define GRIDLEDGER_CORE_CONSENSUS_MESSAGES_H_

#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/consensus/committee.h"
#include "core/consensus/signature_checker.h"
#include "core/consensus/tx_list.h"

namespace gridledger::consensus {

inline constexpr size_t kMaxBatchTransactions = 1 << 16;
// The voter field's top bit marks an availability vote (Vote::verified
// false); committees are far smaller, so no index has it.
inline constexpr uint32_t kAvailabilityVoteBit = 0x80000000u;
// The one value of BatchAck's optional trailing byte: stored, not verified.
inline constexpr uint8_t kStoredOnlyAck = 1;
inline constexpr size_t kMaxTransactionBytes = 4096;
inline constexpr size_t kMaxHeaderBatches = 1024;
// Weak links per header (also at most the committee size): late certificates
// are few, and a header stays small whatever the committee.
inline constexpr size_t kMaxWeakLinks = 32;
inline constexpr size_t kMaxRequestDigests = 1024;
inline constexpr size_t kMaxResponseCertificates = 512;
inline constexpr size_t kMaxResponseBatches = 16;
// Commit sync (net/node/commit_syncer.h): commits asked for at once, parts and
// batches in one response message, certificates of one commit.
inline constexpr size_t kMaxSyncCommitsPerRequest = 256;
inline constexpr size_t kMaxSyncPartsPerMessage = 256;
inline constexpr size_t kMaxSyncBatchesPerMessage = 1024;
inline constexpr size_t kMaxSyncCommitCertificates = 1 << 16;

struct Batch {
  SliceId slice;
  ValidatorIndex author;
  uint64_t sequence = 0;  // per author, so equal payloads still differ
  TxList transactions;  // one buffer: two allocations per batch, not one per tx
  bool operator==(const Batch&) const = default;
};

// Sent by a validator that stored a batch, to the batch's author. `verified`:
// it also checked every transaction's signature (or a certificate proved
// them); false from a peer that only keeps the batch available (an
// availability voter, Parameters::availability_votes).
struct BatchAck {
  Digest batch;
  bool verified = true;
  bool operator==(const BatchAck&) const = default;
};

// A weak link (Bullshark, after Narwhal/DAG-Rider): a certificate of an
// earlier round (at most round - 2) that the header's strong parents do not
// reach. The commit rule follows strong parents only; ordering follows both,
// so a certificate that formed after the others moved on (nobody linked it
// from the next round) is ordered by a later anchor instead of orphaned.
// The round travels with the digest so a link below a validator's GC horizon
// is known to be decided without the certificate.
struct WeakLink {
  Round round;
  Digest certificate;
  bool operator==(const WeakLink&) const = default;
  bool operator<(const WeakLink& o) const {
    return round != o.round ? round < o.round : certificate < o.certificate;
  }
};

struct Header {
  SliceId slice;
  ValidatorIndex author;
  Round round;
  std::vector<Digest> parents;  // certificates of round-1, strictly ascending
  std::vector<Digest> batches;  // the author's own acked batches, distinct
  Signature signature;
  Digest chain_id{};  // the network's genesis digest (Committee::chain_id)
  // The author's clock when it proposed (ms since the Unix epoch); commits
  // take consensus time from these (core/consensus/consensus_time.h).
  uint64_t timestamp_ms = 0;
  // Weak links, strictly ascending, at most min(committee size,
  // kMaxWeakLinks); each of a round in 1..round-2.
  std::vector<WeakLink> weak_parents{};
  bool operator==(const Header&) const = default;
};

// A vote says the voter stored the header's batches durably. A verified
// vote (the default) also says it checked every transaction signature in
// them, or that a certificate proved them; an availability vote (`verified`
// false) does not. The flag is inside the signature (VotePayload), so no
// author can turn one kind into the other.
struct Vote {
  Digest header;
  ValidatorIndex header_author;
  Round round;
  ValidatorIndex voter;
  Signature signature;
  bool verified = true;
  bool operator==(const Vote&) const = default;
};

struct VoteSignature {
  ValidatorIndex voter;
  Signature signature;
  bool verified = true;
  bool operator==(const VoteSignature&) const = default;
};

// 2f+1 votes, of which at least f+1 verified: 2f+1 durable copies of the
// batches, and at least one honest validator that checked every signature in
// them, so a certificate proves its batches to everyone (Core::StoreProvenBatch).
struct Certificate {
  Header header;
  std::vector<VoteSignature> votes;  // >= 2f+1, voters strictly ascending
  bool operator==(const Certificate&) const = default;
};

// Asks for certificates by digest and/or every certificate with
// from_round <= round < to_round (an empty range when from_round >= to_round).
struct CertificateRequest {
  std::vector<Digest> digests;
  Round from_round;
  Round to_round;
  bool operator==(const CertificateRequest&) const = default;
};

struct CertificateResponse {
  std::vector<Certificate> certificates;  // ascending round
  bool operator==(const CertificateResponse&) const = default;
};

struct BatchRequest {
  std::vector<Digest> digests;
  bool operator==(const BatchRequest&) const = default;
};

struct BatchResponse {
  std::vector<Batch> batches;
  bool operator==(const BatchResponse&) const = default;
};

// Commit sync: asks a peer for committed sub-DAGs from store sequence
// `from_sequence` (commit index + 1) on, at most `max_commits` of them.
struct CommitSyncRequest {
  uint64_t from_sequence = 0;
  uint32_t max_commits = 0;  // 1..kMaxSyncCommitsPerRequest
  bool operator==(const CommitSyncRequest&) const = default;
};

// Certificates [first_certificate, first_certificate + certificates.size())
// of the `total_certificates` of committed sub-DAG `sequence`, in its
// execution order (a large commit is split over several messages).
struct CommitPart {
  uint64_t sequence = 0;
  Round anchor_round;
  Digest anchor;
  Round last_committed_round;  // as in CommittedSubDag (bullshark.h)
  uint32_t total_certificates = 0;
  uint32_t first_certificate = 0;
  std::vector<Certificate> certificates;
  bool operator==(const CommitPart&) const = default;
};

// One message of the answer to a CommitSyncRequest; the answer ends with the
// message whose `complete` is set. `batches` carries the batches of the parts'
// certificates (each batch once, in any message of the answer); `support`
// (complete message only) the certificates of the round after the last commit's
// anchor that link to it, so its commit rule can be checked.
struct CommitSyncResponse {
  uint64_t highest_sequence = 0;  // the server's last committed sequence
  bool complete = false;
  std::vector<CommitPart> commits;
  std::vector<Batch> batches;
  std::vector<Certificate> support;
  bool operator==(const CommitSyncResponse&) const = default;
};

using Message = std::variant<Batch, BatchAck, Header, Vote, Certificate, CertificateRequest,
                             CertificateResponse, BatchRequest, BatchResponse,
                             CommitSyncRequest, CommitSyncResponse>;
const char* MessageName(const Message& m);

// ---- Digests and signing payloads ----
Digest BatchDigest(const Batch& batch);
// The same digest from a batch's EncodeBatch bytes (when they are at hand).
Digest BatchDigestOfEncoding(ByteSpan encoded);
size_t BatchPayloadBytes(const Batch& batch);
// Exact encoded sizes (EncodeBatch, EncodeCertificate), to split responses so
// every message fits a transport frame.
size_t BatchEncodedBytes(const Batch& batch);
size_t CertificateEncodedBytes(const Certificate& cert);
// A CommitSyncResponse with no parts, batches or support certificates, and
// the fixed bytes of one CommitPart besides its certificates.
inline constexpr size_t kSyncResponseOverheadBytes = 1 + 8 + 1 + 4 + 4 + 4;
inline constexpr size_t kCommitPartOverheadBytes = 8 + 8 + 32 + 8 + 4 + 4 + 4;
// Encoded bytes of a BatchResponse or CertificateResponse with no entries
// (message tag and count).
inline constexpr size_t kResponseOverheadBytes = 1 + 4;
Digest HeaderDigest(const Header& header);
// What a voter signs: a verified vote by default, an availability vote with
// verified false (each under its own tag).
Digest VotePayload(const Digest& header_digest, bool verified = true);
inline Digest CertificateDigest(const Certificate& c) { return HeaderDigest(c.header); }
// Round-0 certificates, one per validator, known to all without votes.
std::vector<Certificate> GenesisCertificates(const Committee& committee);

// ---- Verification (author in committee, shape, signatures) ----
// `digest` is HeaderDigest(header), passed in so it is computed once.
absl::Status VerifyHeader(const Header& header, const Digest& digest,
                          const Committee& committee, SignatureChecker& checker);
absl::Status VerifyVote(const Vote& vote, const Committee& committee,
                        SignatureChecker& checker);
// A certificate of round >= 1: a valid header plus 2f+1 distinct valid votes,
// at least f+1 of them verified votes.
absl::Status VerifyCertificate(const Certificate& cert, const Digest& digest,
                               const Committee& committee, SignatureChecker& checker);
// Shape only: slice, author in committee, size bounds (payload bytes at most
// max_batch_bytes plus one transaction, at most max_batch_txs transactions).
absl::Status VerifyBatchShape(const Batch& batch, const Committee& committee,
                              size_t max_batch_bytes, size_t max_batch_txs);

// ---- Encoding ----
void EncodeBatch(const Batch& b, ByteWriter& w);
void EncodeHeader(const Header& h, ByteWriter& w);
void EncodeCertificate(const Certificate& c, ByteWriter& w);
Bytes EncodeMessage(const Message& m);
absl::StatusOr<Batch> DecodeBatch(ByteReader& r);
absl::StatusOr<Header> DecodeHeader(ByteReader& r);
absl::StatusOr<Certificate> DecodeCertificate(ByteReader& r);
absl::StatusOr<Message> DecodeMessage(ByteSpan bytes);

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_MESSAGES_H_
