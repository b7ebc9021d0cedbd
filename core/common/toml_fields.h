// Strict reading of the TOML files an operator writes (node config, genesis)
// through toml++. Every error is InvalidArgument "<what> line N: <key>: ..."
// naming the line (toml++ keeps each value's source position) and the key
// path, so a mistake in a 10,000-line genesis is found without a debugger:
// syntax errors and repeated keys (toml++), unknown keys, wrong types, values
// out of range, missing keys.
#ifndef GRIDLEDGER_CORE_COMMON_TOML_FIELDS_H_
#define GRIDLEDGER_CORE_COMMON_TOML_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gridledger {

// Parses a whole document; a syntax error (including a key given twice) is
// "<what> line N: <toml++ description>". Only ASCII is accepted.
absl::StatusOr<toml::table> ParseTomlDocument(absl::string_view text, absl::string_view what);

// `value` as a TOML basic string (quotes and escapes by toml++), for writers.
std::string TomlString(absl::string_view value);

// The keys of one TOML table, checked against the keys it may have. `path`
// names the table in messages ("" for the document root, "slice[1]" for the
// second [[slice]]): a key k of it is reported as "slice[1].k".
class TomlFields {
 public:
  // InvalidArgument naming the first key of `table` not in `allowed`.
  static absl::StatusOr<TomlFields> Of(const toml::table& table, absl::string_view what,
                                       std::string path,
                                       absl::Span<const absl::string_view> allowed);

  bool Has(absl::string_view key) const {
    return table_->contains(std::string_view(key.data(), key.size()));
  }

  // Required integer in [min, max]; a missing key, another type or a value
  // out of range is an error naming the key (and its line when present).
  absl::StatusOr<uint64_t> Uint(absl::string_view key, uint64_t min, uint64_t max) const;
  absl::StatusOr<std::optional<uint64_t>> OptionalUint(absl::string_view key, uint64_t min,
                                                       uint64_t max) const;
  // Required non-empty string.
  absl::StatusOr<std::string> String(absl::string_view key) const;
  absl::StatusOr<std::optional<std::string>> OptionalString(absl::string_view key) const;
  absl::StatusOr<const toml::table*> OptionalTable(absl::string_view key) const;
  // An array whose every element is a table ([[key]] or key = [{...}]), at
  // most `max_size` long; empty when the key is absent.
  absl::StatusOr<std::vector<const toml::table*>> TableArray(absl::string_view key,
                                                              size_t max_size) const;

  // "<what> line N: <path.key>: <message>" at the key's value (the table's
  // line when the key is absent; no line for an absent key of the root).
  absl::Status ErrorAt(absl::string_view key, absl::string_view message) const;
  // "<what> line N: <message>" at the key's value, for a message that
  // already names the key (a shared value parser's).
  absl::Status LocatedAt(absl::string_view key, absl::string_view message) const;
  // "<what> line N: <path>: <message>" at the table itself.
  absl::Status TableError(absl::string_view message) const;

 private:
  TomlFields(const toml::table& table, absl::string_view what, std::string path)
      : table_(&table), what_(what), path_(std::move(path)) {}
  std::string KeyPath(absl::string_view key) const;
  toml::source_region TableSource() const;
  absl::Status Missing(absl::string_view key) const;

  const toml::table* table_;
  std::string what_;
  std::string path_;
};

// "<what> line N: <message>" (no line when the position is unknown).
absl::Status TomlLineError(absl::string_view what, const toml::source_region& where,
                           absl::string_view message);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_TOML_FIELDS_H_
