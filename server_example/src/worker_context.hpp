// What a worker's sessions and handlers share. Everything runs on the worker's single thread (its io_context), so
// there are no locks: the counters in `stats` are atomics only because other processes read them.
#pragma once

#include "options.hpp"
#include "shared_stats.hpp"

#include <kafkio/producer.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/message.hpp>

#include <list>

namespace kafkio_server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

// A live connection, so that shutdown can close the ones waiting for a request.
struct session_entry {
  beast::tcp_stream* stream = nullptr;
  bool idle = true;  // suspended waiting for the first byte of a request: safe to close at shutdown
  std::size_t served = 0;  // requests answered on it
};

struct worker_context {
  worker_context(const server_options& o, shared_stats& all, int i, kafkio::producer& p, asio::any_io_executor ex)
      : options(o), all_stats(all), stats(all.slot(i)), index(i), producer(p),
        buffer_memory(static_cast<std::size_t>(p.config().buffer_memory)),
        sessions_changed(std::move(ex), asio::steady_timer::time_point::max()) {}

  const server_options& options;
  const shared_stats& all_stats;
  worker_slot& stats;
  int index;
  kafkio::producer& producer;
  std::size_t buffer_memory;      // the producer's buffer.memory: admission limit of inflight_charge
  std::size_t inflight_charge = 0;  // what records handed to the producer and not yet completed are charged
  bool stopping = false;          // graceful shutdown began: no new connections, no keep-alive

  std::size_t connections = 0;  // accepted and not yet closed (counted at accept, before the session runs)
  std::list<session_entry> sessions;
  // Expires never; cancelled whenever a session ends, which wakes every coroutine waiting on it (the accept loop
  // waiting for room, shutdown waiting for the last session). Waiters only async_wait: re-arming it would cancel
  // the other waiters.
  asio::steady_timer sessions_changed;

  void publish_producer_metrics() { stats.publish(producer.metrics(), producer.has_metadata()); }
};

}  // namespace kafkio_server
