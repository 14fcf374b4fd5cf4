#include "allocation_probe.hpp"

#include <cerrno>
#include <cstdlib>
#include <new>

namespace kafkio::test::allocation_probe {
std::atomic<bool> enabled{false};
std::atomic<std::size_t> count{0};
std::atomic<std::size_t> largest{0};
std::atomic<bool> one_thread{false};
thread_local bool counted_thread = false;
}  // namespace kafkio::test::allocation_probe

// Under AddressSanitizer the replacements stay out: ASan brings its own malloc family and operator new/delete, and
// replacing them under it would be reported as alloc-dealloc mismatches. The probe then sees nothing, so its
// assertions hold trivially there (allocation_probe_test skips itself); the regular build is where they bite.
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

// The C allocator, which zlib, liblz4, libzstd, libsnappy's C parts and OpenSSL use. glibc's own entry points do
// the work (as bench/alloc_count.cpp); free() needs no replacement, glibc's frees all of these.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t n) {
  note_allocation(n);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note_allocation(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note_allocation(n);
  return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
  note_allocation(n);
  return __libc_memalign(align, n);
}
// Asio's recycling allocator (the default storage of handlers and operations) gets its memory from aligned_alloc.
void* aligned_alloc(std::size_t align, std::size_t n) {
  note_allocation(n);
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  note_allocation(n);
  void* p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}

// operator new goes through malloc (counted there, once); the array and aligned forms of libstdc++ go through
// this one or aligned_alloc.
void* operator new(std::size_t n) {
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// noinline: once inlined, GCC sees free() on a pointer from operator new and warns (-Wmismatched-new-delete).
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif
