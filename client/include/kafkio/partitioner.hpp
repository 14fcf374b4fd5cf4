// Choosing a partition for a record.
//
// The default matches the Java client (KIP-794): a keyed record goes to toPositive(murmur2(key)) % partitions —
// the same partition the Java client and librdkafka's `murmur2_random` pick — and records without a key stick to
// one partition until about batch.size bytes went there, then move to another chosen uniformly at random, so
// small unkeyed records still fill batches instead of being spread one per partition.
#pragma once

#include <kafkio/protocol/murmur2.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>

namespace kafkio {

// A user-supplied partitioner: (topic, key or nullopt, number of partitions) -> partition in [0, n).
// Return a negative number to fall back to the built-in rule.
using partitioner_function =
    std::function<std::int32_t(std::string_view topic, std::optional<std::string_view> key, std::int32_t partitions)>;

namespace detail {

// Sticky state for one topic (unkeyed records).
class sticky_partition {
 public:
  std::int32_t current(std::int32_t partitions, std::minstd_rand& rng) {
    if (partition_ < 0 || partition_ >= partitions) pick(partitions, rng);
    return partition_;
  }
  // Called after a record of `bytes` went to the sticky partition; switches once batch_size bytes went there.
  void on_appended(std::size_t bytes, std::size_t batch_size, std::int32_t partitions, std::minstd_rand& rng) {
    produced_ += bytes;
    if (produced_ >= batch_size) pick(partitions, rng);
  }

 private:
  void pick(std::int32_t partitions, std::minstd_rand& rng) {
    produced_ = 0;
    if (partitions <= 1) {
      partition_ = 0;
      return;
    }
    // A different partition than the last one when there is a choice, uniformly among the others.
    auto next = static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(partitions - (partition_ >= 0 ? 1 : 0)));
    if (partition_ >= 0 && next >= partition_) ++next;
    partition_ = next;
  }
  std::int32_t partition_ = -1;
  std::size_t produced_ = 0;
};

inline std::int32_t partition_for_key(std::string_view key, std::int32_t partitions) noexcept {
  return protocol::partition_for_key(protocol::bytes_view(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()),
                                     partitions);
}

}  // namespace detail
}  // namespace kafkio
