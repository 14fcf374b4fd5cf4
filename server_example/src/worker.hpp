// One worker process: its own io_context and kafkio::producer (created after fork(), never inherited), accepting
// on the listening socket the master bound, serving connections until SIGTERM/SIGINT, then shutting down gracefully.
#pragma once

#include "options.hpp"
#include "shared_stats.hpp"

#include <kafkio/producer_config.hpp>

namespace kafkio_server {

// Runs a worker on the calling thread until it has shut down; returns the process exit status:
//   0  graceful: every accepted request answered, the producer flushed and closed;
//   1  the producer could not be created;
//   3  the graceful timeout expired with requests or records still in flight.
// Graceful shutdown: stop accepting, close idle keep-alive connections, answer requests in flight (with
// "Connection: close"), then async_close the producer (which flushes every record accepted, ?async=true ones too).
int run_worker(const server_options& options, const kafkio::config_result& producer_config, int listen_fd,
               int index, shared_stats& stats);

}  // namespace kafkio_server
