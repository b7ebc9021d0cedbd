// Keeps a long-running process's large allocations in its heap.
//
// glibc serves a block above its mmap threshold (128 KiB at start, raised
// only as such blocks are freed) with a fresh mmap and returns it with munmap,
// and it trims a freed heap top above 128 KiB back to the kernel. A validator
// allocates and frees buffers of megabytes every block (the recent-commit
// window's hash tables as they grow, a block's vectors), so each block paid
// page faults to map and zero the same memory again: at saturation on a
// paravirtualised VM, where a fault is expensive, the execution thread's page
// faults were about a tenth of its time (docs/benchmarks.md, 2026-12-02,
// twenty-second session).
//
// KeepLargeAllocationsInHeap raises both thresholds, so freed large blocks
// are reused from the heap. The cost: a process keeps its peak heap mapped
// until exit, up to kTrimThresholdBytes above what it uses.
#ifndef GRIDLEDGER_CORE_COMMON_HEAP_TUNING_H_
#define GRIDLEDGER_CORE_COMMON_HEAP_TUNING_H_

#include <cstddef>
#include <string>

namespace gridledger {

// glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (HEAP_MAX_SIZE / 2): blocks
// larger than this are still mapped one by one.
inline constexpr size_t kMmapThresholdBytes = size_t{32} << 20;
// A freed heap top larger than this goes back to the kernel.
inline constexpr size_t kTrimThresholdBytes = size_t{512} << 20;

struct HeapTuning {
  bool applied = false;
  // What was done, or why nothing was: for the process's start line.
  std::string description;
};

// Applies the thresholds with mallopt, unless the environment's
// GLIBC_TUNABLES already sets a glibc.malloc tunable (the operator's choice
// wins) or the allocator refuses (a sanitizer's allocator, another libc).
// Call once, early in main, before threads allocate.
HeapTuning KeepLargeAllocationsInHeap();

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_HEAP_TUNING_H_
