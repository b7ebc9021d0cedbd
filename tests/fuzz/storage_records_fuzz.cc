// The node's LMDB records, read back from disk: a corrupted or foreign store
// must give a Status, never a crash. The first byte picks the record kind.
// Properties: no input crashes; an accepted record re-encodes, and the
// re-encoding decodes to the same value (or bytes, for keys).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "storage/records.h"
#include "tests/fuzz/fuzz_seeds.h"

namespace gridledger {
namespace {

std::string Tagged(uint8_t kind, ByteSpan b) {
  std::string s(1, static_cast<char>(kind));
  s.append(b.begin(), b.end());
  return s;
}

std::vector<std::string> Seeds() {
  using namespace storage;
  std::vector<std::string> seeds;
  StoredTx tx;
  tx.raw = Bytes(120, 0x31);
  tx.commit_sequence = 7;
  tx.index = 3;
  if (auto b = EncodeTxRecord(tx); b.ok()) seeds.push_back(Tagged(0, *b));
  seeds.push_back(Tagged(1, EncodeAccountKey(AccountRef{SliceId(1), KeyPair::FromSeed(3).public_key()})));
  seeds.push_back(Tagged(2, EncodeAccountRecord(AccountState{Amount(500), Nonce(4)})));
  seeds.push_back(Tagged(3, EncodeCommitKey(42)));
  CommitMeta meta;
  meta.anchor = Sha256(Bytes{9});
  meta.num_txs = 12;
  meta.state_summary = Sha256(Bytes{1});
  seeds.push_back(Tagged(4, EncodeCommitRecord(meta)));
  seeds.push_back(Tagged(5, EncodeReleasedRecord({Sha256(Bytes{2}), Sha256(Bytes{3})})));
  return seeds;
}

}  // namespace
}  // namespace gridledger

GL_FUZZ_SEEDS(gridledger::Seeds())

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gridledger;
  using namespace gridledger::storage;
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      // The copying decoder and the view decoder (the commit stream's) make
      // the same checks and read the same record.
      auto v = DecodeTxRecord(in);
      auto view = DecodeTxRecordView(in);
      GL_FUZZ_ASSERT(view.ok() == v.ok());
      if (v.ok()) {
        GL_FUZZ_ASSERT(view->Own() == *v);
        auto again = EncodeTxRecord(*v);
        GL_FUZZ_ASSERT(again.ok());
        auto back = DecodeTxRecord(*again);
        GL_FUZZ_ASSERT(back.ok() && *back == *v);
      }
      break;
    }
    case 1:
      if (auto v = DecodeAccountKey(in); v.ok()) {
        const auto again = EncodeAccountKey(*v);
        GL_FUZZ_ASSERT(std::equal(again.begin(), again.end(), in.begin(), in.end()));
      }
      break;
    case 2:
      if (auto v = DecodeAccountRecord(in); v.ok()) {
        auto back = DecodeAccountRecord(EncodeAccountRecord(*v));
        GL_FUZZ_ASSERT(back.ok() && *back == *v);
      }
      break;
    case 3:
      if (auto v = DecodeCommitKey(in); v.ok()) {
        const auto again = EncodeCommitKey(*v);
        GL_FUZZ_ASSERT(std::equal(again.begin(), again.end(), in.begin(), in.end()));
      }
      break;
    case 4:
      if (auto v = DecodeCommitRecord(in); v.ok()) {
        auto back = DecodeCommitRecord(EncodeCommitRecord(*v));
        GL_FUZZ_ASSERT(back.ok() && *back == *v);
      }
      break;
    case 5:
      if (auto v = DecodeReleasedRecord(in); v.ok()) {
        auto back = DecodeReleasedRecord(EncodeReleasedRecord(*v));
        GL_FUZZ_ASSERT(back.ok() && *back == *v);
      }
      break;
    case 6:
      (void)DecodeHeldKey(in);
      (void)DecodeHeldExpiryKey(in);
      break;
    case 7: {
      // A held record is keyed and valued: split the input at its first byte.
      const size_t cut = in.empty() ? 0 : in[0] % (in.size() + 1);
      (void)DecodeHeldRecord(in.subspan(0, cut), in.subspan(cut));
      break;
    }
  }
  return 0;
}
