// The TLS settings of one producer (security.protocol SSL or SASL_SSL): an OpenSSL context with the trust store,
// the client's certificate chain and key, the protocol versions and ciphers, built once when the producer is
// constructed. This is where the PEM files are read (on the constructing thread, never on the loop afterwards);
// anything unreadable or inconsistent throws std::system_error(client_errc::invalid_config) naming the property.
//
// Each connection then only adds what depends on the broker (SNI, the host name to verify): stream_connection.hpp.
#pragma once

#include <kafkio/error.hpp>
#include <kafkio/producer_config.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <memory>
#include <string>
#include <system_error>

namespace kafkio::detail {

struct tls_settings {
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
  bool verify_host = true;  // ssl.endpoint.identification.algorithm=https
};

// OpenSSL's reason for the last failure, or the error code's text.
inline std::string openssl_reason(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (auto* stripped = std::strstr(text.c_str(), " (SSL routines)")) text.resize(stripped - text.c_str());
  return text;
}

[[noreturn]] inline void throw_tls_config(std::string_view key, std::string_view what, std::string_view why) {
  throw std::system_error(make_error_code(client_errc::invalid_config),
                          std::string(key) + (what.empty() ? "" : " '" + std::string(what) + "'") + ": " +
                              std::string(why));
}

inline void apply_tls_versions(SSL_CTX* ctx, std::string_view enabled) {
  const bool v12 = enabled.find("TLSv1.2") != std::string_view::npos;
  const bool v13 = enabled.find("TLSv1.3") != std::string_view::npos;
  SSL_CTX_set_min_proto_version(ctx, v12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, v13 ? TLS1_3_VERSION : TLS1_2_VERSION);
}

// ssl.cipher.suites: OpenSSL's names, comma-separated. TLS 1.3 suites (TLS_AES_..., TLS_CHACHA20_...) are set
// apart from the TLS 1.2 cipher list, as OpenSSL keeps them apart.
inline void apply_cipher_suites(SSL_CTX* ctx, std::string_view suites) {
  if (suites.empty()) return;
  std::string tls13, tls12;
  for (std::string_view rest = suites;;) {
    auto comma = rest.find(',');
    auto entry = trim(rest.substr(0, comma));
    if (!entry.empty()) {
      auto& list = entry.starts_with("TLS_AES_") || entry.starts_with("TLS_CHACHA20_") ? tls13 : tls12;
      list += (list.empty() ? "" : ":") + std::string(entry);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  ERR_clear_error();
  if ((!tls13.empty() && SSL_CTX_set_ciphersuites(ctx, tls13.c_str()) != 1) ||
      (!tls12.empty() && SSL_CTX_set_cipher_list(ctx, tls12.c_str()) != 1))
    throw_tls_config("ssl.cipher.suites", suites, "OpenSSL knows none of these ciphers (OpenSSL names expected)");
}

inline std::shared_ptr<tls_settings> make_tls_settings(const producer_config& c) {
  namespace ssl = boost::asio::ssl;
  auto s = std::make_shared<tls_settings>();
  auto& ctx = s->context;
  boost::system::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  apply_tls_versions(ctx.native_handle(), c.ssl_enabled_protocols);
  apply_cipher_suites(ctx.native_handle(), c.ssl_cipher_suites);
  s->verify_host = c.ssl_certificate_verification && c.ssl_endpoint_identification_algorithm == "https";
  ctx.set_verify_mode(c.ssl_certificate_verification ? ssl::verify_peer : ssl::verify_none);

  // Each step: what to do, and if it fails, the property to name.
  auto check = [&ec](std::string_view key, std::string_view what, std::string_view context) {
    if (ec) throw_tls_config(key, what, std::string(context) + openssl_reason(ec));
  };
  if (!c.ssl_truststore_location.empty()) {
    ctx.load_verify_file(c.ssl_truststore_location, ec);
    check("ssl.truststore.location", c.ssl_truststore_location, "");
  } else if (!c.ssl_truststore_certificates.empty()) {
    ctx.add_certificate_authority(boost::asio::buffer(c.ssl_truststore_certificates), ec);
    check("ssl.truststore.certificates", "", "not PEM certificates: ");
  } else {
    ctx.set_default_verify_paths(ec);
    check("ssl.truststore.location", "", "no trust store given and the system's CA store cannot be read: ");
  }

  // Always a password callback: without one OpenSSL would prompt for an encrypted key's password on the terminal.
  ctx.set_password_callback([password = c.ssl_key_password](std::size_t, ssl::context::password_purpose) {
    return password;
  });
  if (!c.ssl_certificate_location.empty()) {
    ctx.use_certificate_chain_file(c.ssl_certificate_location, ec);
    check("ssl.certificate.location", c.ssl_certificate_location, "");
  } else if (!c.ssl_certificate_pem.empty()) {
    ctx.use_certificate_chain(boost::asio::buffer(c.ssl_certificate_pem), ec);
    check("ssl.keystore.certificate.chain", "", "not a PEM certificate chain: ");
  }
  const std::string key_hint = c.ssl_key_password.empty() ? "" : " (or ssl.key.password is wrong)";
  if (!c.ssl_key_location.empty()) {
    ctx.use_private_key_file(c.ssl_key_location, ssl::context::pem, ec);
    if (ec) throw_tls_config("ssl.key.location", c.ssl_key_location, openssl_reason(ec) + key_hint);
  } else if (!c.ssl_key_pem.empty()) {
    ctx.use_private_key(boost::asio::buffer(c.ssl_key_pem), ssl::context::pem, ec);
    if (ec) throw_tls_config("ssl.keystore.key", "", "not a PEM private key: " + openssl_reason(ec) + key_hint);
  }
  if ((!c.ssl_key_location.empty() || !c.ssl_key_pem.empty()) && SSL_CTX_check_private_key(ctx.native_handle()) != 1)
    throw_tls_config("ssl.keystore.key", "", "the private key does not match the client certificate");
  ERR_clear_error();
  return s;
}

}  // namespace kafkio::detail
