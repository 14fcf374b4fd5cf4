// kafkio-server against the librdkafka mock cluster (tests/mock): the broker faults a real Kafka cannot be asked
// for on demand. Retriable errors stay invisible to HTTP clients, a non-retriable error becomes that record's
// REST Proxy error, an unreachable cluster ends in per-record timeouts (never a hang), and a slow broker does
// not serialize a worker's requests.
#include "server_harness.hpp"
#include "support/mock_cluster.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kt = kafkio_server::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* json_v2 = "application/vnd.kafka.json.v2+json";

struct offset_entry {
  std::optional<std::int64_t> offset, error_code;
};

std::vector<offset_entry> offsets_of(const kt::response& r) {
  std::vector<offset_entry> out;
  const auto doc = json::parse(r.body);  // (kept: a temporary in the range-for would die before the loop body)
  for (const auto& e : doc.as_object().at("offsets").as_array()) {
    const auto& o = e.as_object();
    offset_entry x;
    if (!o.at("offset").is_null()) x.offset = o.at("offset").to_number<std::int64_t>();
    if (!o.at("error_code").is_null()) x.error_code = o.at("error_code").to_number<std::int64_t>();
    out.push_back(x);
  }
  return out;
}

// One worker against a 3-broker mock, topic T with 1 partition on broker 1; short timeouts for the failure cases.
struct mock_setup {
  kafkio::test::mock_cluster mock{{.brokers = 3}};
  std::optional<kt::server_process> server;

  // `extra` comes after the defaults, so it may override --workers.
  explicit mock_setup(std::vector<std::string> extra = {}) {
    mock.command("topic T 1 3");
    std::vector<std::string> args{"--workers", "1", "--bootstrap", mock.bootstrap(), "-X", "retry.backoff.ms=10"};
    args.insert(args.end(), extra.begin(), extra.end());
    server.emplace(args, false);
  }
};

const std::string three_records = R"({"records":[{"value":1},{"value":2},{"value":3}]})";

TEST(ServerMock, RetriableBrokerErrorsAreRetriedNotReported) {
  mock_setup s;
  kt::client c(s.server->port());
  s.mock.command("errors Produce NOT_LEADER_FOR_PARTITION REQUEST_TIMED_OUT NOT_ENOUGH_REPLICAS");
  auto r = c.post("/topics/T", json_v2, three_records);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto offsets = offsets_of(r);
  ASSERT_EQ(offsets.size(), 3u);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    EXPECT_FALSE(offsets[i].error_code) << r.body;
    ASSERT_TRUE(offsets[i].offset) << r.body;
    EXPECT_EQ(*offsets[i].offset, offsets[0].offset.value() + static_cast<std::int64_t>(i));  // one batch, in order
  }
  auto metrics = kt::client(s.server->port()).get("/metrics");
  EXPECT_GE(kt::metric(metrics.body, "kafkio_producer_retries_total{worker=\"0\"}"), 3) << metrics.body;
}

TEST(ServerMock, NonRetriableErrorIsEachRecordsRestProxyError) {
  mock_setup s;
  kt::client c(s.server->port());
  s.mock.command("errors Produce TOPIC_AUTHORIZATION_FAILED");
  auto r = c.post("/topics/T", json_v2, three_records);
  ASSERT_EQ(r.status, 403u) << r.body;  // REST Proxy: per-record 40301, and the request 403
  for (const auto& o : offsets_of(r)) {
    EXPECT_FALSE(o.offset) << r.body;
    EXPECT_EQ(o.error_code, 40301) << r.body;
  }
  s.mock.command("errors Produce INVALID_RECORD");
  auto other = c.post("/topics/T", json_v2, three_records);
  ASSERT_EQ(other.status, 200u) << other.body;  // any other non-retriable error: 200 with 50002 per record
  for (const auto& o : offsets_of(other)) EXPECT_EQ(o.error_code, 50002) << other.body;
  EXPECT_NE(r.body.find("authoriz"), std::string::npos) << r.body;  // the broker's reason reaches the caller

  // The worker goes on: the next request succeeds.
  auto next = c.post("/topics/T", json_v2, three_records);
  ASSERT_EQ(next.status, 200u);
  for (const auto& o : offsets_of(next)) EXPECT_TRUE(o.offset) << next.body;
}

TEST(ServerMock, UnreachableClusterEndsInTimeoutsNotAHang) {
  mock_setup s({"-X", "delivery.timeout.ms=1500", "-X", "request.timeout.ms=1000", "-X", "linger.ms=0"});
  kt::client c(s.server->port());
  ASSERT_EQ(c.post("/topics/T", json_v2, three_records).status, 200u);  // connected, metadata known
  s.mock.command("down -1");
  const auto began = std::chrono::steady_clock::now();
  auto r = c.post("/topics/T", json_v2, three_records);
  const auto waited = std::chrono::steady_clock::now() - began;
  ASSERT_EQ(r.status, 200u) << r.body;
  for (const auto& o : offsets_of(r)) {
    EXPECT_FALSE(o.offset) << r.body;
    EXPECT_EQ(o.error_code, 50003) << r.body;  // retriable (a timeout): the caller may try again
  }
  EXPECT_LT(waited, 10s);  // bounded by delivery.timeout.ms, not by the outage
  EXPECT_EQ(kt::client(s.server->port()).get("/healthz").status, 200u);
  s.mock.command("up -1");
}

TEST(ServerMock, SlowBrokerDoesNotSerializeRequests) {
  // Every broker response takes 300 ms. 40 concurrent requests on one worker: a worker that blocked per request
  // (flush() per request) would need 40 x 300 ms = 12 s; kafkio-server's worker waits for all of them at once.
  mock_setup s;
  ASSERT_EQ(kt::client(s.server->port()).post("/topics/T", json_v2, three_records).status, 200u);
  s.mock.command("rtt -1 300");
  constexpr int n = 40;
  std::vector<std::future<kt::response>> answers;
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    answers.push_back(std::async(std::launch::async, [&, i] {
      kt::client c(s.server->port());
      return c.post("/topics/T", json_v2, R"({"records":[{"value":)" + std::to_string(i) + "}]}");
    }));
  std::set<std::int64_t> offsets;
  for (auto& a : answers) {
    auto r = a.get();
    ASSERT_EQ(r.status, 200u) << r.body;
    auto o = offsets_of(r);
    ASSERT_EQ(o.size(), 1u);
    ASSERT_TRUE(o[0].offset) << r.body;
    offsets.insert(*o[0].offset);
  }
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(offsets.size(), static_cast<std::size_t>(n));  // each request got its own record's offset
  EXPECT_LT(took, 6s) << "requests were answered one round trip after another";
  s.mock.command("rtt -1 0");
}

}  // namespace

namespace {

TEST(ServerMock, ReadyzTurns503DuringABrokerOutageAndBack) {
  mock_setup s({"--unready-after", "1", "-X", "reconnect.backoff.max.ms=200"});
  kt::client c(s.server->port());
  auto wait_for = [&](unsigned status, std::chrono::seconds within) {
    for (auto give_up = std::chrono::steady_clock::now() + within; std::chrono::steady_clock::now() < give_up;) {
      if (c.get("/readyz").status == status) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for(200, 20s)) << "never ready";
  s.mock.command("down -1");
  const auto down_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for(503, 6s)) << "/readyz stayed 200 with every broker down";
  EXPECT_GE(std::chrono::steady_clock::now() - down_at, 900ms) << "not ready before --unready-after passed";
  auto body = c.get("/readyz").body;
  EXPECT_NE(body.find("no connection to any broker"), std::string::npos) << body;
  EXPECT_EQ(c.get("/healthz").status, 200u);  // the process is fine: only readiness changes
  s.mock.command("up -1");
  EXPECT_TRUE(wait_for(200, 15s)) << "not ready again after the brokers came back";
}

// Requests pipelined behind one that waits for Kafka were dropped at SIGTERM (the connection closed after the first
// answer). Every request the server received gets an answer; the last one says Connection: close.
TEST(ServerMock, GracefulShutdownAnswersPipelinedRequests) {
  mock_setup s({"--graceful-timeout", "20"});
  ASSERT_EQ(kt::client(s.server->port()).post("/topics/T", json_v2, three_records).status, 200u);
  s.mock.command("rtt -1 500");
  auto request = [](int i, int j) {
    const std::string body = R"({"records":[{"value":")" + std::to_string(i) + "-" + std::to_string(j) + R"("}]})";
    return "POST /topics/T HTTP/1.1\r\nHost: x\r\nContent-Type: " + std::string(json_v2) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  constexpr int n = 20;
  std::vector<std::unique_ptr<kt::client>> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<kt::client>(s.server->port()));
    clients.back()->send_raw(request(i, 1) + request(i, 2) + request(i, 3));  // three at once, pipelined
  }
  std::this_thread::sleep_for(200ms);  // the first of each is waiting for the (slow) broker, the others are buffered
  s.server->signal(SIGTERM);
  int answered = 0;
  for (auto& c : clients) {
    bool closed = false;
    auto responses = kt::parse_responses(c->read_until_close(15000ms, &closed));
    EXPECT_TRUE(closed);
    ASSERT_EQ(responses.size(), 3u) << "a received request got no answer";
    for (const auto& r : responses) EXPECT_TRUE(r.status == 200u || r.status == 503u) << r.status << " " << r.body;
    EXPECT_EQ(responses.back().headers[boost::beast::http::field::connection], "close");
    answered += static_cast<int>(responses.size());
  }
  EXPECT_EQ(answered, 3 * n);
  ASSERT_TRUE(s.server->wait_exit(25s));
  EXPECT_EQ(s.server->exit_code(), 0) << s.server->log();
}

// gunicorn's --timeout: a worker that stops turning its event loop (here SIGSTOP) is killed and replaced.
TEST(ServerMock, HungWorkerIsReplacedAfterWorkerTimeout) {
  mock_setup s({"--workers", "2", "--worker-timeout", "2"});
  std::set<pid_t> before;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline && before.size() < 2;) {
    std::this_thread::sleep_for(20ms);
    before = s.server->workers();
  }
  ASSERT_EQ(before.size(), 2u);
  const pid_t victim = *before.begin();
  ::kill(victim, SIGSTOP);
  const auto stopped_at = std::chrono::steady_clock::now();
  std::set<pid_t> after;
  for (auto deadline = stopped_at + 10s; std::chrono::steady_clock::now() < deadline;) {
    after = s.server->workers();
    if (after.size() == 2 && !after.count(victim)) break;
    std::this_thread::sleep_for(50ms);
  }
  const auto replaced_after = std::chrono::steady_clock::now() - stopped_at;
  ASSERT_FALSE(after.count(victim)) << "the hung worker is still there:\n" << s.server->log();
  EXPECT_EQ(after.size(), 2u);
  EXPECT_GE(replaced_after, 1900ms);  // not before --worker-timeout
  EXPECT_LT(replaced_after, 6s);
  EXPECT_NE(s.server->log().find("has not answered"), std::string::npos) << s.server->log();
  // The server serves on, and says what happened.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(kt::client(s.server->port(), 5s).get("/healthz").status, 200u);
  auto m = kt::client(s.server->port()).get("/metrics").body;
  EXPECT_EQ(kt::metric(m, "kafkio_server_workers_killed_total"), 1) << m;
  EXPECT_EQ(kt::metric(m, "kafkio_server_worker_restarts_total"), 1);
}

// REST Proxy's answers for a topic that does not exist (404, 40401) and one we may not write (403, 40301), v2 and
// v3, with the mock reporting those errors in Metadata.
TEST(ServerMock, UnknownTopicIs404AndForbiddenTopicIs403) {
  mock_setup s({"-X", "max.block.ms=500"});
  s.mock.command("topic-error missing 3");   // UNKNOWN_TOPIC_OR_PARTITION
  s.mock.command("topic-error secret 29");    // TOPIC_AUTHORIZATION_FAILED
  kt::client c(s.server->port());
  auto missing = c.post("/topics/missing", json_v2, three_records);
  EXPECT_EQ(missing.status, 404u) << missing.body;
  EXPECT_EQ(json::parse(missing.body).at("error_code").as_int64(), 40401) << missing.body;
  auto secret = c.post("/topics/secret", json_v2, three_records);
  EXPECT_EQ(secret.status, 403u) << secret.body;
  for (const auto& o : offsets_of(secret)) EXPECT_EQ(o.error_code, 40301) << secret.body;
  // The metadata GETs say the same.
  EXPECT_EQ(kt::client(s.server->port()).get("/topics/missing").status, 404u);
  auto get_secret = kt::client(s.server->port()).get("/topics/secret");
  EXPECT_EQ(get_secret.status, 403u) << get_secret.body;
  // v3: per-record reports in the stream.
  auto clusters = json::parse(kt::client(s.server->port()).get("/v3/clusters").body);
  const std::string id(clusters.at("data").as_array().at(0).at("cluster_id").as_string());
  auto v3 = kt::client(s.server->port())
                .post("/v3/clusters/" + id + "/topics/missing/records", "application/json",
                      R"({"value":{"type":"STRING","data":"x"}})");
  ASSERT_EQ(v3.status, 200u) << v3.body;
  EXPECT_EQ(json::parse(v3.body).at("error_code").as_int64(), 40401) << v3.body;
}

}  // namespace
