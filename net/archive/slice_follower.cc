#include "net/archive/slice_follower.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/string_bytes.h"
#include "core/common/thread_name.h"
#include "core/execution/market_params.h"
#include "net/node/archive_feed_service.h"
#include "net/node/commit_answer.h"
#include "net/node/commit_position.h"
#include "net/node/commit_syncer.h"
#include "net/node/final_checkpoint.h"
#include "net/transport/frame.h"
#include "storage/genesis_seed.h"

namespace gridledger::archive {
namespace {

namespace v1 = gridledger::v1;

// A FetchCommits chunk as the proto carries it, with room for its framing.
constexpr int kMaxReceiveMessageBytes = static_cast<int>(node::kArchiveChunkBytesMax) + (64 << 10);

}  // namespace

absl::StatusOr<std::unique_ptr<SliceFollower>> SliceFollower::Open(
    const Genesis& genesis, SliceId slice, const std::string& dir,
    std::vector<node::HostPort> sources, Logger logger,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  if (slice.value() >= genesis.slices.size()) {
    return absl::InvalidArgumentError(absl::StrCat("slice ", slice.value(), " not in genesis"));
  }
  if (sources.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("slice ", slice.value(), ": no source"));
  }
  auto f = std::unique_ptr<SliceFollower>(new SliceFollower());
  f->slice_ = slice;
  f->logger_ = std::move(logger);
  // What the validators run with (cmd_node's defaults), so the verifier cuts
  // commits and GC horizons exactly as they do.
  f->params_.message_bytes_max = net::kDefaultMaxFrameBytes;
  std::vector<PublicKey> keys;
  for (const GenesisValidator& v : genesis.slices[slice.value()].validators) keys.push_back(v.key);
  GL_ASSIGN_OR_RETURN(consensus::Committee committee,
                      consensus::Committee::Create(slice, keys, GenesisDigest(genesis)));
  f->committee_ = std::make_unique<consensus::Committee>(std::move(committee));
  f->verifier_ = std::make_unique<consensus::CommitVerifier>(f->committee_.get(), f->params_,
                                                             &f->checker_);

  storage::LmdbOptions lmdb;
  lmdb.dir = dir;
  lmdb.wait_for_space = true;  // a full disk pauses following; it resumes by itself
  lmdb.logger = f->logger_;
  GL_ASSIGN_OR_RETURN(f->store_, storage::NodeStore::Open(lmdb));
  GL_RETURN_IF_ERROR(storage::SeedFromGenesis(*f->store_, genesis, slice));
  GL_ASSIGN_OR_RETURN(f->consensus_store_, storage::ConsensusStore::Open(&f->store_->env()));
  GL_ASSIGN_OR_RETURN(f->checkpoints_, node::CheckpointStore::Open(&f->store_->env()));
  // Resume: the verified chain as the store left it.
  GL_ASSIGN_OR_RETURN(consensus::PersistedState persisted,
                      f->consensus_store_->Load(f->params_.gc_depth));
  f->chain_ = f->verifier_->StateFrom(persisted);
  f->feed_ = std::make_unique<node::CommitFeed>(persisted.next_commit_index);
  GL_ASSIGN_OR_RETURN(std::optional<node::SignedCheckpoint> last_checkpoint,
                      f->checkpoints_->Last());
  if (last_checkpoint.has_value()) {
    f->stats_.verified_through = last_checkpoint->checkpoint.sequence;
  }

  // Execution exactly as a validator of the slice runs it.
  const MarketConfig market = MarketConfigFor(genesis, slice);
  f->executor_ = std::make_unique<node::CommitExecutor>(f->store_.get(), f->consensus_store_.get(),
                                                        slice, &f->pending_, f->feed_.get(),
                                                        /*metrics=*/nullptr, market,
                                                        CrossSliceConfig::FromGenesis(genesis));
  GL_ASSIGN_OR_RETURN(f->market_events_, node::MarketEventLogFor(slice, market, f->store_.get()));
  f->market_events_->set_logger(f->logger_);
  f->market_ = std::make_unique<node::MarketService>(slice, market, f->store_.get(),
                                                     f->market_events_.get());
  f->executor_->set_commit_observer(
      [log = f->market_events_.get()](uint64_t sequence, absl::Span<const BlockTx> block,
                                      const BlockOutcome& outcome) {
        log->Publish(sequence, block, outcome);
      });

  f->sources_ = std::move(sources);
  f->penalty_.assign(f->sources_.size(), 0);
  f->skip_.assign(f->sources_.size(), 0);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  for (const node::HostPort& s : f->sources_) {
    f->stubs_.push_back(v1::ArchiveFeed::NewStub(grpc::CreateCustomChannel(
        s.ToString(), credentials, args)));
  }
  return f;
}

SliceFollower::~SliceFollower() { Stop(); }

SliceFollower::InFlight::InFlight(SliceFollower* follower, grpc::ClientContext* context)
    : follower_(follower) {
  absl::MutexLock lock(&follower_->mu_);
  follower_->in_flight_ = context;
  if (follower_->stopping_) context->TryCancel();
}

SliceFollower::InFlight::~InFlight() {
  absl::MutexLock lock(&follower_->mu_);
  follower_->in_flight_ = nullptr;
}

void SliceFollower::Start() {
  thread_ = std::thread([this] {
    NameThisThread("gl-slice-follow");
    Run();
  });
}

void SliceFollower::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();  // the fetch returns at once
  }
  if (store_) store_->env().StopWaitingForSpace();  // a write paused on a full disk returns
  if (thread_.joinable()) thread_.join();
  if (feed_) feed_->Close();
  if (market_events_) market_events_->Close();
}

uint64_t SliceFollower::behind_commits() const {
  const uint64_t source = stats_.source_last_committed.load();
  const uint64_t ours = store_->last_committed_sequence();
  return source > ours ? source - ours : 0;
}

void SliceFollower::NextSource(absl::string_view why, bool penalize) {
  const size_t from = source_.load();
  if (penalize) {
    // Each refusal in a row doubles how many turns the source sits out.
    penalty_[from] = std::min<uint32_t>(std::max<uint32_t>(1, 2 * penalty_[from]),
                                        kMaxSourcePenaltyTurns);
    skip_[from] = penalty_[from];
  }
  // The next source not sitting out a penalty; each one passed over serves
  // one turn of it. If every source sits out, the least penalized is asked.
  size_t next = (from + 1) % sources_.size();
  for (size_t tried = 0; tried < sources_.size() && skip_[next] > 0; ++tried) {
    --skip_[next];
    next = (next + 1) % sources_.size();
  }
  if (next != from) ++stats_.source_switches;
  logger_.Debug(absl::StrCat("archive slice ", slice_.value(), ": source ",
                             sources_[from].ToString(), " ", why, "; next ",
                             sources_[next].ToString()));
  source_ = next;
}

void SliceFollower::Run() {
  logger_.Info(absl::StrCat("archive slice ", slice_.value(), ": following from sequence ",
                            chain_.next_index + 1, " with ", sources_.size(), " sources"));
  for (;;) {
    Outcome outcome = Outcome::kDiverged;
    if (!stats_.diverged.load()) {
      outcome = FetchCommits();
      if (outcome == Outcome::kProgress || outcome == Outcome::kNothingNew) {
        const Outcome checked = FetchCheckpoint();
        if (checked != Outcome::kProgress && checked != Outcome::kNothingNew) outcome = checked;
      }
    }
    switch (outcome) {
      case Outcome::kProgress:
        penalty_[source_.load()] = 0;  // it served what verifies
        break;  // ask the same source for more at once
      case Outcome::kNothingNew:
        NextSource("has nothing new");
        break;
      case Outcome::kGarbage:
        NextSource("served what does not verify", /*penalize=*/true);
        break;
      case Outcome::kUnreachable:
        NextSource("is unreachable");
        break;
      case Outcome::kDiverged:
        if (absl::Now() - last_divergence_log_ > absl::Seconds(10)) {
          last_divergence_log_ = absl::Now();
          logger_.Error(absl::StrCat("archive slice ", slice_.value(),
                                     ": state diverged from a final checkpoint; not following"));
        }
        break;
    }
    absl::MutexLock lock(&mu_);
    if (outcome == Outcome::kProgress) {
      if (stopping_) return;
    } else {
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stop), kFollowPollInterval)) return;
    }
  }
}

SliceFollower::Outcome SliceFollower::FetchCommits() {
  const size_t source = source_.load();
  const uint64_t from = chain_.next_index + 1;
  v1::FetchCommitsRequest request;
  request.set_from_sequence(from);
  request.set_max_commits(node::kSyncCommitsPerRequest);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(kFetchDeadline));
  InFlight in_flight(this, &context);
  node::CommitAnswer answer(from, node::kSyncCommitsPerRequest, node::kSyncAnswerBufferBytesMax);
  std::unique_ptr<grpc::ClientReader<v1::FetchCommitsChunk>> reader =
      stubs_[source]->FetchCommits(&context, request);
  v1::FetchCommitsChunk chunk;
  bool finished = false;
  auto garbage = [&](absl::string_view why) {
    ++stats_.answers_refused;
    logger_.Warn(absl::StrCat("archive slice ", slice_.value(), ": refused commits from ",
                              sources_[source].ToString(), ": ", why));
    if (!finished) {  // the call ends here: cancelled, the rest discarded, finished
      context.TryCancel();
      while (reader->Read(&chunk)) {
      }
      reader->Finish().error_code();  // CANCELLED or the server's own end
    }
    return Outcome::kGarbage;
  };
  size_t chunks = 0;
  while (reader->Read(&chunk)) {
    if (answer.complete()) return garbage("a message after the complete one");
    if (++chunks > kMaxChunksPerAnswer) return garbage("too many messages in one answer");
    auto message = consensus::DecodeMessage(SpanOf(chunk.message()));
    if (!message.ok()) return garbage(message.status().message());
    const auto* response = std::get_if<consensus::CommitSyncResponse>(&*message);
    if (response == nullptr) return garbage("not a commit sync response");
    if (absl::Status added = answer.Add(*response); !added.ok()) {
      return garbage(added.message());
    }
  }
  const grpc::Status status = reader->Finish();
  finished = true;
  if (!status.ok()) {
    ++stats_.fetch_failures;
    logger_.Debug(absl::StrCat("archive slice ", slice_.value(), ": ",
                               sources_[source].ToString(), ": ", status.error_message()));
    return Outcome::kUnreachable;
  }
  if (!answer.complete()) return garbage("the answer ended without its complete message");
  stats_.source_last_committed = answer.highest_sequence();

  std::vector<consensus::CommittedSubDag> commits = answer.TakeCommits();
  consensus::CommitVerifyResult result = verifier_->Verify(chain_, commits, answer.support());
  // Proven commits: certificates and batches durable first (what a restart's
  // chain state and later serving read), then each executed, one write each.
  std::vector<consensus::PersistRecord> records;
  absl::flat_hash_set<Digest> batches;
  for (size_t i = 0; i < result.proven; ++i) {
    for (const consensus::Certificate& c : commits[i].certificates) {
      records.push_back(consensus::CertificateRecord{c});
    }
    for (const auto& b : commits[i].batches) {
      if (batches.insert(consensus::BatchDigest(*b)).second) {
        records.push_back(consensus::BatchRecord{b});
      }
    }
  }
  if (!records.empty()) {
    if (absl::Status s = consensus_store_->Persist(records); !s.ok()) {
      logger_.Error(absl::StrCat("archive slice ", slice_.value(), ": ", s.ToString()));
      return Outcome::kUnreachable;  // storage: try again after a pause
    }
  }
  for (size_t i = 0; i < result.proven; ++i) {
    commits[i].time_ms = result.time_ms[i];  // as the committee executed it
    if (absl::Status s = executor_->Execute(commits[i]); !s.ok()) {
      logger_.Error(absl::StrCat("archive slice ", slice_.value(), ": executing commit ",
                                 commits[i].index + 1, ": ", s.ToString()));
      return Outcome::kUnreachable;
    }
    ++stats_.commits_executed;
  }
  if (result.proven > 0) chain_ = std::move(result.state);
  if (!result.error.ok()) return garbage(result.error.message());
  if (const Outcome checked = CheckPendingCheckpoints(); checked == Outcome::kDiverged) {
    return checked;
  }
  return result.proven > 0 ? Outcome::kProgress : Outcome::kNothingNew;
}

SliceFollower::Outcome SliceFollower::FetchCheckpoint() {
  const size_t source = source_.load();
  v1::FetchCheckpointRequest request;  // sequence 0: the source's latest final
  v1::FetchCheckpointResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(kFetchDeadline));
  InFlight in_flight(this, &context);
  const grpc::Status status = stubs_[source]->FetchCheckpoint(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return Outcome::kNothingNew;
  if (!status.ok()) {
    ++stats_.fetch_failures;
    return Outcome::kUnreachable;
  }
  stats_.source_last_committed = response.last_committed_sequence();
  auto garbage = [&](absl::string_view why) {
    ++stats_.checkpoints_refused;
    logger_.Warn(absl::StrCat("archive slice ", slice_.value(), ": refused a checkpoint from ",
                              sources_[source].ToString(), ": ", why));
    return Outcome::kGarbage;
  };
  auto checkpoint = node::DecodeSignedCheckpoint(SpanOf(response.signed_checkpoint()));
  if (!checkpoint.ok()) return garbage(checkpoint.status().message());
  if (absl::Status s = node::VerifyFinalCheckpoint(*checkpoint, *committee_, checker_);
      !s.ok()) {
    return garbage(s.message());
  }
  const uint64_t sequence = checkpoint->checkpoint.sequence;
  if (sequence > stats_.verified_through.load() && !pending_checkpoints_.contains(sequence)) {
    pending_checkpoints_.emplace(sequence, *std::move(checkpoint));
    // Bounded: the newest ones are the ones we will reach.
    while (pending_checkpoints_.size() > kMaxPendingCheckpoints) {
      pending_checkpoints_.erase(pending_checkpoints_.begin());
    }
  }
  return CheckPendingCheckpoints();
}

SliceFollower::Outcome SliceFollower::CheckPendingCheckpoints() {
  const uint64_t executed = store_->last_committed_sequence();
  Outcome outcome = Outcome::kNothingNew;
  while (!pending_checkpoints_.empty() && pending_checkpoints_.begin()->first <= executed) {
    node::SignedCheckpoint checkpoint = std::move(pending_checkpoints_.begin()->second);
    pending_checkpoints_.erase(pending_checkpoints_.begin());
    const uint64_t sequence = checkpoint.checkpoint.sequence;
    auto ours = store_->StateRootAt(sequence);
    if (!ours.ok()) {
      logger_.Error(absl::StrCat("archive slice ", slice_.value(), ": state root of ", sequence,
                                 ": ", ours.status().ToString()));
      continue;
    }
    // The consensus position too: this state reached at another last
    // committed round or commit record than the final one is divergence.
    absl::StatusOr<std::optional<Digest>> position =
        node::RecordedCommitDigestAt(*store_, *consensus_store_, sequence);
    if (!position.ok()) {
      // Not verified, not kept.
      logger_.Error(absl::StrCat("archive slice ", slice_.value(), ": commit digest of ", sequence,
                                 ": ", position.status().ToString()));
      continue;
    }
    std::string differs;
    if (*ours != checkpoint.checkpoint.state_root) {
      differs = absl::StrCat("state root ", checkpoint.checkpoint.state_root.ShortHex(),
                             ", ours is ", ours->ShortHex());
    } else if (position->has_value() && **position != checkpoint.checkpoint.commit_digest) {
      differs = absl::StrCat("commit digest ", checkpoint.checkpoint.commit_digest.ShortHex(),
                             ", ours is ", (*position)->ShortHex());
    }
    if (!differs.empty()) {
      ++stats_.root_mismatches;
      stats_.diverged = true;
      logger_.Error(absl::StrCat("archive slice ", slice_.value(), ": final checkpoint ",
                                 sequence, " has ", differs));
      return Outcome::kDiverged;
    }
    // Kept with its signatures: this archive can hand it on (state sync).
    if (absl::Status s = checkpoints_->Write({checkpoint}, committee_->quorum()); !s.ok()) {
      logger_.Error(absl::StrCat("archive slice ", slice_.value(), ": ", s.ToString()));
    }
    ++stats_.checkpoints_verified;
    if (sequence > stats_.verified_through.load()) stats_.verified_through = sequence;
    outcome = Outcome::kProgress;
  }
  return outcome;
}

}  // namespace gridledger::archive
