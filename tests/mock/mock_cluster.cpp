// kafkio-mock-cluster: a librdkafka mock Kafka cluster (rdkafka_mock.h) on loopback, driven over stdin/stdout.
// Test-only: it links Debian's librdkafka; the kafkio library never does.
//
// Usage: kafkio-mock-cluster [--brokers N]            (N = 1..16, default 3; broker ids are 1..N)
//
// Protocol. First stdout line: the bootstrap list, e.g. "127.0.0.1:40231,127.0.0.1:35537,127.0.0.1:41865".
// Then one command per stdin line; every command gets exactly one reply line on stdout:
//   "ok", "ok VALUE" or "error MESSAGE". Blank lines and lines starting with '#' get no reply.
// End of input behaves like "quit". librdkafka's own log lines go to stderr.
//
// Commands (BROKER is a broker id, or -1 for every broker; API is a Kafka ApiKey number or name such as Produce,
// Metadata, ApiVersions, InitProducerId; ERR is a Kafka error code number, e.g. 6, or librdkafka's name for it,
// e.g. NOT_LEADER_FOR_PARTITION, or -195 / _TRANSPORT to make the broker drop the connection):
//   bootstrap                          -> ok LIST
//   topic NAME PARTITIONS REPLICATION  create a topic (the mock also auto-creates topics on Metadata requests)
//   leader TOPIC PARTITION BROKER      move a partition's leader (BROKER -1: leader-less)
//   follower TOPIC PARTITION BROKER    set the preferred read replica
//   rtt BROKER MS                      delay every response of BROKER by MS milliseconds
//   down BROKER | up BROKER            close the broker's connections and refuse new ones / accept again
//                                      (no leader change: combine with "leader" to simulate a fail-over)
//   errors API ERR [ERR...]            the next requests of type API, on any broker, fail with these errors, in order
//   broker-errors BROKER API ERR[:RTT_MS]...   same, on one broker, each optionally delayed by RTT_MS
//   error-count BROKER API             -> ok N: errors still queued on that broker for API
//   clear-errors API                   drop the queued cluster-wide errors for API
//   topic-error TOPIC ERR              Metadata reports ERR for TOPIC (ERR 0 clears)
//   coordinator group|transaction KEY BROKER    pin the coordinator of a group / transactional id
//   apiversion API MIN MAX             advertise only MIN..MAX for API (-1 -1: not at all)
//   rack BROKER RACK                   rack id reported in Metadata
//   help                               -> ok followed by the command names
//   quit                               -> ok, then the cluster shuts down and the program exits 0
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<long> parse_int(std::string_view s) {
  long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int16_t> parse_api_key(std::string_view s) {
  if (auto n = parse_int(s); n && *n >= 0 && *n < 1000) return static_cast<int16_t>(*n);
  static const std::map<std::string, int16_t> names = {
      {"produce", 0},           {"fetch", 1},           {"listoffsets", 2},       {"metadata", 3},
      {"offsetcommit", 8},      {"offsetfetch", 9},     {"findcoordinator", 10},  {"joingroup", 11},
      {"heartbeat", 12},        {"leavegroup", 13},     {"syncgroup", 14},        {"saslhandshake", 17},
      {"apiversions", 18},      {"createtopics", 19},   {"initproducerid", 22},   {"addpartitionstotxn", 24},
      {"addoffsetstotxn", 25},  {"endtxn", 26},         {"txnoffsetcommit", 28},  {"saslauthenticate", 36}};
  auto it = names.find(lower(s));
  if (it == names.end()) return std::nullopt;
  return it->second;
}

std::optional<rd_kafka_resp_err_t> parse_error(std::string_view s) {
  if (auto n = parse_int(s)) return static_cast<rd_kafka_resp_err_t>(*n);
  std::string name = lower(s);
  if (name.rfind("rd_kafka_resp_err_", 0) == 0) name.erase(0, 18);
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i)
    if (descs[i].name && lower(descs[i].name) == name) return descs[i].code;
  return std::nullopt;
}

// A command failed: the reply is "error ..." and the program carries on.
struct command_error {
  std::string message;
};

class mock_cluster {
 public:
  explicit mock_cluster(int brokers) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "client.id", "kafkio-mock-cluster", err, sizeof err);
    // Notices such as "no bootstrap.servers configured" (this handle only hosts the mock) are noise here.
    rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!handle_) throw command_error{std::string("rd_kafka_new: ") + err};
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    if (!cluster_) throw command_error{"rd_kafka_mock_cluster_new failed"};
  }
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;
  ~mock_cluster() {
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (handle_) rd_kafka_destroy(handle_);
  }

  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  // Executes one command line; returns the reply text after "ok" (often empty).
  std::string execute(const std::vector<std::string>& args) {
    const std::string& cmd = args[0];
    auto need = [&](std::size_t n, const char* usage) {
      if (args.size() != n) throw command_error{std::string("usage: ") + usage};
    };
    if (cmd == "bootstrap") return bootstrap();
    if (cmd == "help")
      return "bootstrap topic leader follower rtt down up errors broker-errors error-count clear-errors topic-error "
             "coordinator apiversion rack quit";
    if (cmd == "topic") {
      need(4, "topic NAME PARTITIONS REPLICATION");
      check(rd_kafka_mock_topic_create(cluster_, args[1].c_str(), number(args[2]), number(args[3])));
    } else if (cmd == "leader" || cmd == "follower") {
      need(4, "leader|follower TOPIC PARTITION BROKER");
      auto set = cmd == "leader" ? rd_kafka_mock_partition_set_leader : rd_kafka_mock_partition_set_follower;
      check(set(cluster_, args[1].c_str(), number(args[2]), number(args[3])));
    } else if (cmd == "rtt") {
      need(3, "rtt BROKER MS");
      check(rd_kafka_mock_broker_set_rtt(cluster_, number(args[1]), number(args[2])));
    } else if (cmd == "down" || cmd == "up") {
      need(2, "down|up BROKER");
      auto set = cmd == "down" ? rd_kafka_mock_broker_set_down : rd_kafka_mock_broker_set_up;
      check(set(cluster_, number(args[1])));
    } else if (cmd == "errors") {
      if (args.size() < 3) throw command_error{"usage: errors API ERR [ERR...]"};
      std::vector<rd_kafka_resp_err_t> errors;
      for (std::size_t i = 2; i < args.size(); ++i) errors.push_back(error(args[i]));
      rd_kafka_mock_push_request_errors_array(cluster_, api(args[1]), errors.size(), errors.data());
    } else if (cmd == "broker-errors") {
      if (args.size() < 4) throw command_error{"usage: broker-errors BROKER API ERR[:RTT_MS]..."};
      const int32_t broker = number(args[1]);
      const int16_t key = api(args[2]);
      for (std::size_t i = 3; i < args.size(); ++i) {
        // One entry per call: librdkafka appends to the broker's queue, so the order given here is kept.
        const auto colon = args[i].find(':');
        const rd_kafka_resp_err_t err = error(args[i].substr(0, colon));
        const int rtt = colon == std::string::npos ? 0 : number(args[i].substr(colon + 1));
        check(rd_kafka_mock_broker_push_request_error_rtts(cluster_, broker, key, 1, err, rtt));
      }
    } else if (cmd == "error-count") {
      need(3, "error-count BROKER API");
      size_t count = 0;
      check(rd_kafka_mock_broker_error_stack_cnt(cluster_, number(args[1]), api(args[2]), &count));
      return std::to_string(count);
    } else if (cmd == "clear-errors") {
      need(2, "clear-errors API");
      rd_kafka_mock_clear_request_errors(cluster_, api(args[1]));
    } else if (cmd == "topic-error") {
      need(3, "topic-error TOPIC ERR");
      rd_kafka_mock_topic_set_error(cluster_, args[1].c_str(), error(args[2]));
    } else if (cmd == "coordinator") {
      need(4, "coordinator group|transaction KEY BROKER");
      if (args[1] != "group" && args[1] != "transaction") throw command_error{"coordinator type: group|transaction"};
      check(rd_kafka_mock_coordinator_set(cluster_, args[1].c_str(), args[2].c_str(), number(args[3])));
    } else if (cmd == "apiversion") {
      need(4, "apiversion API MIN MAX");
      check(rd_kafka_mock_set_apiversion(cluster_, api(args[1]), static_cast<int16_t>(number(args[2])),
                                         static_cast<int16_t>(number(args[3]))));
    } else if (cmd == "rack") {
      need(3, "rack BROKER RACK");
      check(rd_kafka_mock_broker_set_rack(cluster_, number(args[1]), args[2].c_str()));
    } else {
      throw command_error{"unknown command '" + cmd + "' (try help)"};
    }
    return {};
  }

 private:
  static void check(rd_kafka_resp_err_t err) {
    if (err) throw command_error{std::string(rd_kafka_err2name(err)) + ": " + rd_kafka_err2str(err)};
  }
  static int number(const std::string& s) {
    auto n = parse_int(s);
    if (!n || *n < -1000000000 || *n > 1000000000) throw command_error{"not a number: '" + s + "'"};
    return static_cast<int>(*n);
  }
  static int16_t api(const std::string& s) {
    if (auto key = parse_api_key(s)) return *key;
    throw command_error{"unknown API '" + s + "'"};
  }
  static rd_kafka_resp_err_t error(const std::string& s) {
    if (auto err = parse_error(s)) return *err;
    throw command_error{"unknown error '" + s + "'"};
  }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "--brokers") {
    const long n = parse_int(args[1]).value_or(0);
    brokers = n >= 1 && n <= 16 ? static_cast<int>(n) : 0;
  } else if (!args.empty()) {
    brokers = 0;
  }
  if (brokers == 0) {
    std::cerr << "usage: kafkio-mock-cluster [--brokers 1..16] (commands on stdin, see the source)\n";
    return 2;
  }
  try {
    mock_cluster cluster(brokers);
    std::cout << cluster.bootstrap() << std::endl;
    for (std::string line; std::getline(std::cin, line);) {
      const auto args = split(line);
      if (args.empty() || args[0][0] == '#') continue;
      if (args[0] == "quit") break;
      try {
        const std::string value = cluster.execute(args);
        std::cout << (value.empty() ? "ok" : "ok " + value) << std::endl;
      } catch (const command_error& e) {
        std::cout << "error " << e.message << std::endl;
      }
    }
    std::cout << "ok" << std::endl;  // the reply to quit (or to end of input, where nobody reads it)
  } catch (const command_error& e) {
    std::cerr << "kafkio-mock-cluster: " << e.message << '\n';
    return 1;
  }
  return 0;
}
