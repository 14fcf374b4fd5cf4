// The two small languages of kafkio's OAUTHBEARER settings (librdkafka's), parsed in one place for the config's
// validation and for the core that uses them:
//   sasl.oauthbearer.config       "principal=alice scope=read,write lifeSeconds=3600 extension_traceId=123"
//                                 (space-separated; what the unsecured JWT is made of)
//   sasl.oauthbearer.extensions   "traceId=123,tenant=blue" (comma-separated; SASL extensions, RFC 7628 §3.1)
// Extension keys are letters only and not "auth"; values are printable ASCII (RFC 7628's key and value rules).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace kafkio::detail {

using sasl_extensions = std::map<std::string, std::string>;

struct unsecured_jwt_options {
  std::string principal;
  std::string principal_claim = "sub";
  std::string scope;  // comma-separated; sent as a JSON array under scope_claim when not empty
  std::string scope_claim = "scope";
  std::int64_t life_seconds = 3600;
  sasl_extensions extensions;
};

// "" when `key` may name an extension, else why not.
inline std::string check_extension(std::string_view key, std::string_view value) {
  if (key.empty()) return "an extension needs a name";
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
      return "extension name '" + std::string(key) + "' must be letters only (RFC 7628)";
  if (key == "auth") return "'auth' is reserved for the token itself (RFC 7628)";
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      return "the value of extension '" + std::string(key) + "' must be printable ASCII";
  return {};
}

// Fills `out` from sasl.oauthbearer.extensions; returns "" or why the text is invalid.
inline std::string parse_sasl_extensions(std::string_view text, sasl_extensions& out) {
  for (std::string_view rest = text; !rest.empty();) {
    auto comma = rest.find(',');
    auto entry = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) return "'" + std::string(entry) + "' is not key=value";
    auto key = entry.substr(0, eq), value = entry.substr(eq + 1);
    if (auto why = check_extension(key, value); !why.empty()) return why;
    out[std::string(key)] = std::string(value);
  }
  return {};
}

// Fills `out` from sasl.oauthbearer.config; returns "" or why the text is invalid. principal is required.
inline std::string parse_unsecured_jwt_options(std::string_view text, unsecured_jwt_options& out) {
  for (std::string_view rest = text; !rest.empty();) {
    auto space = rest.find_first_of(" \t");
    auto entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) return "'" + std::string(entry) + "' is not key=value";
    auto key = entry.substr(0, eq), value = entry.substr(eq + 1);
    if (key == "principal") {
      out.principal = value;
    } else if (key == "principalClaimName") {
      out.principal_claim = value;
    } else if (key == "scope") {
      out.scope = value;
    } else if (key == "scopeClaimName") {
      out.scope_claim = value;
    } else if (key == "lifeSeconds") {
      std::int64_t v = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || v > 100000000) return "lifeSeconds='" + std::string(value) + "' is not a number of seconds";
        v = v * 10 + (c - '0');
      }
      if (value.empty() || v == 0) return "lifeSeconds must be at least 1";
      out.life_seconds = v;
    } else if (key.substr(0, 10) == "extension_") {
      if (auto why = check_extension(key.substr(10), value); !why.empty()) return why;
      out.extensions[std::string(key.substr(10))] = std::string(value);
    } else {
      return "unknown key '" + std::string(key) +
             "' (expected principal, principalClaimName, scope, scopeClaimName, lifeSeconds, extension_NAME)";
    }
  }
  if (out.principal.empty()) return "principal=NAME is required for the unsecured JWT";
  if (out.principal_claim.empty() || out.scope_claim.empty()) return "claim names must not be empty";
  return {};
}

}  // namespace kafkio::detail
