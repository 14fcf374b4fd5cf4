// The HTTP API: what to do with a request once its headers are in (inspect: route, method, content type, size),
// and once its body is in (handle: produce, health, readiness, metrics).
#pragma once

#include "produce_request.hpp"
#include "worker_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>

namespace kafkio_server {

struct request_plan {
  route target;
  std::optional<embedded_format> format;  // produce routes
  produce_query query;
};

// Decides from the headers alone. Returns a response to send instead of reading the body (404, 405, 413, 415,
// 400), after which the connection is closed (the unread body would otherwise be taken for the next request).
std::optional<http_response> inspect(worker_context& ctx, const http_request& headers, request_plan& plan);

// Answers a complete request. Produce requests wait (without blocking the loop) until Kafka acknowledged every
// record, unless ?async=true.
asio::awaitable<http_response> handle(worker_context& ctx, const http_request& req, const request_plan& plan);

// A response with the given status and body; JSON error bodies use REST Proxy's content type.
http_response make_response(unsigned version, http::status status, std::string body, std::string_view content_type);
http_response error_response(unsigned version, http::status status, int error_code, std::string_view message);

}  // namespace kafkio_server
