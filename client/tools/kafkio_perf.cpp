// kafkio-perf: the producer side of Kafka's kafka-producer-perf-test, with kafkio. Same options and summary line,
// plus how late a 1 ms timer on the same event loop fired while producing (the loop must never stall).
//
//   kafkio-perf --topic T --num-records N --record-size S --throughput R(-1 = unlimited)
//               --producer-props bootstrap.servers=127.0.0.1:19092 acks=all linger.ms=5 ...
#include "loop_lateness.hpp"
#include "tool_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <random>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string topic;
  std::int64_t num_records = -1;
  std::size_t record_size = 100;
  double throughput = -1;
  kafkio::property_list props;
  bool json = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "kafkio-perf: %s\nusage: kafkio-perf --topic T --num-records N --record-size BYTES --throughput "
               "RECORDS_PER_SEC(-1: unlimited) --producer-props K=V [K=V...] [--json]\n",
               why);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--topic") o.topic = value();
    else if (a == "--num-records") o.num_records = std::stoll(value());
    else if (a == "--record-size") o.record_size = std::stoul(value());
    else if (a == "--throughput") o.throughput = std::stod(value());
    else if (a == "--json") o.json = true;
    else if (a == "--producer-props") {
      while (i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--") {
        auto kv = kafkio::tools::split_property(argv[++i]);
        if (!kv) usage("--producer-props takes K=V pairs");
        o.props.push_back(*kv);
      }
    } else usage("unknown option");
  }
  if (o.topic.empty() || o.num_records < 0) usage("--topic and --num-records are required");
  return o;
}

struct stats {
  explicit stats(std::int64_t n) : sampling(std::max<std::int64_t>(1, n / std::min<std::int64_t>(std::max<std::int64_t>(n, 1), 500000))) {}
  std::int64_t sampling;  // keep every Nth latency, like Kafka's tool, to bound memory
  std::int64_t completed = 0, errors = 0, bytes = 0;
  double total_latency_ms = 0, max_latency_ms = 0;
  std::vector<float> samples;
  std::int64_t window_count = 0, window_bytes = 0;
  double window_latency = 0, window_max = 0;
  clock_type::time_point window_start = clock_type::now();

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
    auto now = clock_type::now();
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
};

// CPU time and peak resident set of this process (getrusage), for CPU per record and memory comparisons.
struct process_usage {
  double user_s = 0, system_s = 0;
  long max_rss_kb = 0;  // Linux reports ru_maxrss in kilobytes
  double cpu_s() const { return user_s + system_s; }
  static process_usage now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return {static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6,
            static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6, ru.ru_maxrss};
  }
};

asio::awaitable<void> run(kafkio::producer& p, const options& o, stats& st, kafkio::tools::loop_lateness& lateness,
                          double& elapsed_s) {
  auto ex = co_await asio::this_coro::executor;
  std::string payload(o.record_size, 'x');
  std::mt19937 rng(1);
  for (auto& c : payload) c = static_cast<char>('A' + rng() % 26);
  const auto budget = static_cast<std::size_t>(p.config().buffer_memory) / (o.record_size + 64);
  kafkio::tools::inflight_limit limit(ex, std::max<std::size_t>(budget, 1000));
  asio::steady_timer pace(ex);
  lateness.start();
  auto start = clock_type::now();
  kafkio::producer_record record;
  record.topic = o.topic;
  record.value = payload;
  for (std::int64_t i = 0; i < o.num_records; ++i) {
    auto sent_at = clock_type::now();
    limit.add();
    p.async_send(record, [&, i, sent_at](std::error_code ec, const kafkio::record_metadata&) {
      limit.done();
      if (ec) {
        if (st.errors++ < 5) std::fprintf(stderr, "kafkio-perf: send failed: %s\n", ec.message().c_str());
        return;
      }
      st.record(i, std::chrono::duration<double, std::milli>(clock_type::now() - sent_at).count(), o.record_size);
    });
    if (limit.count() >= std::max<std::size_t>(budget, 1000)) co_await limit.room();
    if (o.throughput > 0) {
      auto due = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>((i + 1) / o.throughput));
      if (due > clock_type::now() + std::chrono::milliseconds(1)) {
        pace.expires_at(due);
        co_await pace.async_wait(asio::use_awaitable);
      }
    }
    // Hand the loop back every few records so I/O, completions and the lateness timer run: the producer never
    // blocks, but a tight caller loop could starve the loop just the same.
    if (i % 64 == 63) co_await asio::post(ex, asio::use_awaitable);
  }
  co_await limit.drained();
  elapsed_s = std::chrono::duration<double>(clock_type::now() - start).count();
  lateness.stop();
  co_await p.async_close(asio::use_awaitable);
}

}  // namespace

int main(int argc, char** argv) {
  auto o = parse_args(argc, argv);
  auto parsed = kafkio::producer_config::parse(o.props);
  if (parsed.error) {
    std::fprintf(stderr, "kafkio-perf: %s\n", parsed.message.c_str());
    return 2;
  }
  asio::io_context io(1);
  kafkio::producer p(io.get_executor(), parsed);
  kafkio::tools::loop_lateness lateness(io.get_executor());
  stats st(o.num_records);
  double elapsed = 0;
  std::exception_ptr failure;
  asio::co_spawn(io, run(p, o, st, lateness, elapsed), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  const auto usage = process_usage::now();  // the whole run, all threads (Asio's resolver thread included)
  double rate = st.completed / std::max(elapsed, 1e-9);
  std::printf("%lld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
              "%.0f ms 50th, %.0f ms 95th, %.0f ms 99th, %.0f ms 99.9th.\n",
              static_cast<long long>(st.completed), rate, rate * static_cast<double>(o.record_size) / 1024.0 / 1024.0,
              st.total_latency_ms / std::max<std::int64_t>(st.completed, 1), st.max_latency_ms, st.percentile(0.5),
              st.percentile(0.95), st.percentile(0.99), st.percentile(0.999));
  std::printf("loop lateness (1 ms timer, %zu samples): p50 %.0f us, p99 %.0f us, p99.9 %.0f us, worst %.0f us.\n",
              lateness.samples(), lateness.quantile_us(0.5), lateness.quantile_us(0.99), lateness.quantile_us(0.999),
              lateness.worst_us());
  if (o.json)
    std::printf("{\"records\":%lld,\"errors\":%lld,\"records_per_sec\":%.1f,\"mb_per_sec\":%.3f,\"avg_ms\":%.3f,"
                "\"max_ms\":%.3f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
                "\"lateness_p999_us\":%.0f,\"lateness_max_us\":%.0f,\"lateness_p99_us\":%.0f,\"lateness_p50_us\":%.0f,"
                "\"elapsed_s\":%.3f,\"cpu_s\":%.3f,\"user_s\":%.3f,\"system_s\":%.3f,\"cpu_s_per_million\":%.3f,"
                "\"max_rss_kb\":%ld}\n",
                static_cast<long long>(st.completed), static_cast<long long>(st.errors), rate,
                rate * static_cast<double>(o.record_size) / 1024.0 / 1024.0,
                st.total_latency_ms / std::max<std::int64_t>(st.completed, 1), st.max_latency_ms, st.percentile(0.5),
                st.percentile(0.95), st.percentile(0.99), st.percentile(0.999), lateness.quantile_us(0.999),
                lateness.worst_us(), lateness.quantile_us(0.99), lateness.quantile_us(0.5), elapsed, usage.cpu_s(),
                usage.user_s, usage.system_s, usage.cpu_s() * 1e6 / static_cast<double>(std::max<std::int64_t>(st.completed, 1)),
                usage.max_rss_kb);
  return st.errors ? 1 : 0;
}
