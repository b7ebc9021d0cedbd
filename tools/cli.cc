#include "tools/cli.h"

#include <cstdio>

namespace gridledger::tools {

std::optional<int> ParseArgs(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    // Prints the help (stdout) or the error naming the option (stderr).
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
}

int CommandFailed(const char* command, const std::string& message, int code) {
  std::fprintf(stderr, "gridledger %s: %s\n", command, message.c_str());
  if (code == kExitUsage) std::fputs("Run with --help for more information.\n", stderr);
  return code;
}

CLI::Option* AddDuration(CLI::App* app, const std::string& name, absl::Duration* value,
                         const std::string& help, bool positive) {
  CLI::Validator check(
      [positive](std::string& text) -> std::string {
        absl::Duration d;
        if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration() ||
            (positive && d == absl::ZeroDuration()) || d == absl::InfiniteDuration()) {
          return absl::StrCat("'", text, "' is not a ", positive ? "positive" : "non-negative",
                              " duration (e.g. 20s, 500ms, 1m)");
        }
        return std::string();
      },
      "");
  return app
      ->add_option_function<std::string>(
          name, [value](const std::string& text) { absl::ParseDuration(text, value); }, help)
      ->type_name("DURATION")
      ->default_str(absl::FormatDuration(*value))
      ->check(check);
}

CLI::Option* AddPath(CLI::App* app, const std::string& name, std::string* value,
                     const std::string& help) {
  return app->add_option(name, *value, help)->check([](const std::string& v) {
    return v.empty() ? std::string("an empty path") : std::string();
  });
}

CLI::Option* AddChoice(CLI::App* app, const std::string& name, std::string* value,
                       const std::string& help, const std::vector<std::string>& choices) {
  return app->add_option(name, *value, help)->capture_default_str()->check(CLI::IsMember(choices));
}

}  // namespace gridledger::tools
