// Reading back what a producer wrote to a real Kafka, with Kafka's own tools only (never with kafkio's code), and
// driving an io_context until completions arrived. For the tests in tests/kafka/ (labels kafka and cluster).
//
//   auto topic = kafkio::test::unique_topic("codec");                 // "kafkio-ptest-codec-<pid>-<n>-<time>"
//   kafkio::test::create_topic(topic, 3);                               // scripts/kafka topic (TopicCommand)
//   ... produce ...
//   auto got = kafkio::test::consume(topic, 100, {.timestamps = true}); // scripts/kafka consume (ConsoleConsumer)
//   auto ends = kafkio::test::end_offsets(topic);                       // GetOffsetShell: partition -> end offset
//
// The broker is the one in $KAFKIO_BOOTSTRAP (set by scripts/with-kafka); without it, `scripts/kafka bootstrap`.
// scripts/kafka is found through KAFKIO_SCRIPTS_DIR (a compile definition set by tests/kafka/CMakeLists.txt).
// Every helper throws std::runtime_error with the tool's stderr when a tool fails.
// POSIX only (posix_spawn). Independent of Asio except run_until().
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

#ifndef KAFKIO_SCRIPTS_DIR
#error "KAFKIO_SCRIPTS_DIR must name the repository's scripts/ directory"
#endif

namespace kafkio::test {

struct command_result {
  int exit_code = -1;  // the exit status, or 128 + signal
  std::string out;     // standard output
  std::string err;     // standard error
};

// Runs argv[0] (looked up in PATH) with the environment of this process; collects stdout and stderr.
// stderr goes to a temporary file, so a chatty tool never blocks on a full pipe while we read stdout.
inline command_result run_command(const std::vector<std::string>& argv) {
  char err_path[] = "/tmp/kafkio-ptest-stderr-XXXXXX";
  const int err_fd = ::mkstemp(err_path);
  if (err_fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
  ::unlink(err_path);
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(err_fd);
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  command_result r;
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_fd);
    throw std::system_error(rc, std::generic_category(), "posix_spawnp " + argv[0]);
  }
  char buf[65536];
  for (;;) {
    auto n = ::read(out_pipe[0], buf, sizeof buf);
    if (n > 0) r.out.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::lseek(err_fd, 0, SEEK_SET);
  for (;;) {
    auto n = ::read(err_fd, buf, sizeof buf);
    if (n <= 0) break;
    r.err.append(buf, static_cast<std::size_t>(n));
  }
  ::close(err_fd);
  return r;
}

inline std::string kafka_script() { return std::string(KAFKIO_SCRIPTS_DIR) + "/kafka"; }

// Runs `scripts/kafka ARGS...`; throws unless it exits 0.
inline std::string kafka_tool(std::vector<std::string> args) {
  args.insert(args.begin(), kafka_script());
  auto r = run_command(args);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    throw std::runtime_error(cmd + "exited with " + std::to_string(r.exit_code) + ":\n" + r.err);
  }
  return r.out;
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The bootstrap list of the broker under test.
inline std::string bootstrap() {
  if (const char* b = std::getenv("KAFKIO_BOOTSTRAP"); b && *b) return b;
  static const std::string fallback = trim(kafka_tool({"bootstrap"}));
  return fallback;
}

// A topic name no other run or test uses: the pid, a per-process counter and the time.
inline std::string unique_topic(std::string_view what) {
  static std::atomic<int> counter{0};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return "kafkio-ptest-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) +
         "-" + std::to_string(ms.count() % 100000000);
}

inline std::map<std::int32_t, std::int64_t> end_offsets(const std::string& topic);

struct topic_options {
  int replication = 0;                 // 0: the broker's default
  std::vector<std::string> configs{};  // "key=value" topic configs
  // Wait until every partition answers ListOffsets. TopicCommand returns once the controller committed the topic;
  // the leaders create the partitions' logs one by one afterwards (~20 ms each), and until then a Produce gets
  // NOT_LEADER_OR_FOLLOWER. Only the test of that race itself skips the wait.
  bool wait_until_ready = true;
};

// Creates a topic with Kafka's TopicCommand.
inline void create_topic(const std::string& name, int partitions, const topic_options& o = {}) {
  std::vector<std::string> args{"topic", name, "--partitions", std::to_string(partitions)};
  if (o.replication > 0) args.insert(args.end(), {"--replication", std::to_string(o.replication)});
  for (const auto& c : o.configs) args.insert(args.end(), {"--config", c});
  kafka_tool(std::move(args));
  if (!o.wait_until_ready) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      if (end_offsets(name).size() == static_cast<std::size_t>(partitions)) return;
    } catch (const std::runtime_error&) {  // a partition without a leader yet: GetOffsetShell fails
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("topic " + name + ": not every partition answers ListOffsets after 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

using header_list = std::vector<std::pair<std::string, std::optional<std::string>>>;

// One line of `scripts/kafka consume`, parsed.
struct consumed_record {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string timestamp_type;           // "CreateTime" / "LogAppendTime" (only with consume_options::timestamps)
  std::optional<std::int64_t> timestamp;
  header_list headers;                  // a header value printed as "null" is a null value
  std::optional<std::string> key, value;  // "null" is a null key/value
};

struct consume_options {
  std::chrono::milliseconds idle_timeout{30000};  // ConsoleConsumer gives up after this long without a record
  bool timestamps = false;                          // scripts/kafka consume --timestamp
  bool read_committed = false;                      // --read-committed: only committed transactions' records
};

// Splits on `sep` keeping empty fields.
inline std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    parts.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

// Parses one line of the format documented in scripts/kafka: [TYPE:TS<TAB>]Partition:P<TAB>Offset:O<TAB>HEADERS<TAB>
// KEY<TAB>VALUE. The test data never contains tabs, newlines, or ',' / ':' in headers, so the split is exact.
inline consumed_record parse_consumed_line(const std::string& line, bool timestamps) {
  auto fields = split(line, '\t');
  const std::size_t base = timestamps ? 1 : 0;
  if (fields.size() != base + 5) throw std::runtime_error("unexpected consumer line: " + line);
  consumed_record r;
  auto after = [&](const std::string& f, std::string_view prefix) {
    if (f.compare(0, prefix.size(), prefix) != 0) throw std::runtime_error("unexpected consumer field: " + f);
    return f.substr(prefix.size());
  };
  if (timestamps) {
    auto colon = fields[0].find(':');
    if (colon == std::string::npos) throw std::runtime_error("unexpected timestamp field: " + fields[0]);
    r.timestamp_type = fields[0].substr(0, colon);
    r.timestamp = std::stoll(fields[0].substr(colon + 1));
  }
  r.partition = std::stoi(after(fields[base], "Partition:"));
  r.offset = std::stoll(after(fields[base + 1], "Offset:"));
  if (fields[base + 2] != "NO_HEADERS") {
    for (const auto& h : split(fields[base + 2], ',')) {
      auto colon = h.find(':');
      if (colon == std::string::npos) throw std::runtime_error("unexpected header: " + h);
      auto v = h.substr(colon + 1);
      r.headers.emplace_back(h.substr(0, colon), v == "null" ? std::nullopt : std::optional<std::string>(v));
    }
  }
  auto nullable = [](const std::string& f) { return f == "null" ? std::nullopt : std::optional<std::string>(f); };
  r.key = nullable(fields[base + 3]);
  r.value = nullable(fields[base + 4]);
  return r;
}

// Reads `max` records of `topic` from the earliest offset with Kafka's ConsoleConsumer. Returns what it got: fewer
// than `max` if the consumer went idle for idle_timeout first (the caller's assertions then show what is missing).
inline std::vector<consumed_record> consume(const std::string& topic, std::size_t max, consume_options o = {}) {
  std::vector<std::string> args{kafka_script(), "consume", topic, "--max", std::to_string(max), "--timeout-ms",
                                std::to_string(o.idle_timeout.count())};
  if (o.timestamps) args.push_back("--timestamp");
  if (o.read_committed) args.push_back("--read-committed");
  auto r = run_command(args);
  std::vector<consumed_record> records;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) records.push_back(parse_consumed_line(line, o.timestamps));
  // Exit status 1 with a TimeoutException is how ConsoleConsumer ends when fewer than `max` records exist.
  if (r.exit_code != 0 && records.size() >= max) throw std::runtime_error("consume " + topic + " failed:\n" + r.err);
  if (r.exit_code != 0 && r.err.find("TimeoutException") == std::string::npos)
    throw std::runtime_error("consume " + topic + " failed:\n" + r.err);
  return records;
}

// The log end offset of every partition (Kafka's GetOffsetShell): how many records a fresh topic holds.
inline std::map<std::int32_t, std::int64_t> end_offsets(const std::string& topic) {
  auto out = kafka_tool({"java", "org.apache.kafka.tools.GetOffsetShell", "--bootstrap-server", bootstrap(),
                         "--topic", topic});
  std::map<std::int32_t, std::int64_t> ends;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {  // TOPIC:PARTITION:OFFSET
    auto last = line.rfind(':');
    auto mid = last == std::string::npos || last == 0 ? std::string::npos : line.rfind(':', last - 1);
    if (mid == std::string::npos) continue;
    ends[std::stoi(line.substr(mid + 1, last - mid - 1))] = std::stoll(line.substr(last + 1));
  }
  return ends;
}

// The leader of every partition, from Kafka's TopicCommand --describe ("... Partition: 0	Leader: 2 ...").
inline std::map<std::int32_t, std::int32_t> partition_leaders(const std::string& topic) {
  auto out = kafka_tool({"java", "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap(),
                         "--describe", "--topic", topic});
  std::map<std::int32_t, std::int32_t> leaders;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto p = line.find("Partition: ");
    auto l = line.find("Leader: ");
    if (p == std::string::npos || l == std::string::npos) continue;
    leaders[std::stoi(line.substr(p + 11))] = std::stoi(line.substr(l + 8));
  }
  return leaders;
}

// Runs `io` until done() is true or `timeout` passed; returns done(). Restarts the context if it ran out of work
// (completions may still be posted later by another thread's work, e.g. a std::thread running a tool).
template <class Predicate>
bool run_until(boost::asio::io_context& io, Predicate done, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    auto slice = std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(100));
    if (io.run_one_for(slice) == 0 && io.stopped()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace kafkio::test
