// One TCP connection to one broker, on the producer's executor.
//
// Requests are pipelined: frames are written back to back (one gathered async_write at a time) and responses are
// matched in order against the queue of requests awaiting one — Kafka answers in request order on a connection, so
// a response whose correlation id is not the front's means the stream is broken and the connection is closed.
// Each request carries a deadline; one timer watches the oldest. Nothing here blocks: DNS goes through Asio's
// resolver (getaddrinfo on Asio's private thread), connect/read/write are asynchronous.
//
// Every callback runs on the executor, never inside send() itself, and every request gets exactly one callback:
// its response, or the error that closed the connection.
#pragma once

#include <kafkio/detail/handler_pool.hpp>
#include <kafkio/detail/inline_function.hpp>
#include <kafkio/detail/ring_queue.hpp>
#include <kafkio/protocol/frame.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kafkio::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

class connection : public std::enable_shared_from_this<connection> {
 public:
  // frame: the whole response (response header + body, without the size prefix); empty on error or for
  // requests that expect no response (acks=0 produce), which complete once written. Move-only, stored inline
  // (no allocation per request; see inline_function.hpp).
  using response_callback = inline_function<void(std::error_code, protocol::bytes_view frame)>;

  // `pool`: storage for the read, write and timer operations (handler_pool.hpp), shared with the engine.
  connection(asio::any_io_executor ex, std::string host, std::string port, std::size_t max_frame_size,
             const handler_pool_ref& pool)
      : resolver_(ex), socket_(ex), timer_(ex), host_(std::move(host)), port_(std::move(port)),
        reader_(max_frame_size), pool_(pool) {}

  const std::string& host() const noexcept { return host_; }
  const std::string& port() const noexcept { return port_; }
  bool is_open() const noexcept { return state_ == state::open; }
  bool is_closed() const noexcept { return state_ == state::closed; }
  std::size_t awaiting_response() const noexcept { return awaiting_.size(); }
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }

  // An empty buffer for the next request frame: one whose write completed, capacity kept, so that encoding a
  // request allocates nothing once the spare buffers have grown to the usual request size.
  protocol::byte_buffer take_frame_buffer() {
    if (spare_frames_.empty()) return {};
    auto b = std::move(spare_frames_.back());
    spare_frames_.pop_back();
    b.clear();
    return b;
  }

  // Called once when the connection closes for any reason (peer closed it, error, timeout, close()), after the
  // pending requests' callbacks: the owner learns of it even when nothing was in flight.
  void on_close(std::function<void(std::error_code)> f) { on_close_ = std::move(f); }

  // Resolves and connects; `done` runs once, with the error or success. Times out after `timeout`.
  void async_connect(std::chrono::milliseconds timeout, std::function<void(std::error_code)> done) {
    state_ = state::connecting;
    connect_done_ = std::move(done);
    arm_timer(clock::now() + timeout);
    resolver_.async_resolve(host_, port_, [self = shared_from_this()](auto ec, auto results) {
      if (self->state_ != state::connecting) return;
      if (ec) return self->finish_connect(ec);
      asio::async_connect(self->socket_, results, [self](auto ec2, const auto&) {
        if (self->state_ != state::connecting) return;
        if (!ec2) self->socket_.set_option(asio::ip::tcp::no_delay(true), ec2);
        self->finish_connect(ec2);
      });
    });
  }

  // Queues a complete request frame (size prefix included). `correlation_id` is checked against the response.
  void send(protocol::byte_buffer frame, std::int32_t correlation_id, bool expect_response, clock::time_point deadline,
            response_callback cb) {
    if (state_ == state::closed) {
      asio::post(socket_.get_executor(), [cb = std::move(cb), ec = close_reason_]() mutable { cb(ec, {}); });
      return;
    }
    queued_bytes_ += frame.size();
    outbox_.push_back({std::move(frame), correlation_id, expect_response, deadline, std::move(cb)});
    if (state_ == state::open) start_write();
  }

  // Fails everything pending with `reason` and closes the socket. Idempotent.
  void close(std::error_code reason) {
    if (state_ == state::closed) return;
    state_ = state::closed;
    close_reason_ = reason;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
    auto connect_done = std::exchange(connect_done_, nullptr);
    auto awaiting = std::exchange(awaiting_, {});
    auto outbox = std::exchange(outbox_, {});
    auto written = std::exchange(written_callbacks_, {});
    queued_bytes_ = 0;
    if (connect_done) connect_done(reason);
    for (auto& cb : written)
      if (cb) cb(reason, {});
    for (auto* list : {&awaiting, &outbox})
      list->for_each([&](request& r) {
        if (r.cb) r.cb(reason, {});
      });
    if (auto f = std::exchange(on_close_, nullptr)) f(reason);
  }

 private:
  enum class state { idle, connecting, open, closed };
  struct request {
    protocol::byte_buffer frame;
    std::int32_t correlation_id;
    bool expect_response;
    clock::time_point deadline;
    response_callback cb;
  };

  void finish_connect(std::error_code ec) {
    if (ec) return close(ec);
    state_ = state::open;
    timer_armed_for_ = clock::time_point::max();
    timer_.cancel();
    if (auto done = std::exchange(connect_done_, nullptr)) done({});
    if (state_ != state::open) return;
    start_read();
    start_write();
  }

  void start_write() {
    if (!writing_.empty() || outbox_.empty() || state_ != state::open) return;
    // Gather everything queued into one write: fewer syscalls when many small requests pile up. Requests that
    // expect a response join `awaiting_` now, in order, not when the write completes: the response can be read
    // before the write's completion handler runs.
    buffers_.clear();
    while (!outbox_.empty()) {
      auto& r = outbox_.front();
      buffers_.emplace_back(asio::buffer(r.frame));
      writing_.push_back(std::move(r.frame));
      if (r.expect_response) awaiting_.push_back(std::move(r));
      else written_callbacks_.push_back(std::move(r.cb));
      outbox_.pop_front();
    }
    rearm_request_timer();
    // A span, not the vector: async_write copies its buffer sequence into the operation, and a vector copy is an
    // allocation per write. buffers_ and writing_ stay untouched until the write completes.
    asio::async_write(socket_, std::span<const asio::const_buffer>(buffers_),
                      pooled(pool_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (self->state_ == state::closed) return;
      if (ec) return self->close(ec);
      for (auto& f : self->writing_) {
        self->queued_bytes_ -= f.size();
        if (self->spare_frames_.size() < max_spare_frames) self->spare_frames_.push_back(std::move(f));
      }
      self->writing_.clear();
      // acks=0 produce requests are done once written: the broker sends nothing back. (Swapped out first: a
      // callback may queue another request, which joins a later write.)
      self->written_running_.swap(self->written_callbacks_);
      for (std::size_t i = 0; i < self->written_running_.size(); ++i) {
        auto cb = std::move(self->written_running_[i]);
        if (self->state_ == state::closed) cb(self->close_reason_, {});
        else cb({}, {});
      }
      self->written_running_.clear();
      if (self->state_ != state::closed) self->start_write();
    }));
  }

  void start_read() {
    auto space = reader_.prepare();
    socket_.async_read_some(asio::buffer(space.data(), space.size()),
                            pooled(pool_, [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              if (self->state_ == state::closed) return;
                              if (ec) return self->close(ec);
                              self->reader_.commit(n);
                              self->dispatch_frames();
                              if (self->state_ == state::open) self->start_read();
                            }));
  }

  void dispatch_frames() {
    protocol::bytes_view frame;
    std::error_code ec;
    for (;;) {
      auto st = reader_.next(frame, ec);
      if (st == protocol::frame_reader::status::need_more) break;
      if (st == protocol::frame_reader::status::error) return close(ec);
      protocol::reader r(frame);
      auto correlation_id = r.int32();
      if (!r.ok() || awaiting_.empty() || awaiting_.front().correlation_id != correlation_id)
        return close(make_error_code(client_errc::correlation_mismatch));
      auto req = std::move(awaiting_.front());
      awaiting_.pop_front();
      req.cb({}, frame);
      if (state_ != state::open) return;
    }
    rearm_request_timer();
  }

  void rearm_request_timer() {
    if (awaiting_.empty()) {
      timer_armed_for_ = clock::time_point::max();
      timer_.cancel();
      return;
    }
    if (awaiting_.front().deadline != timer_armed_for_) arm_timer(awaiting_.front().deadline);
  }

  void arm_timer(clock::time_point when) {
    timer_armed_for_ = when;
    timer_.expires_at(when);
    timer_.async_wait(pooled(pool_, [self = shared_from_this(), when](boost::system::error_code ec) {
      if (ec || self->state_ == state::closed || self->timer_armed_for_ != when) return;
      self->close(make_error_code(self->state_ == state::connecting ? client_errc::broker_connection_failed
                                                                      : client_errc::request_timeout));
    }));
  }

  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  clock::time_point timer_armed_for_ = clock::time_point::max();
  std::string host_, port_;
  protocol::frame_reader reader_;
  handler_pool_ref pool_;
  state state_ = state::idle;
  std::error_code close_reason_;
  std::function<void(std::error_code)> connect_done_;
  std::function<void(std::error_code)> on_close_;
  static constexpr std::size_t max_spare_frames = 8;  // about max.in.flight: more would only hold memory
  ring_queue<request> outbox_;                    // queued, not yet handed to the socket
  std::vector<protocol::byte_buffer> writing_;    // frames in the current async_write
  std::vector<protocol::byte_buffer> spare_frames_;  // written frames, kept for their capacity
  std::vector<response_callback> written_callbacks_;  // requests without a response, in the current write
  std::vector<response_callback> written_running_;    // those being completed (capacity kept)
  ring_queue<request> awaiting_;                  // being written or written, waiting for their response (in order)
  std::vector<asio::const_buffer> buffers_;
  std::size_t queued_bytes_ = 0;
};

}  // namespace kafkio::detail
