// SASL client mechanisms for Kafka's SaslAuthenticate exchange (KIP-43, KIP-152; docs/protocol.md, "SASL"): PLAIN (RFC 4616),
// SCRAM-SHA-256/512 (RFC 5802, RFC 7677) and OAUTHBEARER (RFC 7628, KIP-255). Sans-io: each step takes the server's
// bytes and returns ours.
// SCRAM's key derivation (PBKDF2, 4096+ iterations, a few milliseconds) runs once per producer and salt: the
// producer's scram_key_cache keeps the result for its other connections and reconnects.
#pragma once

#include <kafkio/core/scram_key_cache.hpp>
#include <kafkio/detail/oauthbearer_options.hpp>
#include <kafkio/error.hpp>
#include <kafkio/producer_config.hpp>
#include <kafkio/protocol/base64.hpp>
#include <kafkio/protocol/wire.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <optional>
#include <string>
#include <string_view>

namespace kafkio::core {

using protocol::base64_decode;
using protocol::base64_encode;

class sasl_client {
 public:
  // `keys` (may be null) keeps SCRAM's derived keys across the producer's connections; it must outlive this.
  sasl_client(sasl_mechanism_type mechanism, std::string user, std::string password, scram_key_cache* keys = nullptr)
      : mechanism_(mechanism), user_(std::move(user)), password_(std::move(password)), keys_(keys) {}
  // OAUTHBEARER with `token` (a JWT or opaque bearer token) and the SASL extensions to send with it.
  static sasl_client oauthbearer(std::string_view token, const detail::sasl_extensions& extensions) {
    // RFC 7628 §3.1: gs2-header, then kvpairs separated by %x01, ended by an empty one.
    std::string message = "n,,\x01" "auth=Bearer " + std::string(token) + "\x01";
    for (const auto& [key, value] : extensions) message += key + "=" + value + "\x01";
    message += "\x01";
    return sasl_client(sasl_mechanism_type::oauthbearer, {}, std::move(message));
  }

  // "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512": what SaslHandshake announces.
  std::string_view mechanism_name() const noexcept { return to_string(mechanism_); }

  // The first message the client sends.
  std::string first_message();
  // The server answered `server`. Returns the next message to send, or nullopt when authentication is complete
  // (check `error()`), or when the server's answer is wrong.
  std::optional<std::string> next(std::string_view server);
  std::error_code error() const noexcept { return error_; }
  const std::string& error_text() const noexcept { return error_text_; }
  bool done() const noexcept { return state_ == state::done; }
  // OAUTHBEARER: the server's JSON error for a refused token (RFC 7628 §3.2.2), "" otherwise.
  const std::string& server_error() const noexcept { return oauth_error_; }

  // Exposed for tests (RFC 7677's test vector fixes the nonce).
  void set_client_nonce(std::string nonce) { client_nonce_ = std::move(nonce); }

 private:
  enum class state { initial, sent_first, sent_final, sent_error_ack, done, failed };
  std::optional<std::string> fail(std::string why) {
    state_ = state::failed;
    error_ = make_error_code(client_errc::authentication_failed);
    error_text_ = std::move(why);
    return std::nullopt;
  }
  const EVP_MD* digest() const noexcept {
    return mechanism_ == sasl_mechanism_type::scram_sha_512 ? EVP_sha512() : EVP_sha256();
  }
  std::string hmac(std::string_view key, std::string_view data) const;
  std::string hash(std::string_view data) const;

  sasl_mechanism_type mechanism_;
  std::string user_, password_;
  scram_key_cache* keys_;
  state state_ = state::initial;
  std::string client_nonce_, client_first_bare_, expected_server_signature_;
  std::string oauth_error_;  // OAUTHBEARER: the server's JSON error, until it fails the exchange
  std::error_code error_;
  std::string error_text_;
};

}  // namespace kafkio::core

#include <kafkio/core/impl/sasl.hpp>
