// `gridledger query market ...` (tools/query_market.cc), dispatched from
// `gridledger query` (tools/cmd_query.cc).
#ifndef GRIDLEDGER_TOOLS_QUERY_MARKET_H_
#define GRIDLEDGER_TOOLS_QUERY_MARKET_H_

#include <cstdint>
#include <functional>
#include <string>

#include "net/proto/ledger.grpc.pb.h"
#include "tools/api_client.h"
#include "tools/cli.h"

namespace gridledger::tools {

// `query market interval|settlement|tariff|account|events`, declared under
// `gridledger query`: once a verb's arguments parse, *run is set to it.
class QueryMarketCommand {
 public:
  using Run = std::function<int(gridledger::v1::Ledger::Stub&)>;
  QueryMarketCommand(CLI::App* query, NodeOptions* options, Run* run);

 private:
  void AddSliceOption(CLI::App* verb);

  const NodeOptions* options_;
  uint32_t slice_ = 0;
  std::string interval_;  // K, checked when run (exit 1 when not > 0)
  std::string account_hex_;
  uint32_t max_trades_ = 0;
  uint32_t first_trade_ = 0;
  uint64_t from_sequence_ = 1;
  uint32_t count_ = 100;
};

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_QUERY_MARKET_H_
