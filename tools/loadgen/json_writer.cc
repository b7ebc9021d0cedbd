#include "tools/loadgen/json_writer.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/check.h"

namespace gridledger::loadgen {

void JsonWriter::BeforeValue() {
  if (scopes_.empty()) {
    GL_CHECK(out_.empty());  // one top-level value
    return;
  }
  if (scopes_.back() == Scope::kObject) {
    GL_CHECK(key_pending_);
    key_pending_ = false;
    return;
  }
  if (!first_.back()) out_ += ',';
  first_.back() = false;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  scopes_.push_back(Scope::kObject);
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  GL_CHECK(!scopes_.empty() && scopes_.back() == Scope::kObject && !key_pending_);
  scopes_.pop_back();
  first_.pop_back();
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  scopes_.push_back(Scope::kArray);
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  GL_CHECK(!scopes_.empty() && scopes_.back() == Scope::kArray);
  scopes_.pop_back();
  first_.pop_back();
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  GL_CHECK(!scopes_.empty() && scopes_.back() == Scope::kObject && !key_pending_);
  if (!first_.back()) out_ += ',';
  first_.back() = false;
  AppendEscaped(key);
  out_ += ':';
  key_pending_ = true;
  return *this;
}

void JsonWriter::AppendEscaped(absl::string_view s) {
  out_ += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out_, "\\u%04x", c);
        } else {
          out_ += static_cast<char>(c);
        }
    }
  }
  out_ += '"';
}

JsonWriter& JsonWriter::String(absl::string_view value) {
  BeforeValue();
  AppendEscaped(value);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Double(double value, int decimals) {
  GL_CHECK(decimals >= 0 && decimals <= 9);
  BeforeValue();
  if (!std::isfinite(value)) {
    out_ += "null";
  } else {
    absl::StrAppendFormat(&out_, "%.*f", decimals, value);
  }
  return *this;
}

const std::string& JsonWriter::Finish() const {
  GL_CHECK(scopes_.empty() && !out_.empty());
  return out_;
}

}  // namespace gridledger::loadgen
