// Every heap allocation of the unit test executables passes through allocation_probe.cpp: malloc, calloc, realloc,
// memalign, aligned_alloc, posix_memalign (what zlib, lz4, zstd and OpenSSL use) and operator new (through malloc).
// While `enabled`, it counts the calls and remembers the largest request. Used to show that hot paths allocate
// nothing and that decoders never allocate beyond their caps; allocation_probe_test checks that it counts at all.
// Not active under AddressSanitizer (see allocation_probe.cpp).
#pragma once

#include <atomic>
#include <cstddef>

namespace kafkio::test::allocation_probe {
extern std::atomic<bool> enabled;
extern std::atomic<std::size_t> count;    // allocations while enabled
extern std::atomic<std::size_t> largest;  // largest single request while enabled
extern std::atomic<bool> one_thread;      // count only on the thread that called start_on_this_thread()
extern thread_local bool counted_thread;

inline void start() {
  count = 0;
  largest = 0;
  one_thread = false;
  enabled = true;
}
// As start(), but allocations made on other threads (a fake broker on its own thread) are not counted.
inline void start_on_this_thread() {
  count = 0;
  largest = 0;
  counted_thread = true;
  one_thread = true;
  enabled = true;
}
inline void stop() {
  enabled = false;
  counted_thread = false;
}
}  // namespace kafkio::test::allocation_probe
