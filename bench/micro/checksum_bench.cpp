// CRC-32C (hardware instructions vs the portable slicing-by-8 table) and murmur2 (the keyed partitioner's hash).
#include "bench_data.hpp"

#include <kafkio/protocol/crc32c.hpp>
#include <kafkio/protocol/murmur2.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace kafkio;

void crc32c_hardware(benchmark::State& state) {
  const auto data = bench::perf_payload(static_cast<std::size_t>(state.range(0)));
  if (!protocol::crc32c_hardware(bench::as_bytes(data))) {
    state.SkipWithError("no CRC-32C instructions in this build or CPU");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(protocol::crc32c_hardware(bench::as_bytes(data)));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(crc32c_hardware)->Arg(64)->Arg(1024)->Arg(16384)->Arg(1 << 20);

void crc32c_portable(benchmark::State& state) {
  const auto data = bench::perf_payload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(protocol::crc32c_portable(bench::as_bytes(data)));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(crc32c_portable)->Arg(64)->Arg(1024)->Arg(16384)->Arg(1 << 20);

// What the producer calls: the dispatching entry point (label says which implementation it picked).
void crc32c_dispatch(benchmark::State& state) {
  const auto data = bench::perf_payload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(protocol::crc32c(bench::as_bytes(data)));
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(std::string(protocol::crc32c_implementation()));
}
BENCHMARK(crc32c_dispatch)->Arg(16384);

void murmur2_key(benchmark::State& state) {
  const auto key = bench::perf_payload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto k = bench::as_bytes(key);
    benchmark::DoNotOptimize(k);
    benchmark::DoNotOptimize(protocol::partition_for_key(k, 12));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(murmur2_key)->Arg(8)->Arg(16)->Arg(36)->Arg(256);

}  // namespace
