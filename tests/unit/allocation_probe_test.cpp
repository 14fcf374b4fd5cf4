// The allocation probe (allocation_probe.hpp) counts at all: one known allocation through each entry point is
// counted once with its size, nothing is counted while it is stopped, and with start_on_this_thread() another
// thread's allocations are not counted. Without this, "allocates nothing" assertions could pass because the probe
// is blind (it once saw operator new only, not the malloc of zlib, lz4 and zstd).
#include "allocation_probe.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <new>
#include <thread>

namespace kafkio::test {
namespace {

namespace probe = allocation_probe;

// Keeps the compiler from removing an allocation it can see is unused (it may elide malloc/free pairs).
void escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }

#if defined(__SANITIZE_ADDRESS__)
#define KAFKIO_SKIP_UNDER_ASAN() GTEST_SKIP() << "the allocation probe is inactive under AddressSanitizer"
#else
#define KAFKIO_SKIP_UNDER_ASAN() (void)0
#endif

template <class F>
std::pair<std::size_t, std::size_t> counted(F&& f) {  // (allocations, largest) while f runs
  probe::start();
  f();
  probe::stop();
  return {probe::count.load(), probe::largest.load()};
}

TEST(AllocationProbe, CountsEachEntryPointOnce) {
  KAFKIO_SKIP_UNDER_ASAN();
  using result = std::pair<std::size_t, std::size_t>;
  EXPECT_EQ(counted([] {
              void* p = std::malloc(1234);
              escape(p);
              std::free(p);
            }),
            (result{1, 1234}));
  EXPECT_EQ(counted([] {
              void* p = std::calloc(10, 100);
              escape(p);
              std::free(p);
            }),
            (result{1, 1000}));
  void* grown = std::malloc(16);
  EXPECT_EQ(counted([&] {
              grown = std::realloc(grown, 5000);
              escape(grown);
            }),
            (result{1, 5000}));
  std::free(grown);
  EXPECT_EQ(counted([] {
              void* p = std::aligned_alloc(64, 640);
              escape(p);
              std::free(p);
            }),
            (result{1, 640}));
  EXPECT_EQ(counted([] {
              void* p = nullptr;
              ASSERT_EQ(::posix_memalign(&p, 64, 320), 0);
              escape(p);
              std::free(p);
            }),
            (result{1, 320}));
  EXPECT_EQ(counted([] {
              void* p = ::operator new(777);
              escape(p);
              ::operator delete(p);
            }),
            (result{1, 777}));
  EXPECT_EQ(counted([] {
              auto p = std::make_unique<char[]>(4096);
              escape(p.get());
            }),
            (result{1, 4096}));
  EXPECT_EQ(counted([] {
              struct alignas(128) wide {
                char bytes[256];
              };
              auto p = std::make_unique<wide>();
              escape(p.get());
            }).first,
            1u);
}

TEST(AllocationProbe, CountsNothingWhileStopped) {
  KAFKIO_SKIP_UNDER_ASAN();
  probe::start();
  probe::stop();
  void* p = std::malloc(100);
  escape(p);
  std::free(p);
  EXPECT_EQ(probe::count.load(), 0u);
  EXPECT_EQ(probe::largest.load(), 0u);
}

TEST(AllocationProbe, OneThreadModeIgnoresOtherThreads) {
  KAFKIO_SKIP_UNDER_ASAN();
  std::thread other;  // created before the probe starts: starting a thread allocates its stack and state
  std::atomic<bool> ready{false}, done{false};
  other = std::thread([&] {
    while (!ready) std::this_thread::yield();
    void* p = std::malloc(100);
    escape(p);
    std::free(p);
    done = true;
  });
  probe::start_on_this_thread();
  ready = true;
  while (!done) std::this_thread::yield();
  void* mine = std::malloc(50);
  escape(mine);
  std::free(mine);
  probe::stop();
  other.join();
  EXPECT_EQ(probe::count.load(), 1u);
  EXPECT_EQ(probe::largest.load(), 50u);
}

}  // namespace
}  // namespace kafkio::test
