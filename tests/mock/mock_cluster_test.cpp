// Tests of tests/support/mock_cluster.hpp against the real kafkio-mock-cluster program. They talk to the mock
// brokers with hand-encoded ApiVersions requests over plain sockets (no Asio, no kafkio), which pins down what the
// librdkafka 2.0.2 mock actually answers, so kafkio's own tests know what to expect from it.
#include "support/mock_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using kafkio::test::mock_cluster;
using bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

class socket_fd {
 public:
  explicit socket_fd(int fd) : fd_(fd) {}
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  ~socket_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// A connected socket to 127.0.0.1:port, or std::nullopt with errno set by connect().
std::optional<int> connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return std::nullopt;
  }
  return fd;
}

void put16(bytes& b, int v) {
  b.push_back(static_cast<std::uint8_t>((v >> 8) & 0xff));
  b.push_back(static_cast<std::uint8_t>(v & 0xff));
}
void put32(bytes& b, std::int64_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>((v >> shift) & 0xff));
}
int get16(const bytes& b, std::size_t at) { return static_cast<std::int16_t>((b.at(at) << 8) | b.at(at + 1)); }
std::int32_t get32(const bytes& b, std::size_t at) {
  return static_cast<std::int32_t>((std::uint32_t{b.at(at)} << 24) | (std::uint32_t{b.at(at + 1)} << 16) |
                                   (std::uint32_t{b.at(at + 2)} << 8) | b.at(at + 3));
}

// ApiVersions request, framed. v0-v2: request header v1 and an empty body. v3: request header v2 (tagged fields)
// and a body with ClientSoftwareName/Version as compact strings.
bytes api_versions_request(int version, std::int32_t correlation_id) {
  bytes msg;
  put16(msg, 18);
  put16(msg, version);
  put32(msg, correlation_id);
  const std::string client_id = "kafkio-test";
  put16(msg, static_cast<int>(client_id.size()));
  msg.insert(msg.end(), client_id.begin(), client_id.end());
  if (version >= 3) {
    msg.push_back(0);  // header tagged fields
    for (const std::string s : {"kafkio", "0.1"}) {
      msg.push_back(static_cast<std::uint8_t>(s.size() + 1));
      msg.insert(msg.end(), s.begin(), s.end());
    }
    msg.push_back(0);  // body tagged fields
  }
  bytes framed;
  put32(framed, static_cast<std::int64_t>(msg.size()));
  framed.insert(framed.end(), msg.begin(), msg.end());
  return framed;
}

// Reads exactly n bytes within the deadline; std::nullopt on close, error or timeout.
std::optional<bytes> read_exact(int fd, std::size_t n, steady_clock::time_point deadline) {
  bytes out(n);
  std::size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
    const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) return std::nullopt;
    got += static_cast<std::size_t>(r);
  }
  return out;
}

struct api_versions_response {
  std::int32_t correlation_id = 0;
  int error_code = 0;
  std::map<int, std::pair<int, int>> ranges;  // ApiKey -> (min, max); parsed for v0 bodies only
  bytes raw;                                   // response without the size prefix
  milliseconds elapsed{};
};

// Sends ApiVersions vN to the broker at port and reads the response (header v0: correlation id only).
std::optional<api_versions_response> api_versions(std::uint16_t port, int version, std::int32_t correlation_id = 7) {
  const auto fd = connect_loopback(port);
  if (!fd) return std::nullopt;
  socket_fd sock(*fd);
  const auto start = steady_clock::now();
  const bytes request = api_versions_request(version, correlation_id);
  if (::send(sock.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
    return std::nullopt;
  const auto deadline = start + std::chrono::seconds(5);
  const auto size = read_exact(sock.get(), 4, deadline);
  if (!size) return std::nullopt;
  const std::int32_t length = get32(*size, 0);
  if (length < 6 || length > 1 << 20) return std::nullopt;
  auto body = read_exact(sock.get(), static_cast<std::size_t>(length), deadline);
  if (!body) return std::nullopt;
  api_versions_response r;
  r.elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  r.correlation_id = get32(*body, 0);
  r.error_code = get16(*body, 4);
  r.raw = *body;
  if (version == 0) {
    const std::int32_t count = get32(*body, 6);
    for (std::int32_t i = 0; i < count && 10 + 6 * static_cast<std::size_t>(i) + 6 <= body->size(); ++i) {
      const std::size_t at = 10 + 6 * static_cast<std::size_t>(i);
      r.ranges[get16(*body, at)] = {get16(*body, at + 2), get16(*body, at + 4)};
    }
  }
  return r;
}

constexpr int kProduce = 0, kFetch = 1, kMetadata = 3, kSaslHandshake = 17, kApiVersions = 18;
constexpr int kInitProducerId = 22, kSaslAuthenticate = 36;
constexpr int kUnsupportedVersion = 35, kCorruptMessage = 2, kUnknownTopicOrPartition = 3;

TEST(MockCluster, ReportsOneLoopbackAddressPerBrokerAndEachAccepts) {
  mock_cluster mock({.brokers = 3});
  ASSERT_EQ(mock.brokers().size(), 3u);
  EXPECT_GT(mock.pid(), 0);
  std::string joined;
  for (const auto& b : mock.brokers()) {
    EXPECT_EQ(b.host, "127.0.0.1");
    EXPECT_NE(b.port, 0);
    const auto fd = connect_loopback(b.port);
    ASSERT_TRUE(fd) << "port " << b.port;
    ::close(*fd);
    joined += (joined.empty() ? "" : ",") + b.host + ":" + std::to_string(b.port);
  }
  EXPECT_EQ(joined, mock.bootstrap());
  EXPECT_EQ(mock.command("bootstrap"), mock.bootstrap());
}

TEST(MockCluster, AdvertisesNonFlexibleVersionsAndNoSasl) {
  mock_cluster mock({.brokers = 1});
  const auto r = api_versions(mock.brokers()[0].port, 0, 4242);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->correlation_id, 4242);
  EXPECT_EQ(r->error_code, 0);
  // librdkafka 2.0.2's mock: Produce up to v7, Metadata only up to v2 (Kafka 4.x brokers start at v4), no SASL.
  EXPECT_EQ(r->ranges.at(kProduce), std::make_pair(0, 7));
  EXPECT_EQ(r->ranges.at(kFetch), std::make_pair(0, 11));
  EXPECT_EQ(r->ranges.at(kMetadata), std::make_pair(0, 2));
  EXPECT_EQ(r->ranges.at(kApiVersions), std::make_pair(0, 2));
  EXPECT_EQ(r->ranges.at(kInitProducerId), std::make_pair(0, 4));
  EXPECT_EQ(r->ranges.count(kSaslHandshake), 0u);
  EXPECT_EQ(r->ranges.count(kSaslAuthenticate), 0u);
}

TEST(MockCluster, RejectsApiVersionsV3WithUnsupportedVersion) {
  mock_cluster mock({.brokers = 1});
  const auto r = api_versions(mock.brokers()[0].port, 3, 99);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->correlation_id, 99);
  EXPECT_EQ(r->error_code, kUnsupportedVersion);
  // Unlike a real broker (KIP-511: a v0-format body), the rest is not a v0 ApiKeys array: an int32 count read
  // here would be 0x01001200. Clients must act on the error code alone and retry with v0.
  ASSERT_GE(r->raw.size(), 10u);
  EXPECT_EQ(get32(r->raw, 6), 0x01001200);
}

TEST(MockCluster, ApiVersionCommandNarrowsTheAdvertisedRange) {
  mock_cluster mock({.brokers = 1});
  EXPECT_EQ(mock.command("apiversion Produce 3 5"), "");
  const auto r = api_versions(mock.brokers()[0].port, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ranges.at(kProduce), std::make_pair(3, 5));
  EXPECT_EQ(r->ranges.at(kFetch), std::make_pair(0, 11));
}

TEST(MockCluster, ClusterWideErrorsAreReturnedInOrderThenCleared) {
  mock_cluster mock({.brokers = 2});
  mock.command("errors ApiVersions 35 INVALID_MSG");  // librdkafka spells CORRUPT_MESSAGE (2) INVALID_MSG
  const auto port = mock.brokers()[1].port;
  const auto first = api_versions(port, 0), second = api_versions(port, 0), third = api_versions(port, 0);
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->error_code, kUnsupportedVersion);
  EXPECT_EQ(second->error_code, kCorruptMessage);
  EXPECT_EQ(third->error_code, 0);

  mock.command("errors ApiVersions 35");
  mock.command("clear-errors ApiVersions");
  const auto after_clear = api_versions(port, 0);
  ASSERT_TRUE(after_clear);
  EXPECT_EQ(after_clear->error_code, 0);
}

TEST(MockCluster, BrokerErrorsHitOnlyThatBrokerAndAreCounted) {
  mock_cluster mock({.brokers = 2});
  mock.command("broker-errors 2 ApiVersions UNKNOWN_TOPIC_OR_PART:0 3:0");
  EXPECT_EQ(mock.command("error-count 2 18"), "2");
  EXPECT_EQ(mock.command("error-count 1 18"), "0");

  const auto on_broker1 = api_versions(mock.brokers()[0].port, 0);
  ASSERT_TRUE(on_broker1);
  EXPECT_EQ(on_broker1->error_code, 0);
  const auto on_broker2 = api_versions(mock.brokers()[1].port, 0);
  ASSERT_TRUE(on_broker2);
  EXPECT_EQ(on_broker2->error_code, kUnknownTopicOrPartition);
  EXPECT_EQ(mock.command("error-count 2 ApiVersions"), "1");
}

TEST(MockCluster, RttDelaysEveryResponseOfThatBroker) {
  mock_cluster mock({.brokers = 2});
  mock.command("rtt 1 300");
  const auto slow = api_versions(mock.brokers()[0].port, 0);
  const auto other = api_versions(mock.brokers()[1].port, 0);
  ASSERT_TRUE(slow && other);
  EXPECT_GE(slow->elapsed, milliseconds(300));
  EXPECT_LT(other->elapsed, milliseconds(300));
  mock.command("rtt -1 0");
  const auto fast = api_versions(mock.brokers()[0].port, 0);
  ASSERT_TRUE(fast);
  EXPECT_LT(fast->elapsed, milliseconds(300));
}

TEST(MockCluster, DownBrokerRefusesAndClosesConnectionsUntilUp) {
  mock_cluster mock({.brokers = 2});
  const auto port = mock.brokers()[0].port;
  const auto open = connect_loopback(port);
  ASSERT_TRUE(open);
  socket_fd established(*open);

  mock.command("down 1");
  errno = 0;
  const bool connected = connect_loopback(port).has_value();
  const int connect_errno = errno;
  EXPECT_FALSE(connected);
  EXPECT_EQ(connect_errno, ECONNREFUSED);
  char byte;
  pollfd p{established.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "the established connection was not closed";
  EXPECT_LE(::recv(established.get(), &byte, 1, 0), 0);
  EXPECT_TRUE(api_versions(mock.brokers()[1].port, 0)) << "broker 2 must stay up";

  mock.command("up 1");
  const auto back = api_versions(port, 0);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->error_code, 0);
}

TEST(MockCluster, TopicLeaderAndOtherCommandsReplyOkOrError) {
  mock_cluster mock({.brokers = 3});
  EXPECT_EQ(mock.send("topic orders 6 3"), "ok");
  EXPECT_EQ(mock.send("leader orders 0 2"), "ok");
  EXPECT_EQ(mock.send("leader orders 0 -1"), "ok");
  EXPECT_EQ(mock.send("follower orders 1 3"), "ok");
  EXPECT_EQ(mock.send("topic-error orders UNKNOWN_TOPIC_OR_PART"), "ok");
  EXPECT_EQ(mock.send("coordinator group g1 2"), "ok");
  EXPECT_EQ(mock.send("rack 1 rack-a"), "ok");
  EXPECT_EQ(mock.send("leader orders 0 9").rfind("error BROKER_NOT_AVAILABLE", 0), 0u);
  EXPECT_EQ(mock.send("coordinator team g1 2").rfind("error ", 0), 0u);
  EXPECT_EQ(mock.send("rtt one 5"), "error not a number: 'one'");
  EXPECT_EQ(mock.send("errors NoSuchApi 6"), "error unknown API 'NoSuchApi'");
  EXPECT_EQ(mock.send("errors Produce NO_SUCH_ERROR"), "error unknown error 'NO_SUCH_ERROR'");
  EXPECT_EQ(mock.send("frobnicate"), "error unknown command 'frobnicate' (try help)");
  EXPECT_THROW(mock.command("frobnicate"), std::runtime_error);
  EXPECT_NE(mock.command("help").find("broker-errors"), std::string::npos);
  // Comments and blank lines get no reply: the next reply still belongs to the next command.
  EXPECT_EQ(mock.send("# a comment\n\nrtt 1 0"), "ok");
}

TEST(MockCluster, StopEndsTheProcessAndClosesItsPorts) {
  mock_cluster mock({.brokers = 2});
  const auto port = mock.brokers()[0].port;
  const pid_t pid = mock.pid();
  EXPECT_EQ(mock.stop(), 0);
  EXPECT_EQ(mock.stop(), 0) << "stop() is idempotent";
  EXPECT_EQ(mock.pid(), -1);
  EXPECT_NE(::kill(pid, 0), 0) << "the child was reaped";
  EXPECT_FALSE(connect_loopback(port));
  EXPECT_THROW(mock.send("rtt 1 0"), std::runtime_error);
}

TEST(MockCluster, DestructorReapsTheChild) {
  pid_t pid = 0;
  {
    mock_cluster mock({.brokers = 1});
    pid = mock.pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  const int rc = ::kill(pid, 0);
  const int kill_errno = errno;
  EXPECT_NE(rc, 0);
  EXPECT_EQ(kill_errno, ESRCH);
}

TEST(MockCluster, MissingExecutableThrows) {
  mock_cluster::options opts;
  opts.executable = "/nonexistent/kafkio-mock-cluster";
  EXPECT_THROW(mock_cluster{opts}, std::system_error);
}

TEST(MockCluster, InvalidBrokerCountMakesTheProgramExitAndTheHelperThrow) {
  EXPECT_THROW(mock_cluster({.brokers = 0}), std::runtime_error);
}

}  // namespace
