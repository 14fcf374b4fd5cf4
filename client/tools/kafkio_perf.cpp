// kafkio-perf: the producer side of Kafka's kafka-producer-perf-test, with kafkio. Same options and summary line,
// plus how late a 1 ms timer on the same event loop fired while producing (the loop must never stall), and the
// loop thread's CPU time per turn of the loop (turn_cpu.hpp): the longest stretch of our own code, which
// preemption by other processes cannot lengthen, beside the involuntary context switches that can delay the timer.
//
//   kafkio-perf --topic T --num-records N --record-size S --throughput R(-1 = unlimited)
//               --producer-props bootstrap.servers=127.0.0.1:19092 acks=all linger.ms=5 ...
#include "loop_lateness.hpp"
#include "perf_tool.hpp"
#include "tool_support.hpp"
#include "turn_cpu.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>

#include <cstdio>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

asio::awaitable<void> run(kafkio::producer& p, const kafkio::tools::perf_options& o, kafkio::tools::latency_stats& st,
                          kafkio::tools::loop_lateness& lateness, double& elapsed_s, kafkio::producer_metrics& m) {
  auto ex = co_await asio::this_coro::executor;
  const std::string payload = kafkio::tools::perf_tool_payload(o.record_size);
  kafkio::producer_record record;
  record.topic = o.topic;
  record.value = payload;
  for (std::int64_t i = 0; i < o.warmup_records; ++i) co_await p.async_send(record, asio::use_awaitable);
  const auto before = p.metrics();
  const auto budget = static_cast<std::size_t>(p.config().buffer_memory) / (o.record_size + 64);
  kafkio::tools::inflight_limit limit(ex, std::max<std::size_t>(budget, 1000));
  asio::steady_timer pace(ex);
  lateness.start();
  auto start = clock_type::now();
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
  m = p.metrics();
  m.produce_requests -= before.produce_requests;
  m.batches_sent -= before.batches_sent;
  co_await p.async_close(asio::use_awaitable);
}

}  // namespace

int main(int argc, char** argv) {
  const auto o = kafkio::tools::parse_perf_args(argc, argv, "kafkio-perf");
  auto parsed = kafkio::producer_config::parse(o.props);
  if (parsed.error) {
    std::fprintf(stderr, "kafkio-perf: %s\n", parsed.message.c_str());
    return 2;
  }
  asio::io_context io(1);
  kafkio::producer p(io.get_executor(), parsed);
  kafkio::tools::loop_lateness lateness(io.get_executor());
  kafkio::tools::latency_stats st(o.num_records);
  double elapsed = 0;
  kafkio::producer_metrics m;
  std::exception_ptr failure;
  asio::co_spawn(io, run(p, o, st, lateness, elapsed, m), [&](std::exception_ptr e) { failure = e; });
  kafkio::tools::turn_cpu turns;
  turns.run(io);
  if (failure) std::rethrow_exception(failure);
  // the whole run, all threads (Asio's resolver thread included)
  const auto usage = kafkio::tools::current_process_usage();
  const double rate = static_cast<double>(st.completed) / std::max(elapsed, 1e-9);
  kafkio::tools::print_perf_summary(st, rate, o.record_size);
  std::printf("loop lateness (1 ms timer, %zu samples): p50 %.0f us, p99 %.0f us, p99.9 %.0f us, worst %.0f us.\n",
              lateness.samples(), lateness.quantile_us(0.5), lateness.quantile_us(0.99), lateness.quantile_us(0.999),
              lateness.worst_us());
  std::printf("loop turns (thread CPU, %llu turns): p99 %.0f us, p99.9 %.0f us, worst %.0f us, %llu over 0.5 ms; "
              "%ld involuntary context switches, %ld minor faults on the loop thread.\n",
              static_cast<unsigned long long>(turns.turns()), turns.quantile_us(0.99), turns.quantile_us(0.999),
              turns.worst_us(), static_cast<unsigned long long>(turns.turns_over(500)), turns.involuntary_switches(),
              turns.minor_faults());
  const double per_request = static_cast<double>(st.completed) / static_cast<double>(std::max<std::uint64_t>(m.produce_requests, 1));
  const double batches_per_request = static_cast<double>(m.batches_sent) / static_cast<double>(std::max<std::uint64_t>(m.produce_requests, 1));
  if (o.json)
    std::printf("{\"records\":%lld,\"errors\":%lld,\"records_per_sec\":%.1f,\"mb_per_sec\":%.3f,\"avg_ms\":%.3f,"
                "\"max_ms\":%.3f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
                "\"lateness_p999_us\":%.0f,\"lateness_max_us\":%.0f,\"lateness_p99_us\":%.0f,\"lateness_p50_us\":%.0f,"
                "\"elapsed_s\":%.3f,\"cpu_s\":%.3f,\"user_s\":%.3f,\"system_s\":%.3f,\"cpu_s_per_million\":%.3f,"
                "\"max_rss_kb\":%ld,\"turn_p99_us\":%.0f,\"turn_p999_us\":%.0f,\"turn_max_us\":%.0f,"
                "\"turns\":%llu,\"turns_over_500us\":%llu,\"loop_nivcsw\":%ld,\"loop_minflt\":%ld,"
                "\"produce_requests\":%llu,\"records_per_request\":%.1f,\"batches_per_request\":%.2f}\n",
                static_cast<long long>(st.completed), static_cast<long long>(st.errors), rate,
                rate * static_cast<double>(o.record_size) / 1024.0 / 1024.0,
                st.average_ms(), st.max_latency_ms, st.percentile(0.5), st.percentile(0.95), st.percentile(0.99),
                st.percentile(0.999), lateness.quantile_us(0.999), lateness.worst_us(), lateness.quantile_us(0.99),
                lateness.quantile_us(0.5), elapsed, usage.cpu_s, usage.user_s, usage.system_s,
                usage.cpu_s * 1e6 / static_cast<double>(std::max<std::int64_t>(st.completed, 1)),
                usage.max_rss_kb, turns.quantile_us(0.99), turns.quantile_us(0.999), turns.worst_us(),
                static_cast<unsigned long long>(turns.turns()), static_cast<unsigned long long>(turns.turns_over(500)),
                turns.involuntary_switches(), turns.minor_faults(), static_cast<unsigned long long>(m.produce_requests),
                per_request, batches_per_request);
  return st.errors ? 1 : 0;
}
