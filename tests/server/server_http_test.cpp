// kafkio-server's HTTP/1.1 handling, byte by byte over raw sockets: request smuggling (RFC 9112 §6), malformed
// chunked bodies, Expect: 100-continue, HEAD, Host, over-long targets, HTTP/2 prefaces. The broker is the
// librdkafka mock cluster (label mock); what reached it is read from the server's own counters, and the same
// smuggling attempt against real Kafka is read back with Kafka's console consumer in server_api_test.cpp.
#include "server_harness.hpp"
#include "support/mock_cluster.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>

namespace kt = kafkio_server::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* json_v2 = "application/vnd.kafka.json.v2+json";

class ServerHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock_ = new kafkio::test::mock_cluster({.brokers = 1});
    mock_->command("topic events 1 1");
    server_ = new kt::server_process({"--workers", "1", "--bootstrap", mock_->bootstrap(), "--max-uri-bytes", "1024",
                                      "--max-header-bytes", "4K"},
                                     false);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete mock_;
  }
  static unsigned short port() { return server_->port(); }
  static double produced() {
    return kt::metric(kt::client(port()).get("/metrics").body, "kafkio_server_records_produced_total");
  }
  // Sends `bytes` on a fresh connection and returns every response until the server closes it (or 5 s pass).
  static std::vector<kt::raw_response> exchange(const std::string& bytes, bool* closed = nullptr,
                                                bool half_close = false) {
    kt::client c(port());
    c.send_raw(bytes);
    if (half_close) c.shutdown_send();
    return kt::parse_responses(c.read_until_close(5000ms, closed));
  }

  static kafkio::test::mock_cluster* mock_;
  static kt::server_process* server_;
};
kafkio::test::mock_cluster* ServerHttp::mock_ = nullptr;
kt::server_process* ServerHttp::server_ = nullptr;

const std::string smuggled_request =
    "POST /topics/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.json.v2+json\r\n"
    "Content-Length: 34\r\nConnection: close\r\n\r\n{\"records\":[{\"value\":\"SMUGGLED\"}]}";

// The attack of the issue: a body framed by a transfer coding Beast does not decode was taken for no body, and the
// "body" became a second request on the same connection.
TEST_F(ServerHttp, NonChunkedTransferEncodingIsRefusedAndClosed) {
  const double before = produced();
  for (const char* coding : {"gzip", "chunked, gzip", "xchunked", "chunked;q=1", "identity"}) {
    bool closed = false;
    auto responses = exchange(std::string("POST /topics/events HTTP/1.1\r\nHost: x\r\nContent-Type: ") + json_v2 +
                                  "\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + smuggled_request,
                              &closed);
    ASSERT_EQ(responses.size(), 1u) << coding << ": the body was read as a second request";
    EXPECT_EQ(responses[0].status, 400u) << coding;
    EXPECT_EQ(responses[0].headers[boost::beast::http::field::connection], "close") << coding;
    EXPECT_TRUE(closed) << coding;
  }
  EXPECT_EQ(produced(), before) << "a smuggled record reached Kafka";
}

TEST_F(ServerHttp, ChunkedAfterAnotherCodingIsNotImplemented) {
  const double before = produced();
  const std::string body = R"({"records":[{"value":"gzip-coded"}]})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  bool closed = false;
  auto responses = exchange(std::string("POST /topics/events HTTP/1.1\r\nHost: x\r\nContent-Type: ") + json_v2 +
                                "\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + size + "\r\n" + body + "\r\n0\r\n\r\n",
                            &closed);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 501u);
  EXPECT_TRUE(closed);
  // Split over two header lines, and on HTTP/1.0 (where no transfer coding exists at all): refused too.
  auto split = exchange(std::string("POST /topics/events HTTP/1.1\r\nHost: x\r\nContent-Type: ") + json_v2 +
                        "\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n");
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].status, 400u);
  auto old = exchange(std::string("POST /topics/events HTTP/1.0\r\nContent-Type: ") + json_v2 +
                      "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + body + "\r\n0\r\n\r\n");
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].status, 400u);
  EXPECT_EQ(produced(), before);
}

TEST_F(ServerHttp, MalformedChunkedBodiesAre400AndClosed) {
  const std::string head = std::string("POST /topics/events HTTP/1.1\r\nHost: x\r\nContent-Type: ") + json_v2 +
                           "\r\nTransfer-Encoding: chunked\r\n\r\n";
  struct bad_case {
    const char* what;
    std::string body;
    bool half_close;  // the client stops sending: the body ends early
  };
  const bad_case cases[] = {
      {"size not hex", "zz\r\n{}\r\n0\r\n\r\n", false},
      {"space before the size", " 19\r\n{\"records\":[{\"value\":1}]}\r\n0\r\n\r\n", false},
      {"negative size", "-1\r\n{}\r\n0\r\n\r\n", false},
      {"size overflows 64 bits", "10000000000000000\r\n{}\r\n0\r\n\r\n", false},
      {"size over any body limit", "ffffffffffffffff\r\n{}\r\n0\r\n\r\n", false},
      {"no CRLF after the data", "2\r\n{}XX0\r\n\r\n", false},
      {"no last chunk", "2\r\n{}\r\n", true},
      {"nothing after the size", "2\r\n", true},
  };
  for (const auto& c : cases) {
    bool closed = false;
    auto responses = exchange(head + c.body, &closed, c.half_close);
    ASSERT_EQ(responses.size(), 1u) << c.what << ": no answer";
    EXPECT_TRUE(responses[0].status == 400u || responses[0].status == 413u) << c.what << ": " << responses[0].status;
    EXPECT_TRUE(closed) << c.what;
  }
  // The well-formed version of the same request goes through, so the refusals above are about the framing.
  auto good = exchange(head + "19\r\n{\"records\":[{\"value\":1}]}\r\n0\r\n\r\n", nullptr, true);
  ASSERT_EQ(good.size(), 1u);
  EXPECT_EQ(good[0].status, 200u) << good[0].body;
}

TEST_F(ServerHttp, ExpectContinueIsCaseInsensitiveAndOnlyForHttp11) {
  const std::string body = R"({"records":[{"value":"after 100"}]})";
  for (const char* expect : {"100-continue", "100-Continue", "100-CONTINUE"}) {
    kt::client c(port());
    c.send_raw(std::string("POST /topics/events HTTP/1.1\r\nHost: x\r\nContent-Type: ") + json_v2 +
               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nExpect: " + expect + "\r\n\r\n");
    auto interim = c.read_available(1000ms);
    EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << expect << ": no 100 within 1 s: " << interim;
    c.send_raw(body);
    EXPECT_EQ(c.read_response().status, 200u) << expect;
  }
  // HTTP/1.0 has no 1xx: the client sends its body without waiting, and gets the final answer only.
  kt::client c(port());
  c.send_raw(std::string("POST /topics/events HTTP/1.0\r\nContent-Type: ") + json_v2 + "\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.read_available(300ms), "");
  c.send_raw(body);
  auto responses = kt::parse_responses(c.read_until_close(5000ms));
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200u);
}

TEST_F(ServerHttp, HeadIsGetWithoutABody) {
  kt::client c(port());
  c.send_raw("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto raw = c.read_until_close(5000ms);
  // HEAD's response announces GET's length but carries nothing, so the GET's response follows right after it.
  const auto second = raw.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << raw;
  auto head = kt::parse_responses(raw.substr(0, second), true);
  ASSERT_EQ(head.size(), 1u) << raw;
  EXPECT_EQ(head[0].status, 200u);
  EXPECT_EQ(head[0].headers[boost::beast::http::field::content_length], "3");
  EXPECT_EQ(raw.substr(0, second).find("ok\n"), std::string::npos) << "HEAD sent a body";
  auto get = kt::parse_responses(raw.substr(second));
  ASSERT_EQ(get.size(), 1u);
  EXPECT_EQ(get[0].body, "ok\n");
}

TEST_F(ServerHttp, MissingHostLongTargetsAndOtherVersions) {
  auto no_host = exchange("GET /healthz HTTP/1.1\r\n\r\n");
  ASSERT_EQ(no_host.size(), 1u);
  EXPECT_EQ(no_host[0].status, 400u);
  auto two_hosts = exchange("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  ASSERT_EQ(two_hosts.size(), 1u);
  EXPECT_EQ(two_hosts[0].status, 400u);
  auto http10 = exchange("GET /healthz HTTP/1.0\r\n\r\n");  // no Host needed
  ASSERT_EQ(http10.size(), 1u);
  EXPECT_EQ(http10[0].status, 200u);

  // Over --max-uri-bytes (1024) but within the header limit, and far beyond the header limit (4K).
  for (std::size_t n : {2000u, 20000u}) {
    auto long_target = exchange("GET /topics/" + std::string(n, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(long_target.size(), 1u) << n;
    EXPECT_EQ(long_target[0].status, 414u) << n;
  }
  auto big_header = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(6000, 'h') + "\r\n\r\n");
  ASSERT_EQ(big_header.size(), 1u);
  EXPECT_EQ(big_header[0].status, 431u);

  // HTTP/2 with prior knowledge starts with this preface; HTTP/1.2 and 2.0 request lines alike.
  for (const char* request : {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n",
                              "GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n"}) {
    bool closed = false;
    auto r = exchange(request, &closed);
    ASSERT_EQ(r.size(), 1u) << request;
    EXPECT_EQ(r[0].status, 505u) << request;
    EXPECT_TRUE(closed);
  }
}

// --- Floods: what many cheap sockets could do to a worker ------------------------------------------------------

// Raw non-blocking sockets, so one test thread can hold hundreds of connections.
struct raw_socket {
  int fd = -1;
  explicit raw_socket(unsigned short port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  ~raw_socket() {
    if (fd >= 0) ::close(fd);
  }
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;
  // Writes what the socket takes now; returns the bytes written (0 when full or closed).
  std::size_t write_some(std::string_view bytes) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  std::string read_some() {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
};

// /healthz on a fresh connection, timed; a probe that gets no answer within 3 s counts as 3 s.
std::chrono::milliseconds probe_healthz(unsigned short port) {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    kt::client c(port, 3000ms);
    if (c.get("/healthz").status != 200) return 3000ms;
  } catch (const std::exception&) {
    return 3000ms;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

struct flood_setup {
  kafkio::test::mock_cluster mock{{.brokers = 1}};
  std::optional<kt::server_process> server;
  explicit flood_setup(std::vector<std::string> extra) {
    std::vector<std::string> args{"--workers", "2", "--bootstrap", mock.bootstrap()};
    args.insert(args.end(), extra.begin(), extra.end());
    server.emplace(args, false);
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         server->workers().size() < 2 && std::chrono::steady_clock::now() < deadline;)
      std::this_thread::sleep_for(20ms);
  }
  long max_worker_rss_kib() const {
    long m = 0;
    for (pid_t w : server->workers()) m = std::max(m, kt::rss_kib(w));
    return m;
  }
};

// Two workers with room for 100 connections each, and 1,000 sockets that connect and say nothing (or say one
// request and then nothing). Before, they held every slot until a timeout (the idle one, 60 s, even before the
// first byte) and /healthz probes waited in the backlog; now idle connections make room for new ones, oldest first.
TEST(ServerFlood, IdleSocketsDoNotTakeTheServerDown) {
  flood_setup f({"--max-connections", "100"});
  const auto port = f.server->port();
  ASSERT_EQ(probe_healthz(port) < 3000ms, true);
  std::vector<std::unique_ptr<raw_socket>> idle;
  for (int i = 0; i < 1000; ++i) idle.push_back(std::make_unique<raw_socket>(port));
  for (int i = 0; i < 100; ++i) {  // and keep-alive connections that served a request and idle
    idle.push_back(std::make_unique<raw_socket>(port));
    idle.back()->write_some("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  std::this_thread::sleep_for(500ms);
  std::chrono::milliseconds worst{0};
  for (int i = 0; i < 20; ++i) worst = std::max(worst, probe_healthz(port));
  EXPECT_LT(worst, 1000ms) << "a /healthz probe waited behind idle sockets";
  auto m = kt::client(port, 3000ms).get("/metrics").body;
  EXPECT_GE(kt::metric(m, "kafkio_server_connections_shed_total"), 800) << m;
  EXPECT_LE(kt::metric(m, "kafkio_server_connections_open"), 2 * 100 + 2);
  const long rss = f.max_worker_rss_kib();
  EXPECT_LT(rss, 64 * 1024) << "worker RSS " << rss << " KiB with idle sockets";
  std::cout << "[ idle flood ] worst /healthz " << worst.count() << " ms, shed "
            << kt::metric(m, "kafkio_server_connections_shed_total") << ", worker RSS " << rss / 1024 << " MiB\n";
}

// 200 connections that each announce a 4 MiB body and send it as fast as the socket takes it. Before, every one
// was read into memory at once (~400 MB per worker); --max-body-memory (16 MiB here) bounds it, the rest get 503.
TEST(ServerFlood, BodyMemoryIsBoundedPerWorker) {
  flood_setup f({"--max-body-memory", "16M", "--max-body-bytes", "4M", "--body-timeout", "20"});
  const auto port = f.server->port();
  constexpr std::size_t body_size = 4 * 1024 * 1024;
  const std::string head = "POST /topics/flood HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                           "Content-Length: " + std::to_string(body_size) + "\r\n\r\n";
  const std::string piece(256 * 1024, 'b');
  std::vector<std::unique_ptr<raw_socket>> senders;
  std::vector<std::size_t> sent;
  for (int i = 0; i < 200; ++i) {
    senders.push_back(std::make_unique<raw_socket>(port));
    senders.back()->write_some(head);
    sent.push_back(0);
  }
  long worst_rss = 0;
  std::chrono::milliseconds worst_probe{0};
  int refused = 0;
  std::vector<bool> answered(senders.size(), false);
  for (auto until = std::chrono::steady_clock::now() + 4s; std::chrono::steady_clock::now() < until;) {
    for (std::size_t i = 0; i < senders.size(); ++i) {
      while (sent[i] < body_size) {
        auto n = senders[i]->write_some(std::string_view(piece).substr(0, std::min(piece.size(), body_size - sent[i])));
        if (n == 0) break;
        sent[i] += n;
      }
      if (!answered[i]) {
        auto got = senders[i]->read_some();
        if (!got.empty()) {
          answered[i] = true;
          refused += got.rfind("HTTP/1.1 503", 0) == 0;
          if (got.rfind("HTTP/1.1 503", 0) == 0) {
            EXPECT_NE(got.find("Retry-After: "), std::string::npos) << got;
          }
        }
      }
    }
    worst_rss = std::max(worst_rss, f.max_worker_rss_kib());
    worst_probe = std::max(worst_probe, probe_healthz(port));
  }
  EXPECT_LT(worst_rss, 96 * 1024) << "worker RSS " << worst_rss << " KiB: bodies are not bounded";
  EXPECT_LT(worst_probe, 1000ms);
  EXPECT_GE(refused, 150) << "the bodies beyond --max-body-memory were not refused";
  auto m = kt::client(port, 3000ms).get("/metrics").body;
  EXPECT_GE(kt::metric(m, "kafkio_server_bodies_refused_total"), 150);
  std::cout << "[ body flood ] worst worker RSS " << worst_rss / 1024 << " MiB, " << refused
            << " of 200 refused with 503, worst /healthz " << worst_probe.count() << " ms\n";
}

}  // namespace
