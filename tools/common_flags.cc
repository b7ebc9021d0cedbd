#include "tools/common_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, backend, "auto",
          "signature verification backend: auto (GPU when present) | cpu | gpu");
