// A minimal streaming JSON writer for benchmark results (objects, arrays,
// strings, integers, fixed-point decimals). Misuse (a value where a key is
// expected, unbalanced End*) is an always-on assertion.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_JSON_WRITER_H_
#define GRIDLEDGER_TOOLS_LOADGEN_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gridledger::loadgen {

class JsonWriter {
 public:
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
  // A finite number with `decimals` digits after the point; non-finite
  // values are written as null (JSON has no NaN).
  JsonWriter& Double(double value, int decimals = 3);

  // The document; every object and array must be closed.
  const std::string& Finish() const;

 private:
  enum class Scope { kObject, kArray };
  void BeforeValue();
  void AppendEscaped(absl::string_view s);

  std::string out_;
  std::vector<Scope> scopes_;
  std::vector<bool> first_;  // per scope: nothing written yet
  bool key_pending_ = false;
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_JSON_WRITER_H_
