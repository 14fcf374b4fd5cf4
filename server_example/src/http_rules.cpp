#include "http_rules.hpp"

#include <boost/beast/core/string.hpp>

#include <vector>

namespace kafkio_server {

namespace http = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Every transfer coding named, in order, over all Transfer-Encoding lines (a list may be split across lines, and
// empty list elements are allowed: RFC 9110 §5.6.1). Parameters stay attached: "chunked;x=1" is not "chunked".
std::vector<std::string_view> transfer_codings(const http::request_header<>& h) {
  std::vector<std::string_view> out;
  auto [first, last] = h.equal_range(http::field::transfer_encoding);
  for (auto it = first; it != last; ++it) {
    std::string_view v = it->value();
    while (!v.empty()) {
      auto comma = v.find(',');
      auto item = trim(v.substr(0, comma));
      if (!item.empty()) out.push_back(item);
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    }
  }
  return out;
}

}  // namespace

std::optional<header_verdict> check_request_headers(const http::request_header<>& h, const header_limits& limits) {
  if (h.version() != 10 && h.version() != 11)
    return header_verdict{505, "HTTP version not supported: kafkio-server speaks HTTP/1.1 (and 1.0)"};
  if (h.target().size() > limits.max_target_bytes)
    return header_verdict{414, "the request target is longer than --max-uri-bytes " +
                                   std::to_string(limits.max_target_bytes)};
  const auto hosts = h.count(http::field::host);
  if (hosts > 1 || (h.version() == 11 && hosts == 0))
    return header_verdict{400, "an HTTP/1.1 request needs exactly one Host header"};
  if (h.count(http::field::transfer_encoding) > 0) {
    if (h.version() == 10) return header_verdict{400, "Transfer-Encoding is not allowed in an HTTP/1.0 request"};
    auto codings = transfer_codings(h);
    if (codings.empty() || !boost::beast::iequals(codings.back(), "chunked"))
      return header_verdict{400, "Transfer-Encoding must end with chunked (RFC 9112 section 6.3)"};
    if (codings.size() > 1)
      return header_verdict{501, "transfer codings other than chunked are not supported"};
  }
  return std::nullopt;
}

bool expects_continue(const http::request_header<>& h) {
  return h.version() >= 11 && boost::beast::iequals(trim(h[http::field::expect]), "100-continue");
}

bool request_line_too_long(std::string_view received, std::size_t max_target_bytes) {
  const auto eol = received.find("\r\n");
  // Method, two spaces and "HTTP/1.1" around the target: allow for them generously.
  return eol == std::string_view::npos ? received.size() > max_target_bytes : eol > max_target_bytes + 32;
}

bool unsupported_version(std::string_view received) {
  auto line = received.substr(0, received.find("\r\n"));
  constexpr std::string_view prefix = " HTTP/";
  if (line.size() < prefix.size() + 3) return false;
  auto v = line.substr(line.size() - prefix.size() - 3);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return v.substr(0, prefix.size()) == prefix && digit(v[6]) && v[7] == '.' && digit(v[8]);
}

}  // namespace kafkio_server
