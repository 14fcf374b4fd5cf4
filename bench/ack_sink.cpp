// kafkio-ack-sink: a fake Kafka broker on loopback that acknowledges every Produce at once (bench/ack_sink.hpp),
// so a client's ceiling (records/s per client core) can be measured without a real broker as the bottleneck.
//
//   kafkio-ack-sink [--port P (0: any free one)] [--host 127.0.0.1] [--partitions 3] [--verbose]
//
// Prints "ack-sink listening on HOST:PORT" once ready. On SIGINT/SIGTERM it prints one JSON line with what it
// received and its own CPU time (to check the sink was not the bottleneck), then exits 0.
#include "ack_sink.hpp"

#include <boost/asio/signal_set.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "kafkio-ack-sink: %s\nusage: kafkio-ack-sink [--port P] [--host H] [--partitions N] [--verbose]\n", why);
  std::exit(2);
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  kafkio::bench::ack_sink_options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--port") o.port = static_cast<std::uint16_t>(std::atoi(value()));
    else if (a == "--host") o.host = value();
    else if (a == "--partitions") o.partitions = std::atoi(value());
    else if (a == "--verbose") o.verbose = true;
    else usage("unknown option");
  }
  if (o.partitions < 1) usage("--partitions must be at least 1");
  boost::asio::io_context io(1);
  kafkio::bench::ack_sink sink(io, o);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    sink.stop();
    io.stop();
  });
  std::printf("ack-sink listening on %s\n", sink.address().c_str());
  std::fflush(stdout);
  io.run();
  const auto& c = sink.counters();
  std::printf("{\"connections\":%llu,\"requests\":%llu,\"produce_requests\":%llu,\"batches\":%llu,\"records\":%llu,"
              "\"record_bytes\":%llu,\"cpu_s\":%.3f}\n",
              static_cast<unsigned long long>(c.connections), static_cast<unsigned long long>(c.requests),
              static_cast<unsigned long long>(c.produce_requests), static_cast<unsigned long long>(c.batches),
              static_cast<unsigned long long>(c.records), static_cast<unsigned long long>(c.record_bytes), cpu_seconds());
  return 0;
}
