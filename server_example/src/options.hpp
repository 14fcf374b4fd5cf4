// kafkio-server's settings: command-line flags, each with an environment variable (KAFKIO_SERVER_<FLAG>, flags win),
// and the producer properties given with -X (plus --bootstrap, which is bootstrap.servers).
#pragma once

#include <kafkio/producer_config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafkio_server {

using seconds = std::chrono::duration<double>;

struct server_options {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8082;  // Confluent REST Proxy's default port
  int workers = 0;                   // 0: one per core
  kafkio::property_list producer_properties;

  // Limits (per worker unless noted).
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_uri_bytes = 8 * 1024;             // request target; longer: 414
  std::size_t max_body_memory = 64 * 1024 * 1024;   // bytes of request bodies a worker holds at once; beyond: 503
  std::size_t max_records_per_request = 10000;
  std::size_t max_connections = 1024;
  int listen_backlog = 1024;  // the kernel's accept queue (shared by all workers)

  // Timeouts.
  seconds idle_timeout{60};      // keep-alive: from the previous response to the first byte of the next request
  seconds header_timeout{10};    // from the first byte to the end of the request headers (slowloris)
  seconds body_timeout{30};      // reading the request body
  seconds write_timeout{30};     // writing one response (slow readers)
  seconds graceful_timeout{30};  // shutdown: requests in flight and the producer's flush must end within this
  int retry_after_seconds = 1;   // Retry-After of 429 answers
  seconds worker_timeout{30};    // a worker whose event loop has not run for this long is killed and replaced
  seconds unready_after{5};      // /readyz: 503 once the producer has had no broker connection for this long

  // Restart backoff of crashed workers.
  seconds restart_backoff_min{0.1};
  seconds restart_backoff_max{10};

  // ?atomic=true: each worker's transactional producer has the id <prefix>-<host name>-<port>-<worker index>.
  std::string transactional_id_prefix = "kafkio-server";

  bool verbose = false;
};

struct options_result {
  server_options options;
  std::string error;      // non-empty: invalid, with a message naming the flag
  bool help = false;      // --help was given
  explicit operator bool() const noexcept { return error.empty() && !help; }
};

using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

// Parses argv (without argv[0]) after the environment; a flag given on the command line overrides its variable.
options_result parse_options(const std::vector<std::string>& args, const env_lookup& env);
// The process environment as an env_lookup.
env_lookup process_environment();

std::string usage_text();

// "host:port", "[v6]:port" or ":port" (all addresses).
bool parse_listen_address(std::string_view text, std::string& host, std::uint16_t& port);

}  // namespace kafkio_server
