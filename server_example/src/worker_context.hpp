// What a worker's sessions and handlers share. Everything runs on the worker's single thread (its io_context), so
// there are no locks: the counters in `stats` are atomics only because other processes read them.
#pragma once

#include "atomic_writer.hpp"
#include "options.hpp"
#include "shared_stats.hpp"

#include <kafkio/producer.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/message.hpp>

#include <chrono>
#include <list>

namespace kafkio_server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

// A live connection, so that shutdown and the connection cap can close the ones waiting for a request.
struct session_entry {
  beast::tcp_stream* stream = nullptr;
  bool idle = true;  // suspended waiting for the first byte of a request: safe to close at shutdown
  std::size_t served = 0;  // requests answered on it
  std::chrono::steady_clock::time_point idle_since{};
  bool closing = false;  // shed or closed by shutdown: its read was cancelled
};

struct worker_context {
  worker_context(const server_options& o, shared_stats& all, int i, kafkio::producer& p, atomic_writer& a,
                 asio::any_io_executor ex)
      : options(o), all_stats(all), stats(all.slot(i)), index(i), producer(p), atomic(&a),
        buffer_memory(static_cast<std::size_t>(p.config().buffer_memory)),
        sessions_changed(std::move(ex), asio::steady_timer::time_point::max()) {}

  const server_options& options;
  const shared_stats& all_stats;
  worker_slot& stats;
  int index;
  kafkio::producer& producer;
  atomic_writer* atomic;          // ?atomic=true requests: the worker's transactional producer
  std::size_t buffer_memory;      // the producer's buffer.memory: admission limit of inflight_charge
  std::size_t inflight_charge = 0;  // what records handed to the producer and not yet completed are charged
  bool stopping = false;          // graceful shutdown began: no new connections, no keep-alive
  std::size_t body_bytes = 0;     // request bodies being read or held, charged up front: bounded by max_body_memory
  std::string cluster_id;         // the cluster's id once a metadata fetch told it (v3 routes name it)
  std::chrono::steady_clock::time_point broker_seen{std::chrono::steady_clock::now()};  // last broker connection

  std::size_t connections = 0;  // accepted and not yet closed (counted at accept, before the session runs)
  std::list<session_entry> sessions;
  // Expires never; cancelled whenever a session ends, which wakes every coroutine waiting on it (the accept loop
  // waiting for room, shutdown waiting for the last session). Waiters only async_wait: re-arming it would cancel
  // the other waiters.
  asio::steady_timer sessions_changed;

  void publish_producer_metrics() { stats.publish(producer.metrics(), ready()); }

  // Ready: the producer has metadata and a broker connection now or within the last options.unready_after, so a
  // load balancer stops sending traffic a worker cannot deliver during an outage.
  bool ready() {
    if (!producer.has_metadata()) return false;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& b : producer.metrics().brokers)
      if (b.connected) broker_seen = now;
    return now - broker_seen < std::chrono::duration_cast<std::chrono::steady_clock::duration>(options.unready_after);
  }

  bool has_idle_session() const {
    for (const auto& s : sessions)
      if (s.idle && !s.closing) return true;
    return false;
  }

  // Closes the connection that has waited longest for a request (none if every one is busy); true if it found one.
  // Sockets with bytes already in the kernel are not idle: their request has arrived.
  bool shed_oldest_idle() {
    session_entry* oldest = nullptr;
    for (auto& s : sessions) {
      if (!s.idle || s.closing) continue;
      boost::system::error_code ec;
      if (s.stream->socket().available(ec) > 0) continue;
      if (!oldest || s.idle_since < oldest->idle_since) oldest = &s;
    }
    if (!oldest) return false;
    oldest->closing = true;
    oldest->stream->cancel();
    stats.connections_shed.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
};

}  // namespace kafkio_server
