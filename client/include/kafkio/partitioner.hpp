// Choosing a partition for a record.
//
// The default matches the Java client (KIP-794): a keyed record goes to toPositive(murmur2(key)) % partitions —
// the same partition the Java client and librdkafka's `murmur2_random` pick — and records without a key stick to
// one partition until about batch.size bytes went there, then move to another chosen uniformly at random, so
// small unkeyed records still fill batches instead of being spread one per partition. With KIP-794's adaptive
// partitioning (the default, as in Java) the next partition is drawn with weights that favour partitions with
// fewer batches waiting, and leaves out partitions whose leader has stopped taking batches (producer_core's
// sticky_weights()).
#pragma once

#include <kafkio/protocol/murmur2.hpp>

#include <cstdint>
#include <functional>
#include <algorithm>
#include <optional>
#include <random>
#include <span>
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
  // The partition for the next unkeyed record; a new one is drawn uniformly when needs_pick().
  std::int32_t current(std::int32_t partitions, std::minstd_rand& rng) {
    if (needs_pick(partitions)) pick(partitions, rng);
    return partition_;
  }
  // None chosen yet, the topic shrank below it, or batch_size bytes went to it.
  bool needs_pick(std::int32_t partitions) const noexcept {
    return partition_ < 0 || partition_ >= partitions || switch_due_;
  }
  // Called after a record of `bytes` went to the sticky partition; the next record switches once batch_size bytes
  // went there (drawn then, so that weights see the queues as they are at that moment).
  void on_appended(std::size_t bytes, std::size_t batch_size, std::int32_t, std::minstd_rand&) {
    produced_ += bytes;
    if (produced_ >= batch_size) switch_due_ = true;
  }
  // KIP-794: draws partition i with probability weight(i) / total, where cumulative[i] is the sum of the weights
  // of partitions 0..i (a partition of weight 0 is never drawn). Empty or all zero: uniform, as pick().
  void pick(std::int32_t partitions, std::minstd_rand& rng, std::span<const std::uint32_t> cumulative) {
    if (cumulative.size() != static_cast<std::size_t>(partitions) || cumulative.empty() || cumulative.back() == 0)
      return pick(partitions, rng);
    produced_ = 0;
    switch_due_ = false;
    const auto r = static_cast<std::uint32_t>(rng() % cumulative.back());
    partition_ = static_cast<std::int32_t>(std::upper_bound(cumulative.begin(), cumulative.end(), r) - cumulative.begin());
  }
  void pick(std::int32_t partitions, std::minstd_rand& rng) {
    produced_ = 0;
    switch_due_ = false;
    if (partitions <= 1) {
      partition_ = 0;
      return;
    }
    // A different partition than the last one when there is a choice, uniformly among the others.
    auto next = static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(partitions - (partition_ >= 0 ? 1 : 0)));
    if (partition_ >= 0 && next >= partition_) ++next;
    partition_ = next;
  }

 private:
  std::int32_t partition_ = -1;
  std::size_t produced_ = 0;
  bool switch_due_ = false;
};

inline std::int32_t partition_for_key(std::string_view key, std::int32_t partitions) noexcept {
  return protocol::partition_for_key(protocol::bytes_view(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()),
                                     partitions);
}

}  // namespace detail
}  // namespace kafkio
