// A batch of records for one partition, and the per-partition queue (franz-go's "buffer per partition").
#pragma once

#include <kafkio/core/ring_queue.hpp>
#include <kafkio/core/time_source.hpp>
#include <kafkio/partitioner.hpp>
#include <kafkio/protocol/record_batch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kafkio::core {

inline protocol::bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The sequence number `n` records after `s`. Sequences wrap from INT32_MAX to 0 (Kafka's
// DefaultRecordBatch.incrementSequence).
constexpr std::int32_t sequence_after(std::int32_t s, std::int32_t n) noexcept {
  const auto next = static_cast<std::int64_t>(s) + n;
  return static_cast<std::int32_t>(next > INT32_MAX ? next - INT32_MAX - 1 : next);
}

struct producer_batch {
  struct record_slot {
    completion_id done;
    std::int64_t timestamp_ms;
    std::uint64_t generation;  // flush generation the record was accepted in
  };

  const std::string* topic = nullptr;  // owned by the topic_queue, stable for the producer's lifetime
  std::int32_t partition = -1;
  protocol::record_batch_builder builder;
  std::vector<record_slot> records;
  std::size_t reserved_bytes = 0;      // charged against buffer.memory until the batch completes
  time_point created{}, deadline{}, retry_at{};
  int attempts = 0;
  bool full = false;     // closed for appends (batch.size reached, or taken for sending)
  bool sealed = false;   // header written for the current producer id/epoch/sequence; ready to go on the wire
  // Sent, but the answer was lost (connection closed, request timed out, garbage): the broker may have written it.
  // Such a batch is resent under the same producer id and sequence until the broker says what happened, never
  // renumbered, or a copy could be written twice.
  bool fate_unknown = false;
  // Idempotence: what the sealed bytes carry. base_sequence < 0: not yet numbered.
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  protocol::bytes_view bytes;  // the sealed batch (inside `builder`), valid while sealed
  // The topic id its last Produce request named it by (v13+, KIP-516), to find it in the response; zero for v12-.
  protocol::uuid topic_id{};

  std::int32_t record_count() const noexcept { return static_cast<std::int32_t>(records.size()); }
};

struct partition_queue {
  using batch_ptr = std::unique_ptr<producer_batch>;
  // Oldest first; retried batches go back to the front in sequence order. A ring, not a std::deque: a deque
  // allocates a node every 64 batches pushed through it.
  ring_queue<batch_ptr> queued;
  std::size_t in_flight = 0;     // batches of this partition inside unanswered Produce requests
  std::int32_t next_sequence = 0;
  std::int32_t last_acked_sequence = -1;  // last sequence the broker confirmed under the current producer id
  // One batch in flight until one succeeds: after a retry (keeps order), and for a partition's first batch under a
  // producer id. A broker with no state for our producer accepts any first sequence, so if batch 0 were refused
  // (say NOT_LEADER_OR_FOLLOWER while a new topic elects its leader) and batch 1 accepted, batch 0 could never be
  // written after it. Costs one round trip per partition, once.
  bool one_at_a_time = true;

  producer_batch* open_batch() noexcept {
    return !queued.empty() && !queued.back()->full ? queued.back().get() : nullptr;
  }
};

}  // namespace kafkio::core
