#include "tools/command.h"


namespace gridledger::tools {

std::map<std::string, Command>& Commands() {
  static auto* commands = new std::map<std::string, Command>();
  return *commands;
}

}  // namespace gridledger::tools
