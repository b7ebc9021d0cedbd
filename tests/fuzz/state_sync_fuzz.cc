// State sync (issue 11 item 4): everything a peer's tag-20 message carries
// (net/node/state_sync_wire.h), the snapshot chunks inside it
// (storage/state_snapshot.h, consensus chunks), and the final checkpoints of
// a catch-up answer (checkpoint_store.h records, checked by
// final_checkpoint.h). No input crashes; an accepted message re-encodes to
// exactly its bytes, an accepted state chunk too, and an accepted consensus
// chunk re-cuts to a canonical chunk of the same size (certificates first)
// that is a fixed point of decode and re-cut. The raw input also goes to each
// inner decoder, so the fuzzer need not find the envelope first.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/consensus/committee.h"
#include "core/consensus/messages.h"
#include "core/consensus/signature_checker.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "net/node/checkpoint_store.h"
#include "net/node/final_checkpoint.h"
#include "net/node/state_sync_wire.h"
#include "storage/records.h"
#include "storage/state_snapshot.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

using fuzz::SameBytes;

const Digest& ChainId() {
  static const Digest chain_id = Sha256(Bytes{7});
  return chain_id;
}

// Slice 0 of four validators (seeds 1..4): the seeds' checkpoints verify.
const consensus::Committee& TheCommittee() {
  static const consensus::Committee committee = [] {
    std::vector<PublicKey> keys;
    for (uint64_t i = 1; i <= 4; ++i) keys.push_back(KeyPair::FromSeed(i).public_key());
    auto c = consensus::Committee::Create(SliceId(0), keys, ChainId());
    if (!c.ok()) std::abort();
    return *c;
  }();
  return committee;
}

// A state chunk as storage::CutStateChunks writes it.
Bytes EncodeStateChunk(const std::vector<storage::SnapshotEntry>& entries) {
  Bytes out;
  ByteWriter w(&out);
  w.U32(static_cast<uint32_t>(entries.size()));
  for (const storage::SnapshotEntry& e : entries) {
    w.U8(static_cast<uint8_t>(e.table));
    w.U16(static_cast<uint16_t>(e.key.size()));
    w.Raw(e.key);
    w.VarBytes(e.value);
  }
  return out;
}

std::vector<std::string> Seeds() {
  using namespace node;
  std::vector<std::string> seeds;
  const Bytes state_chunk = EncodeStateChunk({
      {storage::StateTable::kAccounts, Bytes(32, 0x11), Bytes(24, 0x01)},
      {storage::StateTable::kAccounts, Bytes(32, 0x12), Bytes(24, 0x02)},
      {storage::StateTable::kTxs, Bytes(32, 0x05), Bytes(80, 0x03)},
      {storage::StateTable::kMarket, Bytes{'r', 0, 0, 0, 1}, Bytes(100, 0x04)}});
  ConsensusPart part;
  consensus::Batch batch;
  batch.slice = SliceId(0);
  batch.author = ValidatorIndex(1);
  batch.transactions = {Bytes(120, 0xab), Bytes(7, 0x01)};
  consensus::Certificate cert;
  cert.header.slice = SliceId(0);
  cert.header.round = Round(3);
  cert.header.author = ValidatorIndex(2);
  cert.header.parents = {Sha256(Bytes{1})};
  cert.header.batches = {consensus::BatchDigest(batch)};
  part.certificates = {cert};
  part.batches = {batch};
  const Bytes consensus_chunk = CutConsensusChunks(part, storage::kSnapshotChunkBytesMax).at(0);

  SignedCheckpoint final_checkpoint;
  final_checkpoint.checkpoint =
      consensus::Checkpoint{ChainId(), SliceId(0), 42, Sha256(Bytes{2}), Digest(),
                            Sha256(Bytes{3})};
  const Digest digest = consensus::CheckpointDigest(final_checkpoint.checkpoint);
  for (uint32_t i = 0; i < 3; ++i) {
    final_checkpoint.signatures.emplace_back(ValidatorIndex(i),
                                             KeyPair::FromSeed(1 + i).Sign(digest));
  }
  consensus::SchnorrChecker checker;
  if (!VerifyFinalCheckpoint(final_checkpoint, TheCommittee(), checker).ok()) std::abort();

  SnapshotManifest manifest;
  manifest.available = true;
  manifest.sequence = 42;
  manifest.last_committed_round = 80;
  manifest.state_root = Sha256(Bytes{3});
  manifest.commit_record =
      storage::EncodeCommitRecord(storage::CommitMeta{Sha256(Bytes{4}), 12, Sha256(Bytes{5})});
  manifest.state_chunks = 2;
  manifest.consensus_chunks = 1;
  for (const StateSyncMessage& m : std::vector<StateSyncMessage>{
           ManifestRequest{}, manifest, ChunkRequest{42, 1}, SnapshotChunk{42, 0, state_chunk},
           SnapshotChunk{42, 2, consensus_chunk}, CheckpointRequest{40, 8},
           CheckpointsAnswer{{EncodeSignedCheckpoint(final_checkpoint)}}}) {
    seeds.push_back(fuzz::SeedOf(EncodeStateSync(m)));
  }
  seeds.push_back(fuzz::SeedOf(state_chunk));
  seeds.push_back(fuzz::SeedOf(consensus_chunk));
  return seeds;
}

void CheckStateChunk(ByteSpan chunk) {
  storage::SnapshotAssembler snapshot;
  if (!snapshot.Add(chunk).ok()) return;
  const Bytes again = EncodeStateChunk(snapshot.entries());
  GL_FUZZ_ASSERT(SameBytes(again, chunk.data(), chunk.size()));
  // The same entries again are not after themselves: refused.
  GL_FUZZ_ASSERT(!snapshot.Add(chunk).ok());
}

void CheckConsensusChunk(ByteSpan chunk) {
  node::ConsensusPart part;
  if (!node::DecodeConsensusChunk(chunk, &part).ok()) return;
  const std::vector<Bytes> cut = node::CutConsensusChunks(part, SIZE_MAX);
  GL_FUZZ_ASSERT(cut.size() == 1 && cut[0].size() == chunk.size());
  node::ConsensusPart again;
  GL_FUZZ_ASSERT(node::DecodeConsensusChunk(cut[0], &again).ok());
  GL_FUZZ_ASSERT(node::CutConsensusChunks(again, SIZE_MAX) == cut);
}

void CheckCheckpointRecord(ByteSpan record) {
  auto checkpoint = node::DecodeSignedCheckpoint(record);
  if (!checkpoint.ok()) return;
  GL_FUZZ_ASSERT(SameBytes(node::EncodeSignedCheckpoint(*checkpoint), record.data(),
                           record.size()));
  consensus::SchnorrChecker checker;
  (void)node::VerifyFinalCheckpoint(*checkpoint, TheCommittee(), checker);
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  const ByteSpan in(data, size);
  auto message = node::DecodeStateSync(in);
  if (message.ok()) {
    GL_FUZZ_ASSERT(fuzz::SameBytes(node::EncodeStateSync(*message), data, size));
    if (auto* m = std::get_if<node::SnapshotManifest>(&*message)) {
      (void)storage::DecodeCommitRecord(m->commit_record);
    } else if (auto* c = std::get_if<node::SnapshotChunk>(&*message)) {
      CheckStateChunk(c->payload);
      CheckConsensusChunk(c->payload);
    } else if (auto* a = std::get_if<node::CheckpointsAnswer>(&*message)) {
      for (const Bytes& record : a->records) CheckCheckpointRecord(record);
    }
    return 0;
  }
  CheckStateChunk(in);
  CheckConsensusChunk(in);
  CheckCheckpointRecord(in);
  return 0;
}
