#include "http_session.hpp"

#include "http_rules.hpp"
#include "rest_handlers.hpp"
#include "v3_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <iostream>

namespace kafkio_server {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

clock::duration to_duration(seconds s) { return std::chrono::duration_cast<clock::duration>(s); }

bool is_timeout(const boost::system::error_code& ec) { return ec == beast::error::timeout; }

// The client went away or we cancelled the read: nobody to answer.
bool is_disconnect(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == asio::error::broken_pipe;
}

// Keeps the worker's view of this connection current: registered while it lives, `idle` while it waits for a
// request (only then may shutdown or the connection cap close it without cutting a request short).
class session_guard {
 public:
  session_guard(worker_context& ctx, beast::tcp_stream& stream) : ctx_(ctx) {
    it_ = ctx_.sessions.insert(ctx_.sessions.end(), session_entry{&stream, true, 0, clock::now()});
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
  void set_idle(bool idle) {
    it_->idle = idle;
    if (!idle) return;
    it_->idle_since = clock::now();
    // At the cap, the accept loop waits for a connection it may shed: this one now is.
    if (ctx_.connections >= ctx_.options.max_connections) ctx_.sessions_changed.cancel();
  }
  void reopen() { it_->closing = false; }
  void served() { ++it_->served; }
  std::size_t served_count() const { return it_->served; }

 private:
  worker_context& ctx_;
  std::list<session_entry>::iterator it_;
};

// Bytes of request bodies charged against --max-body-memory while the request lives.
class body_charge {
 public:
  explicit body_charge(worker_context& ctx) : ctx_(ctx) {}
  ~body_charge() { ctx_.body_bytes -= bytes_; }
  body_charge(const body_charge&) = delete;
  body_charge& operator=(const body_charge&) = delete;
  // Grows the charge to `total`; false (and no change) if that would exceed the worker's budget.
  bool grow_to(std::size_t total) { return total <= bytes_ || set(total); }
  // Sets the charge to `total` (a stream's record being read grows and shrinks); false if over the budget.
  bool set(std::size_t total) {
    if (total > bytes_ && ctx_.body_bytes + (total - bytes_) > ctx_.options.max_body_memory) return false;
    ctx_.body_bytes = ctx_.body_bytes - bytes_ + total;
    bytes_ = total;
    return true;
  }

 private:
  worker_context& ctx_;
  std::size_t bytes_ = 0;
};

}  // namespace

asio::awaitable<void> run_session(worker_context& ctx, asio::ip::tcp::socket socket) {
  const auto& o = ctx.options;
  beast::tcp_stream stream(std::move(socket));
  session_guard guard(ctx, stream);
  // The buffer holds at most one request's headers plus what arrives with them; the body goes into the parser's
  // string, bounded by body_limit and by the worker's --max-body-memory.
  beast::flat_buffer buffer(o.max_header_bytes + 64 * 1024);

  // A request already (partly) received: pipelined into our buffer, or waiting in the kernel.
  auto request_waiting = [&] {
    boost::system::error_code ec;
    return buffer.size() > 0 || stream.socket().available(ec) > 0;
  };
  auto send = [&](http_response res, bool keep_alive, bool head = false) -> asio::awaitable<bool> {
    res.keep_alive(keep_alive);
    res.prepare_payload();
    stream.expires_after(to_duration(o.write_timeout));
    boost::system::error_code ec;
    if (head) {  // HEAD: GET's headers (Content-Length included), no body (RFC 9110 §9.3.2)
      http::response_serializer<http::string_body> sr(res);
      std::tie(ec, std::ignore) = co_await http::async_write_header(stream, sr, use_tuple);
    } else {
      std::tie(ec, std::ignore) = co_await http::async_write(stream, res, use_tuple);
    }
    if (is_timeout(ec)) ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);
    co_return !ec && keep_alive;
  };
  // Answers without reading (the rest of) the request, and closes: what follows cannot be told from a next request.
  auto refuse = [&](unsigned version, unsigned status, int error_code, const std::string& message,
                    clock::time_point started) -> asio::awaitable<void> {
    auto res = error_response(version, static_cast<http::status>(status), error_code, message);
    if (status == 503) res.set(http::field::retry_after, std::to_string(o.retry_after_seconds));
    co_await send(std::move(res), false);
    ctx.stats.count_response(status, clock::now() - started);
  };

  bool linger = false;  // the client may still be sending what we refused to read
  for (;;) {
    // 1. Wait for the next request, unless the client already sent (pipelined) bytes of it. A connection that has
    // sent nothing yet gets the header timeout, not the idle timeout: idle sockets must not pile up (slowloris
    // before the first byte).
    if (ctx.stopping && !request_waiting()) break;
    if (buffer.size() == 0) {
      guard.set_idle(true);
      stream.expires_after(to_duration(guard.served_count() == 0 ? o.header_timeout : o.idle_timeout));
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      guard.set_idle(false);
      buffer.commit(n);
      if (ec) {
        // Shutdown and the connection cap cancel idle reads; a request whose bytes arrived meanwhile is served.
        if (ec == asio::error::operation_aborted && request_waiting()) {
          guard.reopen();
          continue;
        }
        if (is_timeout(ec)) ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);
        break;
      }
    }
    const auto first_byte = clock::now();

    // 2. Headers, with their own deadline (a slowloris client cannot hold the connection longer than this).
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    parser.body_limit(o.max_body_bytes);
    stream.expires_after(to_duration(o.header_timeout));
    {
      // The request line first, to tell a target over --max-uri-bytes (414) from a header block over
      // --max-header-bytes (431): Beast reports both as a header block too large.
      const std::size_t line_limit = std::min(o.max_uri_bytes, o.max_header_bytes);
      auto received = [&] { return std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()); };
      boost::system::error_code ec;
      while (!ec && received().find("\r\n") == std::string_view::npos && !request_line_too_long(received(), line_limit)) {
        std::size_t n = 0;
        std::tie(ec, n) = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
        buffer.commit(n);
      }
      if (!ec && request_line_too_long(received(), line_limit)) {
        linger = true;
        co_await refuse(11, 414, 414, "the request target is longer than --max-uri-bytes", first_byte);
        break;
      }
      // The end of the request line (" HTTP/x.y"), kept for the 505 test below: short enough to need no allocation.
      auto line = received();
      line = line.substr(0, line.find("\r\n"));
      const std::string request_line(line.substr(line.size() - std::min<std::size_t>(line.size(), 15)));
      std::size_t n = 0;
      if (!ec) std::tie(ec, n) = co_await http::async_read_header(stream, buffer, parser, use_tuple);
      if (ec) {
        const unsigned version = 11;
        linger = true;
        if (ec == http::error::body_limit) {  // a chunked body can overflow while the headers are read
          co_await refuse(version, 413, 413,
                          "the request body is larger than --max-body-bytes " + std::to_string(o.max_body_bytes),
                          first_byte);
        } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
          co_await refuse(version, 431, 431, "request headers larger than --max-header-bytes", first_byte);
        } else if (ec == http::error::bad_version && unsupported_version(request_line)) {
          co_await refuse(version, 505, 505, "HTTP version not supported: kafkio-server speaks HTTP/1.1", first_byte);
        } else if (is_timeout(ec)) {
          // Beast closed the socket when the deadline passed: no 408 can be sent, the client sees the close.
          ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);
        } else if (!is_disconnect(ec)) {
          co_await refuse(version, 400, 400, "malformed HTTP request: " + ec.message(), first_byte);
        }
        break;
      }
    }
    const auto started = clock::now();
    const auto& req = parser.get();
    ctx.stats.requests_in_flight.fetch_add(1, std::memory_order_relaxed);
    struct in_flight_guard {
      worker_slot& s;
      ~in_flight_guard() { s.requests_in_flight.fetch_sub(1, std::memory_order_relaxed); }
    } in_flight{ctx.stats};

    // 3. Decide from the headers whether the body is wanted at all. Refusals close the connection: the body was
    // not read, so it cannot be told apart from a next request.
    if (auto verdict = check_request_headers(req, {o.max_uri_bytes})) {
      linger = true;
      co_await refuse(req.version(), verdict->status, static_cast<int>(verdict->status), verdict->message, started);
      break;
    }
    request_plan plan;
    if (auto early = inspect(ctx, req, plan)) {
      const auto status = static_cast<unsigned>(early->result_int());
      co_await send(std::move(*early), false);
      ctx.stats.count_response(status, clock::now() - started);
      linger = true;
      break;
    }
    body_charge charge(ctx);
    if (plan.target.what == route::kind::records) {
      // REST Proxy v3 produces record by record while the body streams in (v3_stream.cpp).
      if (auto refusal = co_await check_cluster(ctx, req.version(), plan)) {
        const auto status = static_cast<unsigned>(refusal->result_int());
        co_await send(std::move(*refusal), false);
        ctx.stats.count_response(status, clock::now() - started);
        linger = true;
        break;
      }
      if (expects_continue(req) && !parser.is_done()) {
        http::response<http::empty_body> cont{http::status::continue_, req.version()};
        stream.expires_after(to_duration(o.write_timeout));
        auto [ec, n] = co_await http::async_write(stream, cont, use_tuple);
        if (ec) break;
      }
      const bool keep = co_await serve_v3_records(ctx, stream, buffer, parser, plan,
                                                  [&charge](std::size_t n) { return charge.set(n); });
      ctx.stats.count_response(200, clock::now() - started);
      guard.served();
      if (!keep) break;
      continue;
    }
    if (!parser.is_done()) {
      // A Content-Length body is charged whole before it is read (Beast reserves that much at once); a chunked
      // one as it grows. Beyond --max-body-memory the worker answers 503: RSS stays bounded by configuration.
      if (!charge.grow_to(parser.content_length().value_or(0))) {
        ctx.stats.bodies_refused.fetch_add(1, std::memory_order_relaxed);
        linger = true;
        co_await refuse(req.version(), 503, 503,
                        "the worker is reading too many request bodies (--max-body-memory): retry later", started);
        break;
      }
    }
    if (expects_continue(req) && !parser.is_done()) {
      http::response<http::empty_body> cont{http::status::continue_, req.version()};
      stream.expires_after(to_duration(o.write_timeout));
      auto [ec, n] = co_await http::async_write(stream, cont, use_tuple);
      if (ec) break;
    }

    // 4. The body, under one deadline for all of it.
    stream.expires_after(to_duration(o.body_timeout));
    boost::system::error_code body_ec;
    bool over_budget = false;
    while (!parser.is_done() && !body_ec && !over_budget) {
      std::tie(body_ec, std::ignore) = co_await http::async_read_some(stream, buffer, parser, use_tuple);
      over_budget = !body_ec && !charge.grow_to(parser.get().body().capacity());
    }
    if (body_ec || over_budget) {
      linger = true;
      if (over_budget) {
        ctx.stats.bodies_refused.fetch_add(1, std::memory_order_relaxed);
        co_await refuse(req.version(), 503, 503,
                        "the worker is reading too many request bodies (--max-body-memory): retry later", started);
      } else if (body_ec == http::error::body_limit) {
        co_await refuse(req.version(), 413, 413,
                        "the request body is larger than --max-body-bytes " + std::to_string(o.max_body_bytes),
                        started);
      } else if (is_timeout(body_ec)) {
        ctx.stats.connections_timed_out.fetch_add(1, std::memory_order_relaxed);  // closed, as above
      } else if (body_ec == http::error::partial_message || !is_disconnect(body_ec)) {
        // A malformed chunk, or the client stopped sending (half-closed) before the body ended.
        co_await refuse(req.version(), 400, 400, "malformed request body: " + body_ec.message(), started);
      }
      break;
    }

    // 5. Answer. The deadline is off while the handler waits for Kafka: delivery.timeout.ms bounds that wait.
    stream.expires_never();
    http_response res;
    try {
      res = co_await handle(ctx, req, plan);
    } catch (const std::exception& e) {
      // Handlers report bad input through return values; this is a bug, but it costs one request, not the worker.
      std::cerr << "kafkio-server[" << ctx.index << "]: internal error: " << e.what() << "\n";
      res = error_response(req.version(), http::status::internal_server_error, 500, "internal error");
    }
    const auto status = static_cast<unsigned>(res.result_int());
    // At shutdown, requests already received (pipelined behind this one) are still answered: only the last one
    // says Connection: close.
    const bool keep_alive = req.keep_alive() && (!ctx.stopping || request_waiting());
    const bool ok = co_await send(std::move(res), keep_alive, req.method() == http::verb::head);
    ctx.stats.count_response(status, clock::now() - started);
    guard.served();
    if (!ok) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (linger || request_waiting()) {
    // Closing a socket with unread input makes the kernel send RST, and the client may then lose our answer
    // before reading it. So read and discard what the client still sends, until it closes or for 2 s at most
    // (nginx's lingering close, bounded).
    stream.expires_after(std::chrono::seconds(2));
    buffer.clear();
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16384), use_tuple);
      buffer.clear();
      if (ec) break;
    }
  }
  stream.close();
}

}  // namespace kafkio_server
