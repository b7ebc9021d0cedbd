// An archive node (`gridledger archive --config=FILE`, DESIGN.md §1 storage
// domain): one SliceFollower per slice of the genesis, each with its own LMDB
// store under data_dir/slice-N, and the read side of the client API across
// all of them (ArchiveService). Start order: followers (stores opened,
// chains resumed) -> gRPC -> following threads; Stop reverses it.
#ifndef GRIDLEDGER_NET_ARCHIVE_ARCHIVE_NODE_H_
#define GRIDLEDGER_NET_ARCHIVE_ARCHIVE_NODE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "net/archive/archive_config.h"
#include "net/archive/archive_service.h"
#include "net/archive/slice_follower.h"

namespace gridledger::archive {

class ArchiveNode {
 public:
  // InvalidArgument for a bad genesis or a slice without a source;
  // Unavailable when the gRPC port cannot be bound; storage errors as they come.
  static absl::StatusOr<std::unique_ptr<ArchiveNode>> Start(const ArchiveConfig& config);
  ~ArchiveNode();  // Stop()s.
  void Stop();     // idempotent

  std::string grpc_address() const;
  size_t slices() const { return followers_.size(); }
  SliceFollower& follower(size_t slice) { return *followers_[slice]; }

 private:
  ArchiveNode() = default;
  ArchiveConfig config_;
  std::vector<std::unique_ptr<SliceFollower>> followers_;
  std::unique_ptr<ArchiveService> service_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  bool stopped_ = false;
};

}  // namespace gridledger::archive

#endif  // GRIDLEDGER_NET_ARCHIVE_ARCHIVE_NODE_H_
