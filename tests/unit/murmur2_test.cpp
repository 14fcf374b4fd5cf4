// murmur2 and the keyed partitioner against the vectors of Kafka's UtilsTest and librdkafka's rdmurmur2 unit
// test (docs/protocol.md, "CRC-32C and murmur2").
#include <kafkio/protocol/murmur2.hpp>

#include <gtest/gtest.h>

#include <string_view>

using namespace kafkio::protocol;

namespace {
bytes_view as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
}  // namespace

TEST(Murmur2, KafkaUtilsTestVectors) {
  struct row {
    std::string_view key;
    std::int32_t hash;
    std::int32_t positive;
    std::int32_t partition_of_3;
  };
  const row rows[] = {
      {"21", -973932308, 1173551340, 0},
      {"foobar", -790332482, 1357151166, 0},
      {"a-little-bit-long-string", -985981536, 1161502112, 2},
      {"a-little-bit-longer-string", -1486304829, 661178819, 2},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971, 2088585677, 2},
      {"abc", 479470107, 479470107, 0},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(murmur2(as_bytes(r.key)), r.hash) << r.key;
    EXPECT_EQ(to_positive(murmur2(as_bytes(r.key))), r.positive) << r.key;
    EXPECT_EQ(partition_for_key(as_bytes(r.key), 3), r.partition_of_3) << r.key;
  }
}

TEST(Murmur2, LibrdkafkaVectors) {
  struct row {
    std::string_view key;
    std::uint32_t hash;
  };
  const row rows[] = {
      {"kafka", 0xd067cf64}, {"giberish123456789", 0x8f552b0c}, {"1234", 0x9fc97b14}, {"234", 0xe7c009ca},
      {"34", 0x873930da},    {"4", 0x5a4b5ca1},                  {"", 0x106e08d9},
  };
  for (const auto& r : rows) EXPECT_EQ(static_cast<std::uint32_t>(murmur2(as_bytes(r.key))), r.hash) << r.key;
}

TEST(Murmur2, ToPositiveClearsOnlyTheSignBit) {
  EXPECT_EQ(to_positive(0), 0);
  EXPECT_EQ(to_positive(-1), 0x7fffffff);
  EXPECT_EQ(to_positive(INT32_MIN), 0);  // abs() would overflow here
  EXPECT_EQ(to_positive(12345), 12345);
}

TEST(Murmur2, PartitionForKeyBounds) {
  EXPECT_EQ(partition_for_key(as_bytes("kafka"), 0), -1);
  EXPECT_EQ(partition_for_key(as_bytes("kafka"), -4), -1);
  EXPECT_EQ(partition_for_key(as_bytes("kafka"), 1), 0);
  for (std::int32_t n : {2, 7, 100, 1000})
    EXPECT_EQ(partition_for_key(as_bytes("kafka"), n), static_cast<std::int32_t>(0x5067cf64u % n)) << n;
}

TEST(Murmur2, UsableAtCompileTime) {
  static constexpr std::uint8_t key[] = {'a', 'b', 'c'};
  static_assert(murmur2(bytes_view(key)) == 479470107);
  static_assert(partition_for_key(bytes_view(key), 3) == 0);
  SUCCEED();
}
