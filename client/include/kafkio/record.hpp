// What a caller hands to the producer, and what it gets back.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kafkio {

// A record header. Views: the producer copies the bytes into the batch when async_send/try_send is called.
struct header {
  std::string_view key;
  std::optional<std::string_view> value;  // nullopt: a null header value
};

// A record to produce. Everything is a view: the bytes are copied into the producer's batch buffer during the call,
// so the caller's buffers need not outlive it.
struct producer_record {
  std::string_view topic;
  std::optional<std::int32_t> partition;   // nullopt: chosen by the partitioner
  std::optional<std::string_view> key;     // nullopt: null key
  std::optional<std::string_view> value;   // nullopt: null value (a tombstone)
  std::span<const header> headers;
  std::optional<std::int64_t> timestamp_ms;  // nullopt: now (CreateTime)
};

// What a record holds of buffer.memory from send until its completion: about its encoded size plus its share of
// the batch overhead. The producer charges exactly this; it is public so that an application can bound its own
// queue of records the same way (kafkio-server does).
// The same from sizes alone: key and value bytes, the number of headers and their key and value bytes together.
constexpr std::size_t buffer_charge(std::size_t key_bytes, std::size_t value_bytes, std::size_t headers,
                                    std::size_t header_bytes) noexcept {
  return 32 + key_bytes + value_bytes + 8 * headers + header_bytes;
}
inline std::size_t buffer_charge(const producer_record& r) noexcept {
  std::size_t header_bytes = 0;
  for (const auto& h : r.headers) header_bytes += h.key.size() + (h.value ? h.value->size() : 0);
  return buffer_charge(r.key ? r.key->size() : 0, r.value ? r.value->size() : 0, r.headers.size(), header_bytes);
}

// Where and when Kafka stored a record.
struct record_metadata {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;       // -1 when unknown (acks=0)
  std::int64_t timestamp_ms = -1; // CreateTime given/assigned, or the broker's LogAppendTime
};

}  // namespace kafkio
