// The receive path: splitting a byte stream into frames (frame_reader, driven the way the connection drives it),
// and decoding Produce and Metadata responses as the producer's core does: the Produce response into a reused
// generated view, the Metadata response through the generated codec plus read_metadata's leader table.
#include "bench_data.hpp"

#include <kafkio/core/metadata_cache.hpp>
#include <kafkio/protocol/frame.hpp>
#include <kafkio/protocol/request.hpp>

#include <benchmark/benchmark.h>

#include <cstring>

namespace {

using namespace kafkio;
using protocol::api_key;
using protocol::byte_buffer;

constexpr std::int16_t produce_version = 12;   // what the producer negotiates with Kafka 4.x
constexpr std::int16_t metadata_version = 12;

// A response frame payload (no size prefix): header for `key`/`version`, then `body`.
template <class Body>
byte_buffer response_frame(api_key key, std::int16_t version, const Body& body) {
  byte_buffer out;
  protocol::writer w(out);
  protocol::response_header h;
  h.correlation_id = 42;
  h.encode(w, *protocol::response_header_version(key, version));
  body.encode(w, version);
  return out;
}

// Frames of range(0) payload bytes arrive in 64 KiB reads; each iteration is one read: copy into prepare()'s
// span (as the socket would), commit, and take every complete frame.
void frame_reader_split(benchmark::State& state) {
  const auto frame_size = static_cast<std::size_t>(state.range(0));
  byte_buffer stream;
  while (stream.size() < (4u << 20)) {
    protocol::writer w(stream);
    w.int32(static_cast<std::int32_t>(frame_size));
    stream.resize(stream.size() + frame_size, 0xab);
  }
  constexpr std::size_t read_size = 64 * 1024;
  protocol::frame_reader reader;
  std::size_t at = 0;
  std::int64_t frames = 0;
  for (auto _ : state) {
    if (at + read_size > stream.size()) at = 0, reader = protocol::frame_reader();
    auto space = reader.prepare(read_size);
    std::memcpy(space.data(), stream.data() + at, read_size);
    reader.commit(read_size);
    at += read_size;
    protocol::bytes_view frame;
    std::error_code ec;
    while (reader.next(frame, ec) == protocol::frame_reader::status::frame) {
      benchmark::DoNotOptimize(frame.data());
      ++frames;
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(read_size));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(frame_reader_split)->Arg(64)->Arg(1024)->Arg(16384);

// A Produce response for one topic with range(0) partitions, all successful (the common case).
void produce_response_decode(benchmark::State& state) {
  protocol::produce_response m;
  auto& t = m.responses.emplace_back();
  t.name = "bench-topic";
  for (std::int32_t p = 0; p < state.range(0); ++p) {
    auto& pr = t.partition_responses.emplace_back();
    pr.index = p;
    pr.base_offset = 1'000'000 + p;
    pr.log_start_offset = 0;
  }
  const auto frame = response_frame(api_key::produce, produce_version, m);
  protocol::produce_response_view out;  // reused, as the producer does
  for (auto _ : state) {
    auto ec = protocol::decode_response_body(frame, produce_version, out);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(&out);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // partitions
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(produce_response_decode)->Arg(1)->Arg(10)->Arg(100);

// A Metadata response: 3 brokers, range(0) topics of range(1) partitions with 3 replicas each.
void metadata_response_decode(benchmark::State& state) {
  protocol::metadata_response m;
  m.cluster_id = "bench-cluster";
  m.controller_id = 1;
  for (std::int32_t n = 1; n <= 3; ++n) m.brokers.push_back({n, "broker-" + std::to_string(n) + ".example.com", 9092, std::nullopt, {}});
  for (std::int32_t t = 0; t < state.range(0); ++t) {
    auto& topic = m.topics.emplace_back();
    topic.name = "bench-topic-" + std::to_string(t);
    topic.topic_id[15] = static_cast<std::uint8_t>(t + 1);
    for (std::int32_t p = 0; p < state.range(1); ++p) {
      auto& part = topic.partitions.emplace_back();
      part.partition_index = p;
      part.leader_id = 1 + p % 3;
      part.leader_epoch = 7;
      part.replica_nodes = part.isr_nodes = {1, 2, 3};
    }
  }
  const auto frame = response_frame(api_key::metadata, metadata_version, m);
  for (auto _ : state) {
    protocol::metadata_response decoded;
    core::metadata_result out;
    auto ec = protocol::decode_response_body(frame, metadata_version, decoded);
    if (!ec) ec = core::read_metadata(decoded, out);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(out.topics.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * state.range(1));  // partitions
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(metadata_response_decode)->Args({1, 3})->Args({1, 100})->Args({100, 10});

}  // namespace
