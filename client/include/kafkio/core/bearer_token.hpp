// The producer's OAUTHBEARER token (KIP-255; docs/producer.md, "OAUTHBEARER") and the unsecured JWT of Kafka's
// test mode.
//
// One token serves every connection of a producer, as in the Java client and librdkafka. It is asked for when a
// connection needs one and none is valid, and again at 80 % of its lifetime (librdkafka's refresh point; Java's
// sasl.login.refresh.window.factor default), so connections and re-authentications (KIP-368) always find a
// valid one while the token source answers in time.
#pragma once

#include <kafkio/core/time_source.hpp>
#include <kafkio/detail/oauthbearer_options.hpp>
#include <kafkio/protocol/base64.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace kafkio::core {

struct bearer_token {
  std::string value;
  std::string principal;               // for the log
  detail::sasl_extensions extensions;  // sent with it (sasl.oauthbearer.extensions, and the token source's own)
  time_point expires{};
};

// "" when `token` can go into the SASL message (RFC 7628's b64token / RFC 6750: printable, no spaces), else why not.
inline std::string check_bearer_token(std::string_view token) {
  if (token.empty()) return "the token is empty";
  if (token.size() > 64 * 1024) return "the token is larger than 64 KiB";
  for (char c : token)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) > 0x7e)
      return "the token holds a character a bearer token cannot (RFC 6750: printable ASCII without spaces)";
  return {};
}

namespace detail_jwt {
inline std::string base64url(std::string_view bytes) {
  auto text = protocol::base64_encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}
inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}
}  // namespace detail_jwt

// An unsigned JWT ("alg":"none", RFC 7519 §6) as Kafka's OAuthBearerUnsecuredLoginCallbackHandler makes it: the
// principal claim, iat, exp (seconds since the epoch) and the scope claim as a list. Brokers accept it only with
// their default, unsecured validator: for development and tests.
inline std::string make_unsecured_jwt(const detail::unsecured_jwt_options& o, std::int64_t now_ms) {
  const auto now_s = now_ms / 1000;
  std::string claims = "{" + detail_jwt::json_string(o.principal_claim) + ":" + detail_jwt::json_string(o.principal) +
                       ",\"iat\":" + std::to_string(now_s) + ",\"exp\":" + std::to_string(now_s + o.life_seconds);
  if (!o.scope.empty()) {
    claims += "," + detail_jwt::json_string(o.scope_claim) + ":[";
    std::string_view rest = o.scope;
    bool first = true;
    for (;;) {
      auto comma = rest.find(',');
      if (auto one = rest.substr(0, comma); !one.empty()) {
        claims += (first ? "" : ",") + detail_jwt::json_string(one);
        first = false;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    claims += "]";
  }
  claims += "}";
  return detail_jwt::base64url("{\"alg\":\"none\"}") + "." + detail_jwt::base64url(claims) + ".";
}

}  // namespace kafkio::core
