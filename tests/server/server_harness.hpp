// Drives a real kafkio-server process from tests: start it on a free loopback port, talk HTTP to it with a small
// blocking Beast client (tests may block; the server may not), signal it, find its workers, and read back what it
// wrote to Kafka with Kafka's own ConsoleConsumer (scripts/kafka consume), never with kafkio's code.
//
// KAFKIO_SERVER_BIN and KAFKIO_SCRIPTS_DIR are compile definitions (tests/server/CMakeLists.txt). The broker is
// $KAFKIO_BOOTSTRAP (scripts/with-kafka sets it), else `scripts/kafka bootstrap`.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace kafkio_server::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

// Runs a command (argv[0] looked up in PATH); returns exit code and stdout. stderr goes to a temporary file so a
// chatty JVM never blocks on a full pipe; it is returned in `err`.
struct command_result {
  int exit_code = -1;
  std::string out, err;
};
inline command_result run_command(const std::vector<std::string>& argv) {
  char err_path[] = "/tmp/kafkio-server-test-XXXXXX";
  const int err_fd = ::mkstemp(err_path);
  ::unlink(err_path);
  int out_pipe[2];
  if (err_fd < 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("run_command: no fds");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  command_result r;
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_fd);
    throw std::runtime_error("cannot run " + argv[0]);
  }
  char buf[65536];
  for (ssize_t n; (n = ::read(out_pipe[0], buf, sizeof buf)) != 0;) {
    if (n > 0) r.out.append(buf, static_cast<std::size_t>(n));
    else if (errno != EINTR) break;
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::lseek(err_fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(err_fd, buf, sizeof buf)) > 0;) r.err.append(buf, static_cast<std::size_t>(n));
  ::close(err_fd);
  return r;
}

inline std::string kafka_script() { return std::string(KAFKIO_SCRIPTS_DIR) + "/kafka"; }

inline std::string bootstrap() {
  if (const char* b = std::getenv("KAFKIO_BOOTSTRAP"); b && *b) return b;
  auto r = run_command({kafka_script(), "bootstrap"});
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' ')) r.out.pop_back();
  return r.out;
}

inline std::string unique_topic(const std::string& what) {
  static int counter = 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return "kafkio-server-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(ms.count() % 100000000);
}

inline void create_topic(const std::string& topic, int partitions) {
  auto r = run_command({kafka_script(), "topic", topic, "--partitions", std::to_string(partitions)});
  if (r.exit_code != 0) throw std::runtime_error("scripts/kafka topic failed: " + r.err);
}

// One record as `scripts/kafka consume` prints it: Partition:P<TAB>Offset:O<TAB>HEADERS<TAB>KEY<TAB>VALUE.
struct consumed {
  int partition = -1;
  long long offset = -1;
  std::string headers, key, value;  // as printed: NO_HEADERS or k:v,k:v ; "null" for null
};
// read_committed: only records of committed transactions (and of no transaction), as Kafka's isolation.level.
inline std::vector<consumed> consume(const std::string& topic, std::size_t max, int timeout_ms = 20000,
                                     bool read_committed = false) {
  std::vector<std::string> argv{kafka_script(), "consume", topic, "--max", std::to_string(max), "--timeout-ms",
                                std::to_string(timeout_ms)};
  if (read_committed) argv.push_back("--read-committed");
  auto r = run_command(argv);
  std::vector<consumed> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      f.push_back(line.substr(start, tab - start));
    f.push_back(line.substr(start));
    if (f.size() != 5 || f[0].rfind("Partition:", 0) != 0) continue;
    out.push_back({std::stoi(f[0].substr(10)), std::stoll(f[1].substr(7)), f[2], f[3], f[4]});
  }
  return out;
}

struct response {
  unsigned status = 0;
  std::string body;
  std::string content_type, retry_after, connection;
};

// A blocking HTTP/1.1 client with keep-alive and a receive timeout (so a test never hangs on a silent server).
class client {
 public:
  explicit client(unsigned short port, std::chrono::milliseconds timeout = 60s) : socket_(io_), timeout_(timeout) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  // How long a read may wait (Asio's blocking reads ignore SO_RCVTIMEO, so reads run on io_ with a deadline).
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  // Throws boost::system::system_error on a connection error or timeout (asio::error::timed_out).
  response request(http::verb method, const std::string& target, const std::string& content_type = {},
                   const std::string& body = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = body;
    req.keep_alive(true);
    req.prepare_payload();
    http::write(socket_, req);
    return read_response();
  }
  // Any request, as built by the caller (Host and keep-alive are the caller's business here).
  response send(http::request<http::string_body> req) {
    req.prepare_payload();
    http::write(socket_, req);
    return read_response(req.method() == http::verb::head);
  }
  response post(const std::string& target, const std::string& content_type, const std::string& body) {
    return request(http::verb::post, target, content_type, body);
  }
  response get(const std::string& target) { return request(http::verb::get, target); }
  // `head`: the answer to a HEAD request, whose Content-Length announces a body that is not sent.
  response read_response(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    boost::system::error_code ec = asio::error::would_block;
    http::async_read(socket_, buffer_, parser, [&](boost::system::error_code e, std::size_t) { ec = e; });
    run_with_deadline(ec);
    if (ec) throw boost::system::system_error(ec);
    const auto& res = parser.get();
    return {res.result_int(), res.body(), std::string(res[http::field::content_type]),
            std::string(res[http::field::retry_after]), std::string(res[http::field::connection])};
  }
  void send_raw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }
  // Half-closes: the server reads EOF after what was sent, and can still answer.
  void shutdown_send() {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
  // Everything the server sends until it closes the connection or `within` passes; `closed` says which.
  std::string read_until_close(std::chrono::milliseconds within, bool* closed = nullptr, bool first_only = false) {
    std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    const auto saved = timeout_;
    const auto deadline = std::chrono::steady_clock::now() + within;
    bool eof = false;
    char buf[16384];
    for (auto now = std::chrono::steady_clock::now(); now < deadline; now = std::chrono::steady_clock::now()) {
      timeout_ = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + 1ms;
      boost::system::error_code ec = asio::error::would_block;
      std::size_t n = 0;
      socket_.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t k) { ec = e, n = k; });
      run_with_deadline(ec);
      out.append(buf, n);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) eof = true;
      if (ec || first_only) break;
    }
    timeout_ = saved;
    if (closed) *closed = eof;
    return out;
  }
  // The first bytes the server sends within `within`; empty if none (for "nothing was sent" checks).
  std::string read_available(std::chrono::milliseconds within) { return read_until_close(within, nullptr, true); }
  // True if the server closed the connection (EOF) before `within`; reads and discards anything it sends.
  bool closed_by_server(std::chrono::milliseconds within) {
    const auto saved = timeout_;
    timeout_ = within;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec = asio::error::would_block;
      socket_.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t) { ec = e; });
      run_with_deadline(ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return timeout_ = saved, true;
      if (ec) return timeout_ = saved, false;  // timed out
    }
  }
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  // Runs the pending read until it completes or timeout_ passes (then cancels it: ec = timed_out).
  void run_with_deadline(boost::system::error_code& ec) {
    io_.restart();
    io_.run_for(timeout_);
    if (ec == asio::error::would_block) {
      socket_.cancel();
      io_.restart();
      io_.run();
      ec = asio::error::timed_out;
    }
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::chrono::milliseconds timeout_;
  beast::flat_buffer buffer_;
};

// A kafkio-server child process. Stops it (SIGTERM, then SIGKILL) when destroyed.
class server_process {
 public:
  explicit server_process(std::vector<std::string> args, bool with_bootstrap = true) {
    log_path_ = "/tmp/kafkio-server-test-" + std::to_string(::getpid()) + "-" + std::to_string(++count()) + ".log";
    std::vector<std::string> argv{KAFKIO_SERVER_BIN, "--listen", "127.0.0.1:0"};
    if (with_bootstrap) argv.insert(argv.end(), {"--bootstrap", bootstrap()});
    argv.insert(argv.end(), args.begin(), args.end());
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    if (::posix_spawn(&pid_, cargs[0], &fa, nullptr, cargs.data(), environ) != 0)
      throw std::runtime_error("cannot start kafkio-server");
    posix_spawn_file_actions_destroy(&fa);
    static const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
      std::smatch m;
      auto text = log();
      if (std::regex_search(text, m, listening)) {
        port_ = static_cast<unsigned short>(std::stoi(m[1]));
        break;
      }
      if (exited()) break;
      std::this_thread::sleep_for(20ms);
    }
    if (!port_) throw std::runtime_error("kafkio-server did not start:\n" + log());
  }
  ~server_process() {
    if (pid_ > 0 && !exited()) {
      ::kill(pid_, SIGTERM);
      if (!wait_exit(20s)) ::kill(pid_, SIGKILL), wait_exit(5s);
    }
    ::unlink(log_path_.c_str());
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const {
    std::ifstream in(log_path_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // Waits for the process to end; the exit status is then in exit_code().
  bool wait_exit(std::chrono::milliseconds timeout) {
    for (auto deadline = std::chrono::steady_clock::now() + timeout;;) {
      if (exited()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
  }
  std::optional<int> exit_code() const { return exit_code_; }

  // The worker processes: children of the master, from /proc/*/stat.
  std::set<pid_t> workers() const {
    std::set<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (auto* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
      std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      auto close_paren = content.rfind(')');
      if (close_paren == std::string::npos) continue;
      std::istringstream rest(content.substr(close_paren + 2));
      char state = 0;
      long ppid = 0;
      rest >> state >> ppid;
      if (ppid == pid_ && state != 'Z') out.insert(static_cast<pid_t>(pid));
    }
    ::closedir(d);
    return out;
  }

 private:
  static int& count() {
    static int n = 0;
    return n;
  }
  bool exited() {
    if (exit_code_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return true;
    }
    return false;
  }

  pid_t pid_ = -1;
  unsigned short port_ = 0;
  std::string log_path_;
  std::optional<int> exit_code_;
};

// The HTTP responses in raw bytes read from a connection, in order (a response to HEAD must be the last one: its
// Content-Length announces no body). Stops at the first incomplete or malformed one.
struct raw_response {
  unsigned status = 0;
  std::string body;
  http::fields headers;
};
inline std::vector<raw_response> parse_responses(std::string_view raw, bool last_is_head = false) {
  std::vector<raw_response> out;
  while (!raw.empty()) {
    http::response_parser<http::string_body> p;
    p.eager(true);
    const bool head = last_is_head && raw.find("HTTP/", 1) == std::string_view::npos;
    p.skip(head);
    boost::system::error_code ec;
    std::size_t used = 0;
    while (!p.is_done() && !ec) {
      const std::size_t n = p.put(asio::buffer(raw.data() + used, raw.size() - used), ec);
      used += n;
      if (ec == http::error::need_more) {
        ec = {};
        if (used == raw.size() || n == 0) {
          p.put_eof(ec);  // a body delimited by the close, or a truncated response
          break;
        }
      }
    }
    if (ec || !p.is_done()) break;
    raw_response r;
    r.status = p.get().result_int();
    r.body = p.get().body();
    for (const auto& f : p.get()) r.headers.insert(f.name_string(), f.value());
    out.push_back(std::move(r));
    raw.remove_prefix(used);
  }
  return out;
}

// VmRSS of a process in KiB, from /proc/<pid>/status; -1 if it is gone.
inline long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// The value of an unlabelled sample (or one with the exact labels given) in Prometheus text; -1 if absent.
inline double metric(const std::string& text, const std::string& name_and_labels) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name_and_labels + " ", 0) == 0) return std::stod(line.substr(name_and_labels.size() + 1));
  return -1;
}

}  // namespace kafkio_server::test
