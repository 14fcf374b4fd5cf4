#include "allocation_probe.hpp"

#include <cstdlib>
#include <new>

namespace kafkio::test::allocation_probe {
std::atomic<bool> enabled{false};
std::atomic<std::size_t> count{0};
std::atomic<std::size_t> largest{0};
std::atomic<bool> one_thread{false};
thread_local bool counted_thread = false;
}  // namespace kafkio::test::allocation_probe

// Under AddressSanitizer the replacement stays out: ASan brings its own operator new/delete (and new[]/delete[]),
// and mixing ours with its would be reported as alloc-dealloc mismatches. The probe then sees nothing, so its
// assertions hold trivially there; the regular build is where they bite.
#if !defined(__SANITIZE_ADDRESS__)
namespace {
void note_allocation(std::size_t n) noexcept {
  namespace probe = kafkio::test::allocation_probe;
  if (probe::enabled.load(std::memory_order_relaxed) &&
      (!probe::one_thread.load(std::memory_order_relaxed) || probe::counted_thread)) {
    ++probe::count;
    std::size_t seen = probe::largest.load(std::memory_order_relaxed);
    while (n > seen && !probe::largest.compare_exchange_weak(seen, n)) {
    }
  }
}
}  // namespace

void* operator new(std::size_t n) {
  note_allocation(n);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}

// Asio's recycling allocator (the default storage of handlers and operations) gets its memory from aligned_alloc,
// not operator new, so that is counted too. glibc's memalign does the work; free() releases it.
extern "C" void* __libc_memalign(std::size_t, std::size_t);
extern "C" void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
  note_allocation(n);
  return __libc_memalign(align, n);
}
// noinline: once inlined, GCC sees free() on a pointer from operator new and warns (-Wmismatched-new-delete).
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif
