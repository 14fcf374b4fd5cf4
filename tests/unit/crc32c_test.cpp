// CRC-32C: check values, the portable and hardware implementations against each other and a bitwise reference,
// seeding. Throughput is measured in bench/micro/checksum_bench.cpp, not here.
#include <kafkio/protocol/crc32c.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace kafkio::protocol;

namespace {
bytes_view as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Bit-at-a-time reference straight from the definition, independent of both implementations under test.
std::uint32_t crc32c_reference(bytes_view data) {
  std::uint32_t r = 0xFFFFFFFF;
  for (auto b : data) {
    r ^= b;
    for (int i = 0; i < 8; ++i) r = (r >> 1) ^ ((r & 1) ? 0x82F63B78u : 0u);
  }
  return ~r;
}
}  // namespace

TEST(Crc32c, CheckValue) {
  EXPECT_EQ(crc32c(as_bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(as_bytes("123456789")), 0xE3069283u);
  if (auto hw = crc32c_hardware(as_bytes("123456789"))) {
    EXPECT_EQ(*hw, 0xE3069283u);
  }
}

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) appendix B.4 test patterns.
  std::uint8_t zeros[32] = {};
  std::uint8_t ones[32];
  std::memset(ones, 0xff, sizeof ones);
  std::uint8_t ascending[32];
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(bytes_view{}), 0u);
}

TEST(Crc32c, ImplementationIsNamed) {
  auto name = crc32c_implementation();
  EXPECT_TRUE(name == "sse4.2" || name == "armv8-crc" || name == "portable") << name;
  EXPECT_EQ(name != "portable", crc32c_hardware(bytes_view{}).has_value());
#if defined(__x86_64__)
  if (__builtin_cpu_supports("sse4.2")) {
    EXPECT_EQ(name, "sse4.2");
  }
#endif
}

TEST(Crc32c, PortableAndHardwareAgreeOnRandomInputs) {
  std::mt19937_64 rng(7);
  std::vector<std::uint8_t> pool(64 * 1024 + 64);
  for (auto& b : pool) b = static_cast<std::uint8_t>(rng());
  for (int i = 0; i < 3000; ++i) {
    // Lengths cover the byte tail, the 8-byte loop and the 3 x 1 KiB interleaved path; offsets vary alignment.
    std::size_t len = (i % 3 == 0) ? rng() % 16 : (i % 3 == 1) ? rng() % 4096 : rng() % (64 * 1024);
    std::size_t offset = rng() % 64;
    bytes_view data(pool.data() + offset, len);
    std::uint32_t seed = (i % 5 == 0) ? 0 : static_cast<std::uint32_t>(rng());
    std::uint32_t portable = crc32c_portable(data, seed);
    EXPECT_EQ(crc32c(data, seed), portable) << "len " << len << " offset " << offset;
    if (auto hw = crc32c_hardware(data, seed)) {
      EXPECT_EQ(*hw, portable) << "len " << len << " offset " << offset;
    }
    if (seed == 0 && len < 8192) {
      EXPECT_EQ(portable, crc32c_reference(data)) << "len " << len;
    }
  }
}

TEST(Crc32c, SeedContinuesAChecksum) {
  std::mt19937 rng(11);
  std::vector<std::uint8_t> data(10000);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const std::uint32_t whole = crc32c(data);
  for (std::size_t split : {0u, 1u, 7u, 8u, 3071u, 3072u, 5000u, 10000u}) {
    bytes_view all(data);
    EXPECT_EQ(crc32c(all.subspan(split), crc32c(all.first(split))), whole) << split;
    EXPECT_EQ(crc32c_portable(all.subspan(split), crc32c_portable(all.first(split))), whole) << split;
  }
}

// A buffer past every block size of the interleaved paths (1 MiB), with seeds: the dispatched implementation, the
// portable one and the bitwise reference give one answer. (Throughput is measured in bench/micro/checksum_bench.)
TEST(Crc32c, OneMebibyteAgreesWithTheReference) {
  std::vector<std::uint8_t> data(1 << 20);
  std::mt19937 rng(3);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const std::uint32_t reference = crc32c_reference(data);
  EXPECT_EQ(crc32c(data), reference);
  EXPECT_EQ(crc32c_portable(data), reference);
  for (std::uint32_t seed : {1u, 0xdeadbeefu, 0xffffffffu})
    EXPECT_EQ(crc32c(data, seed), crc32c_portable(data, seed)) << seed;
}
