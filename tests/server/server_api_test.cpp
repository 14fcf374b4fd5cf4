// kafkio-server's HTTP API against a real Kafka: every endpoint and error path, records read back with Kafka's
// ConsoleConsumer and compared field by field. Label "kafka" (scripts/with-kafka ctest -L kafka).
#include "server_harness.hpp"

#include "base64.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

namespace kt = kafkio_server::test;
namespace json = boost::json;
using namespace std::chrono_literals;
using kafkio_server::base64_encode;

namespace {

constexpr const char* json_v2 = "application/vnd.kafka.json.v2+json";
constexpr const char* binary_v2 = "application/vnd.kafka.binary.v2+json";
constexpr const char* text_v2 = "application/vnd.kafka.text.v2+json";
constexpr const char* rest_type = "application/vnd.kafka.v2+json";

struct offset_entry {
  std::optional<std::int64_t> partition, offset, error_code;
  std::optional<std::string> error;
};

std::vector<offset_entry> offsets_of(const kt::response& r) {
  std::vector<offset_entry> out;
  auto doc = json::parse(r.body).as_object();
  for (const auto& e : doc.at("offsets").as_array()) {
    const auto& o = e.as_object();
    offset_entry x;
    if (!o.at("partition").is_null()) x.partition = o.at("partition").to_number<std::int64_t>();
    if (!o.at("offset").is_null()) x.offset = o.at("offset").to_number<std::int64_t>();
    if (!o.at("error_code").is_null()) x.error_code = o.at("error_code").to_number<std::int64_t>();
    if (!o.at("error").is_null()) x.error = std::string(o.at("error").as_string());
    out.push_back(x);
  }
  return out;
}

// Index consumed records by (partition, offset).
std::map<std::pair<int, long long>, kt::consumed> by_position(const std::vector<kt::consumed>& records) {
  std::map<std::pair<int, long long>, kt::consumed> m;
  for (const auto& r : records) m[{r.partition, r.offset}] = r;
  return m;
}

void expect_error_body(const kt::response& r, unsigned status, int error_code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.content_type, rest_type);
  auto doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("error_code").to_number<int>(), error_code) << r.body;
  EXPECT_FALSE(doc.at("message").as_string().empty());
}

}  // namespace

TEST(ServerApi, JsonRecordsLandInKafkaAsSent) {
  auto topic = kt::unique_topic("json");
  kt::create_topic(topic, 3);
  kt::server_process server({"--workers", "2"});
  kt::client c(server.port());
  auto res = c.post("/topics/" + topic, json_v2,
                    R"({"records":[{"key":"user-1","value":{"clicked":true,"n":1}},)"
                    R"({"key":{"id":7},"value":[1,2,3],"partition":2},)"
                    R"({"value":"no key","headers":[{"name":"trace","value":")" + base64_encode("abc") + R"("}]},)"
                    R"({"key":"tombstone","value":null,"partition":1}]})");
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.content_type, rest_type);
  auto offsets = offsets_of(res);
  ASSERT_EQ(offsets.size(), 4u);
  for (const auto& o : offsets) {
    EXPECT_FALSE(o.error_code);
    EXPECT_FALSE(o.error);
    ASSERT_TRUE(o.partition && o.offset);
  }
  EXPECT_EQ(*offsets[1].partition, 2);
  EXPECT_EQ(*offsets[3].partition, 1);

  auto got = by_position(kt::consume(topic, 4));
  ASSERT_EQ(got.size(), 4u);
  struct expected {
    std::string key, value, headers;
  };
  const expected want[] = {{"\"user-1\"", R"({"clicked":true,"n":1})", "NO_HEADERS"},
                           {R"({"id":7})", "[1,2,3]", "NO_HEADERS"},
                           {"null", "\"no key\"", "trace:abc"},
                           {"\"tombstone\"", "null", "NO_HEADERS"}};
  for (std::size_t i = 0; i < 4; ++i) {
    auto it = got.find({static_cast<int>(*offsets[i].partition), *offsets[i].offset});
    ASSERT_NE(it, got.end()) << "record " << i << " not at the offset the server reported";
    EXPECT_EQ(it->second.key, want[i].key) << i;
    EXPECT_EQ(it->second.value, want[i].value) << i;
    EXPECT_EQ(it->second.headers, want[i].headers) << i;
  }
}

TEST(ServerApi, JsonNumbersLandInKafkaExactly) {
  auto topic = kt::unique_topic("numbers");
  kt::server_process server({"--workers", "1"});
  kt::client c(server.port());
  const std::string value = R"({"price":0.1,"one":1.0,"big":123456789012345678901234567890,"e":1E5,"neg":-0})";
  auto res = c.post("/topics/" + topic, json_v2, R"({"records":[{"key":2.50,"value":)" + value + "}]}");
  ASSERT_EQ(res.status, 200u) << res.body;
  auto too_big = kt::client(server.port()).post("/topics/" + topic, json_v2, R"({"records":[{"value":1e400}]})");
  expect_error_body(too_big, 422, 422);
  auto got = kt::consume(topic, 2, 8000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].key, "2.50");
  EXPECT_EQ(got[0].value, value);
}

// RFC 9112 section 6.3: a Transfer-Encoding that does not end in chunked leaves the body length unknown. It used to be
// read as "no body", and the body as a second request: "SMUGGLED" reached Kafka.
TEST(ServerApi, SmuggledRequestNeverReachesKafka) {
  auto topic = kt::unique_topic("smuggle");
  kt::create_topic(topic, 1);
  kt::server_process server({"--workers", "1"});
  const std::string inner = R"({"records":[{"value":"SMUGGLED"}]})";
  const std::string smuggled = "POST /topics/" + topic + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + json_v2 +
                               "\r\nContent-Length: " + std::to_string(inner.size()) + "\r\nConnection: close\r\n\r\n" +
                               inner;
  for (const char* coding : {"gzip", "gzip, chunked"}) {
    kt::client c(server.port());
    c.send_raw("POST /topics/" + topic + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + json_v2 +
               "\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + smuggled);
    auto responses = kt::parse_responses(c.read_until_close(10000ms));
    ASSERT_EQ(responses.size(), 1u) << coding;
    EXPECT_GE(responses[0].status, 400u) << coding;
  }
  ASSERT_EQ(kt::client(server.port()).post("/topics/" + topic, json_v2, R"({"records":[{"value":"legit"}]})").status,
            200u);
  auto got = kt::consume(topic, 3, 8000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, "\"legit\"");
}

TEST(ServerApi, BinaryRecordsToOnePartition) {
  auto topic = kt::unique_topic("binary");
  kt::create_topic(topic, 3);
  kt::server_process server({"--workers", "1"});
  kt::client c(server.port());
  std::string body = R"({"records":[)";
  for (int i = 0; i < 20; ++i)
    body += std::string(i ? "," : "") + R"({"key":")" + base64_encode("k" + std::to_string(i)) + R"(","value":")" +
            base64_encode("binary value " + std::to_string(i)) + R"(","headers":[{"name":"i","value":")" +
            base64_encode(std::to_string(i)) + R"("}]})";
  body += "]}";
  auto res = c.post("/topics/" + topic + "/partitions/1", binary_v2, body);
  ASSERT_EQ(res.status, 200u) << res.body;
  auto offsets = offsets_of(res);
  ASSERT_EQ(offsets.size(), 20u);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    EXPECT_EQ(offsets[i].partition, 1);
    if (i > 0) {
      EXPECT_EQ(*offsets[i].offset, *offsets[i - 1].offset + 1);  // one request, one partition, in order
    }
  }
  auto got = by_position(kt::consume(topic, 20));
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    auto& r = got.at({1, *offsets[static_cast<std::size_t>(i)].offset});
    EXPECT_EQ(r.key, "k" + std::to_string(i));
    EXPECT_EQ(r.value, "binary value " + std::to_string(i));
    EXPECT_EQ(r.headers, "i:" + std::to_string(i));
  }
}

TEST(ServerApi, OctetStreamAndTextFormats) {
  auto topic = kt::unique_topic("raw");
  kt::server_process server({"--workers", "1"});
  kt::client c(server.port());
  auto raw = c.post("/topics/" + topic + "?key=the%20key", "application/octet-stream", "raw body bytes");
  ASSERT_EQ(raw.status, 200u) << raw.body;
  auto text = c.post("/topics/" + topic, text_v2, R"({"records":[{"key":"tk","value":"plain text value"}]})");
  ASSERT_EQ(text.status, 200u) << text.body;
  auto got = kt::consume(topic, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].key, "the key");
  EXPECT_EQ(got[0].value, "raw body bytes");
  EXPECT_EQ(got[1].key, "tk");
  EXPECT_EQ(got[1].value, "plain text value");
}

TEST(ServerApi, AsyncAnswers204AndStillDelivers) {
  auto topic = kt::unique_topic("async");
  std::optional<kt::server_process> server(std::in_place, std::vector<std::string>{"--workers", "2"});
  {
    kt::client c(server->port());
    for (int i = 0; i < 50; ++i) {
      auto res = c.post("/topics/" + topic + "?async=true", text_v2,
                        R"({"records":[{"value":"async-)" + std::to_string(i) + R"("}]})");
      ASSERT_EQ(res.status, 204u) << res.body;
      EXPECT_TRUE(res.body.empty());
    }
  }
  // Graceful shutdown flushes what async requests left in the producers.
  server->signal(SIGTERM);
  ASSERT_TRUE(server->wait_exit(30s));
  EXPECT_EQ(server->exit_code(), 0) << server->log();
  auto got = kt::consume(topic, 50);
  std::set<std::string> values;
  for (const auto& r : got) values.insert(r.value);
  EXPECT_EQ(values.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(values.count("async-" + std::to_string(i))) << i;
}

TEST(ServerApi, BadInputGetsRestProxyErrors) {
  auto topic = kt::unique_topic("errors");
  kt::server_process server({"--workers", "1", "--max-body-bytes", "1000", "--max-records", "5",
                             "--max-header-bytes", "2000"});
  auto post = [&](const std::string& target, const std::string& type, const std::string& body) {
    kt::client c(server.port());  // a fresh connection: error answers may close theirs
    return c.post(target, type, body);
  };
  const auto t = "/topics/" + topic;
  expect_error_body(post(t, json_v2, R"({"records":[)"), 400, 400);
  expect_error_body(post(t, binary_v2, R"({"records":[{"value":"not base64!"}]})"), 422, 422);
  expect_error_body(post(t, binary_v2, R"({"records":[]})"), 422, 422);
  expect_error_body(post(t, binary_v2, R"({"value":"aGk="})"), 422, 422);
  expect_error_body(post(t, json_v2, R"({"records":[{"value":1,"partition":"zero"}]})"), 422, 422);
  expect_error_body(post(t, json_v2, R"({"records":[{},{},{},{},{},{}]})"), 422, 422);
  expect_error_body(post(t, "application/json", R"({"records":[{"value":1}]})"), 415, 415);
  expect_error_body(post(t, "text/plain", "x"), 415, 415);
  expect_error_body(post(t, "application/octet-stream", std::string(2000, 'x')), 413, 413);
  expect_error_body(post(t + "?async=perhaps", json_v2, R"({"records":[{"value":1}]})"), 400, 400);
  expect_error_body(post("/nothing/here", json_v2, "{}"), 404, 404);
  expect_error_body(post(t + "/partitions/x", json_v2, R"({"records":[{"value":1}]})"), 404, 40402);
  {
    kt::client c(server.port());
    expect_error_body(c.request(boost::beast::http::verb::put, t), 405, 405);
  }
  {
    kt::client c(server.port());
    expect_error_body(c.request(boost::beast::http::verb::post, "/healthz"), 405, 405);
  }
  {  // Chunked body over the limit: no Content-Length to refuse up front, the parser's body limit catches it.
    kt::client c(server.port());
    std::string chunk(600, 'y');
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    c.send_raw("POST " + t + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + chunk + "\r\n" + size + "\r\n" + chunk + "\r\n0\r\n\r\n");
    expect_error_body(c.read_response(), 413, 413);
  }
  {  // Headers over --max-header-bytes.
    kt::client c(server.port());
    c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(3000, 'h') + "\r\n\r\n");
    expect_error_body(c.read_response(), 431, 431);
  }
  {  // Not HTTP at all.
    kt::client c(server.port());
    c.send_raw("HELLO\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 400u);
  }

  // A partition or topic that does not exist is REST Proxy's 404 with 40402 / 40401 when every record failed so;
  // a mix of good and bad partitions is a 200 with the errors per record.
  kt::client c(server.port());
  expect_error_body(c.post(t + "/partitions/99", json_v2, R"({"records":[{"value":1}]})"), 404, 40402);
  expect_error_body(c.post("/topics/no%20such%20topic!", json_v2, R"({"records":[{"value":1},{"value":2}]})"), 404,
                    40401);
  auto mixed = c.post(t, json_v2, R"({"records":[{"value":"bad","partition":99}]})");
  expect_error_body(mixed, 404, 40402);

  // After all of that the server still serves, and the topic got nothing from the refused requests.
  auto good = c.post(t, json_v2, R"({"records":[{"value":"the only record"}]})");
  ASSERT_EQ(good.status, 200u) << good.body;
  auto got = kt::consume(topic, 2, 8000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, "\"the only record\"");
  EXPECT_EQ(server.workers().size(), 1u);
}

TEST(ServerApi, HealthReadinessAndMetrics) {
  auto topic = kt::unique_topic("metrics");
  kt::server_process server({"--workers", "1"});
  kt::client c(server.port());
  auto health = c.get("/healthz");
  EXPECT_EQ(health.status, 200u);
  // The worker fetches metadata at start-up (producer::async_connect), so it becomes ready without any record.
  int readyz_503 = 0;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);;) {
    auto status = c.get("/readyz").status;
    if (status == 200u) break;
    ASSERT_EQ(status, 503u);
    ++readyz_503;
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "never ready";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(c.post("/topics/" + topic, json_v2, R"({"records":[{"value":1},{"value":2}]})").status, 200u);
  c.post("/topics/" + topic, "text/plain", "x");  // one 415
  kt::client c2(server.port());
  auto m = c2.get("/metrics");
  ASSERT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_records_produced_total"), 6);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_records_failed_total"), 0);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_http_responses_total{code=\"200\"}"), 5);  // healthz, 1 readyz, 3 posts
  // (a status never answered has no line: metric() gives -1)
  EXPECT_EQ(std::max(0.0, kt::metric(m.body, "kafkio_server_http_responses_total{code=\"503\"}")), readyz_503);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_http_responses_total{code=\"415\"}"), 1);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_http_request_duration_seconds_count"), 5 + readyz_503 + 1);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_http_request_duration_seconds_bucket{le=\"+Inf\"}"),
            5 + readyz_503 + 1);
  EXPECT_EQ(kt::metric(m.body, "kafkio_producer_records_acked_total{worker=\"0\"}"), 6);
  EXPECT_EQ(kt::metric(m.body, "kafkio_producer_ready{worker=\"0\"}"), 1);
  EXPECT_GE(kt::metric(m.body, "kafkio_server_connections_open"), 1);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_workers"), 1);
  EXPECT_NE(m.body.find("kafkio_producer_broker_round_trip_seconds{worker=\"0\",broker=\"1\"}"), std::string::npos)
      << m.body;
}

TEST(ServerApi, NotReadyWhileKafkaIsUnreachable) {
  // Nothing listens on port 1: the worker keeps trying, /healthz says the process is up, /readyz says not ready.
  // --verbose logs every failed async_connect round (max.block.ms=300 each), so the test waits for two of them.
  kt::server_process server({"--workers", "1", "--bootstrap", "127.0.0.1:1", "-X", "max.block.ms=300", "--verbose"},
                            false);
  kt::client c(server.port());
  EXPECT_EQ(c.get("/healthz").status, 200u);  // answered by the worker, so it has been forked
  const auto first_worker = server.workers();
  ASSERT_EQ(first_worker.size(), 1u);
  auto failed_rounds = [&] {
    const auto log = server.log();
    std::size_t n = 0;
    for (auto pos = log.find("no metadata from Kafka yet"); pos != std::string::npos;
         pos = log.find("no metadata from Kafka yet", pos + 1))
      ++n;
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (failed_rounds() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  ASSERT_GE(failed_rounds(), 2u) << server.log();
  // New connections: if the worker had died, they would reach its replacement and the checks below say so.
  auto ready = kt::client(server.port()).get("/readyz");
  EXPECT_EQ(ready.status, 503u);
  EXPECT_NE(ready.body.find("no metadata from Kafka"), std::string::npos) << ready.body;
  // Failing to connect is not a crash: the same worker process, never restarted by the master.
  EXPECT_EQ(server.workers(), first_worker);
  const auto metrics = kt::client(server.port()).get("/metrics").body;
  EXPECT_EQ(kt::metric(metrics, "kafkio_server_worker_restarts_total"), 0) << metrics;
  EXPECT_EQ(kt::metric(metrics, "kafkio_producer_ready{worker=\"0\"}"), 0) << metrics;
}
