#include "storage/consensus_log.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace gridledger::storage {
namespace {

enum Tag : uint8_t { kVoted = 1, kOwnHeader = 2, kCertificate = 3, kBatch = 4 };

}  // namespace

Bytes EncodeLogEntry(absl::Span<const consensus::PersistRecord> records) {
  size_t bytes = 4;
  for (const consensus::PersistRecord& record : records) {
    if (const auto* batch = std::get_if<consensus::BatchRecord>(&record)) {
      bytes += 1 + consensus::BatchEncodedBytes(*batch->batch);
    } else if (const auto* cert = std::get_if<consensus::CertificateRecord>(&record)) {
      bytes += 1 + consensus::CertificateEncodedBytes(cert->certificate);
    } else {
      bytes += 64;
    }
  }
  Bytes out;
  out.reserve(bytes);
  ByteWriter w(&out);
  w.U32(static_cast<uint32_t>(records.size()));
  for (const consensus::PersistRecord& record : records) {
    if (const auto* lv = std::get_if<consensus::LastVotedRecord>(&record)) {
      w.U8(kVoted);
      w.U32(lv->author.value());
      w.U64(lv->round.value());
      w.Raw(lv->header.span());
    } else if (const auto* own = std::get_if<consensus::OwnHeaderRecord>(&record)) {
      w.U8(kOwnHeader);
      consensus::EncodeHeader(own->header, w);
    } else if (const auto* cert = std::get_if<consensus::CertificateRecord>(&record)) {
      w.U8(kCertificate);
      consensus::EncodeCertificate(cert->certificate, w);
    } else if (const auto* batch = std::get_if<consensus::BatchRecord>(&record)) {
      w.U8(kBatch);
      consensus::EncodeBatch(*batch->batch, w);
    }
  }
  return out;
}

absl::StatusOr<std::vector<consensus::PersistRecord>> DecodeLogEntry(ByteSpan entry) {
  ByteReader r(entry);
  GL_ASSIGN_OR_RETURN(uint32_t count, r.U32("log entry: count"));
  if (count > kMaxLogEntryRecords) {
    return absl::InvalidArgumentError(
        absl::StrCat("log entry: ", count, " records exceed ", kMaxLogEntryRecords));
  }
  std::vector<consensus::PersistRecord> records;
  records.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    GL_ASSIGN_OR_RETURN(uint8_t tag, r.U8("log entry: tag"));
    switch (tag) {
      case kVoted: {
        GL_ASSIGN_OR_RETURN(uint32_t author, r.U32("log entry: voted author"));
        GL_ASSIGN_OR_RETURN(uint64_t round, r.U64("log entry: voted round"));
        GL_ASSIGN_OR_RETURN(auto digest, r.Fixed<32>("log entry: voted header"));
        records.push_back(
            consensus::LastVotedRecord{ValidatorIndex(author), Round(round), Digest(digest)});
        break;
      }
      case kOwnHeader: {
        GL_ASSIGN_OR_RETURN(consensus::Header header, consensus::DecodeHeader(r));
        records.push_back(consensus::OwnHeaderRecord{std::move(header)});
        break;
      }
      case kCertificate: {
        GL_ASSIGN_OR_RETURN(consensus::Certificate cert, consensus::DecodeCertificate(r));
        records.push_back(consensus::CertificateRecord{std::move(cert)});
        break;
      }
      case kBatch: {
        GL_ASSIGN_OR_RETURN(consensus::Batch batch, consensus::DecodeBatch(r));
        records.push_back(
            consensus::BatchRecord{std::make_shared<const consensus::Batch>(std::move(batch))});
        break;
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat("log entry: unknown record tag ", tag));
    }
  }
  GL_RETURN_IF_ERROR(r.ExpectEnd("log entry"));
  return records;
}

void UnmergedRecords::KeepVote(const consensus::LastVotedRecord& vote) {
  auto [it, inserted] = voted_.try_emplace(vote.author.value(), vote);
  if (!inserted && it->second.round <= vote.round) it->second = vote;
}

void UnmergedRecords::KeepOwnHeader(const consensus::Header& header) {
  if (!own_.has_value() || own_->round <= header.round) own_ = header;
}

void UnmergedRecords::AddIndexesOf(const UnmergedRecords& other) {
  for (const auto& [author, vote] : other.voted_) KeepVote(vote);
  if (other.own_.has_value()) KeepOwnHeader(*other.own_);
  certs_.insert(other.certs_.begin(), other.certs_.end());
  batches_.insert(other.batches_.begin(), other.batches_.end());
}

void UnmergedRecords::Add(const consensus::PersistRecord& record) {
  records_.push_back(record);
  if (const auto* lv = std::get_if<consensus::LastVotedRecord>(&record)) {
    KeepVote(*lv);
  } else if (const auto* own = std::get_if<consensus::OwnHeaderRecord>(&record)) {
    KeepOwnHeader(own->header);
  } else if (const auto* cert = std::get_if<consensus::CertificateRecord>(&record)) {
    certs_.try_emplace(std::make_pair(cert->certificate.header.round.value(),
                                      consensus::CertificateDigest(cert->certificate)),
                       cert->certificate);
  } else if (const auto* batch = std::get_if<consensus::BatchRecord>(&record)) {
    batches_.try_emplace(consensus::BatchDigest(*batch->batch), batch->batch);
  }
}

void UnmergedRecords::Clear() {
  records_.clear();
  voted_.clear();
  own_.reset();
  certs_.clear();
  batches_.clear();
}

const consensus::Certificate* UnmergedRecords::FindCertificate(Round round,
                                                               const Digest& digest) const {
  auto it = certs_.find(std::make_pair(round.value(), digest));
  return it == certs_.end() ? nullptr : &it->second;
}

std::shared_ptr<const consensus::Batch> UnmergedRecords::FindBatch(const Digest& digest) const {
  auto it = batches_.find(digest);
  return it == batches_.end() ? nullptr : it->second;
}

}  // namespace gridledger::storage
