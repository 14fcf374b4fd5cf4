// kafkio-server: an HTTP -> Kafka gateway (Confluent REST Proxy v2 / Strimzi bridge produce API) with a
// gunicorn-like process model. See docs/server.md.
//
//   kafkio-server --bootstrap 127.0.0.1:9092 --listen 0.0.0.0:8082 --workers 4 -X acks=all -X linger.ms=5
#include "master.hpp"
#include "options.hpp"

#include <iostream>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = kafkio_server::parse_options(args, kafkio_server::process_environment());
  if (parsed.help) {
    std::cout << kafkio_server::usage_text();
    return 0;
  }
  if (!parsed.error.empty()) {
    std::cerr << "kafkio-server: " << parsed.error << "\n(kafkio-server --help lists the options)\n";
    return 2;
  }
  return kafkio_server::run_master(parsed.options);
}
