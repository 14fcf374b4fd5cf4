// Counters shared by the master and every worker: one anonymous shared mapping created before the first fork, one
// slot per worker. Each worker writes only its own slot (lock-free atomics, valid across processes), so whichever
// worker answers GET /metrics can report the whole server, and a restarted worker's HTTP counters keep counting.
#pragma once

#include <kafkio/metrics.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace kafkio_server {

using counter = std::atomic<std::uint64_t>;
static_assert(counter::is_always_lock_free, "cross-process counters need lock-free 64-bit atomics");

// Upper bounds (seconds) of the request latency histogram; the last bucket is +Inf.
inline constexpr std::array<double, 14> latency_bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,    0.25,  0.5,    1,     2.5,   5,     10};
inline constexpr std::size_t max_brokers_reported = 16;

struct broker_slot {
  std::atomic<std::int32_t> node_id{-1};
  std::atomic<std::uint32_t> connected{0};
  counter requests_sent{0}, responses_received{0}, in_flight{0}, average_round_trip_us{0};
};

struct worker_slot {
  std::atomic<std::int32_t> pid{0};
  counter starts{0};

  // HTTP, counted by the worker as it answers (monotonic across restarts of the slot's worker).
  std::array<counter, 600> responses_by_status{};
  std::array<counter, latency_bounds.size() + 1> latency_buckets{};  // non-cumulative; rendered cumulatively
  counter latency_count{0}, latency_sum_us{0};
  counter records_produced{0};   // acknowledged by Kafka
  counter records_failed{0};     // completed with an error
  counter records_rejected{0};   // refused before the producer (429: buffer full)
  counter transactions_committed{0}, transactions_aborted{0};  // ?atomic=true requests
  counter connections_accepted{0};
  counter connections_timed_out{0};
  counter connections_shed{0};   // idle connections closed to make room at --max-connections
  counter bodies_refused{0};     // requests refused with 503 because --max-body-memory was in use
  // Written by the worker's event loop every 250 ms (CLOCK_MONOTONIC nanoseconds, the same clock in every
  // process); the master replaces a worker whose heartbeat is older than --worker-timeout.
  counter heartbeat_ns{0};
  // Gauges.
  counter connections_open{0}, requests_in_flight{0}, ready{0};

  // The worker's producer, copied from producer::metrics() about once a second (gauges of this worker's producer).
  counter p_records_accepted{0}, p_records_acked{0}, p_records_failed{0}, p_record_bytes_acked{0};
  counter p_batches_sent{0}, p_produce_requests{0}, p_retries{0}, p_batches_split{0}, p_metadata_requests{0};
  counter p_producer_id_resets{0}, p_requests_in_flight{0}, p_buffered_bytes{0}, p_waiting_for_room{0};
  std::atomic<std::uint32_t> broker_count{0};
  std::array<broker_slot, max_brokers_reported> brokers{};

  void count_response(unsigned status, std::chrono::steady_clock::duration latency) noexcept;
  void publish(const kafkio::producer_metrics& m, bool has_metadata) noexcept;
};

struct shared_stats {
  counter worker_restarts{0};
  counter workers_killed_silent{0};  // killed by the master after --worker-timeout without a heartbeat
  std::atomic<std::int32_t> worker_count{0};
  std::atomic<std::int32_t> master_pid{0};
  worker_slot* slots = nullptr;  // worker_count entries, in the same mapping

  // Maps the counters for `workers` workers (MAP_SHARED | MAP_ANONYMOUS, so children of fork() share it).
  // Throws std::system_error if mmap fails.
  static shared_stats* create(int workers);
  worker_slot& slot(int index) noexcept { return slots[index]; }
};

// Prometheus text exposition (format 0.0.4) of every slot: server counters summed over workers, producer figures per
// worker (label worker="i").
std::string render_prometheus(const shared_stats& s);

}  // namespace kafkio_server
