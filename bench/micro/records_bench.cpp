// Record encoding: append per record into a RecordBatch v2 builder, and sealing a full batch per codec (header,
// compression, CRC-32C). These are the producer's per-record and per-batch CPU costs before any I/O.
#include "bench_data.hpp"

#include <kafkio/protocol/record_batch_reader.hpp>

#include <benchmark/benchmark.h>

namespace {

using namespace kafkio;
using protocol::compression_codec;

constexpr std::int64_t base_ts = 1'700'000'000'000;
constexpr std::size_t default_batch_size = 16384;  // batch.size default

// One append per iteration; the builder is reset whenever the batch would pass batch.size, as the producer does,
// so the figure includes that amortised cost. Arg: value size in bytes.
void append_value(benchmark::State& state) {
  const auto value = bench::perf_payload(static_cast<std::size_t>(state.range(0)));
  const auto v = bench::as_bytes(value);
  protocol::record_batch_builder b;
  b.reset(base_ts);
  std::int64_t ts = base_ts;
  for (auto _ : state) {
    if (b.estimated_size_after_append(ts, std::nullopt, v) > default_batch_size) b.reset(ts);
    auto ec = b.append(ts++, std::nullopt, v);
    benchmark::DoNotOptimize(ec);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(append_value)->Arg(10)->Arg(100)->Arg(1024);

// As above with a 16-byte key and two headers: the varint bookkeeping of a richer record.
void append_key_and_headers(benchmark::State& state) {
  const auto value = bench::perf_payload(static_cast<std::size_t>(state.range(0)));
  const std::string key = "user-0000000042";
  const std::string h1 = "trace-id-0123456789abcdef";
  const protocol::record_header_view headers[] = {{"trace", bench::as_bytes(h1)}, {"source", bench::as_bytes("bench")}};
  protocol::record_batch_builder b;
  b.reset(base_ts);
  std::int64_t ts = base_ts;
  for (auto _ : state) {
    if (b.estimated_size_after_append(ts, bench::as_bytes(key), bench::as_bytes(value), headers) > default_batch_size)
      b.reset(ts);
    auto ec = b.append(ts++, bench::as_bytes(key), bench::as_bytes(value), headers);
    benchmark::DoNotOptimize(ec);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(append_key_and_headers)->Arg(100)->Arg(1024);

// seal() of a full 16 KiB batch per iteration. Args: codec id, value size, payload kind (bench_data.hpp).
// items = records, so the per-item time is the sealing cost each record carries.
void seal_batch(benchmark::State& state) {
  const auto codec = static_cast<compression_codec>(state.range(0));
  const auto kind = static_cast<bench::payload_kind>(state.range(2));
  const auto plain = bench::uncompressed_batch(static_cast<std::size_t>(state.range(1)), default_batch_size, kind);
  // Rebuild the same batch in a builder (seal() works on the builder's own buffer).
  protocol::record_batch_reader reader(plain);
  protocol::record_batch_builder b;
  protocol::record_view rv;
  if (!reader.next_batch()) return state.SkipWithError("bad input batch");
  b.reset(reader.header().base_timestamp);
  while (reader.next_record(rv))
    if (b.append(rv.timestamp, rv.key, rv.value)) return state.SkipWithError("append failed");
  std::size_t sealed_size = 0;
  for (auto _ : state) {
    std::error_code ec;
    auto sealed = b.seal({.producer_id = 1000, .producer_epoch = 0, .base_sequence = 0, .codec = codec}, ec);
    if (ec) {
      state.SkipWithError(ec.message().c_str());
      break;
    }
    sealed_size = sealed.size();
    benchmark::DoNotOptimize(sealed.data());
  }
  state.SetLabel(std::string(protocol::to_string(codec)) + " " + bench::to_string(kind));
  state.SetItemsProcessed(state.iterations() * b.record_count());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(plain.size()));
  state.counters["ratio"] = static_cast<double>(sealed_size) / static_cast<double>(plain.size());
}
BENCHMARK(seal_batch)->ArgsProduct({{0, 1, 2, 3, 4}, {100, 1024}, {0, 1}});

}  // namespace
