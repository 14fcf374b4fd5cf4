// One broker connection's bytes, on Asio: resolve, connect, (TLS: handshake,) read, write. Nothing else — what the bytes mean, when a
// request is late and what to send next are the core's (core/request_pipeline.hpp, core/producer_core.hpp).
//
// Generic over the stream: a plain TCP socket, or Asio's OpenSSL stream over one (security.protocol SSL, SASL_SSL;
// the context, with its certificates, is the producer's: tls_context.hpp). The driver holds each connection through
// the small connection_io interface and hears from it through connection_events.
//
// Nothing blocks: DNS goes through Asio's resolver (getaddrinfo on Asio's private thread), connect, read and write
// are asynchronous. The frames of a write belong to the connection while the write runs, and the read buffer is its
// own, so the core may forget a connection at any time without a pending operation touching freed memory.
#pragma once

#include <kafkio/core/producer_core.hpp>
#include <kafkio/detail/handler_pool.hpp>

#include <kafkio/detail/tls_context.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace kafkio::detail {

namespace asio = boost::asio;

// What a connection reports, to whoever drives the core (the driver outlives none of its connections' operations
// by contract: the connection holds it weakly).
class connection_events {
 public:
  // A failure may say why and that retrying cannot help (core::producer_core::on_connected).
  virtual void on_connected(core::connection_id c, std::error_code ec, std::string_view why, bool final) = 0;
  virtual void on_bytes(core::connection_id c, protocol::bytes_view data) = 0;
  virtual void on_written(core::connection_id c, std::vector<protocol::byte_buffer>& frames) = 0;
  virtual void on_disconnected(core::connection_id c, std::error_code ec, std::string_view why, bool final) = 0;

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

using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

// A broker connection over `Stream`: asio::ip::tcp::socket, or tls_stream.
template <class Stream>
class stream_connection final : public connection_io, public std::enable_shared_from_this<stream_connection<Stream>> {
 public:
  static constexpr bool secure = std::is_same_v<Stream, tls_stream>;

  // `tls` is the producer's TLS context for a tls_stream, unused (may be null) for a plain socket.
  stream_connection(const asio::any_io_executor& ex, core::connection_id id, std::weak_ptr<connection_events> events,
                    const handler_pool_ref& pool, std::shared_ptr<tls_settings> tls)
      : resolver_(ex), stream_(make_stream(ex, tls.get())), tls_(std::move(tls)), id_(id),
        events_(std::move(events)), pool_(pool) {}

  void start(const core::endpoint& to) override {
    address_ = to.host + ":" + to.port;
    resolver_.async_resolve(to.host, to.port,
                            pooled(pool_, [self = this->shared_from_this(), host = to.host](auto ec, auto results) {
      if (self->closed_) return;
      if (ec) return self->report_connected(ec);
      asio::async_connect(self->socket(), results, [self, host](auto ec2, const auto&) {
        if (self->closed_) return;
        if (!ec2) self->socket().set_option(asio::ip::tcp::no_delay(true), ec2);
        if constexpr (secure) {
          if (!ec2) return self->handshake(host);
        }
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
    auto done = pooled(pool_, [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      if (self->closed_) return;
      auto events = self->events_.lock();
      if (!events) return;
      if (ec) return self->report_failure(*events, ec, "TLS connection to ");
      // on_written gives the frames back to the pipeline (frames_ is left empty) and may start the next write,
      // which fills frames_ again: nothing here may touch frames_ afterwards.
      events->on_written(self->id_, self->frames_);
    });
    if constexpr (secure) {
      // One buffer: Asio's TLS stream encrypts one buffer of a gather list per record and write, so small frames
      // gathered would each cost a TLS record and a syscall; copied together they fill 16 KiB records.
      flat_.clear();
      for (const auto& f : frames_) flat_.insert(flat_.end(), f.begin(), f.end());
      asio::async_write(stream_, asio::buffer(flat_), std::move(done));
    } else {
      buffers_.clear();
      for (const auto& f : frames_) buffers_.emplace_back(asio::buffer(f));
      // A span, not the vector: async_write copies its buffer sequence into the operation, and a vector copy is an
      // allocation per write. buffers_ and frames_ stay untouched until the write completes.
      asio::async_write(stream_, std::span<const asio::const_buffer>(buffers_), std::move(done));
    }
  }

  // No TLS close_notify: the core is done with the connection, and a broker does not wait for one.
  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  static Stream make_stream(const asio::any_io_executor& ex, tls_settings* tls) {
    if constexpr (secure) return Stream(ex, tls->context);
    else return Stream(ex);
  }
  auto& socket() { return stream_.lowest_layer(); }

  // SNI with the broker's host name (RFC 6066: names only, never an IP literal), and the name the certificate must
  // carry (a DNS name, or an IP address SAN) when ssl.endpoint.identification.algorithm=https.
  void handshake(const std::string& host) {
    SSL* ssl = stream_.native_handle();
    boost::system::error_code not_ip;
    asio::ip::make_address(host, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(ssl, host.c_str());
    if (tls_->verify_host) {
      if (not_ip) SSL_set1_host(ssl, host.c_str());
      else X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    }
    stream_.async_handshake(asio::ssl::stream_base::client,
                            pooled(pool_, [self = this->shared_from_this()](boost::system::error_code ec) {
                              if (self->closed_) return;
                              if (ec) {
                                if (auto events = self->events_.lock())
                                  self->report_failure(*events, ec, "TLS handshake with ", true);
                                return;
                              }
                              self->report_connected({});
                              if (!self->closed_) self->read();
                            }));
  }

  void report_connected(std::error_code ec) {
    if (auto events = events_.lock()) events->on_connected(id_, ec, {}, false);
  }

  // A failed read, write or handshake. On a TLS stream the reason is OpenSSL's (with the certificate check's own
  // words when that failed), and an error of the TLS protocol itself is final: a certificate one side refuses, a
  // protocol version or cipher they do not share. End of stream is not: a broker restarting looks the same.
  void report_failure(connection_events& events, boost::system::error_code ec, const char* what,
                      bool handshaking = false) {
    if constexpr (secure) {
      std::string why = what + address_ + " failed: " + openssl_reason(ec);
      if (long verify = SSL_get_verify_result(stream_.native_handle()); verify != X509_V_OK && handshaking)
        why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
      const bool final = ec.category() == asio::error::get_ssl_category();
      if (!final && handshaking) why += " (is " + address_ + " a TLS listener?)";
      if (handshaking) return events.on_connected(id_, ec, why, final);
      return events.on_disconnected(id_, ec, why, final);
    } else {
      if (handshaking) return events.on_connected(id_, ec, {}, false);
      events.on_disconnected(id_, ec, {}, false);
    }
  }

  void read() {
    stream_.async_read_some(asio::buffer(read_buffer_), pooled(pool_, [self = this->shared_from_this()](
                                                                           boost::system::error_code ec, std::size_t n) {
      if (self->closed_) return;
      auto events = self->events_.lock();
      if (!events) return;
      if (ec) return self->report_failure(*events, ec, "TLS connection to ");
      events->on_bytes(self->id_, protocol::bytes_view(self->read_buffer_.data(), n));
      if (!self->closed_) self->read();
    }));
  }

  asio::ip::tcp::resolver resolver_;
  Stream stream_;
  std::shared_ptr<tls_settings> tls_;  // the context stream_ uses: it must outlive stream_'s SSL object
  core::connection_id id_;
  std::weak_ptr<connection_events> events_;
  handler_pool_ref pool_;
  std::string address_;  // host:port, for error text
  bool closed_ = false, writing_ = false;
  std::vector<protocol::byte_buffer> frames_;  // the frames of the write in progress
  std::vector<asio::const_buffer> buffers_;    // their gather list (plain sockets)
  std::vector<std::uint8_t> flat_;             // their bytes in one piece (TLS)
  std::array<std::uint8_t, 64 * 1024> read_buffer_{};
};

using tcp_connection = stream_connection<asio::ip::tcp::socket>;
using tls_connection = stream_connection<tls_stream>;

}  // namespace kafkio::detail
