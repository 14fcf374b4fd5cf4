// Runs kafkio-mock-cluster (tests/mock/mock_cluster.cpp, a librdkafka mock Kafka cluster) as a child process, so a
// GoogleTest test can point a client at real sockets and script failures:
//
//   kafkio::test::mock_cluster mock({.brokers = 3});
//   client.connect(mock.bootstrap());                       // "127.0.0.1:PORT,127.0.0.1:PORT,..."
//   mock.command("errors Produce NOT_LEADER_FOR_PARTITION");  // throws std::runtime_error unless the reply is ok
//   mock.command("down 2");
//   mock.stop();                                            // also done by the destructor
//
// The command language is documented at the top of tests/mock/mock_cluster.cpp and in docs/testing.md. Link the
// CMake target kafkio_test_mock_cluster: it builds the program and defines KAFKIO_MOCK_CLUSTER_PATH.
// POSIX only (posix_spawn, pipes, poll); independent of Asio and of kafkio. Not thread-safe: one thread drives it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace kafkio::test {

struct mock_broker_address {
  std::string host;
  std::uint16_t port = 0;
};

class mock_cluster {
 public:
  struct options {
    int brokers = 3;
#ifdef KAFKIO_MOCK_CLUSTER_PATH
    std::string executable = KAFKIO_MOCK_CLUSTER_PATH;
#else
    std::string executable = "kafkio-mock-cluster";  // looked up in PATH
#endif
    std::chrono::milliseconds reply_timeout{10000};
  };

  mock_cluster() : mock_cluster(options{}) {}

  // Starts the program and reads its bootstrap line. Throws std::runtime_error / std::system_error on failure.
  explicit mock_cluster(options opts) : timeout_(opts.reply_timeout) {
    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    if (::pipe2(from_child, O_CLOEXEC) != 0) {
      close_fd(to_child[0]);
      close_fd(to_child[1]);
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears close-on-exec on the child's 0 and 1; every other pipe end closes at exec.
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    std::string brokers = std::to_string(opts.brokers);
    std::vector<char*> argv{opts.executable.data(), const_cast<char*>("--brokers"), brokers.data(), nullptr};
    const int rc = ::posix_spawnp(&pid_, opts.executable.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close_fd(to_child[0]);
    close_fd(from_child[1]);
    to_child_ = to_child[1];
    from_child_ = from_child[0];
    if (rc != 0) {
      pid_ = -1;
      close_pipes();
      throw std::system_error(rc, std::generic_category(), "posix_spawn " + opts.executable);
    }
    try {
      bootstrap_ = read_line();
      parse_bootstrap();
    } catch (...) {
      stop();
      throw;
    }
  }

  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  ~mock_cluster() {
    try {
      stop();
    } catch (...) {  // a destructor must not throw; stop() already killed the child if it had to
    }
  }

  // "127.0.0.1:PORT,..." for broker ids 1..N, in id order.
  const std::string& bootstrap() const noexcept { return bootstrap_; }
  const std::vector<mock_broker_address>& brokers() const noexcept { return brokers_; }
  pid_t pid() const noexcept { return pid_; }

  // Sends one command line and returns the raw reply line ("ok", "ok VALUE" or "error MESSAGE").
  std::string send(std::string_view line) {
    if (pid_ <= 0) throw std::runtime_error("mock cluster is not running");
    std::string text(line);
    text += '\n';
    write_all(text);
    return read_line();
  }

  // Like send(), but throws std::runtime_error unless the reply is ok; returns VALUE (empty for a plain "ok").
  std::string command(std::string_view line) {
    std::string reply = send(line);
    if (reply == "ok") return {};
    if (reply.rfind("ok ", 0) == 0) return reply.substr(3);
    throw std::runtime_error("mock cluster: '" + std::string(line) + "' -> " + reply);
  }

  // Asks the program to quit, waits up to 5 s, then SIGKILLs it. Returns its exit status (-1 if killed or not
  // running). Idempotent.
  int stop() {
    if (pid_ <= 0) return exit_status_;
    if (to_child_ >= 0) {
      try {
        write_all("quit\n");
      } catch (...) {  // already gone: waitpid below collects it
      }
      close_fd(to_child_);  // end of input means quit, too
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (done == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      status = -1;
    }
    exit_status_ = (status >= 0 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
    pid_ = -1;
    close_pipes();
    return exit_status_;
  }

 private:
  static void close_fd(int& fd) noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void close_pipes() noexcept {
    close_fd(to_child_);
    close_fd(from_child_);
  }

  // Writing to a pipe whose reader died raises SIGPIPE, which would kill the whole test binary. Block it on this
  // thread for the write, and swallow a SIGPIPE that the write left pending; the write then fails with EPIPE.
  void write_all(std::string_view data) {
    sigset_t pipe_only, old_mask;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
    int error = 0;
    while (!data.empty()) {
      const ssize_t n = ::write(to_child_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = errno;
        break;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (error == EPIPE) {
      const timespec no_wait{0, 0};
      while (::sigtimedwait(&pipe_only, nullptr, &no_wait) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    if (error != 0) throw std::system_error(error, std::generic_category(), "write to mock cluster");
  }

  std::string read_line() {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
      if (const auto eol = buffer_.find('\n'); eol != std::string::npos) {
        std::string line = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 1);
        return line;
      }
      using std::chrono::milliseconds;
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error("mock cluster: no reply within the timeout");
      pollfd p{from_child_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) throw std::system_error(errno, std::generic_category(), "poll");
      if (ready == 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(from_child_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "read from mock cluster");
      if (n == 0) throw std::runtime_error("mock cluster exited (see its stderr)");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void parse_bootstrap() {
    std::string_view rest = bootstrap_;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      const auto colon = item.rfind(':');
      if (colon == std::string_view::npos) throw std::runtime_error("mock cluster: bad bootstrap " + bootstrap_);
      unsigned long port = 0;
      for (const char c : item.substr(colon + 1)) {
        if (c < '0' || c > '9' || (port = port * 10 + static_cast<unsigned long>(c - '0')) > 65535)
          throw std::runtime_error("mock cluster: bad port in " + bootstrap_);
      }
      brokers_.push_back({std::string(item.substr(0, colon)), static_cast<std::uint16_t>(port)});
    }
    if (brokers_.empty()) throw std::runtime_error("mock cluster: empty bootstrap line");
  }

  std::chrono::milliseconds timeout_;
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  int exit_status_ = -1;
  std::string buffer_;
  std::string bootstrap_;
  std::vector<mock_broker_address> brokers_;
};

}  // namespace kafkio::test
