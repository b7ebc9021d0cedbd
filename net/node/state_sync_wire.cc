#include "net/node/state_sync_wire.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "storage/state_snapshot.h"

namespace gridledger::node {
namespace {

enum Kind : uint8_t {
  kManifestRequest = 1,
  kManifest = 2,
  kChunkRequest = 3,
  kChunk = 4,
  kCheckpointRequest = 5,
  kCheckpoints = 6,
};

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Spelled out: clang before 17 has no aggregate deduction (the fuzz build).
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

absl::StatusOr<StateSyncMessage> DecodeBody(uint8_t kind, ByteReader& r) {
  switch (kind) {
    case kManifestRequest:
      return ManifestRequest{};
    case kManifest: {
      SnapshotManifest m;
      GL_ASSIGN_OR_RETURN(uint8_t available, r.U8("manifest available"));
      if (available > 1) return absl::InvalidArgumentError("manifest available: not 0 or 1");
      m.available = available == 1;
      GL_ASSIGN_OR_RETURN(m.sequence, r.U64("manifest sequence"));
      GL_ASSIGN_OR_RETURN(m.last_committed_round, r.U64("manifest last_committed_round"));
      GL_ASSIGN_OR_RETURN(auto root, r.Fixed<32>("manifest state_root"));
      m.state_root = Digest(root);
      GL_ASSIGN_OR_RETURN(ByteSpan record, r.VarBytes(kManifestCommitBytesMax, "manifest commit"));
      m.commit_record.assign(record.begin(), record.end());
      GL_ASSIGN_OR_RETURN(m.state_chunks, r.U32("manifest state_chunks"));
      GL_ASSIGN_OR_RETURN(m.consensus_chunks, r.U32("manifest consensus_chunks"));
      if (uint64_t{m.state_chunks} + m.consensus_chunks > storage::kSnapshotChunksMax) {
        return absl::InvalidArgumentError(absl::StrCat("manifest: ", m.state_chunks, "+",
                                                       m.consensus_chunks, " chunks exceed ",
                                                       storage::kSnapshotChunksMax));
      }
      if (m.available && (m.sequence == 0 || m.state_chunks == 0)) {
        return absl::InvalidArgumentError("manifest: available without a sequence or chunks");
      }
      return m;
    }
    case kChunkRequest: {
      ChunkRequest m;
      GL_ASSIGN_OR_RETURN(m.sequence, r.U64("chunk request sequence"));
      GL_ASSIGN_OR_RETURN(m.index, r.U32("chunk request index"));
      return m;
    }
    case kChunk: {
      SnapshotChunk m;
      GL_ASSIGN_OR_RETURN(m.sequence, r.U64("chunk sequence"));
      GL_ASSIGN_OR_RETURN(m.index, r.U32("chunk index"));
      GL_ASSIGN_OR_RETURN(ByteSpan payload,
                          r.VarBytes(kSnapshotConsensusChunkBytesMax, "chunk payload"));
      m.payload.assign(payload.begin(), payload.end());
      return m;
    }
    case kCheckpointRequest: {
      CheckpointRequest m;
      GL_ASSIGN_OR_RETURN(m.from, r.U64("checkpoint request from"));
      GL_ASSIGN_OR_RETURN(m.count, r.U32("checkpoint request count"));
      if (m.from == 0 || m.count == 0 || m.count > kCheckpointsPerRequest) {
        return absl::InvalidArgumentError(absl::StrCat(
            "checkpoint request: from ", m.from, " count ", m.count, " out of range"));
      }
      return m;
    }
    case kCheckpoints: {
      CheckpointsAnswer m;
      GL_ASSIGN_OR_RETURN(uint32_t n, r.U32("checkpoints count"));
      if (n > kCheckpointsPerRequest) {
        return absl::InvalidArgumentError(
            absl::StrCat("checkpoints: ", n, " records exceed ", kCheckpointsPerRequest));
      }
      for (uint32_t i = 0; i < n; ++i) {
        GL_ASSIGN_OR_RETURN(ByteSpan record,
                            r.VarBytes(kSignedCheckpointBytesMax, "checkpoints record"));
        m.records.emplace_back(record.begin(), record.end());
      }
      return m;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("state sync: unknown kind ", int{kind}));
  }
}

}  // namespace

Bytes EncodeStateSync(const StateSyncMessage& message) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(kStateSyncTag);
  std::visit(Overloaded{
                 [&](const ManifestRequest&) { w.U8(kManifestRequest); },
                 [&](const SnapshotManifest& m) {
                   w.U8(kManifest);
                   w.U8(m.available ? 1 : 0);
                   w.U64(m.sequence);
                   w.U64(m.last_committed_round);
                   w.Raw(m.state_root.span());
                   w.VarBytes(m.commit_record);
                   w.U32(m.state_chunks);
                   w.U32(m.consensus_chunks);
                 },
                 [&](const ChunkRequest& m) {
                   w.U8(kChunkRequest);
                   w.U64(m.sequence);
                   w.U32(m.index);
                 },
                 [&](const SnapshotChunk& m) {
                   w.U8(kChunk);
                   w.U64(m.sequence);
                   w.U32(m.index);
                   w.VarBytes(m.payload);
                 },
                 [&](const CheckpointRequest& m) {
                   w.U8(kCheckpointRequest);
                   w.U64(m.from);
                   w.U32(m.count);
                 },
                 [&](const CheckpointsAnswer& m) {
                   w.U8(kCheckpoints);
                   w.U32(static_cast<uint32_t>(m.records.size()));
                   for (const Bytes& record : m.records) w.VarBytes(record);
                 },
             },
             message);
  return out;
}

absl::StatusOr<StateSyncMessage> DecodeStateSync(ByteSpan bytes) {
  ByteReader r(bytes);
  GL_ASSIGN_OR_RETURN(uint8_t tag, r.U8("state sync tag"));
  if (tag != kStateSyncTag) {
    return absl::InvalidArgumentError(absl::StrCat("state sync: tag ", int{tag}));
  }
  GL_ASSIGN_OR_RETURN(uint8_t kind, r.U8("state sync kind"));
  GL_ASSIGN_OR_RETURN(StateSyncMessage message, DecodeBody(kind, r));
  GL_RETURN_IF_ERROR(r.ExpectEnd("state sync message"));
  return message;
}

std::vector<Bytes> CutConsensusChunks(const ConsensusPart& part, size_t chunk_bytes_max) {
  storage::ChunkCutter cutter(chunk_bytes_max, kSnapshotConsensusItemsPerChunkMax);
  auto add = [&](uint8_t kind, const Bytes& one) {
    ByteWriter w = cutter.Next(5 + one.size());
    w.U8(kind);
    w.VarBytes(one);
  };
  for (const consensus::Certificate& c : part.certificates) {
    Bytes one;
    ByteWriter w(&one);
    consensus::EncodeCertificate(c, w);
    add('c', one);
  }
  for (const consensus::Batch& b : part.batches) {
    Bytes one;
    ByteWriter w(&one);
    consensus::EncodeBatch(b, w);
    add('b', one);
  }
  return cutter.Finish();
}

absl::Status DecodeConsensusChunk(ByteSpan chunk, ConsensusPart* part) {
  ByteReader r(chunk);
  GL_ASSIGN_OR_RETURN(uint32_t n, r.U32("consensus chunk count"));
  if (n == 0 || n > kSnapshotConsensusItemsPerChunkMax) {
    return absl::InvalidArgumentError(absl::StrCat("consensus chunk: ", n, " items out of range"));
  }
  ConsensusPart decoded;
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(uint8_t kind, r.U8("consensus chunk item kind"));
    GL_ASSIGN_OR_RETURN(ByteSpan one,
                        r.VarBytes(kSnapshotConsensusChunkBytesMax, "consensus chunk item"));
    ByteReader ir(one);
    if (kind == 'c') {
      GL_ASSIGN_OR_RETURN(consensus::Certificate c, consensus::DecodeCertificate(ir));
      decoded.certificates.push_back(std::move(c));
    } else if (kind == 'b') {
      GL_ASSIGN_OR_RETURN(consensus::Batch b, consensus::DecodeBatch(ir));
      decoded.batches.push_back(std::move(b));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("consensus chunk item ", i, ": unknown kind ", int{kind}));
    }
    GL_RETURN_IF_ERROR(ir.ExpectEnd("consensus chunk item"));
  }
  GL_RETURN_IF_ERROR(r.ExpectEnd("consensus chunk"));
  for (auto& c : decoded.certificates) part->certificates.push_back(std::move(c));
  for (auto& b : decoded.batches) part->batches.push_back(std::move(b));
  return absl::OkStatus();
}

}  // namespace gridledger::node
