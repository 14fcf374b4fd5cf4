// What kafkio-perf and bench/'s rdkafka-perf share, so that both measure and report exactly alike: Kafka's
// kafka-producer-perf-test command line and summary line (same format, every-Nth latency sampling like
// ProducerPerformance), its payload, and process resource usage. Standard library only: rdkafka-perf does not link
// kafkio.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kafkio::tools {

// kafka-producer-perf-test's options (the subset both programs take), plus --json for scripts/bench.
struct perf_options {
  std::string topic;
  std::int64_t num_records = -1;
  std::size_t record_size = 100;
  double throughput = -1;  // records/s; <= 0: unlimited
  std::vector<std::pair<std::string, std::string>> props;
  bool json = false;
  // Records sent and acknowledged before the clock starts (not counted): connections, metadata and the producer id
  // are then in place for every client alike (librdkafka with idempotence waits ~0.5 s for its producer id).
  std::int64_t warmup_records = 0;
};

[[noreturn]] inline void perf_usage(const char* program, const char* why) {
  // -h/--help (why == nullptr): the usage on stdout, exit 0; a bad command line: on stderr, exit 2.
  std::fprintf(why ? stderr : stdout,
               "%s%s%susage: %s --topic T --num-records N --record-size BYTES --throughput "
               "RECORDS_PER_SEC(-1: unlimited) --producer-props K=V [K=V...] [--warmup-records N] [--json] [-h]\n",
               why ? program : "", why ? ": " : "", why ? (std::string(why) + "\n").c_str() : "", program);
  std::exit(why ? 2 : 0);
}

// Exits with status 2 and a usage line on a bad command line (these are command-line tools).
inline perf_options parse_perf_args(int argc, char** argv, const char* program) {
  perf_options o;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string_view a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) perf_usage(program, "missing value");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") perf_usage(program, nullptr);
      else if (a == "--topic") o.topic = value();
      else if (a == "--num-records") o.num_records = std::stoll(value());
      else if (a == "--record-size") o.record_size = std::stoul(value());
      else if (a == "--throughput") o.throughput = std::stod(value());
      else if (a == "--json") o.json = true;
      else if (a == "--warmup-records") o.warmup_records = std::stoll(value());
      else if (a == "--producer-props") {
        while (i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--") {
          std::string_view kv = argv[++i];
          auto eq = kv.find('=');
          if (eq == std::string_view::npos || eq == 0) perf_usage(program, "--producer-props takes K=V pairs");
          o.props.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
        }
      } else perf_usage(program, "unknown option");
    }
  } catch (const std::logic_error&) {  // std::stoll and friends on a value that is not a number
    perf_usage(program, "a numeric option has a value that is not a number");
  }
  if (o.topic.empty() || o.num_records < 0) perf_usage(program, "--topic and --num-records are required");
  return o;
}

using perf_clock = std::chrono::steady_clock;

// The payload Kafka's ProducerPerformance sends without --payload-file: uppercase letters, here from a seeded
// generator (kafkio-perf uses the same one).
inline std::string perf_tool_payload(std::size_t size) {
  std::string payload(size, 'x');
  std::mt19937 rng(1);
  for (auto& c : payload) c = static_cast<char>('A' + rng() % 26);
  return payload;
}

struct latency_stats {
  explicit latency_stats(std::int64_t n)
      : sampling(std::max<std::int64_t>(1, n / std::min<std::int64_t>(std::max<std::int64_t>(n, 1), 500000))) {
    // Reserved, not grown: doubling a 1 MB vector inside a completion handler faulted in 256 pages in one turn.
    samples.reserve(static_cast<std::size_t>(std::max<std::int64_t>(n, 0) / sampling + 1));
  }
  std::int64_t sampling;  // keep every Nth latency, like Kafka's tool, to bound memory
  std::int64_t completed = 0, errors = 0, bytes = 0;
  double total_latency_ms = 0, max_latency_ms = 0;
  std::vector<float> samples;
  std::int64_t window_count = 0, window_bytes = 0;
  double window_latency = 0, window_max = 0;
  perf_clock::time_point window_start = perf_clock::now();

  void record(std::int64_t index, double latency_ms, std::size_t size) {
    ++completed;
    bytes += static_cast<std::int64_t>(size);
    total_latency_ms += latency_ms;
    max_latency_ms = std::max(max_latency_ms, latency_ms);
    if (index % sampling == 0) samples.push_back(static_cast<float>(latency_ms));
    ++window_count;
    window_bytes += static_cast<std::int64_t>(size);
    window_latency += latency_ms;
    window_max = std::max(window_max, latency_ms);
    auto now = perf_clock::now();
    if (now - window_start >= std::chrono::seconds(5)) {
      double secs = std::chrono::duration<double>(now - window_start).count();
      std::printf("%lld records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.\n",
                  static_cast<long long>(window_count), window_count / secs, window_bytes / secs / 1024.0 / 1024.0,
                  window_latency / std::max<std::int64_t>(window_count, 1), window_max);
      std::fflush(stdout);
      window_start = now;
      window_count = window_bytes = 0;
      window_latency = window_max = 0;
    }
  }
  double percentile(double q) {
    if (samples.empty()) return 0;
    auto idx = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(idx), samples.end());
    return samples[idx];
  }
  double average_ms() const { return total_latency_ms / static_cast<double>(std::max<std::int64_t>(completed, 1)); }
};

// Kafka's tool's final line, from the run's statistics.
inline void print_perf_summary(latency_stats& s, double records_per_sec, std::size_t record_size) {
  std::printf("%lld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
              "%.0f ms 50th, %.0f ms 95th, %.0f ms 99th, %.0f ms 99.9th.\n",
              static_cast<long long>(s.completed), records_per_sec,
              records_per_sec * static_cast<double>(record_size) / 1024.0 / 1024.0, s.average_ms(), s.max_latency_ms,
              s.percentile(0.5), s.percentile(0.95), s.percentile(0.99), s.percentile(0.999));
}

// CPU time (user + system, all threads) and peak resident set of this process so far.
struct process_usage {
  double cpu_s = 0, user_s = 0, system_s = 0;
  long max_rss_kb = 0;
};
inline process_usage current_process_usage() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  process_usage u;
  u.user_s = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
  u.system_s = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
  u.cpu_s = u.user_s + u.system_s;
  u.max_rss_kb = ru.ru_maxrss;  // Linux: kilobytes
  return u;
}

}  // namespace kafkio::tools
