#include "net/archive/archive_config.h"

#include "absl/strings/str_cat.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/common/toml_fields.h"

namespace gridledger::archive {
namespace {

constexpr absl::string_view kWhat = "archive config";
constexpr absl::string_view kKeys[] = {"genesis",       "data_dir",     "grpc_address",
                                       "log_level",     "source",       "grpc_tls_cert",
                                       "grpc_tls_key",  "source_tls_ca"};
constexpr absl::string_view kSourceKeys[] = {"slice", "grpc"};

absl::StatusOr<node::HostPort> Address(const TomlFields& fields, absl::string_view key) {
  GL_ASSIGN_OR_RETURN(const std::string text, fields.String(key));
  auto hp = node::ParseHostPort(text, key);
  if (!hp.ok()) return fields.LocatedAt(key, hp.status().message());
  return *hp;
}

}  // namespace

absl::StatusOr<ArchiveConfig> ParseArchiveConfig(absl::string_view text) {
  if (text.size() > node::kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, ": ", text.size(), " bytes exceeds ", node::kMaxConfigBytes));
  }
  GL_ASSIGN_OR_RETURN(const toml::table root, ParseTomlDocument(text, kWhat));
  GL_ASSIGN_OR_RETURN(const TomlFields fields, TomlFields::Of(root, kWhat, "", kKeys));
  ArchiveConfig config;
  GL_ASSIGN_OR_RETURN(config.genesis_path, fields.String("genesis"));
  GL_ASSIGN_OR_RETURN(config.data_dir, fields.String("data_dir"));
  GL_ASSIGN_OR_RETURN(config.grpc_address, Address(fields, "grpc_address"));
  GL_ASSIGN_OR_RETURN(const std::optional<std::string> log_level,
                      fields.OptionalString("log_level"));
  if (log_level.has_value()) {
    auto level = ParseLogLevel(*log_level);
    if (!level.ok()) return fields.ErrorAt("log_level", level.status().message());
    config.log_level = *level;
  }
  GL_ASSIGN_OR_RETURN(config.grpc_tls_cert, fields.OptionalString("grpc_tls_cert"));
  GL_ASSIGN_OR_RETURN(config.grpc_tls_key, fields.OptionalString("grpc_tls_key"));
  if (config.grpc_tls_cert.has_value() != config.grpc_tls_key.has_value()) {
    return absl::InvalidArgumentError(
        "archive config: grpc_tls_cert and grpc_tls_key go together (give both or neither)");
  }
  GL_ASSIGN_OR_RETURN(config.source_tls_ca, fields.OptionalString("source_tls_ca"));
  GL_ASSIGN_OR_RETURN(const std::vector<const toml::table*> sources,
                      fields.TableArray("source", kMaxArchiveSources));
  if (sources.empty()) return fields.ErrorAt("source", "at least one [[source]] is required");
  for (size_t i = 0; i < sources.size(); ++i) {
    GL_ASSIGN_OR_RETURN(const TomlFields s, TomlFields::Of(*sources[i], kWhat,
                                                           absl::StrCat("source[", i, "]"),
                                                           kSourceKeys));
    ArchiveSource source;
    GL_ASSIGN_OR_RETURN(const uint64_t slice, s.Uint("slice", 0, UINT32_MAX));
    source.slice = static_cast<uint32_t>(slice);
    GL_ASSIGN_OR_RETURN(source.grpc, Address(s, "grpc"));
    config.sources.push_back(std::move(source));
  }
  return config;
}

std::string SerializeArchiveConfig(const ArchiveConfig& config) {
  std::string out = absl::StrCat("genesis = ", TomlString(config.genesis_path), "\n",
                                 "data_dir = ", TomlString(config.data_dir), "\n",
                                 "grpc_address = ", TomlString(config.grpc_address.ToString()),
                                 "\n", "log_level = ", TomlString(LogLevelName(config.log_level)),
                                 "\n");
  for (const auto& [key, value] : {std::pair{"grpc_tls_cert", &config.grpc_tls_cert},
                                   std::pair{"grpc_tls_key", &config.grpc_tls_key},
                                   std::pair{"source_tls_ca", &config.source_tls_ca}}) {
    if (value->has_value()) absl::StrAppend(&out, key, " = ", TomlString(**value), "\n");
  }
  for (const ArchiveSource& s : config.sources) {
    absl::StrAppend(&out, "\n[[source]]\nslice = ", s.slice, "\ngrpc = ",
                    TomlString(s.grpc.ToString()), "\n");
  }
  return out;
}

absl::StatusOr<ArchiveConfig> LoadArchiveConfig(const std::string& path) {
  GL_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, node::kMaxConfigBytes, "config"));
  auto config = ParseArchiveConfig(text);
  if (!config.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace gridledger::archive
