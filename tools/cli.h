// The one argument parser of every `gridledger` subcommand: CLI11. Each
// command builds its own CLI::App (so two commands' options never collide),
// declares its options with types, ranges, defaults and help text, and calls
// GL_PARSE_ARGS_OR_RETURN. `--help` prints them and exits 0; an unknown
// option, a bad or out-of-range value or a missing required option prints a
// message naming the option and exits kExitUsage (2).
//
// Integers go through NumberIn rather than CLI11's own conversion, which
// reads "010" as octal, "0x10" as hex and wraps "-1" into an unsigned.
#ifndef GRIDLEDGER_TOOLS_CLI_H_
#define GRIDLEDGER_TOOLS_CLI_H_

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/exit_codes.h"

namespace gridledger::tools {

// The exit statuses, for the footer of a command's --help.
inline constexpr char kExitCodesHelp[] =
    "exit: 0 ok, 1 bad input, 2 usage, 3 refused or failed, 4 not found,\n"
    "      5 not final in time, 6 node unreachable";

// Parses argv (argv[0] is "gridledger CMD"). nullopt: go on. Otherwise the
// exit status to return: kExitOk after --help, kExitUsage after a parse error
// (both already printed).
std::optional<int> ParseArgs(CLI::App& app, int argc, char** argv);

// Prints "gridledger <command>: <message>" to stderr (and where to find the
// usage, when `code` is kExitUsage) and returns `code`.
int CommandFailed(const char* command, const std::string& message, int code);

#define GL_PARSE_ARGS_OR_RETURN(app, argc, argv)                                 \
  do {                                                                           \
    if (std::optional<int> gl_parse_exit = ::gridledger::tools::ParseArgs(app, argc, argv)) \
      return *gl_parse_exit;                                                     \
  } while (false)

// A base-10 integer (digits, '-' only for a signed T) in [min, max]. The
// value is rewritten canonically (no leading zeros) before CLI11 converts it.
template <typename T>
CLI::Validator NumberIn(T min = std::numeric_limits<T>::min(),
                        T max = std::numeric_limits<T>::max()) {
  static_assert(std::is_integral_v<T>);
  const bool full_range =
      min == std::numeric_limits<T>::min() && max == std::numeric_limits<T>::max();
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        const size_t first_digit = std::is_signed_v<T> && !text.empty() && text[0] == '-' ? 1 : 0;
        bool digits = text.size() > first_digit;
        for (size_t i = first_digit; i < text.size() && digits; ++i) {
          digits = absl::ascii_isdigit(static_cast<unsigned char>(text[i]));
        }
        T value{};
        if (!digits || !absl::SimpleAtoi(text, &value)) {
          return absl::StrCat("'", text, "' is not ",
                              std::is_signed_v<T> ? "an integer" : "a non-negative integer",
                              " that fits ", sizeof(T) * 8, " bits");
        }
        if (value < min || value > max) {
          return absl::StrCat(value, " is outside [", min, ", ", max, "]");
        }
        text = absl::StrCat(value);
        return std::string();
      },
      full_range ? std::string() : absl::StrCat("in [", min, ", ", max, "]"));
}

// An integer option with its default shown in --help.
template <typename T>
CLI::Option* AddNumber(CLI::App* app, const std::string& name, T* value, const std::string& help,
                       T min = std::numeric_limits<T>::min(),
                       T max = std::numeric_limits<T>::max()) {
  // A transform (not a check): CLI11 keeps only a transform's rewrite.
  return app->add_option(name, *value, help)
      ->capture_default_str()
      ->transform(NumberIn<T>(min, max));
}

// An Abseil duration ("20s", "500ms", "1m"); `positive` refuses zero.
// Negative and infinite durations are always refused.
CLI::Option* AddDuration(CLI::App* app, const std::string& name, absl::Duration* value,
                         const std::string& help, bool positive = true);

// A file or folder path; an empty value (--out=) is refused.
CLI::Option* AddPath(CLI::App* app, const std::string& name, std::string* value,
                     const std::string& help);

// A string option that must be one of `choices` (its default shown).
CLI::Option* AddChoice(CLI::App* app, const std::string& name, std::string* value,
                       const std::string& help, const std::vector<std::string>& choices);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_CLI_H_
