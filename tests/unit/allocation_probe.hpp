// Global operator new replaced once for the unit test executables (allocation_probe.cpp): while `enabled`, it
// counts allocations and remembers the largest. Used to show that hot paths allocate nothing and that decoders
// never allocate beyond their caps. Not active under AddressSanitizer (see allocation_probe.cpp).
#pragma once

#include <atomic>
#include <cstddef>

namespace kafkio::test::allocation_probe {
extern std::atomic<bool> enabled;
extern std::atomic<std::size_t> count;    // allocations while enabled
extern std::atomic<std::size_t> largest;  // largest single request while enabled

inline void start() {
  count = 0;
  largest = 0;
  enabled = true;
}
inline void stop() { enabled = false; }
}  // namespace kafkio::test::allocation_probe
