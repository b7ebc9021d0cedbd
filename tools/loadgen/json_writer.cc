#include "tools/loadgen/json_writer.h"

#include <cmath>

#include "core/common/check.h"

namespace gridledger::loadgen {

using json = nlohmann::ordered_json;

json* JsonWriter::Add(json value) {
  if (open_.empty()) {
    GL_CHECK(!has_root_);  // one top-level value
    has_root_ = true;
    root_ = std::move(value);
    return &root_;
  }
  json& parent = *open_.back();
  if (parent.is_object()) {
    GL_CHECK(pending_key_.has_value());
    json& slot = parent[*pending_key_];
    pending_key_.reset();
    slot = std::move(value);
    return &slot;
  }
  parent.push_back(std::move(value));
  return &parent.back();
}

JsonWriter& JsonWriter::BeginObject() {
  open_.push_back(Add(json::object()));
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  GL_CHECK(!open_.empty() && open_.back()->is_object() && !pending_key_.has_value());
  open_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  open_.push_back(Add(json::array()));
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  GL_CHECK(!open_.empty() && open_.back()->is_array());
  open_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  GL_CHECK(!open_.empty() && open_.back()->is_object() && !pending_key_.has_value());
  pending_key_ = std::string(key);
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view value) {
  Add(std::string(value));
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  Add(value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  Add(value);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Add(value);
  return *this;
}

JsonWriter& JsonWriter::Double(double value, int decimals) {
  GL_CHECK(decimals >= 0 && decimals <= 9);
  if (!std::isfinite(value)) {
    Add(nullptr);
    return *this;
  }
  const double scale = std::pow(10.0, decimals);
  const double rounded = std::round(value * scale) / scale;
  // Rounding a huge value can overflow; keep it as it was then.
  Add(std::isfinite(rounded) ? rounded : value);
  return *this;
}

const std::string& JsonWriter::Finish() const {
  GL_CHECK(open_.empty() && has_root_);
  // Invalid UTF-8 in a string (a peer's reason text) is replaced, not thrown.
  out_ = root_.dump(-1, ' ', false, json::error_handler_t::replace);
  return out_;
}

}  // namespace gridledger::loadgen
