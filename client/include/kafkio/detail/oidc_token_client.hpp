// The OIDC token client of sasl.oauthbearer.method=oidc (KIP-768): the OAuth 2.0 client credentials grant
// (RFC 6749 §4.4) against sasl.oauthbearer.token.endpoint.url, over HTTP or HTTPS, on the producer's executor.
//
// One fetch: resolve (async), connect, TLS handshake (SNI, host name verified) for https, POST
// "grant_type=client_credentials[&scope=...]" with HTTP Basic auth of the form-urlencoded client id and secret
// (RFC 6749 §2.3.1), read the response (body capped at 1 MiB), parse it (RFC 6749 §5.1: access_token,
// token_type, expires_in). The principal is the JWT's sub claim; the signature is not checked here, the broker
// does that (KIP-768's validator). One timer bounds the whole fetch (request.timeout.ms). Every failure names the
// URL and the cause. Never blocks; cancel() ends a fetch with "cancelled".
#pragma once

#include <kafkio/detail/oidc_protocol.hpp>
#include <kafkio/detail/tls_context.hpp>
#include <kafkio/producer_config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kafkio::detail::oidc {

namespace asio = boost::asio;
namespace http = boost::beast::http;

struct client_settings {
  std::string url, client_id, client_secret, scope;
  std::chrono::milliseconds timeout{30000};
  std::shared_ptr<asio::ssl::context> tls;  // for https: make_tls_context
};

// The trust for an https endpoint: ssl.truststore.location or ssl.truststore.certificates when given (the PEM the
// broker connections trust), else the system's CAs; always verified, with the host name. Reads files: called
// when the producer is constructed, never on the loop; throws std::system_error(invalid_config) naming the
// property, as the broker's TLS settings do (tls_context.hpp).
inline std::shared_ptr<asio::ssl::context> make_tls_context(const producer_config& c) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  if (!c.ssl_truststore_location.empty()) {
    ctx->load_verify_file(c.ssl_truststore_location, ec);
    if (ec) throw_tls_config("ssl.truststore.location", c.ssl_truststore_location, openssl_reason(ec));
  } else if (!c.ssl_truststore_certificates.empty()) {
    ctx->add_certificate_authority(asio::buffer(c.ssl_truststore_certificates), ec);
    if (ec) throw_tls_config("ssl.truststore.certificates", "", "not PEM certificates: " + openssl_reason(ec));
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec)
      throw_tls_config("sasl.oauthbearer.token.endpoint.url", c.sasl_oauthbearer_token_endpoint_url,
                       "no trust store given and the system's CA store cannot be read: " + openssl_reason(ec));
  }
  return ctx;
}

class token_client : public std::enable_shared_from_this<token_client> {
 public:
  static constexpr std::size_t body_limit = 1 << 20;  // 1 MiB
  using handler = std::function<void(token_result)>;

  token_client(asio::any_io_executor ex, client_settings s)
      : ex_(std::move(ex)), settings_(std::move(s)), resolver_(ex_), timer_(ex_) {
    url_error_ = parse_url(settings_.url, url_);
  }

  // Starts a fetch; `done` is called exactly once, from a handler on the executor (never inside fetch()), unless
  // cancel() comes first (then with error "cancelled"). One fetch at a time: a second fetch() while one runs
  // joins it (its handler replaces the first, which gets "superseded").
  void fetch(handler done) {
    if (done_) finish("superseded by a newer fetch");
    done_ = std::move(done);
    ++generation_;
    if (!url_error_.empty()) return post_failure("bad URL: " + url_error_);
    if (url_.https && !settings_.tls) return post_failure("no TLS context for an https URL");
    tls_.reset();  // it refers to the socket
    socket_.emplace(ex_);
    if (url_.https) tls_.emplace(*socket_, *settings_.tls);
    timer_.expires_after(settings_.timeout);
    timer_.async_wait([self = shared_from_this(), g = generation_](boost::system::error_code ec) {
      if (ec || g != self->generation_ || !self->done_) return;
      self->finish("timed out after " + std::to_string(self->settings_.timeout.count()) + " ms");
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [self = shared_from_this(), g = generation_](boost::system::error_code ec,
                                                                         asio::ip::tcp::resolver::results_type rs) {
                              if (!self->current(g)) return;
                              if (ec) return self->finish("cannot resolve " + self->url_.host + ": " + ec.message());
                              self->connect(g, std::move(rs));
                            });
  }

  // Ends the running fetch with "cancelled" (its handler is called, from this call); no effect when idle.
  void cancel() {
    if (done_) finish("cancelled");
  }

 private:
  bool current(std::uint64_t g) const { return g == generation_ && done_ != nullptr; }

  void post_failure(std::string why) {
    asio::post(ex_, [self = shared_from_this(), g = generation_, why = std::move(why)]() mutable {
      if (self->current(g)) self->finish(std::move(why));
    });
  }

  void finish(std::string why, token_result r = {}) {
    ++generation_;  // every handler still pending finds itself stale
    timer_.cancel();
    resolver_.cancel();
    if (socket_) {
      boost::system::error_code ignored;
      socket_->close(ignored);
    }
    if (!why.empty()) r.error = "OIDC token endpoint " + settings_.url + ": " + why;
    auto done = std::exchange(done_, nullptr);
    if (done) done(std::move(r));
  }

  void connect(std::uint64_t g, asio::ip::tcp::resolver::results_type rs) {
    asio::async_connect(*socket_, rs, [self = shared_from_this(), g](boost::system::error_code ec, const auto&) {
      if (!self->current(g)) return;
      if (ec) return self->finish("cannot connect to " + self->url_.host + ":" + self->url_.port + ": " + ec.message());
      if (!self->tls_) return self->write(g, *self->socket_);
      // SNI (RFC 6066 §3) and host name verification (RFC 6125), as the broker connections do.
      auto* ssl = self->tls_->native_handle();
      SSL_set_tlsext_host_name(ssl, self->url_.host.c_str());
      self->tls_->set_verify_callback(asio::ssl::host_name_verification(self->url_.host));
      self->tls_->async_handshake(asio::ssl::stream_base::client, [self, g](boost::system::error_code ec) {
        if (!self->current(g)) return;
        if (ec) {
          std::string why = ec.message();
          if (auto verify = SSL_get_verify_result(self->tls_->native_handle()); verify != X509_V_OK)
            why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
          return self->finish("TLS handshake failed: " + why);
        }
        self->write(g, *self->tls_);
      });
    });
  }

  template <class Stream>
  void write(std::uint64_t g, Stream& stream) {
    request_ = {http::verb::post, url_.target, 11};
    request_.set(http::field::host, url_.host);
    request_.set(http::field::user_agent, "kafkio");
    request_.set(http::field::accept, "application/json");
    request_.set(http::field::content_type, "application/x-www-form-urlencoded");
    // RFC 6749 §2.3.1: Basic of the form-urlencoded id and secret.
    request_.set(http::field::authorization,
                 "Basic " + base64(form_urlencode(settings_.client_id) + ":" + form_urlencode(settings_.client_secret)));
    std::string body = "grant_type=client_credentials";  // RFC 6749 §4.4.2
    if (!settings_.scope.empty()) body += "&scope=" + form_urlencode(settings_.scope);
    request_.body() = std::move(body);
    request_.prepare_payload();
    http::async_write(stream, request_, [self = shared_from_this(), g, &stream](boost::system::error_code ec, std::size_t) {
      if (!self->current(g)) return;
      if (ec) return self->finish("cannot send the request: " + ec.message());
      self->read(g, stream);
    });
  }

  template <class Stream>
  void read(std::uint64_t g, Stream& stream) {
    parser_.emplace();
    parser_->body_limit(body_limit);
    buffer_.clear();
    http::async_read(stream, buffer_, *parser_, [self = shared_from_this(), g](boost::system::error_code ec, std::size_t) {
      if (!self->current(g)) return;
      if (ec == http::error::body_limit) return self->finish("the response is larger than 1 MiB");
      if (ec) return self->finish("cannot read the response: " + ec.message());
      self->on_response(self->parser_->release());
    });
  }

  void on_response(http::response<http::string_body> res) {
    const auto& body = res.body();
    if (res.result_int() != 200) {
      std::string excerpt = body.substr(0, 200);
      for (auto& c : excerpt)
        if (c == '\n' || c == '\r') c = ' ';
      return finish("HTTP " + std::to_string(res.result_int()) + " " + std::string(res.reason()) +
                    (excerpt.empty() ? "" : ": " + excerpt));
    }
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    auto r = parse_token_response(body, now.count());
    std::string why = r.error;
    finish(std::move(why), std::move(r));
  }

  asio::any_io_executor ex_;
  client_settings settings_;
  endpoint_url url_;
  std::string url_error_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::optional<asio::ip::tcp::socket> socket_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  http::request<http::string_body> request_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  handler done_;
  std::uint64_t generation_ = 0;
};

// The client of a producer whose sasl.oauthbearer.method is oidc (validated with the config), or null.
inline std::shared_ptr<token_client> make_token_client(const asio::any_io_executor& ex, const producer_config& c) {
  if (!c.uses_oauthbearer() || c.sasl_oauthbearer_method != oauthbearer_method::oidc) return nullptr;
  client_settings s{c.sasl_oauthbearer_token_endpoint_url, c.sasl_oauthbearer_client_id,
                    c.sasl_oauthbearer_client_secret, c.sasl_oauthbearer_scope, c.request_timeout, nullptr};
  endpoint_url url;
  if (parse_url(s.url, url).empty() && url.https) s.tls = make_tls_context(c);
  return std::make_shared<token_client>(ex, std::move(s));
}

}  // namespace kafkio::detail::oidc
