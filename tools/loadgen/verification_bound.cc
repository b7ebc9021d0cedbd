#include "tools/loadgen/verification_bound.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"

namespace gridledger::loadgen {

double UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  double cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  // "max 100000" (no quota) or "<quota_us> <period_us>".
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota, period;
  double q = 0, p = 0;
  if (in >> quota >> period && quota != "max" && absl::SimpleAtod(quota, &q) &&
      absl::SimpleAtod(period, &p) && q > 0 && p > 0) {
    cores = std::min(cores, q / p);
  }
  return std::max(cores, 1.0);
}

double VerificationBound::verify_us() const {
  if (verify_us_before > 0 && verify_us_after > 0) {
    return std::min(verify_us_before, verify_us_after);
  }
  return std::max(verify_us_before, verify_us_after);
}

double VerificationBound::tps() const {
  const double us = verify_us();
  if (us <= 0 || validators == 0 || cores <= 0) return 0;
  return cores * 1e6 / (validators * us);
}

}  // namespace gridledger::loadgen
