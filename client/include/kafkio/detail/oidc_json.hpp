// WORK IN PROGRESS, not included anywhere yet: the driver still fails sasl.oauthbearer.method=oidc with "cannot
// fetch OIDC tokens yet". Untested; to be wired into asio_driver.hpp and tested before use (issue 11).
// What the OIDC token client reads: the token endpoint's JSON response (RFC 6749 §5.1) and the JWT payload's
// claims (RFC 7519), both flat JSON objects, and the JWT's base64url encoding (RFC 4648 §5). Only the top level
// of an object is kept (string values unescaped, numbers and other values as their text); nested values are
// skipped over but checked for balance. No signature is checked here: the broker validates the token (KIP-768).
#pragma once

#include <cstdint>
#include <map>
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

}  // namespace kafkio::detail::oidc
