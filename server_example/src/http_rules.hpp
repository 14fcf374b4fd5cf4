// RFC 9112 rules a gateway must enforce on a request's header block before it reads any body: how the body is
// framed (the request-smuggling rules of §6), which versions are spoken, Host, the target's length, and whether the
// client waits for 100 Continue. Sans-io: headers in, a verdict out; http_session.cpp acts on it.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kafkio_server {

struct header_verdict {
  unsigned status = 400;  // HTTP status to answer with; the connection is closed after it
  std::string message;
};

struct header_limits {
  std::size_t max_target_bytes = 8 * 1024;
};

// Refuses what must not reach a handler:
//  - a Transfer-Encoding other than exactly "chunked": final coding not chunked (RFC 9112 §6.3: the length cannot
//    be determined, 400), other codings before it such as "gzip, chunked" (we decode none: 501), any on HTTP/1.0
//    (§6.1: faulty framing, 400). Beast treats a non-chunked final coding as "no body", which let the body be read
//    as a second request.
//  - versions other than HTTP/1.0 and 1.1 (an HTTP/2 preface, "PRI * HTTP/2.0", parses as a request line): 505;
//  - HTTP/1.1 without exactly one Host (§3.2): 400;
//  - a target longer than max_target_bytes: 414.
std::optional<header_verdict> check_request_headers(
    const boost::beast::http::request_header<>& h, const header_limits& limits);

// True if the client waits for "100 Continue" before sending the body: "Expect: 100-continue", compared without
// regard to case (RFC 9110 §10.1.1), and only from HTTP/1.1 clients (HTTP/1.0 has no 1xx responses).
bool expects_continue(const boost::beast::http::request_header<>& h);

// After Beast refused a header block as too large: was it the request line (the target) that overflowed? Then the
// answer is 414 rather than 431. `received` is what was read of the header block.
bool request_line_too_long(std::string_view received, std::size_t max_target_bytes);

// After Beast refused a request line's version: was it a well-formed "HTTP/x.y" we do not speak (505), rather than
// garbage (400)? `received` is what was read of the header block.
bool unsupported_version(std::string_view received);

}  // namespace kafkio_server
