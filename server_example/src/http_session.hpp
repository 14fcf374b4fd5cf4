// One HTTP/1.1 connection (keep-alive, one request at a time) as a coroutine on the worker's io_context.
#pragma once

#include "worker_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace kafkio_server {

// Serves requests until the client closes, a timeout fires, an error forbids reuse, or shutdown began. Every wait
// has a deadline: idle_timeout for the next request's first byte, header_timeout for its headers, body_timeout
// for its body, write_timeout for the response; a connection can hold a worker's memory only so long.
asio::awaitable<void> run_session(worker_context& ctx, asio::ip::tcp::socket socket);

}  // namespace kafkio_server
