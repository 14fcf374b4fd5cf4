// Kafka's default partitioner for keyed records (docs/protocol.md, "CRC-32C and murmur2"): murmur2 exactly as Apache
// Kafka's Utils.murmur2 (seed 0x9747b28c, little-endian word reads, fall-through tail), then `to_positive(h) %
// num_partitions`. Records without a key are not hashed; the producer's sticky partitioner handles them.
#pragma once

#include <kafkio/protocol/wire.hpp>

#include <cstdint>

namespace kafkio::protocol {

// 32-bit murmur2 as Kafka computes it, returned as Java's signed int.
constexpr std::int32_t murmur2(bytes_view data) noexcept {
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  constexpr std::uint32_t seed = 0x9747b28c;
  const std::size_t length = data.size();
  // Java hashes an int length; keys longer than 2 GiB are not a concern for a record key.
  std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
  const std::size_t words = length / 4;
  for (std::size_t i = 0; i < words; ++i) {
    const std::size_t at = i * 4;
    std::uint32_t k = static_cast<std::uint32_t>(data[at]) | static_cast<std::uint32_t>(data[at + 1]) << 8 |
                      static_cast<std::uint32_t>(data[at + 2]) << 16 | static_cast<std::uint32_t>(data[at + 3]) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = words * 4;
  switch (length % 4) {
    case 3:
      h ^= static_cast<std::uint32_t>(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint32_t>(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<std::uint32_t>(data[tail]);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

// Kafka's Utils.toPositive: clears the sign bit (not abs(), which would map INT_MIN to itself).
constexpr std::int32_t to_positive(std::int32_t x) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) & 0x7fffffffu);
}

// The partition the Java producer picks for `key` among all `num_partitions` partitions of the topic.
// Returns -1 if num_partitions <= 0.
constexpr std::int32_t partition_for_key(bytes_view key, std::int32_t num_partitions) noexcept {
  if (num_partitions <= 0) return -1;
  return to_positive(murmur2(key)) % num_partitions;
}

}  // namespace kafkio::protocol
