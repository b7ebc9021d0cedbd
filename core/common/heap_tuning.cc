#include "core/common/heap_tuning.h"

#include <malloc.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gridledger {

HeapTuning KeepLargeAllocationsInHeap() {
  HeapTuning tuning;
  if (const char* tunables = std::getenv("GLIBC_TUNABLES");
      tunables != nullptr && absl::StrContains(tunables, "glibc.malloc.")) {
    tuning.description = "heap thresholds left to GLIBC_TUNABLES";
    return tuning;
  }
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  // mallopt answers 1 on success, 0 when refused (a sanitizer's allocator).
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThresholdBytes)) == 1;
  tuning.applied = mmap_ok && trim_ok;
  tuning.description =
      tuning.applied
          ? absl::StrCat("heap keeps blocks up to ", kMmapThresholdBytes >> 20,
                         " MiB and trims above ", kTrimThresholdBytes >> 20, " MiB")
          : absl::StrCat("heap thresholds not set: mallopt refused",
                         mmap_ok ? "" : " M_MMAP_THRESHOLD", trim_ok ? "" : " M_TRIM_THRESHOLD");
#else
  tuning.description = "heap thresholds not set: not glibc";
#endif
  return tuning;
}

}  // namespace gridledger
