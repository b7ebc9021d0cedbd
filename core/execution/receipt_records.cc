#include "core/execution/receipt_records.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/execution/genesis.h"

namespace gridledger {
namespace {

constexpr uint8_t kOutReceiptTag = 'r';
constexpr uint8_t kNextOutTag = 's';
constexpr uint8_t kCommitReceiptsTag = 'q';
constexpr uint8_t kNextInTag = 'c';

Bytes SliceKey(uint8_t tag, SliceId slice) {
  Bytes key;
  ByteWriter w(&key);
  w.U8(tag);
  w.U32(slice.value());
  return key;
}

absl::StatusOr<ReceiptCounter> ReadCounter(const StateView& state, const Bytes& key) {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> value, state.GetMarket(key));
  if (!value.has_value()) return ReceiptCounter{};
  return DecodeCounter(*value);
}

// Every counter record with this tag (one per other slice at most).
absl::StatusOr<ReceiptCounter> SumCounters(const StateView& state, uint8_t tag, uint64_t* count) {
  const Bytes lo{tag};
  const Bytes hi{static_cast<uint8_t>(tag + 1)};
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> entries,
                      state.MarketRange(lo, hi, kMaxGenesisSlices));
  ReceiptCounter sum{0, 0};
  for (const MarketEntry& e : entries) {
    GL_ASSIGN_OR_RETURN(ReceiptCounter c, DecodeCounter(e.second));
    *count += c.next - 1;
    sum.amount += c.amount;
  }
  return sum;
}

absl::StatusOr<Receipt> DecodeStoredReceipt(ByteSpan value) {
  ByteReader r(value);
  absl::StatusOr<Receipt> receipt = DecodeReceipt(r);
  if (!receipt.ok() || !r.ExpectEnd("receipt").ok()) {
    return absl::DataLossError("corrupt outgoing receipt record");
  }
  return receipt;
}

}  // namespace

Bytes OutReceiptKey(SliceId destination, uint64_t number) {
  Bytes key = SliceKey(kOutReceiptTag, destination);
  ByteWriter(&key).U64(number);
  return key;
}

Bytes NextOutKey(SliceId destination) { return SliceKey(kNextOutTag, destination); }
Bytes NextInKey(SliceId source) { return SliceKey(kNextInTag, source); }

Bytes CommitReceiptsKey(uint64_t sequence) {
  Bytes key;
  ByteWriter w(&key);
  w.U8(kCommitReceiptsTag);
  w.U64(sequence);
  return key;
}

Bytes EncodeCounter(const ReceiptCounter& counter) {
  Bytes out;
  ByteWriter w(&out);
  w.U64(counter.next);
  w.U64(counter.amount);
  return out;
}

absl::StatusOr<ReceiptCounter> DecodeCounter(ByteSpan value) {
  if (value.size() != 16) return absl::DataLossError("corrupt receipt counter record");
  ByteReader r(value);
  ReceiptCounter c;
  GL_ASSIGN_OR_RETURN(c.next, r.U64("counter.next"));
  GL_ASSIGN_OR_RETURN(c.amount, r.U64("counter.amount"));
  if (c.next == 0) return absl::DataLossError("corrupt receipt counter record: next 0");
  return c;
}

Bytes EncodeDestinationHashes(absl::Span<const std::pair<SliceId, Digest>> hashes) {
  Bytes out;
  ByteWriter w(&out);
  w.U16(static_cast<uint16_t>(hashes.size()));
  for (const auto& [slice, hash] : hashes) {
    w.U32(slice.value());
    w.Raw(hash.span());
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<SliceId, Digest>>> DecodeDestinationHashes(ByteSpan value) {
  ByteReader r(value);
  std::vector<std::pair<SliceId, Digest>> out;
  absl::StatusOr<uint16_t> n = r.U16("n");
  if (!n.ok()) return absl::DataLossError("corrupt commit receipts record");
  for (uint16_t i = 0; i < *n; ++i) {
    absl::StatusOr<uint32_t> slice = r.U32("destination");
    absl::StatusOr<std::array<uint8_t, 32>> hash = r.Fixed<32>("hash");
    if (!slice.ok() || !hash.ok()) return absl::DataLossError("corrupt commit receipts record");
    out.emplace_back(SliceId(*slice), Digest(*hash));
  }
  if (!r.ExpectEnd("commit receipts").ok()) {
    return absl::DataLossError("corrupt commit receipts record");
  }
  return out;
}

absl::StatusOr<uint64_t> NextIncoming(const StateView& state, SliceId source) {
  GL_ASSIGN_OR_RETURN(ReceiptCounter c, ReadCounter(state, NextInKey(source)));
  return c.next;
}

absl::StatusOr<uint64_t> NextOutgoing(const StateView& state, SliceId destination) {
  GL_ASSIGN_OR_RETURN(ReceiptCounter c, ReadCounter(state, NextOutKey(destination)));
  return c.next;
}

absl::StatusOr<std::optional<Receipt>> OutgoingReceipt(const StateView& state,
                                                       SliceId destination, uint64_t number) {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> value,
                      state.GetMarket(OutReceiptKey(destination, number)));
  if (!value.has_value()) return std::optional<Receipt>();
  GL_ASSIGN_OR_RETURN(Receipt receipt, DecodeStoredReceipt(*value));
  return std::optional<Receipt>(receipt);
}

absl::StatusOr<std::vector<Receipt>> OutgoingReceiptsFrom(const StateView& state,
                                                          SliceId destination, uint64_t first,
                                                          size_t limit) {
  const Bytes lo = OutReceiptKey(destination, first);
  const Bytes hi = SliceKey(kOutReceiptTag, SliceId(destination.value() + 1));
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> entries, state.MarketRange(lo, hi, limit));
  std::vector<Receipt> out;
  out.reserve(entries.size());
  for (const MarketEntry& e : entries) {
    GL_ASSIGN_OR_RETURN(Receipt receipt, DecodeStoredReceipt(e.second));
    out.push_back(receipt);
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<SliceId, Digest>>> CommitDestinations(
    const StateView& state, uint64_t sequence) {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> value, state.GetMarket(CommitReceiptsKey(sequence)));
  if (!value.has_value()) return std::vector<std::pair<SliceId, Digest>>();
  return DecodeDestinationHashes(*value);
}

absl::StatusOr<uint64_t> OutgoingAmountFrom(const StateView& state, SliceId destination,
                                            uint64_t first) {
  constexpr size_t kPage = 4096;
  uint64_t total = 0;
  for (uint64_t next = first;;) {
    GL_ASSIGN_OR_RETURN(std::vector<Receipt> page,
                        OutgoingReceiptsFrom(state, destination, next, kPage));
    for (const Receipt& r : page) total += r.amount.value();
    if (page.size() < kPage) return total;
    next = page.back().number + 1;
  }
}

absl::StatusOr<ReceiptCounter> ReadCounter(const Overlay& overlay, const Bytes& key) {
  GL_ASSIGN_OR_RETURN(std::optional<Bytes> value, overlay.GetMarket(key));
  if (!value.has_value()) return ReceiptCounter{};
  return DecodeCounter(*value);
}

absl::StatusOr<ReceiptTotals> ReadReceiptTotals(const StateView& state) {
  ReceiptTotals t;
  GL_ASSIGN_OR_RETURN(ReceiptCounter sent, SumCounters(state, kNextOutTag, &t.sent));
  GL_ASSIGN_OR_RETURN(ReceiptCounter credited, SumCounters(state, kNextInTag, &t.credited));
  t.sent_amount = sent.amount;
  t.credited_amount = credited.amount;
  return t;
}

}  // namespace gridledger
