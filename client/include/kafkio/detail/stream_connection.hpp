// One broker connection's bytes, on Asio: resolve, connect, read, write. Nothing else — what the bytes mean, when a
// request is late and what to send next are the core's (core/request_pipeline.hpp, core/producer_core.hpp).
//
// Generic over the stream, so a TLS stream plugs in here without touching the core. The driver holds each
// connection through the small connection_io interface and hears from it through connection_events.
//
// Nothing blocks: DNS goes through Asio's resolver (getaddrinfo on Asio's private thread), connect, read and write
// are asynchronous. The frames of a write belong to the connection while the write runs, and the read buffer is its
// own, so the core may forget a connection at any time without a pending operation touching freed memory.
#pragma once

#include <kafkio/core/producer_core.hpp>
#include <kafkio/detail/handler_pool.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <span>
#include <vector>

namespace kafkio::detail {

namespace asio = boost::asio;

// What a connection reports, to whoever drives the core (the driver outlives none of its connections' operations
// by contract: the connection holds it weakly).
class connection_events {
 public:
  virtual void on_connected(core::connection_id c, std::error_code ec) = 0;
  virtual void on_bytes(core::connection_id c, protocol::bytes_view data) = 0;
  virtual void on_written(core::connection_id c, std::vector<protocol::byte_buffer>& frames) = 0;
  virtual void on_disconnected(core::connection_id c, std::error_code ec) = 0;

 protected:
  ~connection_events() = default;
};

class connection_io {
 public:
  virtual ~connection_io() = default;
  // Resolves and connects (and, for a secure stream, handshakes); reports on_connected once.
  virtual void start(const core::endpoint& to) = 0;
  // Writes what the pipeline has queued (one gathered write); reports on_written. A no-op while a write runs:
  // the core asks again when that one completes.
  virtual void write(core::request_pipeline& pipe) = 0;
  // Closes the socket; nothing is reported afterwards.
  virtual void close() = 0;
};

// A plain TCP connection. (Other streams: same shape, plus their handshake after connect.)
class tcp_connection final : public connection_io, public std::enable_shared_from_this<tcp_connection> {
 public:
  tcp_connection(const asio::any_io_executor& ex, core::connection_id id, std::weak_ptr<connection_events> events,
                 const handler_pool_ref& pool)
      : resolver_(ex), socket_(ex), id_(id), events_(std::move(events)), pool_(pool) {}

  void start(const core::endpoint& to) override {
    resolver_.async_resolve(to.host, to.port, pooled(pool_, [self = shared_from_this()](auto ec, auto results) {
      if (self->closed_) return;
      if (ec) return self->report_connected(ec);
      asio::async_connect(self->socket_, results, [self](auto ec2, const auto&) {
        if (self->closed_) return;
        if (!ec2) self->socket_.set_option(asio::ip::tcp::no_delay(true), ec2);
        self->report_connected(ec2);
        if (!ec2 && !self->closed_) self->read();
      });
    }));
  }

  void write(core::request_pipeline& pipe) override {
    if (writing_ || closed_) return;
    pipe.begin_write(frames_);
    if (frames_.empty()) return;
    writing_ = true;
    buffers_.clear();
    for (const auto& f : frames_) buffers_.emplace_back(asio::buffer(f));
    // A span, not the vector: async_write copies its buffer sequence into the operation, and a vector copy is an
    // allocation per write. buffers_ and frames_ stay untouched until the write completes.
    asio::async_write(socket_, std::span<const asio::const_buffer>(buffers_),
                      pooled(pool_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (self->closed_) return;
                        auto events = self->events_.lock();
                        if (!events) return;
                        if (ec) return events->on_disconnected(self->id_, ec);
                        // on_written gives the frames back to the pipeline (frames_ is left empty) and may start
                        // the next write, which fills frames_ again: nothing here may touch frames_ afterwards.
                        events->on_written(self->id_, self->frames_);
                      }));
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void report_connected(std::error_code ec) {
    if (auto events = events_.lock()) events->on_connected(id_, ec);
  }

  void read() {
    socket_.async_read_some(asio::buffer(read_buffer_),
                            pooled(pool_, [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              if (self->closed_) return;
                              auto events = self->events_.lock();
                              if (!events) return;
                              if (ec) return events->on_disconnected(self->id_, ec);
                              events->on_bytes(self->id_, protocol::bytes_view(self->read_buffer_.data(), n));
                              if (!self->closed_) self->read();
                            }));
  }

  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  core::connection_id id_;
  std::weak_ptr<connection_events> events_;
  handler_pool_ref pool_;
  bool closed_ = false, writing_ = false;
  std::vector<protocol::byte_buffer> frames_;    // the frames of the write in progress
  std::vector<asio::const_buffer> buffers_;      // their gather list
  std::array<std::uint8_t, 64 * 1024> read_buffer_{};
};

}  // namespace kafkio::detail
