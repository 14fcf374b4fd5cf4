// Inputs shared by the micro benchmarks: the payload the perf tools send (uppercase letters A-Z from a seeded
// generator, like Kafka's ProducerPerformance), and records sections built from it, so codec figures can be set
// against what the producer compresses in the end-to-end runs.
#pragma once

#include <kafkio/protocol/record_batch.hpp>

#include <cstdint>
#include <random>
#include <string>

namespace kafkio::bench {

inline std::string perf_payload(std::size_t size, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::string s(size, 'x');
  for (auto& c : s) c = static_cast<char>('A' + rng() % 26);
  return s;
}

inline protocol::bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Which values fill a batch:
//  - perf_tool: one payload repeated, exactly what kafka-producer-perf-test, kafkio-perf and rdkafka-perf send
//    (so lz4 and zstd shrink it a lot: every value repeats the previous one);
//  - distinct: a fresh random payload per record (random letters only compress to ~0.6 with entropy coding, and
//    not at all with lz4 or snappy) - closer to a worst case.
enum class payload_kind { perf_tool = 0, distinct = 1 };
inline const char* to_string(payload_kind k) { return k == payload_kind::perf_tool ? "perf-tool" : "distinct"; }

// A sealed, uncompressed batch of `record_size`-byte values, filled up to `batch_bytes`.
inline protocol::byte_buffer uncompressed_batch(std::size_t record_size, std::size_t batch_bytes, payload_kind kind) {
  protocol::record_batch_builder b;
  b.reset(1'700'000'000'000);
  const auto repeated = perf_payload(record_size);
  for (unsigned i = 0;; ++i) {
    const auto value = kind == payload_kind::distinct ? perf_payload(record_size, i + 1) : repeated;
    if (b.estimated_size_after_append(1'700'000'000'000 + i, std::nullopt, as_bytes(value)) > batch_bytes && !b.empty())
      break;
    if (b.append(1'700'000'000'000 + i, std::nullopt, as_bytes(value))) break;
  }
  std::error_code ec;
  auto sealed = b.seal({}, ec);
  return {sealed.begin(), sealed.end()};
}

// Just the records section of such a batch: what compress() sees.
inline protocol::byte_buffer records_section(std::size_t record_size, std::size_t batch_bytes, payload_kind kind) {
  auto batch = uncompressed_batch(record_size, batch_bytes, kind);
  return {batch.begin() + static_cast<std::ptrdiff_t>(protocol::batch_layout::records), batch.end()};
}

}  // namespace kafkio::bench
