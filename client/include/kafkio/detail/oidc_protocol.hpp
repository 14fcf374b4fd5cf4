// The sans-io part of the OIDC token client (oidc_token_client.hpp does the I/O): the endpoint URL, the request's
// encodings (RFC 6749 §2.3.1, Appendix B), and what comes back: the token endpoint's JSON response (RFC 6749 §5.1)
// and the JWT payload's claims (RFC 7519), both flat JSON objects, and the JWT's base64url encoding (RFC 4648 §5). Only the top level
// of an object is kept (string values unescaped, numbers and other values as their text); nested values are
// skipped over but checked for balance. No signature is checked here: the broker validates the token (KIP-768).
#pragma once

#include <cctype>
#include <chrono>
#include <cstdint>
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kafkio::detail::oidc {

using json_fields = std::map<std::string, std::string, std::less<>>;

class json_reader {
 public:
  explicit json_reader(std::string_view text) : s_(text) {}

  // Fills `out` with the top-level members of an object; returns "" or what is wrong (with the offset).
  std::string read_object(json_fields& out) {
    skip_ws();
    if (!eat('{')) return fail("expected '{'");
    skip_ws();
    if (eat('}')) return finish();
    for (;;) {
      skip_ws();
      std::string key, value;
      if (!string(key)) return fail("expected a member name");
      skip_ws();
      if (!eat(':')) return fail("expected ':'");
      skip_ws();
      if (peek() == '"') {
        if (!string(value)) return fail("bad string");
      } else {
        auto start = i_;
        if (!skip_value(0)) return fail("bad value");
        value.assign(s_.substr(start, i_ - start));
      }
      out[std::move(key)] = std::move(value);
      skip_ws();
      if (eat(',')) continue;
      if (eat('}')) return finish();
      return fail("expected ',' or '}'");
    }
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  std::string fail(std::string_view what) const { return std::string(what) + " at offset " + std::to_string(i_); }
  std::string finish() {
    skip_ws();
    return i_ == s_.size() ? std::string{} : fail("trailing characters");
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      switch (char e = s_[i_++]) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) return false;
          std::uint32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            char h = s_[i_++];
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<std::uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<std::uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<std::uint32_t>(h - 'A' + 10);
            else return false;
          }
          append_utf8(out, cp);  // surrogate pairs are kept as two code points: claims we read are ASCII
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool skip_value(int depth) {
    if (depth > 64) return false;
    skip_ws();
    char c = peek();
    if (c == '"') {
      std::string ignored;
      return string(ignored);
    }
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      skip_ws();
      if (eat(close)) return true;
      for (;;) {
        if (c == '{') {
          std::string ignored;
          skip_ws();
          if (!string(ignored)) return false;
          skip_ws();
          if (!eat(':')) return false;
        }
        if (!skip_value(depth + 1)) return false;
        skip_ws();
        if (eat(',')) continue;
        return eat(close);
      }
    }
    auto start = i_;
    while (i_ < s_.size() && (std::string_view("+-.eE").find(s_[i_]) != std::string_view::npos ||
                              (s_[i_] >= '0' && s_[i_] <= '9') || (s_[i_] >= 'a' && s_[i_] <= 'z')))
      ++i_;
    auto word = s_.substr(start, i_ - start);
    if (word.empty()) return false;
    if (word == "true" || word == "false" || word == "null") return true;
    return word[0] == '-' || (word[0] >= '0' && word[0] <= '9');
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// RFC 4648 §5 base64url, padding optional. False on a character outside the alphabet.
inline bool base64url_decode(std::string_view in, std::string& out) {
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-' || c == '+') v = 62;
    else if (c == '_' || c == '/') v = 63;
    else if (c == '=') break;
    else return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return true;
}

// The claims of a JWS compact serialization (header.payload.signature, RFC 7515 §7.1); "" or why not a JWT.
inline std::string jwt_claims(std::string_view token, json_fields& claims) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) return "the access_token is not a JWT (header.payload.signature)";
  std::string payload;
  if (!base64url_decode(token.substr(first + 1, second - first - 1), payload))
    return "the access_token's payload is not base64url";
  if (auto why = json_reader(payload).read_object(claims); !why.empty())
    return "the access_token's payload is not a JSON object: " + why;
  return {};
}

// A JSON number's integer part (claims such as exp may be written 1700000000.0); false if not a number.
inline bool json_integer(std::string_view text, std::int64_t& out) {
  std::int64_t v = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (v > 1'000'000'000'000'000) return false;
    v = v * 10 + (text[i] - '0');
  }
  if (i == 0 || (i < text.size() && text[i] != '.' && text[i] != 'e' && text[i] != 'E')) return false;
  out = v;
  return true;
}

struct token_result {
  std::string error;  // "" on success
  std::string token;
  std::chrono::milliseconds lifetime{0};
  std::string principal;
};

struct endpoint_url {
  bool https = false;
  std::string host, port, target;
};

// "" or why `url` is not http(s)://host[:port][/path].
inline std::string parse_url(std::string_view url, endpoint_url& out) {
  auto scheme_is = [url](std::string_view scheme) {
    if (url.size() < scheme.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i]) return false;
    return true;
  };
  std::string_view rest;
  if (scheme_is("https://")) out.https = true, rest = url.substr(8);
  else if (scheme_is("http://")) rest = url.substr(7);
  else return "the scheme is not http or https";
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.starts_with('[')) {  // an IPv6 literal
    auto close = authority.find(']');
    if (close == std::string_view::npos) return "an unterminated IPv6 address";
    out.host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) out.port = authority.substr(1);
  } else {
    auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) out.port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return "no host";
  if (out.port.empty()) out.port = out.https ? "443" : "80";
  unsigned long port = 0;
  for (char c : out.port) port = c >= '0' && c <= '9' && port < 65536 ? port * 10 + (c - '0') : 65536;
  if (port == 0 || port > 65535) return "port '" + out.port + "' is not a port number";
  return {};
}

// application/x-www-form-urlencoded (RFC 6749 Appendix B): what §2.3.1 applies to the id and secret before Basic.
inline std::string form_urlencode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '*') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

inline std::string base64(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    out += alphabet[v >> 18], out += alphabet[(v >> 12) & 63], out += alphabet[(v >> 6) & 63], out += alphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    auto v = std::uint32_t(std::uint8_t(in[i])) << 16;
    out += alphabet[v >> 18], out += alphabet[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    auto v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
    out += alphabet[v >> 18], out += alphabet[(v >> 12) & 63], out += alphabet[(v >> 6) & 63], out += '=';
  }
  return out;
}

// Reads a token endpoint's successful response (RFC 6749 §5.1). `now_ms` is the wall clock (ms since the epoch).
// The lifetime is the shorter of expires_in and the JWT's exp: the broker goes by exp, which is whole seconds and
// so up to a second before now + expires_in (a short token refreshed at 80 % of expires_in would be refreshed after
// the broker considers it expired). A token with neither is refused.
inline token_result parse_token_response(std::string_view body, std::int64_t now_ms) {
  token_result r;
  json_fields fields;
  if (auto why = json_reader(body).read_object(fields); !why.empty()) {
    r.error = "the response is not a JSON object (" + why + ")";
    return r;
  }
  auto token = fields.find("access_token");
  if (token == fields.end() || token->second.empty()) {
    r.error = "the response has no access_token";
    return r;
  }
  if (auto type = fields.find("token_type"); type != fields.end()) {
    std::string t = type->second;
    for (auto& c : t) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (t != "bearer") {  // RFC 6750: OAUTHBEARER carries bearer tokens only
      r.error = "token_type '" + type->second + "' is not Bearer";
      return r;
    }
  }
  r.token = token->second;
  json_fields claims;
  if (auto why = jwt_claims(r.token, claims); !why.empty()) {
    r.error = why;
    return r;
  }
  if (auto sub = claims.find("sub"); sub != claims.end()) r.principal = sub->second;
  std::optional<std::int64_t> lifetime_ms;
  std::int64_t seconds = 0;
  if (auto e = fields.find("expires_in"); e != fields.end() && json_integer(e->second, seconds))
    lifetime_ms = seconds * 1000;
  if (auto exp = claims.find("exp"); exp != claims.end() && json_integer(exp->second, seconds))
    lifetime_ms = std::min(lifetime_ms.value_or(INT64_MAX), seconds * 1000 - now_ms);
  if (!lifetime_ms) {
    r.error = "the response has neither expires_in nor a JWT exp claim";
    return r;
  }
  if (*lifetime_ms <= 0) {
    r.error = "the token has already expired (lifetime " + std::to_string(*lifetime_ms) + " ms)";
    return r;
  }
  r.lifetime = std::chrono::milliseconds(*lifetime_ms);
  return r;
}

}  // namespace kafkio::detail::oidc
