// The producer's built-in partitioning: keyed records by murmur2 (the vectors of Kafka's Utils.murmur2 tests; docs/protocol.md, "CRC-32C and murmur2"), unkeyed records by the
// sticky partitioner (one partition per ~batch.size bytes, then another one chosen uniformly among the others).
#include <kafkio/partitioner.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using kafkio::detail::partition_for_key;
using kafkio::detail::sticky_partition;

TEST(PartitionForKey, NotesSection9PartitionOfThree) {
  struct vec {
    const char* key;
    std::int32_t partition_of_3;
  };
  for (const auto& v : {vec{"21", 0}, vec{"foobar", 0}, vec{"a-little-bit-long-string", 2},
                        vec{"a-little-bit-longer-string", 2},
                        vec{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 2}, vec{"abc", 0}})
    EXPECT_EQ(partition_for_key(v.key, 3), v.partition_of_3) << v.key;
}

TEST(PartitionForKey, IsToPositiveOfMurmur2ModuloPartitions) {
  // toPositive(x) = x & 0x7fffffff (not abs), from the §9 table's murmur2 values.
  struct vec {
    std::string key;
    std::uint32_t murmur2;
  };
  const std::vector<vec> vectors{{"21", static_cast<std::uint32_t>(-973932308)},
                                 {"foobar", static_cast<std::uint32_t>(-790332482)},
                                 {"abc", 479470107u},
                                 {"kafka", 0xd067cf64u},
                                 {"giberish123456789", 0x8f552b0cu},
                                 {"1234", 0x9fc97b14u},
                                 {"234", 0xe7c009cau},
                                 {"34", 0x873930dau},
                                 {"4", 0x5a4b5ca1u},
                                 {"", 0x106e08d9u}};
  for (const auto& v : vectors)
    for (std::int32_t n : {1, 2, 3, 7, 12, 100, 1000, 65536}) {
      const auto want = static_cast<std::int32_t>((v.murmur2 & 0x7fffffffu) % static_cast<std::uint32_t>(n));
      EXPECT_EQ(partition_for_key(v.key, n), want) << "'" << v.key << "' of " << n;
    }
}

TEST(PartitionForKey, BinaryKeysWithZeroBytes) {
  const std::string key("\0\x01\xff\0", 4);
  const auto p = partition_for_key(key, 10);
  EXPECT_GE(p, 0);
  EXPECT_LT(p, 10);
  EXPECT_NE(partition_for_key(key, 1000), partition_for_key(std::string("\0\x01\xff\x01", 4), 1000));
}

TEST(StickyPartition, OnePartitionIsAlwaysZero) {
  std::minstd_rand rng(1);
  sticky_partition s;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(s.current(1, rng), 0);
    s.on_appended(1000, 100, 1, rng);
  }
}

TEST(StickyPartition, StaysUntilBatchSizeBytesThenSwitches) {
  std::minstd_rand rng(7);
  sticky_partition s;
  const std::int32_t n = 6;
  const std::size_t batch = 1000;
  const auto first = s.current(n, rng);
  ASSERT_GE(first, 0);
  ASSERT_LT(first, n);
  // 9 records of 100 bytes: 900 < 1000, still the same partition.
  for (int i = 0; i < 9; ++i) {
    s.on_appended(100, batch, n, rng);
    EXPECT_EQ(s.current(n, rng), first) << "after " << (i + 1) * 100 << " bytes";
  }
  s.on_appended(100, batch, n, rng);  // 1000 bytes reached: switch
  const auto second = s.current(n, rng);
  EXPECT_NE(second, first);
  // The byte count restarts with the new partition.
  s.on_appended(999, batch, n, rng);
  EXPECT_EQ(s.current(n, rng), second);
  s.on_appended(1, batch, n, rng);
  EXPECT_NE(s.current(n, rng), second);
}

TEST(StickyPartition, OneHugeRecordSwitchesAtOnce) {
  std::minstd_rand rng(3);
  sticky_partition s;
  const auto first = s.current(4, rng);
  s.on_appended(1 << 20, 16384, 4, rng);
  EXPECT_NE(s.current(4, rng), first);
}

TEST(StickyPartition, NeverTheSamePartitionTwiceInARow) {
  for (std::int32_t n : {2, 3, 5, 16}) {
    std::minstd_rand rng(static_cast<unsigned>(n));
    sticky_partition s;
    auto last = s.current(n, rng);
    for (int i = 0; i < 5000; ++i) {
      s.on_appended(16384, 16384, n, rng);
      const auto next = s.current(n, rng);
      ASSERT_GE(next, 0);
      ASSERT_LT(next, n);
      ASSERT_NE(next, last) << "n=" << n << " switch " << i;
      last = next;
    }
  }
}

TEST(StickyPartition, RoughlyUniformOverManySwitches) {
  const std::int32_t n = 8;
  const int switches = 80000;
  std::minstd_rand rng(12345);
  sticky_partition s;
  std::vector<int> counts(n, 0);
  for (int i = 0; i < switches; ++i) {
    ++counts[static_cast<std::size_t>(s.current(n, rng))];
    s.on_appended(100, 100, n, rng);
  }
  // Chi-square against uniform with 7 degrees of freedom: 24.3 is the 0.999 quantile. Deterministic seed, so this
  // is a fixed check, but the threshold is what a sound implementation passes for almost any seed.
  const double expected = static_cast<double>(switches) / n;
  double chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 24.3);
  for (int c : counts) EXPECT_NEAR(c, expected, expected * 0.05);
}

TEST(StickyPartition, PartitionCountShrinkRepicksInRange) {
  std::minstd_rand rng(99);
  sticky_partition s;
  // Find a state where the sticky partition is >= 2, then shrink the topic to 2 partitions.
  for (int i = 0; i < 100 && s.current(10, rng) < 2; ++i) s.on_appended(1, 1, 10, rng);
  ASSERT_GE(s.current(10, rng), 2);
  const auto p = s.current(2, rng);
  EXPECT_GE(p, 0);
  EXPECT_LT(p, 2);
}

}  // namespace
