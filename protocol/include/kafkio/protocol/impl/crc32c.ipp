// Compiled part of crc32c.hpp: built once, from <kafkio/protocol/src.hpp>.
#pragma once

#ifndef KAFKIO_SOURCE
#error "impl/crc32c.ipp is compiled once via <kafkio/protocol/src.hpp>; include <kafkio/protocol/crc32c.hpp> instead"
#endif

#include <kafkio/protocol/crc32c.hpp>

#include <array>
#include <cstddef>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KAFKIO_CRC32C_X86 1
#include <nmmintrin.h>
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define KAFKIO_CRC32C_ARM 1
#if defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#elif defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)  // from <asm/hwcap.h>
#endif
#endif
#endif

namespace kafkio::protocol {
namespace detail::crc32c_impl {

// All functions below work on the CRC *register*: the public functions invert on the way in and out (CRC-32C's
// initial value and final XOR are both 0xFFFFFFFF), which is also what the CPU instructions expect.
constexpr std::uint32_t polynomial = 0x82F63B78;  // reflected Castagnoli

using tables_t = std::array<std::array<std::uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table; tables[k][b] advances tables[k-1][b] by one more zero byte, so
// eight lookups consume eight input bytes at once (slicing-by-8).
constexpr tables_t make_slicing_tables() {
  tables_t t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t r = b;
    for (int bit = 0; bit < 8; ++bit) r = (r >> 1) ^ ((r & 1) ? polynomial : 0);
    t[0][b] = r;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  return t;
}
constexpr tables_t slicing_tables = make_slicing_tables();

inline std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint32_t update_portable(const std::uint8_t* p, std::size_t n, std::uint32_t r) noexcept {
  const auto& t = slicing_tables;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint32_t lo = r ^ load_le32(p);
    std::uint32_t hi = load_le32(p + 4);
    r = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^
        t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) r = (r >> 8) ^ t[0][(r ^ *p) & 0xff];
  return r;
}

// --- Advancing a register over a run of zero bytes, for combining independent streams -------------------------
// Feeding zeros is linear over GF(2), so it is a 32x32 bit matrix (one column per input bit). Three streams of
// `stream_bytes` each are checksummed in parallel (the crc32 instruction has a latency of 3 cycles but a throughput
// of 1), then stitched together: crc(A ++ B) = zeros(crc(A), |B|) ^ crc_from_zero(B).
using gf2_matrix = std::array<std::uint32_t, 32>;

constexpr std::uint32_t gf2_apply(const gf2_matrix& m, std::uint32_t v) {
  std::uint32_t out = 0;
  for (std::size_t i = 0; v != 0; ++i, v >>= 1)
    if (v & 1) out ^= m[i];
  return out;
}
constexpr gf2_matrix gf2_square(const gf2_matrix& m) {
  gf2_matrix sq{};
  for (std::size_t i = 0; i < 32; ++i) sq[i] = gf2_apply(m, m[i]);
  return sq;
}

constexpr std::size_t stream_bytes = 1024;  // a power of two, a multiple of 8

// shift_tables[k][b] = register after `stream_bytes` zero bytes, starting from b << 8k.
constexpr std::array<std::array<std::uint32_t, 256>, 4> make_shift_tables() {
  gf2_matrix m{};  // one zero bit
  m[0] = polynomial;
  for (std::size_t i = 1; i < 32; ++i) m[i] = std::uint32_t{1} << (i - 1);
  for (std::size_t bits = 1; bits < stream_bytes * 8; bits *= 2) m = gf2_square(m);
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  for (std::size_t k = 0; k < 4; ++k)
    for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = gf2_apply(m, b << (8 * k));
  return t;
}
constexpr auto shift_tables = make_shift_tables();

inline std::uint32_t skip_stream_of_zeros(std::uint32_t r) noexcept {
  const auto& t = shift_tables;
  return t[0][r & 0xff] ^ t[1][(r >> 8) & 0xff] ^ t[2][(r >> 16) & 0xff] ^ t[3][r >> 24];
}

#if defined(KAFKIO_CRC32C_X86)

inline std::uint64_t load_u64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((target("sse4.2"))) std::uint32_t update_sse42(const std::uint8_t* p, std::size_t n,
                                                              std::uint32_t r) noexcept {
  for (; n >= 3 * stream_bytes; p += 3 * stream_bytes, n -= 3 * stream_bytes) {
    std::uint64_t a = r, b = 0, c = 0;
    for (std::size_t i = 0; i < stream_bytes; i += 8) {
      a = _mm_crc32_u64(a, load_u64(p + i));
      b = _mm_crc32_u64(b, load_u64(p + stream_bytes + i));
      c = _mm_crc32_u64(c, load_u64(p + 2 * stream_bytes + i));
    }
    r = skip_stream_of_zeros(skip_stream_of_zeros(static_cast<std::uint32_t>(a)) ^ static_cast<std::uint32_t>(b)) ^
        static_cast<std::uint32_t>(c);
  }
  std::uint64_t r64 = r;
  for (; n >= 8; p += 8, n -= 8) r64 = _mm_crc32_u64(r64, load_u64(p));
  r = static_cast<std::uint32_t>(r64);
  for (; n > 0; ++p, --n) r = _mm_crc32_u8(r, *p);
  return r;
}

bool cpu_has_hardware_crc() noexcept {
  __builtin_cpu_init();  // may run before static constructors
  return __builtin_cpu_supports("sse4.2");
}
constexpr auto update_hardware = update_sse42;
constexpr std::string_view hardware_name = "sse4.2";

#elif defined(KAFKIO_CRC32C_ARM)

// Either the whole build targets the CRC extension (then the intrinsics are plain calls), or only this function
// does and the CPU is asked at run time.
#if defined(__ARM_FEATURE_CRC32)
#define KAFKIO_ARM_CRC_TARGET
#define KAFKIO_CRC32CD(r, v) __crc32cd(r, v)
#define KAFKIO_CRC32CB(r, v) __crc32cb(r, v)
#elif defined(__clang__)
#define KAFKIO_ARM_CRC_TARGET __attribute__((target("crc")))
#define KAFKIO_CRC32CD(r, v) __builtin_arm_crc32cd(r, v)
#define KAFKIO_CRC32CB(r, v) __builtin_arm_crc32cb(r, v)
#else
#define KAFKIO_ARM_CRC_TARGET __attribute__((target("+crc")))
#define KAFKIO_CRC32CD(r, v) __builtin_aarch64_crc32cx(r, v)
#define KAFKIO_CRC32CB(r, v) __builtin_aarch64_crc32cb(r, v)
#endif

KAFKIO_ARM_CRC_TARGET std::uint32_t update_armv8(const std::uint8_t* p, std::size_t n, std::uint32_t r) noexcept {
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    r = KAFKIO_CRC32CD(r, v);
  }
  for (; n > 0; ++p, --n) r = KAFKIO_CRC32CB(r, *p);
  return r;
}

bool cpu_has_hardware_crc() noexcept {
#if defined(__ARM_FEATURE_CRC32)
  return true;
#elif defined(__linux__)
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#else
  return false;
#endif
}
constexpr auto update_hardware = update_armv8;
constexpr std::string_view hardware_name = "armv8-crc";

#endif

bool hardware_available() noexcept {
#if defined(KAFKIO_CRC32C_X86) || defined(KAFKIO_CRC32C_ARM)
  static const bool available = cpu_has_hardware_crc();
  return available;
#else
  return false;
#endif
}

using update_fn = std::uint32_t (*)(const std::uint8_t*, std::size_t, std::uint32_t) noexcept;

struct dispatch {
  update_fn update;
  std::string_view name;
};

const dispatch& chosen() noexcept {
  static const dispatch d = [] {
#if defined(KAFKIO_CRC32C_X86) || defined(KAFKIO_CRC32C_ARM)
    if (hardware_available()) return dispatch{update_hardware, hardware_name};
#endif
    return dispatch{update_portable, "portable"};
  }();
  return d;
}

}  // namespace detail::crc32c_impl

std::uint32_t crc32c(bytes_view data, std::uint32_t seed) noexcept {
  return ~detail::crc32c_impl::chosen().update(data.data(), data.size(), ~seed);
}

std::uint32_t crc32c_portable(bytes_view data, std::uint32_t seed) noexcept {
  return ~detail::crc32c_impl::update_portable(data.data(), data.size(), ~seed);
}

std::optional<std::uint32_t> crc32c_hardware(bytes_view data, std::uint32_t seed) noexcept {
#if defined(KAFKIO_CRC32C_X86) || defined(KAFKIO_CRC32C_ARM)
  if (detail::crc32c_impl::hardware_available())
    return ~detail::crc32c_impl::update_hardware(data.data(), data.size(), ~seed);
#endif
  (void)data;
  (void)seed;
  return std::nullopt;
}

std::string_view crc32c_implementation() noexcept { return detail::crc32c_impl::chosen().name; }

}  // namespace kafkio::protocol
