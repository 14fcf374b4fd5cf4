// The Produce hot path, generated view codecs against the hand-written ones the producer used before
// (kafkio/detail/requests.hpp): decoding a Produce response into a reused result, and framing a Produce request
// from sealed batches into a reused buffer. Both sides reuse their output, as the producer does per connection.
// Drop the *_hand_written halves when detail/requests.hpp goes.
#include <kafkio/detail/requests.hpp>
#include <kafkio/protocol/request.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using namespace kafkio;
using protocol::byte_buffer;

constexpr std::int16_t produce_version = 12;  // what the producer negotiates with Kafka 4.x

// One topic, range(0) successful partitions (the common case), as a frame without the size prefix.
byte_buffer produce_response_frame(std::int32_t partitions) {
  protocol::produce_response m;
  auto& t = m.responses.emplace_back();
  t.name = "bench-topic";
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto& pr = t.partition_responses.emplace_back();
    pr.index = p;
    pr.base_offset = 1'000'000 + p;
    pr.log_start_offset = 0;
  }
  byte_buffer out;
  protocol::writer w(out);
  protocol::response_header h;
  h.correlation_id = 42;
  h.encode(w, *protocol::response_header_version(protocol::api_key::produce, produce_version));
  m.encode(w, produce_version);
  return out;
}

void produce_response_decode_hand_written(benchmark::State& state) {
  const auto frame = produce_response_frame(static_cast<std::int32_t>(state.range(0)));
  detail::produce_result out;
  for (auto _ : state) {
    auto ec = detail::decode_produce_response(frame, produce_version, out);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(out.partitions.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // partitions
}
BENCHMARK(produce_response_decode_hand_written)->Arg(1)->Arg(10)->Arg(100);

void produce_response_decode_view(benchmark::State& state) {
  const auto frame = produce_response_frame(static_cast<std::int32_t>(state.range(0)));
  protocol::produce_response_view out;
  for (auto _ : state) {
    auto ec = protocol::decode_response_body(frame, produce_version, out);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(&out);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(produce_response_decode_view)->Arg(1)->Arg(10)->Arg(100);

// range(0) partitions of one topic, each with a 1 KiB sealed batch.
struct produce_input {
  std::string client_id = "kafkio-producer";
  std::string topic = "bench-topic";
  std::vector<byte_buffer> batches;
  explicit produce_input(std::int64_t partitions) : batches(static_cast<std::size_t>(partitions), byte_buffer(1024, 7)) {}
};

void produce_request_encode_hand_written(benchmark::State& state) {
  produce_input in(state.range(0));
  std::vector<detail::produce_partition_data> parts;
  byte_buffer frame;
  std::int32_t corr = 0;
  for (auto _ : state) {
    parts.clear();
    for (std::size_t p = 0; p < in.batches.size(); ++p) parts.push_back({&in.topic, static_cast<std::int32_t>(p), in.batches[p]});
    detail::encode_produce_request(frame, produce_version, {++corr, &in.client_id}, -1, 30000, parts);
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(produce_request_encode_hand_written)->Arg(1)->Arg(10)->Arg(100);

void produce_request_encode_view(benchmark::State& state) {
  produce_input in(state.range(0));
  protocol::produce_request_view req;
  byte_buffer frame;
  std::int32_t corr = 0;
  for (auto _ : state) {
    req.reset();
    req.acks = -1;
    req.timeout_ms = 30000;
    auto& t = req.topic_data.emplace_back();
    t.name = in.topic;
    for (std::size_t p = 0; p < in.batches.size(); ++p) {
      auto& pd = t.partition_data.emplace_back();
      pd.index = static_cast<std::int32_t>(p);
      pd.records = protocol::bytes_view(in.batches[p]);
    }
    frame.clear();
    auto ec = protocol::encode_request(frame, req, produce_version, ++corr, in.client_id);
    benchmark::DoNotOptimize(ec);
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(produce_request_encode_view)->Arg(1)->Arg(10)->Arg(100);

}  // namespace
