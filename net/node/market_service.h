// The market half of gridledger.v1.Ledger (ledger.proto: GetMarketInterval,
// GetSettlement, GetTariff, StreamMarketEvents), answered from the node's
// committed market records (core/execution/market_state.h) through one LMDB
// snapshot per query and from the MarketEventLog for the stream. ClientService
// forwards these calls here. Every read is bounded: trades per answer by
// kMaxMarketTradesPerAnswer, the book scan by the execution's
// max_orders_per_interval (read in pages), streams by kMaxMarketSubscribers.
#ifndef GRIDLEDGER_NET_NODE_MARKET_SERVICE_H_
#define GRIDLEDGER_NET_NODE_MARKET_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "core/execution/market_params.h"
#include "net/node/market_events.h"
#include "net/node/subscriber_limit.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/node_store.h"

namespace gridledger::node {

// GetMarketIntervalRequest.max_trades: 0 means the default; above the max is
// INVALID_ARGUMENT.
inline constexpr uint32_t kDefaultMarketTradesPerAnswer = 100;
inline constexpr uint32_t kMaxMarketTradesPerAnswer = 1000;
// The open book is read in pages of this many orders.
inline constexpr size_t kBookPageOrders = 4096;
// A stream writes at most this many events per read of the log.
inline constexpr size_t kMarketEventsPerRead = 256;
// How often an idle market stream checks for cancellation.
inline constexpr absl::Duration kMarketStreamPoll = absl::Milliseconds(100);

class MarketService {
 public:
  // `store` and `events` must outlive the service.
  MarketService(SliceId slice, MarketConfig config, storage::NodeStore* store,
                MarketEventLog* events)
      : slice_(slice), config_(std::move(config)), store_(store), events_(events),
        subscribers_(kMaxMarketSubscribers) {}

  grpc::Status GetMarketInterval(const gridledger::v1::GetMarketIntervalRequest& request,
                                 gridledger::v1::MarketInterval* response);
  grpc::Status GetSettlement(const gridledger::v1::GetSettlementRequest& request,
                             gridledger::v1::SettlementResponse* response);
  grpc::Status GetTariff(const gridledger::v1::GetTariffRequest& request,
                         gridledger::v1::TariffResponse* response);
  grpc::Status GetMarketAccount(const gridledger::v1::GetMarketAccountRequest& request,
                                gridledger::v1::MarketAccount* response);
  grpc::Status StreamMarketEvents(grpc::ServerContext* context,
                                  const gridledger::v1::StreamMarketEventsRequest& request,
                                  grpc::ServerWriter<gridledger::v1::MarketEvent>* writer);

 private:
  const SliceId slice_;
  const MarketConfig config_;
  storage::NodeStore* store_;
  MarketEventLog* events_;
  SubscriberLimit subscribers_;
};

// The event log for a node whose store is `store`: it covers the commits
// after the store's last, starting from its last consensus time.
absl::StatusOr<std::unique_ptr<MarketEventLog>> MarketEventLogFor(SliceId slice,
                                                                  const MarketConfig& config,
                                                                  storage::NodeStore* store);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_MARKET_SERVICE_H_
