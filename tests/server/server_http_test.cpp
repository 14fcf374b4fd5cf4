// kafkio-server's HTTP/1.1 handling, byte by byte over raw sockets: request smuggling (RFC 9112 §6), malformed
// chunked bodies, Expect: 100-continue, HEAD, Host, over-long targets, HTTP/2 prefaces. The broker is the
// librdkafka mock cluster (label mock); what reached it is read from the server's own counters, and the same
// smuggling attempt against real Kafka is read back with Kafka's console consumer in server_api_test.cpp.
#include "server_harness.hpp"
#include "support/mock_cluster.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

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

}  // namespace
