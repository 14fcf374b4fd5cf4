// The Produce send path's framing: a Produce request from sealed batches through the generated view encoder into a
// reused buffer, as the producer's core does (the batches are copied once, into the frame). The response side is
// in decode_bench.cpp.
#include <kafkio/protocol/request.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using namespace kafkio;
using protocol::byte_buffer;

constexpr std::int16_t produce_version = 12;  // what the producer negotiates with Kafka 4.x

// range(0) partitions of one topic, each with a 1 KiB sealed batch.
struct produce_input {
  std::string client_id = "kafkio-producer";
  std::string topic = "bench-topic";
  std::vector<byte_buffer> batches;
  explicit produce_input(std::int64_t partitions) : batches(static_cast<std::size_t>(partitions), byte_buffer(1024, 7)) {}
};

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
