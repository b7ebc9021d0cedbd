// The archive feed answers an archive node decodes (net/archive/
// slice_follower.cc, FetchCommits): a stream of messages, each a
// consensus::DecodeMessage encoding that must be a CommitSyncResponse,
// assembled by node::CommitAnswer (bounded as the archive bounds it) and,
// once complete, handed to the CommitVerifier against a four-validator
// committee. No input crashes or aborts: whatever a source serves is data.
// (The checkpoint the archive fetches is fuzzed by state_sync_fuzz.)
//
// Input: messages framed as len u16 (little endian) | bytes, at most
// kMaxMessages of them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/consensus/commit_verifier.h"
#include "core/consensus/committee.h"
#include "core/consensus/messages.h"
#include "core/consensus/persistence.h"
#include "core/consensus/signature_checker.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "net/node/commit_answer.h"
#include "net/node/commit_syncer.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

// archive::kMaxChunksPerAnswer (slice_follower.h pulls in gRPC).
constexpr size_t kMaxMessages = 1024;

const consensus::Committee& TheCommittee() {
  static const consensus::Committee committee = [] {
    std::vector<PublicKey> keys;
    for (uint64_t i = 1; i <= 4; ++i) keys.push_back(KeyPair::FromSeed(i).public_key());
    auto c = consensus::Committee::Create(SliceId(0), keys, Sha256(Bytes{7}));
    if (!c.ok()) std::abort();
    return *c;
  }();
  return committee;
}

void Frame(const Bytes& message, std::string* out) {
  out->push_back(static_cast<char>(message.size() & 0xff));
  out->push_back(static_cast<char>(message.size() >> 8));
  out->append(message.begin(), message.end());
}

std::vector<std::string> Seeds() {
  using namespace consensus;
  Batch batch;
  batch.slice = SliceId(0);
  batch.author = ValidatorIndex(1);
  batch.transactions = {Bytes(120, 0xab), Bytes(7, 0x01)};
  Certificate cert;
  cert.header.slice = SliceId(0);
  cert.header.round = Round(2);
  cert.header.author = ValidatorIndex(1);
  cert.header.parents = {Sha256(Bytes{1})};
  cert.header.batches = {BatchDigest(batch)};
  CommitPart part{1, Round(2), CertificateDigest(cert), Round(0), 2, 0, {cert}};
  Certificate second = cert;
  second.header.author = ValidatorIndex(2);
  second.header.batches = {};
  CommitPart rest = part;
  rest.first_certificate = 1;
  rest.certificates = {second};
  std::vector<std::string> seeds;
  // One message (the commit incomplete: 1 of 2 certificates); then the same commit in two parts with its batch and
  // support in the complete one.
  std::string one;
  Frame(EncodeMessage(Message{CommitSyncResponse{1, true, {part}, {batch}, {}}}), &one);
  seeds.push_back(one);
  std::string two;
  Frame(EncodeMessage(Message{CommitSyncResponse{1, false, {part}, {}, {}}}), &two);
  Frame(EncodeMessage(Message{CommitSyncResponse{1, true, {rest}, {batch}, {second}}}), &two);
  seeds.push_back(two);
  return seeds;
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  node::CommitAnswer answer(1, node::kSyncCommitsPerRequest, node::kSyncAnswerBufferBytesMax);
  ByteReader r(ByteSpan(data, size));
  for (size_t messages = 0; messages < kMaxMessages && r.remaining() >= 2; ++messages) {
    const size_t length = size_t{data[size - r.remaining()]} |
                          (size_t{data[size - r.remaining() + 1]} << 8);
    (void)r.Raw(2, "length");
    auto bytes = r.Raw(std::min(length, r.remaining()), "message");
    if (!bytes.ok() || answer.complete()) return 0;  // the archive refuses the rest
    auto message = consensus::DecodeMessage(*bytes);
    if (!message.ok()) return 0;
    const auto* response = std::get_if<consensus::CommitSyncResponse>(&*message);
    if (response == nullptr || !answer.Add(*response).ok()) return 0;
  }
  if (!answer.complete()) return 0;
  const std::vector<consensus::CommittedSubDag> commits = answer.TakeCommits();
  consensus::SchnorrChecker checker;
  consensus::Parameters params;
  consensus::CommitVerifier verifier(&TheCommittee(), params, &checker);
  (void)verifier.Verify(verifier.StateFrom(consensus::PersistedState{}), commits,
                        answer.support());
  return 0;
}
