// kafkio-server as a Confluent REST Proxy client sees it, against a real Kafka: the metadata GETs of v2 and v3,
// content negotiation, and v3 produce (one record, and a stream answered record by record), with what was
// produced read back by Kafka's console consumer. Label "kafka".
#include "server_harness.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <set>

namespace kt = kafkio_server::test;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

kt::response get(unsigned short port, const std::string& target, const std::string& accept = {},
                 http::verb method = http::verb::get) {
  kt::client c(port);
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "gateway.test:8082");
  if (!accept.empty()) req.set(http::field::accept, accept);
  return c.send(std::move(req));
}

json::value body_of(const kt::response& r) { return json::parse(r.body); }

int error_code_of(const kt::response& r) { return json::parse(r.body).at("error_code").to_number<int>(); }

std::string cluster_id(unsigned short port) {
  auto r = get(port, "/v3/clusters");
  EXPECT_EQ(r.status, 200u) << r.body;
  return std::string(body_of(r).at("data").as_array().at(0).at("cluster_id").as_string());
}

// Reads an HTTP/1.1 response with a chunked body chunk by chunk, as the server writes one report per chunk.
class chunk_reader {
 public:
  explicit chunk_reader(kt::client& c) : c_(c) {}
  // The response head (status line and headers), once.
  std::string head() {
    fill_until([&] { return buf_.find("\r\n\r\n") != std::string::npos; });
    auto end = buf_.find("\r\n\r\n");
    auto h = buf_.substr(0, end + 4);
    buf_.erase(0, end + 4);
    return h;
  }
  // The next chunk's data; nullopt at the last chunk (or if the server stopped sending).
  std::optional<std::string> next() {
    if (!fill_until([&] { return buf_.find("\r\n") != std::string::npos; })) return std::nullopt;
    const auto eol = buf_.find("\r\n");
    const auto size = std::stoul(buf_.substr(0, eol), nullptr, 16);
    if (!fill_until([&] { return buf_.size() >= eol + 2 + size + 2; })) return std::nullopt;
    auto data = buf_.substr(eol + 2, size);
    buf_.erase(0, eol + 2 + size + 2);
    if (size == 0) return std::nullopt;
    return data;
  }

 private:
  template <class Done>
  bool fill_until(Done done) {
    while (!done()) {
      auto more = c_.read_available(10000ms);
      if (more.empty()) return false;
      buf_ += more;
    }
    return true;
  }
  kt::client& c_;
  std::string buf_;
};

std::string chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + data + "\r\n";
}

TEST(ServerRestProxy, V2MetadataGets) {
  auto topic = kt::unique_topic("meta2");
  kt::create_topic(topic, 3);
  kt::server_process server({"--workers", "1"});
  const auto port = server.port();

  auto list = get(port, "/topics");
  ASSERT_EQ(list.status, 200u) << list.body;
  EXPECT_EQ(list.content_type, "application/vnd.kafka.v2+json");
  std::set<std::string> names;
  const auto listed = body_of(list);  // (kept: a temporary in the range-for would die before the loop body)
  for (const auto& n : listed.as_array()) names.insert(std::string(n.as_string()));
  EXPECT_TRUE(names.count(topic)) << list.body;
  EXPECT_FALSE(names.count("__consumer_offsets"));

  auto t = get(port, "/topics/" + topic);
  ASSERT_EQ(t.status, 200u) << t.body;
  auto to = body_of(t).as_object();
  EXPECT_EQ(to.at("name").as_string(), topic);
  ASSERT_EQ(to.at("partitions").as_array().size(), 3u);
  const auto& p0 = to.at("partitions").as_array().at(0).as_object();
  EXPECT_EQ(p0.at("leader").as_int64(), 1);
  EXPECT_EQ(body_of(get(port, "/topics/" + topic + "/partitions")).as_array().size(), 3u);
  auto p2 = get(port, "/topics/" + topic + "/partitions/2");
  ASSERT_EQ(p2.status, 200u) << p2.body;
  EXPECT_EQ(body_of(p2), json::parse(R"({"partition":2,"leader":1,"replicas":[{"broker":1,"leader":true,"in_sync":true}]})"));

  auto no_partition = get(port, "/topics/" + topic + "/partitions/3");
  EXPECT_EQ(no_partition.status, 404u);
  EXPECT_EQ(error_code_of(no_partition), 40402);
  const auto missing = kt::unique_topic("never-created");
  auto no_topic = get(port, "/topics/" + missing);
  EXPECT_EQ(no_topic.status, 404u) << no_topic.body;
  EXPECT_EQ(error_code_of(no_topic), 40401);
  // Looking did not create it (the broker auto-creates topics only when a request allows it).
  EXPECT_EQ(get(port, "/topics/" + missing).status, 404u);
  EXPECT_EQ(body_of(get(port, "/brokers")), json::parse(R"({"brokers":[1]})"));
  auto head = get(port, "/topics/" + topic, {}, http::verb::head);
  EXPECT_EQ(head.status, 200u);
  EXPECT_TRUE(head.body.empty());
}

TEST(ServerRestProxy, V3MetadataGets) {
  auto topic = kt::unique_topic("meta3");
  kt::create_topic(topic, 2);
  kt::server_process server({"--workers", "1"});
  const auto port = server.port();
  const auto id = cluster_id(port);
  ASSERT_FALSE(id.empty());
  const std::string base = "http://gateway.test:8082/v3/clusters/" + id;

  auto c = get(port, "/v3/clusters/" + id);
  ASSERT_EQ(c.status, 200u) << c.body;
  EXPECT_EQ(c.content_type, "application/json");
  EXPECT_EQ(body_of(c).at("kind").as_string(), "KafkaCluster");
  EXPECT_EQ(body_of(c).at("metadata").at("self").as_string(), base);
  auto brokers = body_of(get(port, "/v3/clusters/" + id + "/brokers")).at("data").as_array();
  ASSERT_EQ(brokers.size(), 1u);
  EXPECT_EQ(brokers[0].at("broker_id").as_int64(), 1);
  EXPECT_EQ(std::to_string(brokers[0].at("port").as_int64()), kt::bootstrap().substr(kt::bootstrap().rfind(':') + 1));

  auto topics = body_of(get(port, "/v3/clusters/" + id + "/topics")).at("data").as_array();
  bool found = false;
  for (const auto& t : topics) found |= t.at("topic_name").as_string() == topic;
  EXPECT_TRUE(found);
  auto t = get(port, "/v3/clusters/" + id + "/topics/" + topic);
  ASSERT_EQ(t.status, 200u) << t.body;
  EXPECT_EQ(body_of(t).at("partitions_count").as_int64(), 2);
  EXPECT_EQ(body_of(t).at("replication_factor").as_int64(), 1);
  auto parts = body_of(get(port, "/v3/clusters/" + id + "/topics/" + topic + "/partitions")).at("data").as_array();
  ASSERT_EQ(parts.size(), 2u);
  auto p1 = get(port, "/v3/clusters/" + id + "/topics/" + topic + "/partitions/1");
  ASSERT_EQ(p1.status, 200u);
  EXPECT_EQ(body_of(p1).at("leader").at("related").as_string(), base + "/topics/" + topic + "/partitions/1/replicas/1");

  EXPECT_EQ(get(port, "/v3/clusters/not-" + id).status, 404u);
  EXPECT_EQ(get(port, "/v3/clusters/not-" + id + "/topics").status, 404u);
  EXPECT_EQ(get(port, "/v3/clusters/" + id + "/topics/" + kt::unique_topic("absent")).status, 404u);
  EXPECT_EQ(get(port, "/v3/clusters/" + id + "/topics/" + topic + "/partitions/7").status, 404u);
}

TEST(ServerRestProxy, AcceptIsNegotiated) {
  kt::server_process server({"--workers", "1"});
  const auto port = server.port();
  auto refused = get(port, "/topics", "text/html");
  EXPECT_EQ(refused.status, 406u);
  EXPECT_EQ(error_code_of(refused), 406);
  EXPECT_EQ(get(port, "/topics", "application/json").content_type, "application/json");
  EXPECT_EQ(get(port, "/topics", "application/vnd.kafka+json").content_type, "application/vnd.kafka+json");
  EXPECT_EQ(get(port, "/topics", "text/html, */*;q=0.1").content_type, "application/vnd.kafka.v2+json");
  EXPECT_EQ(get(port, "/v3/clusters", "application/vnd.kafka.v2+json").status, 406u);  // v3 speaks application/json
  // A produce request is refused before its body is read, and produces nothing.
  kt::client c(port);
  http::request<http::string_body> req{http::verb::post, "/topics/" + kt::unique_topic("accept"), 11};
  req.set(http::field::host, "x");
  req.set(http::field::content_type, "application/vnd.kafka.json.v2+json");
  req.set(http::field::accept, "application/xml");
  req.body() = R"({"records":[{"value":1}]})";
  EXPECT_EQ(c.send(std::move(req)).status, 406u);
  auto m = kt::client(port).get("/metrics").body;
  EXPECT_EQ(kt::metric(m, "kafkio_server_records_produced_total"), 0);
}

TEST(ServerRestProxy, V3ProducesOneRecord) {
  auto topic = kt::unique_topic("v3one");
  kt::create_topic(topic, 2);
  kt::server_process server({"--workers", "1"});
  const auto port = server.port();
  const auto id = cluster_id(port);
  kt::client c(port);
  http::request<http::string_body> req{http::verb::post, "/v3/clusters/" + id + "/topics/" + topic + "/records", 11};
  req.set(http::field::host, "x");
  req.set(http::field::content_type, "application/json");
  req.body() = R"({"partition_id":1,"key":{"type":"STRING","data":"k-1"},"value":{"type":"JSON","data":{"price":0.10}},)"
               R"("headers":[{"name":"trace","value":"YWJj"}],"timestamp":"2024-01-02T03:04:05.678Z"})";
  auto res = c.send(std::move(req));
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.content_type, "application/json");
  auto report = json::parse(res.body).as_object();
  EXPECT_EQ(report.at("error_code").as_int64(), 200) << res.body;
  EXPECT_EQ(report.at("cluster_id").as_string(), id);
  EXPECT_EQ(report.at("topic_name").as_string(), topic);
  EXPECT_EQ(report.at("partition_id").as_int64(), 1);
  EXPECT_EQ(report.at("timestamp").as_string(), "2024-01-02T03:04:05.678Z");
  EXPECT_EQ(report.at("key").at("type").as_string(), "STRING");
  EXPECT_EQ(report.at("value").at("size").as_int64(), 14);
  EXPECT_EQ(c.get("/healthz").status, 200u);  // the connection stays usable

  auto got = kt::run_command({kt::kafka_script(), "consume", topic, "--max", "1", "--timeout-ms", "20000", "--timestamp"});
  EXPECT_NE(got.out.find("CreateTime:1704164645678\tPartition:1\tOffset:" +
                         std::to_string(report.at("offset").as_int64()) + "\ttrace:abc\tk-1\t{\"price\":0.10}"),
            std::string::npos)
      << got.out;
}

// Streaming mode: the client sends a record, waits for its report, sends the next; then several at once.
TEST(ServerRestProxy, V3StreamsRecordsAndReportsOneByOne) {
  auto topic = kt::unique_topic("v3stream");
  kt::create_topic(topic, 1);
  kt::server_process server({"--workers", "1"});
  const auto port = server.port();
  const auto id = cluster_id(port);
  kt::client c(port);
  c.send_raw("POST /v3/clusters/" + id + "/topics/" + topic + "/records HTTP/1.1\r\nHost: x\r\n"
             "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  auto record = [](int i) { return R"({"value":{"type":"STRING","data":"r)" + std::to_string(i) + R"("}})"; };
  chunk_reader reader(c);
  c.send_raw(chunk(record(1)));
  EXPECT_NE(reader.head().find("HTTP/1.1 200 OK"), std::string::npos);
  std::vector<json::object> reports;
  auto next_report = [&] {
    auto data = reader.next();
    EXPECT_TRUE(data) << "no report";
    reports.push_back(json::parse(data.value_or("{}")).as_object());
    return reports.back();
  };
  EXPECT_EQ(next_report().at("error_code").as_int64(), 200);  // answered while the request is still open
  c.send_raw(chunk(record(2)));
  EXPECT_EQ(next_report().at("error_code").as_int64(), 200);
  // Three records and a bad one in one chunk, split mid-record across chunks too.
  const std::string batch = record(3) + "\n" + R"({"value":{"type":"AVRO","data":{}}})" + record(4) + " " + record(5);
  c.send_raw(chunk(batch.substr(0, 20)) + chunk(batch.substr(20)) + "0\r\n\r\n");
  next_report();
  auto bad = next_report();
  EXPECT_EQ(bad.at("error_code").as_int64(), 400) << json::serialize(bad);
  next_report();
  next_report();
  EXPECT_FALSE(reader.next()) << "the response did not end after the last record";
  std::vector<std::int64_t> offsets;
  for (const auto& r : reports)
    if (r.at("error_code").as_int64() == 200) offsets.push_back(r.at("offset").as_int64());
  ASSERT_EQ(offsets.size(), 5u);
  for (std::size_t i = 1; i < offsets.size(); ++i) EXPECT_EQ(offsets[i], offsets[i - 1] + 1);  // in order
  EXPECT_EQ(c.get("/healthz").status, 200u);  // keep-alive after the stream

  auto got = kt::consume(topic, 5);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)].value, "r" + std::to_string(i + 1));
    EXPECT_EQ(got[static_cast<std::size_t>(i)].offset, offsets[static_cast<std::size_t>(i)]);
  }
}

TEST(ServerRestProxy, FailedSaslAuthenticationIs401) {
  auto sasl = kt::run_command({kt::kafka_script(), "bootstrap", "--sasl"}).out;
  while (!sasl.empty() && (sasl.back() == '\n' || sasl.back() == ' ')) sasl.pop_back();
  ASSERT_FALSE(sasl.empty());
  kt::server_process server({"--workers", "1", "--bootstrap", sasl, "-X", "security.protocol=SASL_PLAINTEXT", "-X",
                             "sasl.mechanism=PLAIN", "-X", "sasl.username=alice", "-X", "sasl.password=wrong", "-X",
                             "max.block.ms=5000"},
                            false);
  kt::client c(server.port());
  auto r = c.post("/topics/" + kt::unique_topic("sasl"), "application/vnd.kafka.json.v2+json",
                  R"({"records":[{"value":1}]})");
  EXPECT_EQ(r.status, 401u) << r.body;
  auto offsets = json::parse(r.body).at("offsets").as_array();
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0].at("error_code").as_int64(), 40101) << r.body;
}

}  // namespace
