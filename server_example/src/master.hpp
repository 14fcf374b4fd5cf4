// The master process (gunicorn's arbiter): binds the listening socket, forks the workers, restarts any that exits
// unexpectedly (with exponential backoff), and turns SIGTERM/SIGINT into a graceful shutdown of all of them.
// It runs no event loop and creates no io_context or producer: those exist only in workers, after fork().
#pragma once

#include "options.hpp"

namespace kafkio_server {

// Returns the process exit status: 0 after a graceful shutdown in which every worker exited 0; 1 if the
// configuration or the socket is unusable; 2 if some worker had to be killed or failed its shutdown.
// Prints "kafkio-server: listening on http://HOST:PORT" to stderr once the socket is bound (with the real port
// when --listen asked for port 0).
int run_master(const server_options& options);

}  // namespace kafkio_server
