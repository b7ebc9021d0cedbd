#include "tools/tx_body_options.h"

namespace gridledger::tools {

void AddTransferOptions(CLI::App* app, TxBodyArgs* args) {
  AddNumber(app, "--to_slice", &args->to_slice, "transfer: recipient's home slice");
  app->add_option("--to", args->to, "transfer: recipient x-only public key (64 hex)");
  AddNumber(app, "--amount", &args->amount, "transfer: amount in micro-units (> 0)");
}

void AddIntervalOption(CLI::App* app, TxBodyArgs* args) {
  AddNumber(app, "--interval", &args->interval, "the 15-minute interval id (unix s / 900)");
}

void AddOrderOptions(CLI::App* app, TxBodyArgs* args) {
  AddNumber(app, "--energy_wh", &args->energy_wh, "order: energy in Wh");
  AddNumber(app, "--limit_price", &args->limit_price, "order: limit price, micro-units per kWh");
}

CLI::Option* AddOrderIdOption(CLI::App* app, TxBodyArgs* args) {
  return app->add_option("--order_id", args->order_id,
                         "cancel: id of the ORDER transaction (64 hex)");
}

void AddReadingOptions(CLI::App* app, TxBodyArgs* args) {
  AddNumber(app, "--imported_wh", &args->imported_wh,
            "meter reading: energy imported from the grid, Wh");
  AddNumber(app, "--exported_wh", &args->exported_wh,
            "meter reading: energy exported to the grid, Wh");
  app->add_option("--prosumer", args->prosumer, "meter reading: the metered prosumer (64 hex)");
}

void AddRegisterOptions(CLI::App* app, TxBodyArgs* args, const std::vector<std::string>& roles) {
  app->add_option("--account", args->account, "register: the account's key (64 hex)");
  app->add_option("--role", args->role, "register: the account's role")
      ->transform(CLI::IsMember(roles, CLI::ignore_case));
  app->add_option("--bound_prosumer", args->bound_prosumer,
                  "register: for a meter, the prosumer it measures (64 hex)");
}

void AddTariffOptions(CLI::App* app, TxBodyArgs* args) {
  AddNumber(app, "--grid_fee", &args->grid_fee, "tariff: grid fee, micro-units per kWh");
  AddNumber(app, "--shortfall_price", &args->shortfall_price,
            "tariff: imbalance price per kWh delivered short");
  AddNumber(app, "--surplus_price", &args->surplus_price,
            "tariff: imbalance price per kWh delivered in excess");
}

}  // namespace gridledger::tools
