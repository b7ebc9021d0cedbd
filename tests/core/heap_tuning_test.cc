#include "core/common/heap_tuning.h"

#include <malloc.h>

#include <cstdlib>

#include "gtest/gtest.h"

// Sanitizers bring their own allocator, which refuses mallopt.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GL_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define GL_TEST_SANITIZED 1
#endif
#endif

namespace gridledger {
namespace {

// Stores the blocks where the compiler must assume they are read, so a
// malloc/free pair is not elided.
void* volatile g_sink = nullptr;

TEST(HeapTuningTest, OperatorsTunablesWin) {
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1048576", 1), 0);
  const HeapTuning tuning = KeepLargeAllocationsInHeap();
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
  EXPECT_FALSE(tuning.applied);
  EXPECT_EQ(tuning.description, "heap thresholds left to GLIBC_TUNABLES");
}

#if defined(__GLIBC__) && !defined(GL_TEST_SANITIZED)
// After tuning, a block of a MiB comes from the heap, not from its own mmap
// (glibc's default threshold is 128 KiB): mallinfo2 counts mapped blocks.
TEST(HeapTuningTest, LargeBlocksComeFromTheHeap) {
  const HeapTuning tuning = KeepLargeAllocationsInHeap();
  ASSERT_TRUE(tuning.applied) << tuning.description;
  EXPECT_NE(tuning.description.find("32 MiB"), std::string::npos) << tuning.description;
  const size_t mapped_before = mallinfo2().hblks;
  void* block = std::malloc(size_t{1} << 20);
  ASSERT_NE(block, nullptr);
  g_sink = block;
  EXPECT_EQ(mallinfo2().hblks, mapped_before);
  std::free(block);
  // Above the ceiling, blocks are still mapped one by one.
  void* huge = std::malloc(kMmapThresholdBytes + (size_t{1} << 20));
  ASSERT_NE(huge, nullptr);
  g_sink = huge;
  EXPECT_EQ(mallinfo2().hblks, mapped_before + 1);
  std::free(huge);
}
#endif

}  // namespace
}  // namespace gridledger
