// The verification bound of a co-located cluster (issue 12): every validator
// of a slice verifies every transaction once, so with all validators on one
// machine the committed rate can at best be
//   cores / (validators per slice x one libsecp256k1 verification),
// whatever the number of slices. The cluster measures the verification cost
// in its own process right before and right after the load, so the bound
// and the TPS it is compared with come from the same run on the same machine.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_VERIFICATION_BOUND_H_
#define GRIDLEDGER_TOOLS_LOADGEN_VERIFICATION_BOUND_H_

#include <cstdint>

namespace gridledger::loadgen {

// BIP-340 verifications timed by each calibration.
inline constexpr int kVerifyCalibrationCount = 2000;

// Cores this process may use: its CPU affinity mask, capped by a cgroup v2
// CPU quota (/sys/fs/cgroup/cpu.max) when one is set.
double UsableCores();

struct VerificationBound {
  double cores = 0;
  uint32_t validators = 0;      // per slice: each verifies every transaction of its slice
  double verify_us_before = 0;  // one verification, one core, right before the load
  double verify_us_after = 0;   // and right after it
  // The lower positive calibration: the one least slowed by other work on
  // the machine, so the bound is not understated. 0 when neither ran.
  double verify_us() const;
  // cores / (validators x verify_us()) in tx/s; 0 when not measured.
  double tps() const;
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_VERIFICATION_BOUND_H_
