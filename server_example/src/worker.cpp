#include "worker.hpp"

#include "http_session.hpp"
#include "worker_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>

namespace kafkio_server {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string prefix(int index) { return "kafkio-server[worker " + std::to_string(index) + " pid " + std::to_string(::getpid()) + "]: "; }

// Logs an exception that escaped a coroutine: a bug, but one connection's, not the worker's.
auto log_failure(int index) {
  return [index](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::cerr << prefix(index) << "coroutine failed: " << ex.what() << "\n";
    }
  };
}

asio::awaitable<void> wait_for_session_change(worker_context& ctx) {
  boost::system::error_code ec;
  co_await ctx.sessions_changed.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> accept_loop(worker_context& ctx, asio::ip::tcp::acceptor& acceptor) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer pause(ex);
  auto last_error_log = clock::time_point{};
  while (!ctx.stopping) {
    // The connection cap. Idle connections (waiting for a first or next request) make room for new ones, oldest
    // first: otherwise a few idle sockets per worker take the server off the air (and /healthz with it). Only
    // when every connection is busy with a request does the worker stop accepting (the kernel's backlog and the
    // other workers take the load) until a session ends. Connections are never accepted only to be dropped.
    if (ctx.connections >= ctx.options.max_connections && !ctx.has_idle_session()) {
      co_await wait_for_session_change(ctx);
      continue;
    }
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ctx.stopping || ec == asio::error::operation_aborted) break;
    if (ec) {
      // EMFILE/ENFILE/ENOBUFS: make room if an idle connection holds a descriptor, and back off instead of
      // spinning; the pending connection stays in the backlog.
      ctx.shed_oldest_idle();
      if (clock::now() - last_error_log > std::chrono::seconds(1)) {
        std::cerr << prefix(ctx.index) << "accept: " << ec.message() << "\n";
        last_error_log = clock::now();
      }
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    ctx.stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    // At the cap, shed an idle connection for it (it closes on its next turn). If none is idle any more (they
    // became busy since the check above), hold this one unserved, as the backlog would, until one is.
    while (!ctx.stopping && ctx.connections >= ctx.options.max_connections && !ctx.shed_oldest_idle())
      co_await wait_for_session_change(ctx);
    if (ctx.stopping) break;
    ++ctx.connections;  // now: the session registers itself only when it first runs
    boost::system::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    asio::co_spawn(ex, run_session(ctx, std::move(socket)), log_failure(ctx.index));
  }
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Every 250 ms: the heartbeat the master watches (a loop that stops turning, however it hangs, stops writing it),
// and once a second the producer's figures for /metrics.
asio::awaitable<void> publish_metrics_loop(worker_context& ctx, asio::steady_timer& timer) {
  for (int tick = 0;; ++tick) {
    ctx.stats.heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
    if (tick % 4 == 0) ctx.publish_producer_metrics();
    timer.expires_after(std::chrono::milliseconds(250));
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;
  }
}

// /readyz reports ready once the producer has metadata. Fetching it at start-up (instead of with the first
// record) means a load balancer sends traffic only to workers that reached Kafka, and the first request does not
// pay for the connection. async_connect gives up after max.block.ms; keep trying until shutdown closes it.
asio::awaitable<void> warm_up_producer(worker_context& ctx) {
  for (int attempt = 1;; ++attempt) {
    auto [ec] = co_await ctx.producer.async_connect(use_tuple);
    if (!ec) {
      ctx.publish_producer_metrics();
      co_return;
    }
    if (ctx.stopping || ec == kafkio::client_errc::producer_closed || ec == asio::error::operation_aborted) co_return;
    if (attempt == 1 || ctx.options.verbose)
      std::cerr << prefix(ctx.index) << "no metadata from Kafka yet (" << ec.message() << "); still trying\n";
  }
}

// Closes connections waiting for a request, except those whose next request has already arrived (bytes in the
// kernel): those are read and answered, with Connection: close.
void close_idle_sessions(worker_context& ctx, bool including_fresh) {
  for (auto& s : ctx.sessions) {
    if (!s.idle || s.closing || !(including_fresh || s.served > 0)) continue;
    boost::system::error_code ec;
    if (s.stream->socket().available(ec) > 0) continue;
    s.closing = true;
    s.stream->cancel();
  }
}

struct shutdown_parts {
  asio::ip::tcp::acceptor& acceptor;
  asio::steady_timer& metrics_timer;
  asio::signal_set& signals;
  int& exit_code;
};

asio::awaitable<void> graceful_shutdown(worker_context& ctx, shutdown_parts parts) {
  auto ex = co_await asio::this_coro::executor;
  const auto begun = clock::now();
  if (ctx.options.verbose) std::cerr << prefix(ctx.index) << "shutting down gracefully\n";
  ctx.stopping = true;
  boost::system::error_code ignored;
  parts.acceptor.close(ignored);
  ctx.sessions_changed.cancel();  // the accept loop may wait for room

  // Hard deadline: past it, report what is lost and leave without running destructors (the producer's destructor
  // would only fail the records with operation_aborted, and a stuck client must not keep the process alive).
  asio::steady_timer deadline(ex, std::chrono::duration_cast<clock::duration>(ctx.options.graceful_timeout));
  deadline.async_wait([&ctx](boost::system::error_code ec) {
    if (ec) return;
    auto m = ctx.producer.metrics();
    std::cerr << prefix(ctx.index) << "graceful timeout: " << ctx.sessions.size() << " connections still open, "
              << (m.records_accepted - m.records_acked - m.records_failed)
              << " records without an acknowledgement; exiting\n";
    std::fflush(nullptr);
    ::_exit(3);
  });

  // Connections that already served a request and wait for another one close now; connections accepted just
  // before the signal get a moment for their first request to arrive (its bytes may be in flight).
  close_idle_sessions(ctx, false);
  asio::steady_timer fresh_grace(ex, std::chrono::milliseconds(500));
  fresh_grace.async_wait([&ctx](boost::system::error_code ec) {
    if (!ec) close_idle_sessions(ctx, true);
  });
  while (ctx.connections > 0) co_await wait_for_session_change(ctx);
  fresh_grace.cancel();

  // Every request is answered; now deliver what the producers still hold (?async=true records among them).
  co_await ctx.atomic->close();
  auto [ec] = co_await ctx.producer.async_close(use_tuple);
  parts.metrics_timer.cancel();
  ctx.publish_producer_metrics();
  parts.signals.cancel();
  deadline.cancel();
  auto m = ctx.producer.metrics();
  if (ctx.options.verbose || ec)
    std::cerr << prefix(ctx.index) << "stopped after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - begun).count() << " ms: "
              << m.records_acked << " records acknowledged, " << m.records_failed << " failed"
              << (ec ? ", close: " + ec.message() : std::string()) << "\n";
  parts.exit_code = ec ? 3 : 0;
}

}  // namespace

int run_worker(const server_options& options, const kafkio::config_result& producer_config, int listen_fd,
               int index, shared_stats& stats) {
  asio::io_context io(1);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  // The master blocks these signals around fork() so none is lost before this handler exists; deliver them now.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  ::pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);

  std::optional<kafkio::producer> producer;
  try {
    producer.emplace(io.get_executor(), producer_config);
  } catch (const std::exception& e) {
    std::cerr << prefix(index) << "cannot create the producer: " << e.what() << "\n";
    return 1;
  }
  // A broker that is down makes the producer log every reconnect attempt: at most 5 lines a second reach stderr
  // (a blocking write to a full pipe would stall the loop), with a count of what was left out. One budget for both
  // of the worker's producers.
  struct log_budget {
    clock::time_point window{};
    int used = 0;
    long suppressed = 0;
  };
  std::function<void(kafkio::log_level, std::string_view)> log =
      [index, verbose = options.verbose, budget = log_budget{}](kafkio::log_level level,
                                                                 std::string_view msg) mutable {
        if (!verbose && level < kafkio::log_level::warning) return;
        const auto now = clock::now();
        if (now - budget.window >= std::chrono::seconds(1)) {
          if (budget.suppressed)
            std::cerr << prefix(index) << "kafkio: (" << budget.suppressed << " more log lines suppressed)\n";
          budget = {now, 0, 0};
        }
        if (++budget.used > 5) {
          ++budget.suppressed;
          return;
        }
        std::cerr << prefix(index) << "kafkio: " << msg << "\n";
      };
  auto shared_log = [&log](kafkio::log_level level, std::string_view msg) { log(level, msg); };
  producer->set_logger(shared_log);
  const bool verbose = options.verbose;

  auto& slot = stats.slot(index);
  slot.heartbeat_ns.store(monotonic_ns());
  slot.pid.store(::getpid());
  slot.starts.fetch_add(1);
  slot.connections_open.store(0);  // gauges a crashed predecessor may have left behind
  slot.requests_in_flight.store(0);

  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.assign(addr.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), listen_fd, ec);
  if (ec) {
    std::cerr << prefix(index) << "cannot use the listening socket: " << ec.message() << "\n";
    return 1;
  }

  // The transactional producer of ?atomic=true requests, named after this worker's place (atomic_writer.hpp).
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  const auto id = atomic_transactional_id(options.transactional_id_prefix, host, acceptor.local_endpoint(ec).port(),
                                          index);
  atomic_writer atomic(io.get_executor(), atomic_producer_config(options.producer_properties, id), shared_log);

  worker_context ctx(options, stats, index, *producer, atomic, io.get_executor());
  asio::steady_timer metrics_timer(io);
  int exit_code = 0;
  asio::co_spawn(io, accept_loop(ctx, acceptor), log_failure(index));
  asio::co_spawn(io, publish_metrics_loop(ctx, metrics_timer), log_failure(index));
  asio::co_spawn(io, warm_up_producer(ctx), log_failure(index));
  signals.async_wait([&](boost::system::error_code sec, int) {
    if (sec) return;
    asio::co_spawn(io, graceful_shutdown(ctx, {acceptor, metrics_timer, signals, exit_code}), log_failure(index));
  });
  if (verbose) std::cerr << prefix(index) << "serving\n";
  io.run();
  std::fflush(nullptr);
  return exit_code;
}

}  // namespace kafkio_server
