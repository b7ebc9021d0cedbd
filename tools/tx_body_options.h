// The options that fill a transaction body, shared by `gridledger tx build`
// (every kind on one command) and the `gridledger market` verbs (one kind
// each), so both spell and document them the same way.
#ifndef GRIDLEDGER_TOOLS_TX_BODY_OPTIONS_H_
#define GRIDLEDGER_TOOLS_TX_BODY_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tools/cli.h"

namespace gridledger::tools {

struct TxBodyArgs {
  // TRANSFER.
  uint32_t to_slice = 0;
  std::string to;
  uint64_t amount = 0;
  // ORDER, METER_READING.
  uint64_t interval = 0;
  // ORDER.
  std::string order_side;
  uint64_t energy_wh = 0;
  uint64_t limit_price = 0;
  // CANCEL.
  std::string order_id;
  // METER_READING.
  std::string prosumer;
  uint64_t imported_wh = 0;
  uint64_t exported_wh = 0;
  // REGISTER.
  std::string account;
  std::string role;
  std::string bound_prosumer;
  // SET_TARIFF.
  uint64_t grid_fee = 0;
  uint64_t shortfall_price = 0;
  uint64_t surplus_price = 0;
};

// --to_slice --to --amount
void AddTransferOptions(CLI::App* app, TxBodyArgs* args);
// --interval
void AddIntervalOption(CLI::App* app, TxBodyArgs* args);
// --energy_wh --limit_price (the side is the verb, or tx build's --order_side)
void AddOrderOptions(CLI::App* app, TxBodyArgs* args);
// --order_id
CLI::Option* AddOrderIdOption(CLI::App* app, TxBodyArgs* args);
// --imported_wh --exported_wh --prosumer
void AddReadingOptions(CLI::App* app, TxBodyArgs* args);
// --account --role (one of `roles`, any case) --bound_prosumer
void AddRegisterOptions(CLI::App* app, TxBodyArgs* args, const std::vector<std::string>& roles);
// --grid_fee --shortfall_price --surplus_price
void AddTariffOptions(CLI::App* app, TxBodyArgs* args);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_TX_BODY_OPTIONS_H_
