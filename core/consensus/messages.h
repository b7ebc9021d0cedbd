// Consensus messages of one slice (DESIGN.md §2) and their canonical binary
// encoding. Every integer is big-endian (core/common/bytes.h); every list has a
// u32 count bounded by a named constant; decoding is strict (unknown tags, short
// or trailing bytes, unsorted or duplicate lists are rejected with a reason).
//
//   Batch       slice u32 | author u32 | sequence u64 | n u32 | n x (len u32 | tx)
//   BatchAck    batch 32
//   Header      chain_id 32 | slice u32 | author u32 | round u64 | np u32 | np x parent 32
//               (strictly ascending) | nb u32 | nb x batch 32 | timestamp_ms u64 |
//               signature 64
//   Vote        header 32 | header_author u32 | round u64 | voter u32 | signature 64
//   Certificate Header | nv u32 | nv x (voter u32 | signature 64) (voters ascending)
//   CertificateRequest  nd u32 | nd x digest 32 | from_round u64 | to_round u64
//   CertificateResponse nc u32 | nc x Certificate
//   BatchRequest        nd u32 | nd x digest 32
//   BatchResponse       nb u32 | nb x Batch
//   Message     tag u8 | one of the above
//
// Digests: batch = TaggedHash(kTagBatch, Batch encoding); header =
// TaggedHash(kTagHeader, Header encoding without its signature); a certificate's
// digest is its header's. The header author signs the header digest; a voter
// signs TaggedHash(kTagVote, header digest). The chain id (genesis digest) is
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

namespace gridledger::consensus {

inline constexpr size_t kMaxBatchTransactions = 1 << 16;
inline constexpr size_t kMaxTransactionBytes = 4096;
inline constexpr size_t kMaxHeaderBatches = 1024;
inline constexpr size_t kMaxRequestDigests = 1024;
inline constexpr size_t kMaxResponseCertificates = 512;
inline constexpr size_t kMaxResponseBatches = 16;

struct Batch {
  SliceId slice;
  ValidatorIndex author;
  uint64_t sequence = 0;  // per author, so equal payloads still differ
  std::vector<Bytes> transactions;
  bool operator==(const Batch&) const = default;
};

// Sent by a validator that stored and verified a batch, to the batch's author.
struct BatchAck {
  Digest batch;
  bool operator==(const BatchAck&) const = default;
};

struct Header {
  SliceId slice;
  ValidatorIndex author;
  Round round;
  std::vector<Digest> parents;  // certificates of round-1, strictly ascending
  std::vector<Digest> batches;  // the author's own acked batches, distinct
  Signature signature;
  Digest chain_id;  // the network's genesis digest (Committee::chain_id)
  // The author's clock when it proposed (ms since the Unix epoch); commits
  // take consensus time from these (core/consensus/consensus_time.h).
  uint64_t timestamp_ms = 0;
  bool operator==(const Header&) const = default;
};

struct Vote {
  Digest header;
  ValidatorIndex header_author;
  Round round;
  ValidatorIndex voter;
  Signature signature;
  bool operator==(const Vote&) const = default;
};

struct VoteSignature {
  ValidatorIndex voter;
  Signature signature;
  bool operator==(const VoteSignature&) const = default;
};

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

using Message = std::variant<Batch, BatchAck, Header, Vote, Certificate, CertificateRequest,
                             CertificateResponse, BatchRequest, BatchResponse>;
const char* MessageName(const Message& m);

// ---- Digests and signing payloads ----
Digest BatchDigest(const Batch& batch);
size_t BatchPayloadBytes(const Batch& batch);
// Exact encoded sizes (EncodeBatch, EncodeCertificate), to split responses so
// every message fits a transport frame.
size_t BatchEncodedBytes(const Batch& batch);
size_t CertificateEncodedBytes(const Certificate& cert);
// Encoded bytes of a BatchResponse or CertificateResponse with no entries
// (message tag and count).
inline constexpr size_t kResponseOverheadBytes = 1 + 4;
Digest HeaderDigest(const Header& header);
Digest VotePayload(const Digest& header_digest);
inline Digest CertificateDigest(const Certificate& c) { return HeaderDigest(c.header); }
// Round-0 certificates, one per validator, known to all without votes.
std::vector<Certificate> GenesisCertificates(const Committee& committee);

// ---- Verification (author in committee, shape, signatures) ----
// `digest` is HeaderDigest(header), passed in so it is computed once.
absl::Status VerifyHeader(const Header& header, const Digest& digest,
                          const Committee& committee, SignatureChecker& checker);
absl::Status VerifyVote(const Vote& vote, const Committee& committee,
                        SignatureChecker& checker);
// A certificate of round >= 1: a valid header plus 2f+1 distinct valid votes.
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
