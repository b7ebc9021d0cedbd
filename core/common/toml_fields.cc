#include "core/common/toml_fields.h"

#include <sstream>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gridledger {
namespace {

// "a string", "an integer", ... for "expected X, got Y".
std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// Debian's Abseil has its own string_view; toml++ speaks std's.
std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

absl::Status TomlLineError(absl::string_view what, const toml::source_region& where,
                           absl::string_view message) {
  if (where.begin.line == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": ", message));
  return absl::InvalidArgumentError(
      absl::StrCat(what, " line ", where.begin.line, ": ", message));
}

absl::StatusOr<toml::table> ParseTomlDocument(absl::string_view text, absl::string_view what) {
  // ASCII only: our configs and genesis need nothing else, and toml++ 3.3's
  // Unicode whitespace classifier reaches __builtin_unreachable on some
  // non-ASCII code points (found by genesis_fuzz and node_config_fuzz).
  size_t line = 1;
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte == '\n') ++line;
    if (byte >= 0x80) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " line ", line, ": non-ASCII byte 0x", absl::Hex(byte, absl::kZeroPad2),
          " (configs and genesis are ASCII)"));
    }
  }
  try {
    return toml::parse(Std(text), Std(what));
  } catch (const toml::parse_error& e) {
    return TomlLineError(what, e.source(), Absl(e.description()));
  }
}

std::string TomlString(absl::string_view value) {
  toml::value<std::string> node{std::string(value)};
  std::ostringstream out;
  // No flags: a basic "..." string with escapes, never a literal or
  // multi-line one, so every value looks the same.
  out << toml::toml_formatter{node, toml::format_flags::none};
  return out.str();
}

absl::StatusOr<TomlFields> TomlFields::Of(const toml::table& table, absl::string_view what,
                                          std::string path,
                                          absl::Span<const absl::string_view> allowed) {
  TomlFields fields(table, what, std::move(path));
  for (const auto& [key, node] : table) {
    bool known = false;
    for (absl::string_view a : allowed) known |= key.str() == Std(a);
    if (!known) {
      return TomlLineError(what, key.source(),
                           absl::StrCat("unknown key ", fields.KeyPath(Absl(key.str()))));
    }
  }
  return fields;
}

std::string TomlFields::KeyPath(absl::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
}

toml::source_region TomlFields::TableSource() const {
  // The document root "starts" at line 1, which would point at whatever
  // happens to be there: no line is better than a wrong one.
  return path_.empty() ? toml::source_region{} : table_->source();
}

absl::Status TomlFields::ErrorAt(absl::string_view key, absl::string_view message) const {
  const toml::node* node = table_->get(Std(key));
  return TomlLineError(what_, node != nullptr ? node->source() : TableSource(),
                       absl::StrCat(KeyPath(key), ": ", message));
}

absl::Status TomlFields::LocatedAt(absl::string_view key, absl::string_view message) const {
  const toml::node* node = table_->get(Std(key));
  return TomlLineError(what_, node != nullptr ? node->source() : TableSource(), message);
}

absl::Status TomlFields::TableError(absl::string_view message) const {
  return TomlLineError(what_, TableSource(),
                       path_.empty() ? std::string(message) : absl::StrCat(path_, ": ", message));
}

absl::Status TomlFields::Missing(absl::string_view key) const {
  return TomlLineError(what_, TableSource(), absl::StrCat("missing key ", KeyPath(key)));
}

absl::StatusOr<std::optional<uint64_t>> TomlFields::OptionalUint(absl::string_view key,
                                                                 uint64_t min,
                                                                 uint64_t max) const {
  const toml::node* node = table_->get(Std(key));
  if (node == nullptr) return std::nullopt;
  const toml::value<int64_t>* value = node->as_integer();
  if (value == nullptr) {
    return ErrorAt(key, absl::StrCat("expected an integer, got ", TypeName(*node)));
  }
  const int64_t v = value->get();
  if (v < 0 || static_cast<uint64_t>(v) < min || static_cast<uint64_t>(v) > max) {
    return ErrorAt(key, absl::StrCat(v, " is out of range [", min, ", ", max, "]"));
  }
  return static_cast<uint64_t>(v);
}

absl::StatusOr<uint64_t> TomlFields::Uint(absl::string_view key, uint64_t min,
                                          uint64_t max) const {
  absl::StatusOr<std::optional<uint64_t>> v = OptionalUint(key, min, max);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Missing(key);
  return **v;
}

absl::StatusOr<std::optional<std::string>> TomlFields::OptionalString(
    absl::string_view key) const {
  const toml::node* node = table_->get(Std(key));
  if (node == nullptr) return std::nullopt;
  const toml::value<std::string>* value = node->as_string();
  if (value == nullptr) {
    return ErrorAt(key, absl::StrCat("expected a string, got ", TypeName(*node)));
  }
  if (value->get().empty()) return ErrorAt(key, "empty string");
  return value->get();
}

absl::StatusOr<std::string> TomlFields::String(absl::string_view key) const {
  absl::StatusOr<std::optional<std::string>> v = OptionalString(key);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Missing(key);
  return std::move(**v);
}

absl::StatusOr<const toml::table*> TomlFields::OptionalTable(absl::string_view key) const {
  const toml::node* node = table_->get(Std(key));
  if (node == nullptr) return nullptr;
  if (!node->is_table()) {
    return ErrorAt(key, absl::StrCat("expected a table, got ", TypeName(*node)));
  }
  return node->as_table();
}

absl::StatusOr<std::vector<const toml::table*>> TomlFields::TableArray(absl::string_view key,
                                                                        size_t max_size) const {
  std::vector<const toml::table*> out;
  const toml::node* node = table_->get(Std(key));
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return ErrorAt(key, absl::StrCat("expected an array of tables ([[", KeyPath(key),
                                     "]]), got ", TypeName(*node)));
  }
  if (array->size() > max_size) {
    return ErrorAt(key, absl::StrCat(array->size(), " entries, at most ", max_size));
  }
  out.reserve(array->size());
  for (const toml::node& element : *array) {
    if (!element.is_table()) {
      return TomlLineError(what_, element.source(),
                           absl::StrCat(KeyPath(key), ": expected a table, got ",
                                        TypeName(element)));
    }
    out.push_back(element.as_table());
  }
  return out;
}

}  // namespace gridledger
