// A streaming front end over nlohmann-json for benchmark results: the
// reports (report.cc, cost_report.cc, market_report.cc) write objects,
// arrays, strings, integers and rounded decimals in order, and nlohmann
// serializes and escapes them. Misuse (a value where a key is expected,
// unbalanced End*) is an always-on assertion.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_JSON_WRITER_H_
#define GRIDLEDGER_TOOLS_LOADGEN_JSON_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace gridledger::loadgen {

class JsonWriter {
 public:
  JsonWriter() = default;
  // Holds pointers into its own document.
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Inside an object: the next value's key.
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Bool(bool value);
  // A finite number rounded to `decimals` digits after the point (written
  // in its shortest form: 4.0, 0.008); non-finite values are written as
  // null (JSON has no NaN).
  JsonWriter& Double(double value, int decimals = 3);

  // The document, compact; every object and array must be closed.
  const std::string& Finish() const;

 private:
  // Places `value` as the next array element, the pending key's value, or
  // the document; returns where it now lives.
  nlohmann::ordered_json* Add(nlohmann::ordered_json value);

  nlohmann::ordered_json root_;
  bool has_root_ = false;
  // The open objects and arrays, innermost last. A parent is not written
  // while a child is open, so these pointers stay valid.
  std::vector<nlohmann::ordered_json*> open_;
  std::optional<std::string> pending_key_;
  mutable std::string out_;
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_JSON_WRITER_H_
