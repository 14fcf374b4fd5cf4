#include "master.hpp"

#include "atomic_writer.hpp"
#include "shared_stats.hpp"
#include "worker.hpp"

#include <kafkio/producer.hpp>
#include <kafkio/producer_config.hpp>

#include <boost/asio/io_context.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

namespace kafkio_server {

namespace {

using clock = std::chrono::steady_clock;

// Binds and listens; returns the descriptor or -1 with `error` set. The master may block here (it serves nothing).
int bind_listener(const server_options& o, std::string& error, std::string& bound) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const auto port = std::to_string(o.listen_port);
  if (int rc = ::getaddrinfo(o.listen_host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + o.listen_host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (auto* ai = found; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, o.listen_backlog) != 0) {
      error = "cannot listen on " + o.listen_host + ":" + port + ": " + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return -1;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned short real_port = 0;
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    real_port = ntohs(a->sin6_port);
    bound = "[" + std::string(host) + "]:" + std::to_string(real_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    real_port = ntohs(a->sin_port);
    bound = std::string(host) + ":" + std::to_string(real_port);
  }
  return fd;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                                  ::strsignal(WTERMSIG(status)) + ")";
  return "ended";
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

struct worker_process {
  pid_t pid = 0;
  bool killed_silent = false;          // killed for missing heartbeats; waiting for waitpid()
  clock::time_point started{};
  int quick_failures = 0;              // consecutive exits soon after a start: drives the backoff
  std::optional<clock::time_point> restart_at;
};

class master {
 public:
  master(const server_options& o, kafkio::config_result cfg, int fd, shared_stats& stats)
      : o_(o), cfg_(std::move(cfg)), fd_(fd), stats_(stats), workers_(static_cast<std::size_t>(o.workers)) {}

  int run(const sigset_t& signals) {
    for (std::size_t i = 0; i < workers_.size(); ++i) spawn(i);
    bool stopping = false, clean = true;
    clock::time_point kill_at{};
    for (;;) {
      auto wake = clock::now() + std::chrono::seconds(1);
      for (const auto& w : workers_)
        if (w.restart_at) wake = std::min(wake, *w.restart_at);
      if (stopping) wake = std::min(wake, kill_at);
      auto wait = std::max(clock::duration::zero(), wake - clock::now());
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(wait).count());
      ts.tv_nsec = static_cast<long>((wait - std::chrono::seconds(ts.tv_sec)) / std::chrono::nanoseconds(1));
      siginfo_t info{};
      const int sig = ::sigtimedwait(&signals, &info, &ts);

      if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
        stopping = true;
        std::cerr << "kafkio-server: " << ::strsignal(sig) << ": shutting down gracefully\n";
        kill_at = clock::now() + std::chrono::duration_cast<clock::duration>(o_.graceful_timeout) +
                  std::chrono::seconds(5);
        for (auto& w : workers_) {
          w.restart_at.reset();
          if (w.pid > 0) ::kill(w.pid, SIGTERM);
        }
        // No worker will be started again: drop our copy of the listening socket, so that once the workers have
        // closed theirs, new connections are refused at once instead of waiting in a backlog nobody accepts.
        ::close(fd_);
        fd_ = -1;
      }
      int status = 0;
      for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) on_exit(pid, status, stopping, clean);

      if (stopping) {
        bool any = false;
        for (const auto& w : workers_) any |= w.pid > 0;
        if (!any) break;
        if (clock::now() >= kill_at) {
          for (auto& w : workers_)
            if (w.pid > 0) ::kill(w.pid, SIGKILL);
          clean = false;
          kill_at = clock::now() + std::chrono::seconds(5);
        }
        continue;
      }
      check_heartbeats();
      const auto now = clock::now();
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        if (workers_[i].restart_at && *workers_[i].restart_at <= now) {
          workers_[i].restart_at.reset();
          stats_.worker_restarts.fetch_add(1);
          spawn(i);
        }
      }
    }
    std::cerr << "kafkio-server: stopped\n";
    return clean ? 0 : 2;
  }

 private:
  // gunicorn's --timeout: a worker whose event loop has not written its heartbeat for --worker-timeout is hung
  // (stopped, spinning, blocked in a call that never returns) and serves nobody; kill it, and on_exit starts a new
  // one. SIGKILL, because a hung process may not act on anything gentler (a stopped one cannot).
  void check_heartbeats() {
    const auto now = monotonic_ns();
    const auto limit = static_cast<std::uint64_t>(o_.worker_timeout.count() * 1e9);
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      auto& w = workers_[i];
      if (w.pid <= 0 || w.killed_silent) continue;
      const auto beat = stats_.slot(static_cast<int>(i)).heartbeat_ns.load();
      if (now < beat || now - beat <= limit) continue;
      std::cerr << "kafkio-server: worker " << i << " (pid " << w.pid << ") has not answered for "
                << static_cast<double>(now - beat) / 1e9 << " s (--worker-timeout " << o_.worker_timeout.count()
                << " s): killing it\n";
      ::kill(w.pid, SIGKILL);
      w.killed_silent = true;
      stats_.workers_killed_silent.fetch_add(1);
    }
  }

  void on_exit(pid_t pid, int status, bool stopping, bool& clean) {
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      auto& w = workers_[i];
      if (w.pid != pid) continue;
      w.pid = 0;
      w.killed_silent = false;
      stats_.slot(static_cast<int>(i)).pid.store(0);
      if (stopping) {
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        clean &= ok;
        if (!ok || o_.verbose) std::cerr << "kafkio-server: worker " << i << " (pid " << pid << ") " << describe_exit(status) << "\n";
        return;
      }
      // A worker that ran a while before it died gets a fresh start; one that keeps dying right after starting
      // (a bad broker address does not do that: the producer retries by itself) waits longer each time.
      if (clock::now() - w.started > std::chrono::seconds(30)) w.quick_failures = 0;
      const double delay = std::min(o_.restart_backoff_max.count(),
                                    o_.restart_backoff_min.count() * std::pow(2.0, w.quick_failures));
      ++w.quick_failures;
      w.restart_at = clock::now() + std::chrono::duration_cast<clock::duration>(seconds(delay));
      std::cerr << "kafkio-server: worker " << i << " (pid " << pid << ") " << describe_exit(status)
                << "; starting a new one in " << delay << " s\n";
      return;
    }
  }

  void spawn(std::size_t i) {
    std::fflush(nullptr);  // no buffered output may be written twice
    stats_.slot(static_cast<int>(i)).heartbeat_ns.store(monotonic_ns());  // the new worker starts with a fresh beat
    const pid_t master_pid = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::cerr << "kafkio-server: fork: " << std::strerror(errno) << "\n";
      workers_[i].restart_at = clock::now() + std::chrono::seconds(1);
      return;
    }
    if (pid == 0) {
      // If the master dies without a chance to stop us, shut down gracefully rather than linger unsupervised.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != master_pid) ::_exit(0);
      int rc = 1;
      try {
        rc = run_worker(o_, cfg_, fd_, static_cast<int>(i), stats_);
      } catch (const std::exception& e) {
        std::cerr << "kafkio-server[worker " << i << "]: " << e.what() << "\n";
      }
      std::fflush(nullptr);
      ::_exit(rc);
    }
    workers_[i].pid = pid;
    workers_[i].started = clock::now();
    if (o_.verbose) std::cerr << "kafkio-server: worker " << i << " is pid " << pid << "\n";
  }

  const server_options& o_;
  kafkio::config_result cfg_;
  int fd_;
  shared_stats& stats_;
  std::vector<worker_process> workers_;
};

}  // namespace

int run_master(const server_options& options) {
  // Refuse a bad producer configuration before binding or forking anything.
  auto cfg = kafkio::producer_config::parse(options.producer_properties);
  if (!cfg) {
    std::cerr << "kafkio-server: " << cfg.message << "\n";
    return 1;
  }
  for (const auto& note : cfg.notes) std::cerr << "kafkio-server: note: " << note << "\n";
  if (cfg.config.transactional()) {
    std::cerr << "kafkio-server: transactional.id is not a server property: the producer of ordinary requests is "
                 "not transactional, and each worker makes its own transactional producer for ?atomic=true requests, "
                 "with an id from --transactional-id-prefix\n";
    return 1;
  }
  if (auto atomic = atomic_producer_config(options.producer_properties, "probe"); !atomic)
    std::cerr << "kafkio-server: note: ?atomic=true requests will be refused: " << atomic.message << "\n";
  // TLS certificates and keys are read when a producer is constructed: read them once here too, so that an
  // unreadable one stops the server before any worker starts (no I/O happens before a producer's first record).
  if (cfg.config.uses_tls()) {
    try {
      boost::asio::io_context probe;
      kafkio::producer check(probe.get_executor(), cfg);
    } catch (const std::system_error& e) {
      std::cerr << "kafkio-server: " << e.what() << "\n";
      return 1;
    }
  }

  // Block the signals we wait for synchronously (sigtimedwait); workers inherit the mask and unblock them once
  // their own handlers exist, so a signal arriving during fork() is never lost or fatal.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Each connection is a descriptor: raise the soft limit as far as the hard one allows, and say so if
  // --max-connections still cannot fit (the worker then meets EMFILE, sheds idle connections and backs off).
  if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    if (lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &lim);
      ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    constexpr rlim_t reserve = 64;  // the producer's broker connections, the listener, logs
    if (lim.rlim_cur != RLIM_INFINITY && options.max_connections + reserve > lim.rlim_cur)
      std::cerr << "kafkio-server: note: the descriptor limit (" << lim.rlim_cur << ", ulimit -n) is below "
                << "--max-connections " << options.max_connections << " + " << reserve << "\n";
  }

  std::string error, bound;
  const int fd = bind_listener(options, error, bound);
  if (fd < 0) {
    std::cerr << "kafkio-server: " << error << "\n";
    return 1;
  }
  shared_stats* stats = nullptr;
  try {
    stats = shared_stats::create(options.workers);
  } catch (const std::exception& e) {
    std::cerr << "kafkio-server: " << e.what() << "\n";
    return 1;
  }
  stats->master_pid.store(::getpid());
  std::cerr << "kafkio-server: listening on http://" << bound << " with " << options.workers << " workers (pid "
            << ::getpid() << ")\n";
  master m(options, std::move(cfg), fd, *stats);
  return m.run(signals);
}

}  // namespace kafkio_server
