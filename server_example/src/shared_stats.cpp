#include "shared_stats.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <new>
#include <system_error>

namespace kafkio_server {

void worker_slot::count_response(unsigned status, std::chrono::steady_clock::duration latency) noexcept {
  if (status < responses_by_status.size()) responses_by_status[status].fetch_add(1, std::memory_order_relaxed);
  const double s = std::chrono::duration<double>(latency).count();
  std::size_t b = 0;
  while (b < latency_bounds.size() && s > latency_bounds[b]) ++b;
  latency_buckets[b].fetch_add(1, std::memory_order_relaxed);
  latency_count.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(latency).count()),
      std::memory_order_relaxed);
}

void worker_slot::publish(const kafkio::producer_metrics& m, bool has_metadata) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  p_records_accepted.store(m.records_accepted, r);
  p_records_acked.store(m.records_acked, r);
  p_records_failed.store(m.records_failed, r);
  p_record_bytes_acked.store(m.record_bytes_acked, r);
  p_batches_sent.store(m.batches_sent, r);
  p_produce_requests.store(m.produce_requests, r);
  p_retries.store(m.retries, r);
  p_batches_split.store(m.batches_split, r);
  p_metadata_requests.store(m.metadata_requests, r);
  p_producer_id_resets.store(m.producer_id_resets, r);
  p_requests_in_flight.store(m.requests_in_flight, r);
  p_buffered_bytes.store(m.buffered_bytes, r);
  p_waiting_for_room.store(m.records_waiting_for_room, r);
  ready.store(has_metadata ? 1 : 0, r);
  std::size_t n = 0;
  for (const auto& b : m.brokers) {
    if (b.node_id < 0) continue;  // bootstrap pseudo-brokers
    if (n == brokers.size()) break;
    auto& s = brokers[n++];
    s.node_id.store(b.node_id, r);
    s.connected.store(b.connected ? 1 : 0, r);
    s.requests_sent.store(b.requests_sent, r);
    s.responses_received.store(b.responses_received, r);
    s.in_flight.store(b.requests_in_flight, r);
    s.average_round_trip_us.store(static_cast<std::uint64_t>(b.average_round_trip.count()), r);
  }
  broker_count.store(static_cast<std::uint32_t>(n), r);
}

shared_stats* shared_stats::create(int workers) {
  const std::size_t bytes = sizeof(shared_stats) + alignof(worker_slot) + sizeof(worker_slot) * static_cast<std::size_t>(workers);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap of the shared counters");
  auto* s = new (mem) shared_stats;
  auto addr = reinterpret_cast<std::uintptr_t>(static_cast<char*>(mem) + sizeof(shared_stats));
  addr = (addr + alignof(worker_slot) - 1) / alignof(worker_slot) * alignof(worker_slot);
  s->slots = reinterpret_cast<worker_slot*>(addr);
  for (int i = 0; i < workers; ++i) new (&s->slots[i]) worker_slot;
  s->worker_count.store(workers);
  return s;
}

namespace {

class writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(const std::string& name_and_labels, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out_ += name_and_labels;
    out_ += ' ';
    out_ += buf;
    out_ += '\n';
  }
  void sample(const std::string& name_and_labels, std::uint64_t v) {
    out_ += name_and_labels;
    out_ += ' ';
    out_ += std::to_string(v);
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

template <class F>
std::uint64_t sum(const shared_stats& s, F&& f) {
  std::uint64_t total = 0;
  for (int i = 0; i < s.worker_count.load(); ++i) total += f(s.slots[i]);
  return total;
}

std::string bound_label(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", b);
  return buf;
}

}  // namespace

std::string render_prometheus(const shared_stats& s) {
  constexpr auto r = std::memory_order_relaxed;
  writer w;
  const int workers = s.worker_count.load();

  w.family("kafkio_server_http_responses_total", "counter", "HTTP responses sent, by status code.");
  for (std::size_t code = 100; code < 600; ++code) {
    auto n = sum(s, [&](const worker_slot& x) { return x.responses_by_status[code].load(r); });
    if (n) w.sample("kafkio_server_http_responses_total{code=\"" + std::to_string(code) + "\"}", n);
  }

  w.family("kafkio_server_http_request_duration_seconds", "histogram",
           "Time from a request's complete headers to its response written.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b <= latency_bounds.size(); ++b) {
    cumulative += sum(s, [&](const worker_slot& x) { return x.latency_buckets[b].load(r); });
    auto le = b < latency_bounds.size() ? bound_label(latency_bounds[b]) : std::string("+Inf");
    w.sample("kafkio_server_http_request_duration_seconds_bucket{le=\"" + le + "\"}", cumulative);
  }
  w.sample("kafkio_server_http_request_duration_seconds_sum",
           static_cast<double>(sum(s, [&](const worker_slot& x) { return x.latency_sum_us.load(r); })) / 1e6);
  w.sample("kafkio_server_http_request_duration_seconds_count",
           sum(s, [&](const worker_slot& x) { return x.latency_count.load(r); }));

  struct simple {
    const char* name;
    const char* type;
    const char* help;
    counter worker_slot::*field;
  };
  static const simple totals[] = {
      {"kafkio_server_records_produced_total", "counter", "Records Kafka acknowledged.", &worker_slot::records_produced},
      {"kafkio_server_records_failed_total", "counter", "Records that completed with an error.",
       &worker_slot::records_failed},
      {"kafkio_server_records_rejected_total", "counter", "Records refused with 429 because the producer buffer was full.",
       &worker_slot::records_rejected},
      {"kafkio_server_transactions_committed_total", "counter", "?atomic=true requests whose transaction committed.",
       &worker_slot::transactions_committed},
      {"kafkio_server_transactions_aborted_total", "counter",
       "?atomic=true requests whose transaction was aborted (none of their records visible).",
       &worker_slot::transactions_aborted},
      {"kafkio_server_connections_accepted_total", "counter", "TCP connections accepted.",
       &worker_slot::connections_accepted},
      {"kafkio_server_connections_timed_out_total", "counter", "Connections closed by an idle, header, body or write timeout.",
       &worker_slot::connections_timed_out},
      {"kafkio_server_connections_shed_total", "counter",
       "Idle connections closed to make room for new ones at --max-connections.", &worker_slot::connections_shed},
      {"kafkio_server_bodies_refused_total", "counter",
       "Requests refused with 503 because --max-body-memory was in use.", &worker_slot::bodies_refused},
      {"kafkio_server_connections_open", "gauge", "Open client connections.", &worker_slot::connections_open},
      {"kafkio_server_requests_in_flight", "gauge", "Requests read but not yet answered.",
       &worker_slot::requests_in_flight},
  };
  for (const auto& t : totals) {
    w.family(t.name, t.type, t.help);
    w.sample(t.name, sum(s, [&](const worker_slot& x) { return (x.*t.field).load(r); }));
  }
  w.family("kafkio_server_worker_restarts_total", "counter", "Workers the master started again after they exited.");
  w.sample("kafkio_server_worker_restarts_total", s.worker_restarts.load(r));
  w.family("kafkio_server_workers_killed_total", "counter",
           "Workers the master killed because their event loop missed heartbeats for --worker-timeout.");
  w.sample("kafkio_server_workers_killed_total", s.workers_killed_silent.load(r));
  w.family("kafkio_server_workers", "gauge", "Configured worker processes.");
  w.sample("kafkio_server_workers", static_cast<std::uint64_t>(workers));

  static const simple producer[] = {
      {"kafkio_producer_ready", "gauge", "1 once the worker's producer has cluster metadata.", &worker_slot::ready},
      {"kafkio_producer_records_accepted_total", "counter", "Records taken by the producer.", &worker_slot::p_records_accepted},
      {"kafkio_producer_records_acked_total", "counter", "Records acknowledged.", &worker_slot::p_records_acked},
      {"kafkio_producer_records_failed_total", "counter", "Records failed.", &worker_slot::p_records_failed},
      {"kafkio_producer_record_bytes_acked_total", "counter", "Bytes of acknowledged records.",
       &worker_slot::p_record_bytes_acked},
      {"kafkio_producer_batches_sent_total", "counter", "Record batches sent (retries included).", &worker_slot::p_batches_sent},
      {"kafkio_producer_produce_requests_total", "counter", "Produce requests sent.", &worker_slot::p_produce_requests},
      {"kafkio_producer_retries_total", "counter", "Batch retries.", &worker_slot::p_retries},
      {"kafkio_producer_batches_split_total", "counter", "Batches split in two after MESSAGE_TOO_LARGE.",
       &worker_slot::p_batches_split},
      {"kafkio_producer_metadata_requests_total", "counter", "Metadata requests sent.", &worker_slot::p_metadata_requests},
      {"kafkio_producer_producer_id_resets_total", "counter", "New producer ids after a broken sequence.",
       &worker_slot::p_producer_id_resets},
      {"kafkio_producer_requests_in_flight", "gauge", "Requests awaiting a broker's answer.", &worker_slot::p_requests_in_flight},
      {"kafkio_producer_buffered_bytes", "gauge", "Bytes charged against buffer.memory.", &worker_slot::p_buffered_bytes},
      {"kafkio_producer_records_waiting_for_room", "gauge", "Records waiting for buffer space.",
       &worker_slot::p_waiting_for_room},
  };
  for (const auto& t : producer) {
    w.family(t.name, t.type, t.help);
    for (int i = 0; i < workers; ++i)
      w.sample(std::string(t.name) + "{worker=\"" + std::to_string(i) + "\"}", (s.slots[i].*t.field).load(r));
  }
  w.family("kafkio_producer_broker_round_trip_seconds", "gauge",
           "Smoothed round trip of Produce/Metadata requests, per worker and broker.");
  for (int i = 0; i < workers; ++i) {
    const auto& slot = s.slots[i];
    auto n = std::min<std::size_t>(slot.broker_count.load(r), slot.brokers.size());
    for (std::size_t b = 0; b < n; ++b) {
      const auto& br = slot.brokers[b];
      w.sample("kafkio_producer_broker_round_trip_seconds{worker=\"" + std::to_string(i) + "\",broker=\"" +
                   std::to_string(br.node_id.load(r)) + "\"}",
               static_cast<double>(br.average_round_trip_us.load(r)) / 1e6);
    }
  }
  w.family("kafkio_producer_broker_connected", "gauge", "1 while the worker's producer is connected to the broker.");
  for (int i = 0; i < workers; ++i) {
    const auto& slot = s.slots[i];
    auto n = std::min<std::size_t>(slot.broker_count.load(r), slot.brokers.size());
    for (std::size_t b = 0; b < n; ++b)
      w.sample("kafkio_producer_broker_connected{worker=\"" + std::to_string(i) + "\",broker=\"" +
                   std::to_string(slot.brokers[b].node_id.load(r)) + "\"}",
               static_cast<std::uint64_t>(slot.brokers[b].connected.load(r)));
  }
  return w.take();
}

}  // namespace kafkio_server
