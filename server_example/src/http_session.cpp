#include "http_session.hpp"

#include "rest_handlers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <iostream>

namespace kafkio_server {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

clock::duration to_duration(seconds s) { return std::chrono::duration_cast<clock::duration>(s); }

bool is_timeout(const boost::system::error_code& ec) { return ec == beast::error::timeout; }

// Keeps the worker's view of this connection current: registered while it lives, `idle` while it waits for a
// request (only then may shutdown close it without cutting a request short).
class session_guard {
 public:
  session_guard(worker_context& ctx, beast::tcp_stream& stream) : ctx_(ctx) {
    it_ = ctx_.sessions.insert(ctx_.sessions.end(), session_entry{&stream, true});
    ctx_.stats.connections_open.fetch_add(1, std::memory_order_relaxed);
  }
  ~session_guard() {
    ctx_.sessions.erase(it_);
    --ctx_.connections;
    ctx_.stats.connections_open.fetch_sub(1, std::memory_order_relaxed);
    ctx_.sessions_changed.cancel();
  }
  session_guard(const session_guard&) = delete;
  session_guard& operator=(const session_guard&) = delete;
  void set_idle(bool idle) { it_->idle = idle; }
  void served() { ++it_->served; }

 private:
  worker_context& ctx_;
  std::list<session_entry>::iterator it_;
};

}  // namespace

asio::awaitable<void> run_session(worker_context& ctx, asio::ip::tcp::socket socket) {
  const auto& o = ctx.options;
  beast::tcp_stream stream(std::move(socket));
  session_guard guard(ctx, stream);
  // The buffer holds at most one request's headers plus what arrives with them; the body goes into the parser's
  // string, bounded by body_limit.
  beast::flat_buffer buffer(o.max_header_bytes + 64 * 1024);

  auto send = [&](http_response res, bool keep_alive) -> asio::awaitable<bool> {
    res.keep_alive(keep_alive);
    res.prepare_payload();
    stream.expires_after(to_duration(o.write_timeout));
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    if (is_timeout(ec)) ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);
    co_return !ec && keep_alive;
  };

  bool linger = false;  // the client may still be sending a body we refused
  for (;;) {
    // 1. Wait for the next request, unless the client already sent (pipelined) bytes of it.
    if (ctx.stopping) break;
    if (buffer.size() == 0) {
      guard.set_idle(true);
      stream.expires_after(to_duration(o.idle_timeout));
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      guard.set_idle(false);
      if (ec) {
        if (is_timeout(ec)) ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      buffer.commit(n);
    }
    guard.set_idle(false);

    // 2. Headers, with their own deadline (a slowloris client cannot hold the connection longer than this).
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    parser.body_limit(o.max_body_bytes);
    stream.expires_after(to_duration(o.header_timeout));
    {
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
      if (ec) {
        const unsigned version = 11;
        if (ec == http::error::body_limit) {  // a chunked body can overflow while the headers are read
          linger = true;
          ctx.stats.count_response(413, {});
          co_await send(error_response(version, http::status::payload_too_large, 413,
                                       "the request body is larger than --max-body-bytes " +
                                           std::to_string(o.max_body_bytes)),
                        false);
        } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
          ctx.stats.count_response(431, {});
          co_await send(error_response(version, http::status::request_header_fields_too_large, 431,
                                       "request headers larger than --max-header-bytes"),
                        false);
        } else if (is_timeout(ec)) {
          // Beast closed the socket when the deadline passed: no 408 can be sent, the client sees the close.
          ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);
        } else if (ec != http::error::end_of_stream && ec != asio::error::eof &&
                   ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
          ctx.stats.count_response(400, {});
          co_await send(error_response(version, http::status::bad_request, 400, "malformed HTTP request: " + ec.message()),
                        false);
        }
        break;
      }
    }
    const auto started = clock::now();
    ctx.stats.requests_in_flight.fetch_add(1, std::memory_order_relaxed);
    struct in_flight_guard {
      worker_slot& s;
      ~in_flight_guard() { s.requests_in_flight.fetch_sub(1, std::memory_order_relaxed); }
    } in_flight{ctx.stats};

    // 3. Decide from the headers whether the body is wanted at all.
    request_plan plan;
    if (auto early = inspect(ctx, parser.get(), plan)) {
      const auto status = static_cast<unsigned>(early->result_int());
      // The body was not read, so the connection cannot carry another request: close it after answering.
      co_await send(std::move(*early), false);
      ctx.stats.count_response(status, clock::now() - started);
      linger = true;
      break;
    }
    if (parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
      stream.expires_after(to_duration(o.write_timeout));
      auto [ec, n] = co_await http::async_write(stream, cont, use_tuple);
      if (ec) break;
    }

    // 4. The body.
    if (!parser.is_done()) {
      stream.expires_after(to_duration(o.body_timeout));
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (ec) {
        const unsigned version = parser.get().version();
        if (ec == http::error::body_limit) {
          linger = true;
          ctx.stats.count_response(413, clock::now() - started);
          co_await send(error_response(version, http::status::payload_too_large, 413,
                                       "the request body is larger than --max-body-bytes " +
                                           std::to_string(o.max_body_bytes)),
                        false);
        } else if (is_timeout(ec)) {
          ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);  // closed, as above
        }
        break;
      }
    }

    // 5. Answer. The deadline is off while the handler waits for Kafka: delivery.timeout.ms bounds that wait.
    stream.expires_never();
    http_response res;
    try {
      res = co_await handle(ctx, parser.get(), plan);
    } catch (const std::exception& e) {
      // Handlers report bad input through return values; this is a bug, but it costs one request, not the worker.
      std::cerr << "kafkio-server[" << ctx.index << "]: internal error: " << e.what() << "\n";
      res = error_response(parser.get().version(), http::status::internal_server_error, 500, "internal error");
    }
    const auto status = static_cast<unsigned>(res.result_int());
    const bool keep_alive = parser.get().keep_alive() && !ctx.stopping;
    const bool ok = co_await send(std::move(res), keep_alive);
    ctx.stats.count_response(status, clock::now() - started);
    guard.served();
    if (!ok) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (linger) {
    // Closing a socket with unread input makes the kernel send RST, and the client may then lose our answer
    // before reading it. So read and discard what the client still sends, until it closes or for 2 s at most
    // (nginx's lingering close, bounded).
    stream.expires_after(std::chrono::seconds(2));
    buffer.clear();
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16384), use_tuple);
      if (ec) break;
    }
  }
  stream.close();
}

}  // namespace kafkio_server
