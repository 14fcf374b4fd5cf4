// Compression and decompression per codec, on the records section of a batch of 100-byte records: the perf tools'
// data (one payload repeated) and distinct random payloads (see bench_data.hpp). MB/s is of uncompressed bytes both
// ways; "ratio" is compressed / uncompressed.
#include "bench_data.hpp"

#include <kafkio/protocol/compression.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace kafkio;
using protocol::compression_codec;

// Args: codec id, batch bytes, payload kind.
void compress_records(benchmark::State& state) {
  const auto codec = static_cast<compression_codec>(state.range(0));
  const auto kind = static_cast<bench::payload_kind>(state.range(2));
  const auto input = bench::records_section(100, static_cast<std::size_t>(state.range(1)), kind);
  protocol::byte_buffer out;
  for (auto _ : state) {
    out.clear();
    if (auto ec = protocol::compress(codec, input, out)) {
      state.SkipWithError(ec.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::string(protocol::to_string(codec)) + " " + bench::to_string(kind));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(input.size()));
  state.counters["ratio"] = static_cast<double>(out.size()) / static_cast<double>(input.size());
}
BENCHMARK(compress_records)->ArgsProduct({{1, 2, 3, 4}, {16384, 1 << 20}, {0, 1}});

void decompress_records(benchmark::State& state) {
  const auto codec = static_cast<compression_codec>(state.range(0));
  const auto kind = static_cast<bench::payload_kind>(state.range(2));
  const auto input = bench::records_section(100, static_cast<std::size_t>(state.range(1)), kind);
  protocol::byte_buffer compressed, out;
  if (auto ec = protocol::compress(codec, input, compressed)) {
    state.SkipWithError(ec.message().c_str());
    return;
  }
  for (auto _ : state) {
    out.clear();
    if (auto ec = protocol::decompress(codec, compressed, out, input.size())) {
      state.SkipWithError(ec.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::string(protocol::to_string(codec)) + " " + bench::to_string(kind));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(input.size()));
}
BENCHMARK(decompress_records)->ArgsProduct({{1, 2, 3, 4}, {16384, 1 << 20}, {0, 1}});

}  // namespace
