// rdkafka-perf: librdkafka's producer measured exactly like kafkio-perf (client/tools/kafkio_perf.cpp): same
// options, same summary line, same latency definition and the same --json keys (without loop lateness: librdkafka
// has no event loop of ours to time). Only for comparison; kafkio itself never links librdkafka.
//
//   rdkafka-perf --topic T --num-records N --record-size S --throughput R(-1 = unlimited)
//                --producer-props bootstrap.servers=127.0.0.1:19092 acks=all linger.ms=5 ... [--json]
//
// --producer-props are handed to rd_kafka_conf_set() as they are (Java-style names like acks, linger.ms,
// batch.size, compression.type and enable.idempotence are librdkafka names too). Note librdkafka's defaults differ
// from Java's and kafkio's (enable.idempotence=false, batch.size=1000000): scripts/bench passes them explicitly.
//
// Latency: each message's opaque is its index; the delivery report callback (served by rd_kafka_poll on this
// thread, as in librdkafka's own rdkafka_performance example) takes now - send time[index].
#include "perf_tool.hpp"  // client/tools/: what kafkio-perf uses too

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using kafkio::tools::perf_clock;

struct run_state {
  const kafkio::tools::perf_options* opts;
  kafkio::tools::latency_stats stats;
  std::vector<perf_clock::time_point> sent_at;  // by message index (the message opaque)
  bool warming_up = false;                      // warm-up records are neither timed nor counted
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto& st = *static_cast<run_state*>(opaque);
  const auto index = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(m->_private));
  if (st.warming_up) {
    if (m->err) std::fprintf(stderr, "rdkafka-perf: warm-up send failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  if (m->err) {
    if (st.stats.errors++ < 5) std::fprintf(stderr, "rdkafka-perf: send failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  const auto latency = std::chrono::duration<double, std::milli>(perf_clock::now() - st.sent_at[static_cast<std::size_t>(index)]);
  st.stats.record(index, latency.count(), st.opts->record_size);
}

void log_to_stderr(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  std::fprintf(stderr, "rdkafka-perf: %d %s: %s\n", level, fac, buf);
}

}  // namespace

int main(int argc, char** argv) {
  const auto o = kafkio::tools::parse_perf_args(argc, argv, "rdkafka-perf");
  run_state st{&o, kafkio::tools::latency_stats(o.num_records), std::vector<perf_clock::time_point>(static_cast<std::size_t>(o.num_records))};

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : o.props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "rdkafka-perf: %s\n", err);
      return 2;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_log_cb(conf, log_to_stderr);
  rd_kafka_conf_set_opaque(conf, &st);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "rdkafka-perf: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);

  auto payload = kafkio::tools::perf_tool_payload(o.record_size);
  // Warm-up (not counted): connections, metadata and, with idempotence, the producer id, which librdkafka fetches
  // only after start-up (~0.5 s) and would otherwise fall inside the clock.
  st.warming_up = true;
  for (std::int64_t i = 0; i < o.warmup_records; ++i) {
    while (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload.data(), payload.size(), nullptr,
                            0, nullptr) == -1)
      rd_kafka_poll(rk, 1);
  }
  if (o.warmup_records > 0) rd_kafka_flush(rk, 30000);
  st.warming_up = false;
  const auto start = perf_clock::now();
  for (std::int64_t i = 0; i < o.num_records; ++i) {
    st.sent_at[static_cast<std::size_t>(i)] = perf_clock::now();
    auto* opaque = reinterpret_cast<void*>(static_cast<std::uintptr_t>(i));
    while (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload.data(), payload.size(), nullptr,
                            0, opaque) == -1) {
      const auto e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "rdkafka-perf: produce failed: %s\n", rd_kafka_err2str(e));
        return 1;
      }
      rd_kafka_poll(rk, 1);  // backpressure: serve delivery reports until there is room
      st.sent_at[static_cast<std::size_t>(i)] = perf_clock::now();
    }
    rd_kafka_poll(rk, 0);
    if (o.throughput > 0) {
      auto due = start + std::chrono::duration_cast<perf_clock::duration>(std::chrono::duration<double>((i + 1) / o.throughput));
      // Wait by polling, so delivery reports keep being served on time while we pace.
      while (due > perf_clock::now() + std::chrono::milliseconds(1)) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - perf_clock::now()).count();
        rd_kafka_poll(rk, static_cast<int>(std::max<std::int64_t>(ms, 1)));
      }
    }
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 50);
  const double elapsed = std::chrono::duration<double>(perf_clock::now() - start).count();
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  const auto usage = kafkio::tools::current_process_usage();

  auto& s = st.stats;
  const double rate = static_cast<double>(s.completed) / std::max(elapsed, 1e-9);
  const double mb = rate * static_cast<double>(o.record_size) / 1024.0 / 1024.0;
  kafkio::tools::print_perf_summary(s, rate, o.record_size);
  if (o.json)
    std::printf("{\"client\":\"librdkafka %s\",\"records\":%lld,\"errors\":%lld,\"records_per_sec\":%.1f,"
                "\"mb_per_sec\":%.3f,\"avg_ms\":%.3f,\"max_ms\":%.3f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"p999_ms\":%.3f,\"elapsed_s\":%.3f,\"cpu_s\":%.3f,\"user_s\":%.3f,\"system_s\":%.3f,"
                "\"cpu_s_per_million\":%.3f,\"max_rss_kb\":%ld}\n",
                rd_kafka_version_str(), static_cast<long long>(s.completed), static_cast<long long>(s.errors), rate, mb,
                s.average_ms(), s.max_latency_ms, s.percentile(0.5), s.percentile(0.95), s.percentile(0.99),
                s.percentile(0.999), elapsed, usage.cpu_s, usage.user_s, usage.system_s,
                usage.cpu_s * 1e6 / static_cast<double>(std::max<std::int64_t>(s.completed, 1)), usage.max_rss_kb);
  return s.errors ? 1 : 0;
}
