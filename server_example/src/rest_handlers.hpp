// The HTTP API: what to do with a request once its headers are in (inspect: route, method, content negotiation,
// content type, size), and once its body is in (handle: v2 produce, metadata GETs, health, readiness, metrics,
// the OpenAPI document). v3 produce streams and is served by v3_stream.cpp.
#pragma once

#include "produce_request.hpp"
#include "rest_response.hpp"
#include "worker_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>

namespace kafkio_server {

struct request_plan {
  route target;
  bool produce = false;                   // v2 produce (POST) or v3 records
  std::optional<embedded_format> format;  // v2 produce
  produce_query query;
  std::string_view response_type = rest_content_type;  // negotiated from Accept (API routes)
  std::string base_url;                   // "http://" + Host, for v3 links
};

// Decides from the headers alone. Returns a response to send instead of reading the body (404, 405, 406, 413, 415,
// 400), after which the connection is closed (the unread body would otherwise be taken for the next request).
std::optional<http_response> inspect(worker_context& ctx, const http_request& headers, request_plan& plan);

// Answers a complete request. Produce requests wait (without blocking the loop) until Kafka acknowledged every
// record, unless ?async=true; metadata GETs wait for a Metadata response (at most max.block.ms).
asio::awaitable<http_response> handle(worker_context& ctx, const http_request& req, const request_plan& plan);

// v3 routes name a cluster: the answer to send if it is not ours (404), or if the cluster cannot be asked (500).
// The cluster id is fetched once per worker and kept.
asio::awaitable<std::optional<http_response>> check_cluster(worker_context& ctx, unsigned version,
                                                            const request_plan& plan);

// The metadata GETs (metadata_handlers.cpp).
asio::awaitable<http_response> handle_metadata(worker_context& ctx, unsigned version, const request_plan& plan);

// A response with the given status and body; JSON error bodies use REST Proxy's content type unless told.
http_response make_response(unsigned version, http::status status, std::string body, std::string_view content_type);
http_response error_response(unsigned version, http::status status, int error_code, std::string_view message,
                             std::string_view content_type = rest_content_type);

}  // namespace kafkio_server
