#include "options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <thread>

namespace kafkio_server {

namespace {

template <class Int>
bool parse_int(std::string_view s, Int& out, Int min, Int max) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

bool parse_seconds(std::string_view s, seconds& out) {
  // from_chars for double is in libstdc++ 11+; strtod would accept locale-dependent forms.
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || !(v > 0) || v > 86400) return false;
  out = seconds(v);
  return true;
}

// Accepts a plain byte count or one with a K/M/G suffix (binary multiples).
bool parse_bytes(std::string_view s, std::size_t& out) {
  std::size_t mult = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'k': case 'K': mult = 1024; break;
      case 'm': case 'M': mult = 1024 * 1024; break;
      case 'g': case 'G': mult = 1024 * 1024 * 1024; break;
      default: break;
    }
    if (mult != 1) s.remove_suffix(1);
  }
  std::size_t v = 0;
  if (!parse_int<std::size_t>(s, v, 1, (std::size_t{1} << 40) / mult)) return false;
  out = v * mult;
  return true;
}

struct flag {
  std::string_view name;  // without the leading "--"
  std::string_view help;
  // Returns an error message, or an empty string.
  std::function<std::string(server_options&, std::string_view)> apply;
};

std::string bad(std::string_view name, std::string_view value, std::string_view expected) {
  return "invalid value '" + std::string(value) + "' for --" + std::string(name) + ": expected " +
         std::string(expected);
}

const std::vector<flag>& flags() {
  static const std::vector<flag> table = {
      {"listen", "HOST:PORT to listen on (default 127.0.0.1:8082; :PORT for every address)",
       [](server_options& o, std::string_view v) {
         return parse_listen_address(v, o.listen_host, o.listen_port) ? "" : bad("listen", v, "HOST:PORT");
       }},
      {"workers", "worker processes (default: one per core)",
       [](server_options& o, std::string_view v) {
         return parse_int(v, o.workers, 1, 256) ? "" : bad("workers", v, "an integer in [1, 256]");
       }},
      {"bootstrap", "Kafka bootstrap servers (= -X bootstrap.servers=...; env also KAFKIO_BOOTSTRAP)",
       [](server_options& o, std::string_view v) {
         o.producer_properties.emplace_back("bootstrap.servers", std::string(v));
         return std::string();
       }},
      {"max-body-bytes", "largest request body, K/M/G suffixes allowed (default 4M); larger: 413",
       [](server_options& o, std::string_view v) {
         return parse_bytes(v, o.max_body_bytes) ? "" : bad("max-body-bytes", v, "a byte count like 4M");
       }},
      {"max-header-bytes", "largest request header block (default 16K); larger: 431",
       [](server_options& o, std::string_view v) {
         return parse_bytes(v, o.max_header_bytes) ? "" : bad("max-header-bytes", v, "a byte count like 16K");
       }},
      {"max-uri-bytes", "longest request target (path and query; default 8K); longer: 414",
       [](server_options& o, std::string_view v) {
         return parse_bytes(v, o.max_uri_bytes) ? "" : bad("max-uri-bytes", v, "a byte count like 8K");
       }},
      {"max-body-memory", "bytes of request bodies one worker reads at once (default 64M); beyond: 503",
       [](server_options& o, std::string_view v) {
         return parse_bytes(v, o.max_body_memory) ? "" : bad("max-body-memory", v, "a byte count like 64M");
       }},
      {"max-records", "most records in one request (default 10000); more: 422",
       [](server_options& o, std::string_view v) {
         return parse_int<std::size_t>(v, o.max_records_per_request, 1, 10000000)
                    ? ""
                    : bad("max-records", v, "an integer in [1, 10000000]");
       }},
      {"max-connections", "open connections per worker (default 1024); beyond it the worker stops accepting",
       [](server_options& o, std::string_view v) {
         return parse_int<std::size_t>(v, o.max_connections, 1, 1000000)
                    ? ""
                    : bad("max-connections", v, "an integer in [1, 1000000]");
       }},
      {"backlog", "listen backlog (default 1024)",
       [](server_options& o, std::string_view v) {
         return parse_int(v, o.listen_backlog, 1, 65535) ? "" : bad("backlog", v, "an integer in [1, 65535]");
       }},
      {"idle-timeout", "seconds a keep-alive connection may wait for its next request (default 60)",
       [](server_options& o, std::string_view v) {
         return parse_seconds(v, o.idle_timeout) ? "" : bad("idle-timeout", v, "seconds > 0");
       }},
      {"header-timeout", "seconds from a request's first byte to the end of its headers (default 10)",
       [](server_options& o, std::string_view v) {
         return parse_seconds(v, o.header_timeout) ? "" : bad("header-timeout", v, "seconds > 0");
       }},
      {"body-timeout", "seconds to read a request body (default 30)",
       [](server_options& o, std::string_view v) {
         return parse_seconds(v, o.body_timeout) ? "" : bad("body-timeout", v, "seconds > 0");
       }},
      {"write-timeout", "seconds to write a response (default 30)",
       [](server_options& o, std::string_view v) {
         return parse_seconds(v, o.write_timeout) ? "" : bad("write-timeout", v, "seconds > 0");
       }},
      {"graceful-timeout", "seconds a worker may take to finish requests and flush at shutdown (default 30)",
       [](server_options& o, std::string_view v) {
         return parse_seconds(v, o.graceful_timeout) ? "" : bad("graceful-timeout", v, "seconds > 0");
       }},
      {"worker-timeout", "seconds a worker's event loop may stay silent before the master replaces it (default 30)",
       [](server_options& o, std::string_view v) {
         // At least 1 s: the heartbeat is written every 250 ms and checked every second.
         return parse_seconds(v, o.worker_timeout) && o.worker_timeout.count() >= 1
                    ? ""
                    : bad("worker-timeout", v, "seconds >= 1");
       }},
      {"unready-after", "seconds without any broker connection after which /readyz answers 503 (default 5)",
       [](server_options& o, std::string_view v) {
         return parse_seconds(v, o.unready_after) ? "" : bad("unready-after", v, "seconds > 0");
       }},
      {"transactional-id-prefix",
       "?atomic=true: worker N's transactional.id is PREFIX-HOSTNAME-PORT-N (default kafkio-server)",
       [](server_options& o, std::string_view v) {
         o.transactional_id_prefix = std::string(v);
         return v.empty() || v.size() > 200 ? bad("transactional-id-prefix", v, "1 to 200 characters") : "";
       }},
      {"retry-after", "seconds in the Retry-After header of 429 answers (default 1)",
       [](server_options& o, std::string_view v) {
         return parse_int(v, o.retry_after_seconds, 0, 3600) ? "" : bad("retry-after", v, "an integer in [0, 3600]");
       }},
  };
  return table;
}

std::string env_name(std::string_view flag_name) {
  std::string n = "KAFKIO_SERVER_";
  for (char c : flag_name) n += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n;
}

}  // namespace

bool parse_listen_address(std::string_view text, std::string& host, std::uint16_t& port) {
  // ":8082" listens on every interface; otherwise host:port as in bootstrap.servers, port 0 meaning any free one.
  if (!text.empty() && text.front() == ':') {
    std::uint16_t p = 0;
    if (!parse_int<std::uint16_t>(text.substr(1), p, 0, 65535)) return false;
    host = "0.0.0.0";
    port = p;
    return true;
  }
  auto address = kafkio::parse_broker_address(text, 0);
  if (!address) return false;
  host = address->host;
  port = address->port;
  return true;
}

env_lookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

std::string usage_text() {
  std::string u =
      "usage: kafkio-server [--bootstrap HOST:PORT,...] [--listen HOST:PORT] [--workers N] [-X PROPERTY=VALUE]...\n"
      "                     [limits and timeouts below] [-v]\n\n"
      "An HTTP gateway to Kafka speaking Confluent REST Proxy v2 and v3 (and the Strimzi bridge's produce):\n"
      "  POST /topics/{topic}[/partitions/{p}]  POST /v3/clusters/{c}/topics/{topic}/records\n"
      "  GET /topics[/{topic}[/partitions[/{p}]]]  GET /v3/clusters[/{c}[/brokers|/topics[/{topic}[/partitions...]]]]\n"
      "  GET /healthz /readyz /metrics /openapi.json   (docs/server.md)\n\n"
      "Options (each also read from the environment variable shown; a flag overrides it):\n";
  for (const auto& f : flags())
    u += "  --" + std::string(f.name) + " V\n      " + std::string(f.help) + "  [" + env_name(f.name) + "]\n";
  u += "  -X PROPERTY=VALUE\n      a kafkio producer property (docs/producer.md), repeatable\n"
       "  -v, --verbose\n      log producer diagnostics and every worker event  [KAFKIO_SERVER_VERBOSE=1]\n"
       "  -h, --help\n";
  return u;
}

options_result parse_options(const std::vector<std::string>& args, const env_lookup& env) {
  options_result r;
  auto& o = r.options;
  // Environment first, so that flags override it.
  if (auto b = env("KAFKIO_BOOTSTRAP")) o.producer_properties.emplace_back("bootstrap.servers", *b);
  for (const auto& f : flags()) {
    if (auto v = env(env_name(f.name))) {
      if (auto err = f.apply(o, *v); !err.empty()) {
        r.error = err + " (from " + env_name(f.name) + ")";
        return r;
      }
    }
  }
  if (auto v = env("KAFKIO_SERVER_VERBOSE")) o.verbose = *v != "0";

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      r.help = true;
      return r;
    }
    if (a == "-v" || a == "--verbose") {
      o.verbose = true;
      continue;
    }
    if (a == "-X") {
      if (i + 1 >= args.size()) {
        r.error = "-X needs PROPERTY=VALUE";
        return r;
      }
      std::string_view kv = args[++i];
      auto eq = kv.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        r.error = "-X takes PROPERTY=VALUE, got '" + std::string(kv) + "'";
        return r;
      }
      o.producer_properties.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
      continue;
    }
    if (a.substr(0, 2) != "--") {
      r.error = "unexpected argument '" + std::string(a) + "'";
      return r;
    }
    std::string_view name = a.substr(2), value;
    bool have_value = false;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      have_value = true;
    }
    const flag* match = nullptr;
    for (const auto& f : flags())
      if (f.name == name) match = &f;
    if (!match) {
      r.error = "unknown option '--" + std::string(name) + "'";
      return r;
    }
    if (!have_value) {
      if (i + 1 >= args.size()) {
        r.error = "--" + std::string(name) + " needs a value";
        return r;
      }
      value = args[++i];
    }
    if (auto err = match->apply(o, value); !err.empty()) {
      r.error = err;
      return r;
    }
  }
  if (o.workers == 0) o.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool have_bootstrap = false;
  for (const auto& [k, v] : o.producer_properties) have_bootstrap |= k == "bootstrap.servers";
  if (!have_bootstrap) r.error = "no Kafka to talk to: give --bootstrap HOST:PORT (or KAFKIO_BOOTSTRAP)";
  return r;
}

}  // namespace kafkio_server
