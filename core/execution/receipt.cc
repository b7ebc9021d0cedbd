#include "core/execution/receipt.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "core/execution/genesis.h"

namespace gridledger {
namespace {

absl::Status Invalid(absl::string_view field, const auto&... rest) {
  return absl::InvalidArgumentError(absl::StrCat("receipt_import.", field, ": ", rest...));
}

}  // namespace

void EncodeReceipt(const Receipt& r, ByteWriter& w) {
  w.U32(r.source.value());
  w.U64(r.sequence);
  w.U32(r.index);
  w.U64(r.number);
  w.U32(r.destination.value());
  w.Raw(r.to.span());
  w.U64(r.amount.value());
  w.Raw(r.source_tx.span());
}

Bytes EncodeReceipt(const Receipt& r) {
  Bytes out;
  out.reserve(kReceiptBytes);
  ByteWriter w(&out);
  EncodeReceipt(r, w);
  return out;
}

absl::StatusOr<Receipt> DecodeReceipt(ByteReader& r) {
  Receipt out;
  GL_ASSIGN_OR_RETURN(uint32_t source, r.U32("receipt.source"));
  out.source = SliceId(source);
  GL_ASSIGN_OR_RETURN(out.sequence, r.U64("receipt.sequence"));
  GL_ASSIGN_OR_RETURN(out.index, r.U32("receipt.index"));
  GL_ASSIGN_OR_RETURN(out.number, r.U64("receipt.number"));
  GL_ASSIGN_OR_RETURN(uint32_t destination, r.U32("receipt.destination"));
  out.destination = SliceId(destination);
  GL_ASSIGN_OR_RETURN(auto to, r.Fixed<32>("receipt.to"));
  out.to = PublicKey(to);
  GL_ASSIGN_OR_RETURN(uint64_t amount, r.U64("receipt.amount"));
  out.amount = Amount(amount);
  GL_ASSIGN_OR_RETURN(auto id, r.Fixed<32>("receipt.source_tx"));
  out.source_tx = TxId(id);
  return out;
}

std::vector<Digest> ReceiptChunkHashes(absl::Span<const Receipt> receipts) {
  std::vector<Digest> out;
  for (size_t first = 0; first < receipts.size(); first += kReceiptsPerChunk) {
    const size_t end = std::min(receipts.size(), first + kReceiptsPerChunk);
    Bytes buf;
    buf.reserve((end - first) * kReceiptBytes);
    ByteWriter w(&buf);
    for (size_t i = first; i < end; ++i) EncodeReceipt(receipts[i], w);
    out.push_back(TaggedHashCached(kTagReceiptChunk, buf));
  }
  return out;
}

Digest DestinationHash(SliceId destination, absl::Span<const Digest> chunk_hashes) {
  Bytes buf;
  ByteWriter w(&buf);
  w.U32(destination.value());
  for (const Digest& h : chunk_hashes) w.Raw(h.span());
  return TaggedHashCached(kTagReceiptDestination, buf);
}

Digest ReceiptsRootOf(absl::Span<const std::pair<SliceId, Digest>> destinations) {
  if (destinations.empty()) return Digest();
  Bytes buf;
  ByteWriter w(&buf);
  w.U32(static_cast<uint32_t>(destinations.size()));
  for (const auto& [slice, hash] : destinations) {
    w.U32(slice.value());
    w.Raw(hash.span());
  }
  return TaggedHashCached(kTagReceiptsRoot, buf);
}

std::vector<std::pair<SliceId, Digest>> DestinationHashes(absl::Span<const Receipt> receipts) {
  std::vector<std::pair<SliceId, Digest>> out;
  size_t first = 0;
  while (first < receipts.size()) {
    size_t end = first;
    while (end < receipts.size() && receipts[end].destination == receipts[first].destination) {
      ++end;
    }
    const SliceId dest = receipts[first].destination;
    out.emplace_back(dest, DestinationHash(dest, ReceiptChunkHashes(receipts.subspan(
                                                     first, end - first))));
    first = end;
  }
  return out;
}

CrossSliceConfig CrossSliceConfig::FromGenesis(const Genesis& genesis) {
  CrossSliceConfig c;
  c.chain_id = GenesisDigest(genesis);
  for (const GenesisSlice& slice : genesis.slices) {
    std::vector<PublicKey> keys;
    for (const GenesisValidator& v : slice.validators) keys.push_back(v.key);
    c.committees.push_back(std::move(keys));
  }
  return c;
}

size_t CrossSliceConfig::Quorum(SliceId slice) const {
  const size_t n = committees.at(slice.value()).size();
  return 2 * ((n - 1) / 3) + 1;
}

absl::StatusOr<Bytes> EncodeReceiptImport(const ReceiptImport& m) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(kReceiptImportTag);
  consensus::EncodeCheckpoint(m.checkpoint, w);
  w.U16(static_cast<uint16_t>(m.signatures.size()));
  for (const auto& [signer, sig] : m.signatures) {
    w.U32(signer.value());
    w.Raw(sig.span());
  }
  w.U32(m.destination.value());
  w.U16(m.chunk);
  w.U16(static_cast<uint16_t>(m.chunk_hashes.size()));
  for (const Digest& h : m.chunk_hashes) w.Raw(h.span());
  w.U16(static_cast<uint16_t>(m.others.size()));
  for (const auto& [slice, hash] : m.others) {
    w.U32(slice.value());
    w.Raw(hash.span());
  }
  w.U16(static_cast<uint16_t>(m.receipts.size()));
  for (const Receipt& r : m.receipts) EncodeReceipt(r, w);
  if (out.size() > kMaxReceiptImportBytes) {
    return absl::InvalidArgumentError(absl::StrCat("receipt_import: ", out.size(),
                                                   " bytes exceeds kMaxReceiptImportBytes=",
                                                   kMaxReceiptImportBytes));
  }
  return out;
}

absl::StatusOr<ReceiptImport> DecodeReceiptImport(ByteSpan bytes) {
  if (bytes.size() > kMaxReceiptImportBytes) {
    return Invalid("size", bytes.size(), " bytes exceeds ", kMaxReceiptImportBytes);
  }
  ByteReader r(bytes);
  GL_ASSIGN_OR_RETURN(uint8_t tag, r.U8("receipt_import.tag"));
  if (tag != kReceiptImportTag) return Invalid("tag", static_cast<int>(tag));
  ReceiptImport m;
  GL_ASSIGN_OR_RETURN(m.checkpoint, consensus::DecodeCheckpoint(r));
  GL_ASSIGN_OR_RETURN(uint16_t nsig, r.U16("receipt_import.signatures"));
  if (nsig == 0) return Invalid("signatures", "none");
  for (uint16_t i = 0; i < nsig; ++i) {
    GL_ASSIGN_OR_RETURN(uint32_t signer, r.U32("receipt_import.signer"));
    GL_ASSIGN_OR_RETURN(auto sig, r.Fixed<64>("receipt_import.signature"));
    if (!m.signatures.empty() && m.signatures.back().first.value() >= signer) {
      return Invalid("signatures", "signers not strictly ascending");
    }
    m.signatures.emplace_back(ValidatorIndex(signer), Signature(sig));
  }
  GL_ASSIGN_OR_RETURN(uint32_t destination, r.U32("receipt_import.destination"));
  m.destination = SliceId(destination);
  GL_ASSIGN_OR_RETURN(m.chunk, r.U16("receipt_import.chunk"));
  GL_ASSIGN_OR_RETURN(uint16_t nchunks, r.U16("receipt_import.chunks"));
  if (nchunks == 0 || nchunks > kMaxReceiptChunks) {
    return Invalid("chunks", nchunks, " not in 1..", kMaxReceiptChunks);
  }
  if (m.chunk >= nchunks) return Invalid("chunk", m.chunk, " not below ", nchunks);
  for (uint16_t i = 0; i < nchunks; ++i) {
    GL_ASSIGN_OR_RETURN(auto h, r.Fixed<32>("receipt_import.chunk_hash"));
    m.chunk_hashes.push_back(Digest(h));
  }
  GL_ASSIGN_OR_RETURN(uint16_t nother, r.U16("receipt_import.others"));
  for (uint16_t i = 0; i < nother; ++i) {
    GL_ASSIGN_OR_RETURN(uint32_t slice, r.U32("receipt_import.other.destination"));
    GL_ASSIGN_OR_RETURN(auto h, r.Fixed<32>("receipt_import.other.hash"));
    if (slice == destination) return Invalid("others", "names the import's destination");
    if (!m.others.empty() && m.others.back().first.value() >= slice) {
      return Invalid("others", "destinations not strictly ascending");
    }
    m.others.emplace_back(SliceId(slice), Digest(h));
  }
  GL_ASSIGN_OR_RETURN(uint16_t nreceipts, r.U16("receipt_import.receipts"));
  if (nreceipts == 0 || nreceipts > kReceiptsPerChunk) {
    return Invalid("receipts", nreceipts, " not in 1..", kReceiptsPerChunk);
  }
  for (uint16_t i = 0; i < nreceipts; ++i) {
    GL_ASSIGN_OR_RETURN(Receipt receipt, DecodeReceipt(r));
    m.receipts.push_back(receipt);
  }
  GL_RETURN_IF_ERROR(r.ExpectEnd("receipt_import"));
  return m;
}

absl::StatusOr<std::vector<Bytes>> MakeReceiptImports(
    const consensus::Checkpoint& checkpoint,
    absl::Span<const std::pair<ValidatorIndex, Signature>> signatures, SliceId destination,
    absl::Span<const Receipt> receipts,
    absl::Span<const std::pair<SliceId, Digest>> destinations) {
  ReceiptImport m;
  m.checkpoint = checkpoint;
  m.signatures.assign(signatures.begin(), signatures.end());
  m.destination = destination;
  m.chunk_hashes = ReceiptChunkHashes(receipts);
  bool found = false;
  for (const auto& [slice, hash] : destinations) {
    if (slice != destination) {
      m.others.emplace_back(slice, hash);
    } else if (hash == DestinationHash(destination, m.chunk_hashes)) {
      found = true;
    }
  }
  if (!found || receipts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "receipt imports: commit ", checkpoint.sequence, " has no receipts for slice ",
        destination.value(), " that hash to its record"));
  }
  std::vector<Bytes> out;
  for (size_t c = 0; c < m.chunk_hashes.size(); ++c) {
    m.chunk = static_cast<uint16_t>(c);
    const size_t first = c * kReceiptsPerChunk;
    const size_t n = std::min(kReceiptsPerChunk, receipts.size() - first);
    m.receipts.assign(receipts.begin() + first, receipts.begin() + first + n);
    GL_ASSIGN_OR_RETURN(Bytes bytes, EncodeReceiptImport(m));
    out.push_back(std::move(bytes));
  }
  return out;
}

absl::Status VerifyReceiptImport(const ReceiptImport& m, const CrossSliceConfig& config,
                                 SliceId self) {
  const consensus::Checkpoint& c = m.checkpoint;
  if (c.chain_id != config.chain_id) {
    return Invalid("checkpoint.chain_id", c.chain_id.ShortHex(), " is not this chain's ",
                   config.chain_id.ShortHex());
  }
  if (!config.HasSlice(c.slice)) return Invalid("checkpoint.slice", c.slice.value(), " unknown");
  if (c.slice == self) return Invalid("checkpoint.slice", "is this slice");
  if (m.destination != self) {
    return Invalid("destination", m.destination.value(), " is not this slice ", self.value());
  }
  // Receipts: the chunk they claim to be.
  const bool last = m.chunk + 1u == m.chunk_hashes.size();
  if (!last && m.receipts.size() != kReceiptsPerChunk) {
    return Invalid("receipts", m.receipts.size(), " in a chunk that is not the last");
  }
  for (size_t i = 0; i < m.receipts.size(); ++i) {
    const Receipt& r = m.receipts[i];
    if (r.source != c.slice || r.sequence != c.sequence || r.destination != self) {
      return Invalid("receipt", i, ": source, sequence or destination differ from the checkpoint");
    }
    if (r.index != m.chunk * kReceiptsPerChunk + i) return Invalid("receipt", i, ": index");
    if (r.number == 0 || (i > 0 && r.number != m.receipts[i - 1].number + 1)) {
      return Invalid("receipt", i, ": numbers not consecutive from 1");
    }
    if (r.amount.value() == 0) return Invalid("receipt", i, ": zero amount");
  }
  if (ReceiptChunkHashes(m.receipts).front() != m.chunk_hashes[m.chunk]) {
    return Invalid("receipts", "do not hash to chunk ", m.chunk, "'s hash");
  }
  std::vector<std::pair<SliceId, Digest>> all = m.others;
  const auto at = std::lower_bound(all.begin(), all.end(), self,
                                   [](const auto& e, SliceId s) { return e.first < s; });
  all.insert(at, {self, DestinationHash(self, m.chunk_hashes)});
  if (ReceiptsRootOf(all) != c.receipts_root) {
    return Invalid("receipts", "do not hash to the checkpoint's receipts_root");
  }
  // 2f+1 distinct members of the source committee (ascending: distinct).
  const std::vector<PublicKey>& committee = config.committees[c.slice.value()];
  const size_t quorum = config.Quorum(c.slice);
  if (m.signatures.size() < quorum) {
    return absl::PermissionDeniedError(absl::StrCat(
        "receipt_import: ", m.signatures.size(), " checkpoint signatures, slice ",
        c.slice.value(), " needs ", quorum));
  }
  const Digest digest = consensus::CheckpointDigest(c);
  for (const auto& [signer, sig] : m.signatures) {
    if (signer.value() >= committee.size()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "receipt_import: signer ", signer.value(), " is not in slice ", c.slice.value()));
    }
    if (!SchnorrVerify(committee[signer.value()], digest, sig)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "receipt_import: checkpoint signature of validator ", signer.value(), " of slice ",
          c.slice.value(), " does not verify"));
    }
  }
  return absl::OkStatus();
}

}  // namespace gridledger
