#include "tools/loadgen/workload.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/check.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/common/thread_pool.h"
#include "core/tx/codec.h"

namespace gridledger::loadgen {
absl::StatusOr<std::vector<std::vector<KeyPair>>> ParseAccountKeys(absl::string_view text,
                                                                   const Genesis& genesis) {
  absl::flat_hash_set<AccountRef> funded;
  for (const GenesisAccount& a : genesis.accounts) funded.insert(a.account);
  std::vector<std::vector<KeyPair>> by_slice(genesis.slices.size());
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_number;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    uint32_t slice = 0;
    if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &slice)) {
      return absl::InvalidArgumentError(
          absl::StrCat("accounts.keys line ", line_number, ": expected '<slice> <secret hex>'"));
    }
    if (slice >= by_slice.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("accounts.keys line ", line_number, ": slice ", slice, " not in genesis"));
    }
    auto secret = HexDecodeFixed<32>(fields[1], "secret");
    if (!secret.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("accounts.keys line ", line_number, ": ", secret.status().message()));
    }
    auto key = KeyPair::FromSecret(SecretKey(*secret));
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("accounts.keys line ", line_number, ": ", key.status().message()));
    }
    if (!funded.contains(AccountRef{SliceId(slice), key->public_key()})) {
      return absl::InvalidArgumentError(absl::StrCat(
          "accounts.keys line ", line_number, ": not a genesis account of slice ", slice));
    }
    by_slice[slice].push_back(*std::move(key));
  }
  return by_slice;
}

absl::StatusOr<Deployment> LoadDeployment(const std::string& dir) {
  GL_ASSIGN_OR_RETURN(std::string genesis_text,
                      ReadFileBounded(dir + "/genesis.toml", kMaxGenesisFileBytes, "genesis"));
  GL_ASSIGN_OR_RETURN(Genesis genesis, ParseGenesis(genesis_text));
  GL_ASSIGN_OR_RETURN(std::string keys_text, ReadFileBounded(dir + "/accounts.keys",
                                                             kMaxGenesisFileBytes, "accounts.keys"));
  GL_ASSIGN_OR_RETURN(auto by_slice, ParseAccountKeys(keys_text, genesis));
  return Deployment{std::move(genesis), std::move(by_slice)};
}

absl::StatusOr<std::vector<PlannedTx>> PlanTransfers(
    const Deployment& deployment, uint64_t count,
    const std::vector<std::vector<uint64_t>>& first_nonce, uint32_t cross_slice_percent) {
  const size_t slices = deployment.accounts_by_slice.size();
  if (count > kMaxWorkloadTxs) {
    return absl::InvalidArgumentError(
        absl::StrCat("workload of ", count, " transactions exceeds ", kMaxWorkloadTxs));
  }
  GL_CHECK(first_nonce.size() == slices);
  for (size_t s = 0; s < slices; ++s) {
    if (deployment.accounts_by_slice[s].size() < 2) {
      return absl::FailedPreconditionError(
          absl::StrCat("slice ", s, " has fewer than 2 funded accounts in accounts.keys"));
    }
    GL_CHECK(first_nonce[s].size() == deployment.accounts_by_slice[s].size());
  }
  std::vector<PlannedTx> plan(count);
  std::vector<Transaction> txs(count);
  std::vector<std::vector<uint64_t>> next_nonce = first_nonce;
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t s = static_cast<uint32_t>(i % slices);
    const auto& pool = deployment.accounts_by_slice[s];
    const uint64_t k = i / slices;
    const uint32_t from = static_cast<uint32_t>(k % pool.size());
    const uint32_t to = static_cast<uint32_t>((from + 1) % pool.size());
    Transaction& tx = txs[i];
    tx.slice = SliceId(s);
    tx.nonce = Nonce(next_nonce[s][from]++);
    tx.sender = pool[from].public_key();
    // Evenly spread: transfer k of the slice crosses when the running share
    // of crossing ones falls below the percentage.
    const bool cross = slices > 1 && (k + 1) * cross_slice_percent / 100 >
                                         k * cross_slice_percent / 100;
    if (cross) {
      const uint32_t d = static_cast<uint32_t>((s + 1 + k % (slices - 1)) % slices);
      const auto& dest_pool = deployment.accounts_by_slice[d];
      tx.body = TransferBody{AccountRef{SliceId(d), dest_pool[to % dest_pool.size()].public_key()},
                             Amount(1)};
    } else {
      tx.body = TransferBody{AccountRef{SliceId(s), pool[to].public_key()}, Amount(1)};
    }
    plan[i].slice = s;
    plan[i].account = from;
  }
  // Signing dominates (~50 us each): spread it over every core. Every
  // signature is bound to the deployment's network (its genesis digest).
  const Digest chain_id = GenesisDigest(deployment.genesis);
  ThreadPool pool(0);
  pool.ParallelFor(count, 256, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      SignTransaction(&txs[i], deployment.accounts_by_slice[plan[i].slice][plan[i].account],
                      chain_id);
      plan[i].raw = Encode(txs[i]);
      plan[i].id = ComputeTxId(plan[i].raw);
    }
  });
  return plan;
}

}  // namespace gridledger::loadgen
