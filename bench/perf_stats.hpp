// What the perf programs in bench/ share with client/tools/kafkio_perf.cpp's output: Kafka's perf-test summary
// line (same format, every-Nth latency sampling like ProducerPerformance), and process resource usage.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace kafkio::bench {

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
      : sampling(std::max<std::int64_t>(1, n / std::min<std::int64_t>(std::max<std::int64_t>(n, 1), 500000))) {}
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

}  // namespace kafkio::bench
