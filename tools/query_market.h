// `gridledger query market ...` (tools/query_market.cc), dispatched from
// `gridledger query` (tools/cmd_query.cc).
#ifndef GRIDLEDGER_TOOLS_QUERY_MARKET_H_
#define GRIDLEDGER_TOOLS_QUERY_MARKET_H_

#include <string>
#include <vector>

#include "net/proto/ledger.grpc.pb.h"

namespace gridledger::tools {

// Usage lines, appended to `gridledger query`'s.
inline constexpr char kQueryMarketUsage[] =
    "       gridledger query market interval K [--max_trades=N] [--first_trade=N] "
    "--node=HOST:PORT\n"
    "       gridledger query market settlement ACCOUNT_HEX K --node=HOST:PORT\n"
    "       gridledger query market tariff [K] --node=HOST:PORT   (no K: the current interval)\n"
    "       gridledger query market account ACCOUNT_HEX --node=HOST:PORT\n"
    "       gridledger query market events [--from_sequence=1] [--count=100] --node=HOST:PORT\n"
    "       (against an archive node, --slice=S picks the slice; default 0)\n";

// args = {"market", WHAT, ...}: prints the answer, returns the exit status
// (tools/api_client.h; 4 for NOT_FOUND, 2 for a wrong shape).
int QueryMarket(gridledger::v1::Ledger::Stub& stub, const std::vector<std::string>& args);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_QUERY_MARKET_H_
