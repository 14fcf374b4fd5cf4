// Inputs shared by the micro benchmarks: the same payload the perf tools send (uppercase letters A-Z drawn from a
// seeded generator, like Kafka's ProducerPerformance), and records sections built from it, so codec figures match
// what the producer compresses in the end-to-end runs.
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

// A sealed, uncompressed batch of `record_size`-byte values, filled up to `batch_bytes`; each record gets a
// different payload (a fresh seed) so the data is no more compressible than the perf tools' one.
inline protocol::byte_buffer uncompressed_batch(std::size_t record_size, std::size_t batch_bytes) {
  protocol::record_batch_builder b;
  b.reset(1'700'000'000'000);
  for (unsigned i = 0;; ++i) {
    auto value = perf_payload(record_size, i + 1);
    if (b.estimated_size_after_append(1'700'000'000'000 + i, std::nullopt, as_bytes(value)) > batch_bytes && !b.empty())
      break;
    if (b.append(1'700'000'000'000 + i, std::nullopt, as_bytes(value))) break;
  }
  std::error_code ec;
  auto sealed = b.seal({}, ec);
  return {sealed.begin(), sealed.end()};
}

// Just the records section of such a batch: what compress() sees.
inline protocol::byte_buffer records_section(std::size_t record_size, std::size_t batch_bytes) {
  auto batch = uncompressed_batch(record_size, batch_bytes);
  return {batch.begin() + static_cast<std::ptrdiff_t>(protocol::batch_layout::records), batch.end()};
}

}  // namespace kafkio::bench
