// kafkio-server's sans-io parts: base64, content types, routes, query strings, request bodies (REST Proxy v2 /
// Strimzi shapes), per-record error classification, response bodies, options, and the Prometheus rendering.
#include "base64.hpp"
#include "options.hpp"
#include "produce_request.hpp"
#include "rest_response.hpp"
#include "shared_stats.hpp"

#include <kafkio/error.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>
#include <random>

namespace ks = kafkio_server;
namespace json = boost::json;

TEST(ServerBase64, RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(7);
  for (std::size_t len = 0; len < 70; ++len) {
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    auto enc = ks::base64_encode(s);
    EXPECT_EQ(enc.size() % 4, 0u);
    auto dec = ks::base64_decode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, s);
    // Unpadded input (Java's decoder accepts it) decodes the same.
    auto unpadded = enc;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    EXPECT_EQ(ks::base64_decode(unpadded), s);
  }
}

TEST(ServerBase64, KnownVectors) {
  EXPECT_EQ(ks::base64_encode("confluent"), "Y29uZmx1ZW50");
  EXPECT_EQ(ks::base64_decode("a2Fma2E="), "kafka");
  EXPECT_EQ(ks::base64_decode(""), "");
}

TEST(ServerBase64, RefusesCorruptInput) {
  for (const char* bad : {"!!", "a", "abcde", "ab=c", "a===", "Y29u Zmx1", "Y29uZmx1ZW50=", "ab==cd==", "YR=="})
    EXPECT_FALSE(ks::base64_decode(bad)) << bad;
}

TEST(ServerContentType, AcceptsTheV2TypesOnly) {
  using ks::embedded_format;
  EXPECT_EQ(ks::format_for_content_type("application/vnd.kafka.json.v2+json"), embedded_format::json);
  EXPECT_EQ(ks::format_for_content_type("Application/VND.kafka.binary.v2+JSON; charset=utf-8"), embedded_format::binary);
  EXPECT_EQ(ks::format_for_content_type("application/vnd.kafka.text.v2+json"), embedded_format::text);
  EXPECT_EQ(ks::format_for_content_type("application/octet-stream"), embedded_format::raw);
  for (const char* t : {"", "application/json", "text/plain", "application/vnd.kafka.avro.v2+json",
                        "application/vnd.kafka.json.v1+json"})
    EXPECT_FALSE(ks::format_for_content_type(t)) << t;
}

TEST(ServerRoutes, MatchesTheApi) {
  auto r = ks::match_route("/topics/events");
  EXPECT_EQ(r.what, ks::route::kind::produce);
  EXPECT_EQ(r.topic, "events");
  EXPECT_FALSE(r.partition);
  r = ks::match_route("/topics/my%2Ebig_topic/partitions/12");
  EXPECT_EQ(r.what, ks::route::kind::produce);
  EXPECT_EQ(r.topic, "my.big_topic");
  EXPECT_EQ(r.partition, 12);
  EXPECT_TRUE(ks::match_route("/topics/t/partitions/-1").bad_partition);
  EXPECT_TRUE(ks::match_route("/topics/t/partitions/x").bad_partition);
  EXPECT_TRUE(ks::match_route("/topics/t/partitions/99999999999").bad_partition);
  EXPECT_EQ(ks::match_route("/healthz").what, ks::route::kind::healthz);
  EXPECT_EQ(ks::match_route("/readyz").what, ks::route::kind::readyz);
  EXPECT_EQ(ks::match_route("/metrics").what, ks::route::kind::metrics);
  for (const char* p : {"/", "/topics", "/topics/", "/topics/t/", "/topics/t/partitions", "/topics/t/partitions/1/x",
                        "/topics/%zz", "/topics/t/other/1"})
    EXPECT_EQ(ks::match_route(p).what, ks::route::kind::not_found) << p;
}

TEST(ServerQuery, ParsesAsyncKeyPartition) {
  ks::produce_query q;
  EXPECT_FALSE(ks::parse_query("async=true&key=a%20b+c&partition=3&other=1", q));
  EXPECT_TRUE(q.async);
  EXPECT_EQ(q.key, "a b c");
  EXPECT_EQ(q.partition, 3);
  ks::produce_query q2;
  EXPECT_FALSE(ks::parse_query("async=false", q2));
  EXPECT_FALSE(q2.async);
  for (const char* bad : {"async=maybe", "partition=-2", "partition=x", "key=%4"}) {
    ks::produce_query q3;
    auto err = ks::parse_query(bad, q3);
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->status, 400u);
  }
}

TEST(ServerBody, JsonFormatKeepsJsonText) {
  auto p = ks::parse_records(
      R"({"records":[{"key":"k","value":{"a":[1,2]},"partition":2},{"value":null},{"key":17,"value":"s"}]})",
      ks::embedded_format::json, {});
  ASSERT_FALSE(p.error) << p.error->message;
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].key, "\"k\"");
  EXPECT_EQ(p.records[0].value, R"({"a":[1,2]})");
  EXPECT_EQ(p.records[0].partition, 2);
  EXPECT_FALSE(p.records[1].key);
  EXPECT_FALSE(p.records[1].value);
  EXPECT_EQ(p.records[2].key, "17");
}

TEST(ServerBody, BinaryFormatDecodesKeysValuesAndHeaders) {
  auto p = ks::parse_records(
      R"({"records":[{"key":"a2V5","value":"Y29uZmx1ZW50","headers":[{"name":"h1","value":"dg=="},{"key":"h2","value":null}],"timestamp":1700000000000}]})",
      ks::embedded_format::binary, {});
  ASSERT_FALSE(p.error) << p.error->message;
  ASSERT_EQ(p.records.size(), 1u);
  const auto& r = p.records[0];
  EXPECT_EQ(r.key, "key");
  EXPECT_EQ(r.value, "confluent");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].name, "h1");
  EXPECT_EQ(r.headers[0].value, "v");
  EXPECT_EQ(r.headers[1].name, "h2");
  EXPECT_FALSE(r.headers[1].value);
  EXPECT_EQ(r.timestamp_ms, 1700000000000);
}

TEST(ServerBody, TextFormatTakesStrings) {
  auto p = ks::parse_records(R"({"records":[{"key":"k","value":"plain text"}]})", ks::embedded_format::text, {});
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.records[0].value, "plain text");
  auto bad = ks::parse_records(R"({"records":[{"value":5}]})", ks::embedded_format::text, {});
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->status, 422u);
}

TEST(ServerBody, MalformedJsonIs400AndWrongShapeIs422) {
  struct expectation {
    const char* body;
    unsigned status;
  };
  const expectation cases[] = {
      {"", 400},
      {"{", 400},
      {R"({"records":[1,)", 400},
      {"[]", 422},
      {"{}", 422},
      {R"({"records":{}})", 422},
      {R"({"records":[]})", 422},
      {R"({"records":[5]})", 422},
      {R"({"records":[{"value":"!!"}]})", 422},
      {R"({"records":[{"value":"aGk=","partition":-1}]})", 422},
      {R"({"records":[{"value":"aGk=","partition":1.5}]})", 422},
      {R"({"records":[{"value":"aGk=","partition":"1"}]})", 422},
      {R"({"records":[{"value":"aGk=","partition":4294967296}]})", 422},
      {R"({"records":[{"value":"aGk=","headers":{}}]})", 422},
      {R"({"records":[{"value":"aGk=","headers":[{"value":"aGk="}]}]})", 422},
      {R"({"records":[{"value":"aGk=","headers":[{"name":"h","value":"%%"}]}]})", 422},
      {R"({"records":[{"value":"aGk=","timestamp":"now"}]})", 422},
  };
  for (const auto& c : cases) {
    auto p = ks::parse_records(c.body, ks::embedded_format::binary, {});
    ASSERT_TRUE(p.error) << c.body;
    EXPECT_EQ(p.error->status, c.status) << c.body << ": " << p.error->message;
    EXPECT_EQ(p.error->error_code, static_cast<int>(c.status));
    EXPECT_FALSE(p.error->message.empty());
  }
}

TEST(ServerBody, EnforcesTheRecordCountLimit) {
  std::string body = R"({"records":[)";
  for (int i = 0; i < 11; ++i) body += std::string(i ? "," : "") + R"({"value":"aGk="})";
  body += "]}";
  auto p = ks::parse_records(body, ks::embedded_format::binary, {.max_records = 10});
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->status, 422u);
  EXPECT_FALSE(ks::parse_records(body, ks::embedded_format::binary, {.max_records = 11}).error);
}

TEST(ServerBody, DeepNestingIsRefusedNotACrash) {
  std::string deep(100000, '[');
  auto p = ks::parse_records(R"({"records":[{"value":)" + deep, ks::embedded_format::json, {});
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->status, 400u);
}

TEST(ServerBody, RandomBytesNeverCrash) {
  std::mt19937 rng(11);
  const std::string seed = R"({"records":[{"key":"a2V5","value":"dmFs","partition":0,"headers":[{"name":"h","value":"dg=="}]}]})";
  for (int i = 0; i < 3000; ++i) {
    std::string s = seed;
    for (int m = 0; m < 3; ++m) s[rng() % s.size()] = static_cast<char>(rng());
    auto p = ks::parse_records(s, ks::embedded_format::binary, {});
    if (p.error) EXPECT_TRUE(p.error->status == 400 || p.error->status == 422);
    else EXPECT_EQ(p.records.size(), 1u);
  }
}

TEST(ServerCharge, MatchesTheProducersFormula) {
  ks::owned_record r;
  r.key = "kk";
  r.value = "vvvv";
  r.headers.push_back({"h", "x"});
  EXPECT_EQ(ks::record_charge(r), 32u + 2 + 4 + 8 + 1 + 1);
}

TEST(ServerErrors, ClassifiesLikeRestProxy) {
  using kafkio::client_errc;
  using kafkio::kafka_errc;
  EXPECT_EQ(ks::classify(make_error_code(client_errc::unknown_topic)).error_code, 40401);
  EXPECT_EQ(ks::classify(make_error_code(client_errc::invalid_topic_name)).error_code, 40401);
  EXPECT_EQ(ks::classify(make_error_code(client_errc::unknown_partition)).error_code, 40402);
  EXPECT_EQ(ks::classify(make_error_code(client_errc::delivery_timeout)).error_code, 50003);
  EXPECT_EQ(ks::classify(make_error_code(client_errc::queue_full)).error_code, 50003);
  EXPECT_EQ(ks::classify(make_error_code(kafka_errc::not_enough_replicas)).error_code, 50003);
  EXPECT_EQ(ks::classify(make_error_code(kafka_errc::message_too_large)).error_code, 50002);
  EXPECT_EQ(ks::classify(make_error_code(client_errc::record_too_large)).error_code, 50002);
  EXPECT_NE(ks::classify(make_error_code(kafka_errc::message_too_large)).message.find("Kafka error"), std::string::npos);
}

TEST(ServerResponses, OffsetsBodyHasRestProxyShape) {
  auto text = ks::offsets_body({{{}, 2, 100}, {make_error_code(kafkio::client_errc::unknown_partition), -1, -1}});
  auto v = json::parse(text).as_object();
  EXPECT_TRUE(v.at("key_schema_id").is_null());
  auto& offsets = v.at("offsets").as_array();
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0].at("partition").as_int64(), 2);
  EXPECT_EQ(offsets[0].at("offset").as_int64(), 100);
  EXPECT_TRUE(offsets[0].at("error_code").is_null());
  EXPECT_TRUE(offsets[0].at("error").is_null());
  EXPECT_TRUE(offsets[1].at("partition").is_null());
  EXPECT_TRUE(offsets[1].at("offset").is_null());
  EXPECT_EQ(offsets[1].at("error_code").as_int64(), 40402);
  EXPECT_TRUE(offsets[1].at("error").is_string());
  auto e = json::parse(ks::error_body(422, "records may not be empty")).as_object();
  EXPECT_EQ(e.at("error_code").as_int64(), 422);
  EXPECT_EQ(e.at("message").as_string(), "records may not be empty");
}

TEST(ServerOptions, FlagsOverrideEnvironment) {
  std::map<std::string, std::string> env{{"KAFKIO_BOOTSTRAP", "env:9092"}, {"KAFKIO_SERVER_WORKERS", "3"},
                                         {"KAFKIO_SERVER_MAX_BODY_BYTES", "2M"}};
  auto lookup = [&](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(std::string(n));
    return it == env.end() ? std::nullopt : std::optional(it->second);
  };
  auto r = ks::parse_options({"--workers", "5", "--listen=:9000", "-X", "acks=1", "--idle-timeout", "2.5"}, lookup);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.options.workers, 5);
  EXPECT_EQ(r.options.max_body_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(r.options.listen_host, "0.0.0.0");
  EXPECT_EQ(r.options.listen_port, 9000);
  EXPECT_DOUBLE_EQ(r.options.idle_timeout.count(), 2.5);
  ASSERT_EQ(r.options.producer_properties.size(), 2u);
  EXPECT_EQ(r.options.producer_properties[0], (std::pair<std::string, std::string>{"bootstrap.servers", "env:9092"}));
  EXPECT_EQ(r.options.producer_properties[1], (std::pair<std::string, std::string>{"acks", "1"}));
}

TEST(ServerOptions, RefusesBadValuesWithTheirName) {
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  // Each error names what was wrong (the option, or the value given), so the user knows what to fix.
  for (const auto& [args, named] : std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
           {{"--workers", "0", "--bootstrap", "b:1"}, {"workers", "'0'"}},
           {{"--listen", "nohost", "--bootstrap", "b:1"}, {"listen", "'nohost'"}},
           {{"--max-body-bytes", "lots", "--bootstrap", "b:1"}, {"max-body-bytes", "'lots'"}},
           {{"--bogus", "--bootstrap", "b:1"}, {"--bogus"}},
           {{"-X", "novalue", "--bootstrap", "b:1"}, {"-X", "'novalue'"}},
           {{"--idle-timeout", "-1", "--bootstrap", "b:1"}, {"idle-timeout", "'-1'"}},
           {{"--workers"}, {"--workers", "needs a value"}},
           {{}, {"--bootstrap"}}}) {
    auto r = ks::parse_options(args, none);
    ASSERT_FALSE(r.error.empty()) << args.size();
    for (const auto& n : named) EXPECT_NE(r.error.find(n), std::string::npos) << "'" << n << "' not in: " << r.error;
  }
  EXPECT_TRUE(ks::parse_options({"--help"}, none).help);
  EXPECT_NE(ks::usage_text().find("KAFKIO_SERVER_MAX_CONNECTIONS"), std::string::npos);
}

TEST(ServerMetrics, RendersSumsAndCumulativeHistogram) {
  auto* s = ks::shared_stats::create(2);
  s->slot(0).count_response(200, std::chrono::milliseconds(3));
  s->slot(1).count_response(200, std::chrono::milliseconds(30));
  s->slot(1).count_response(429, std::chrono::seconds(20));
  s->slot(0).records_produced += 5;
  s->slot(1).records_produced += 2;
  s->worker_restarts += 1;
  auto text = ks::render_prometheus(*s);
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("kafkio_server_http_responses_total{code=\"200\"} 2")) << text;
  EXPECT_TRUE(has("kafkio_server_http_responses_total{code=\"429\"} 1"));
  EXPECT_TRUE(has("kafkio_server_http_request_duration_seconds_bucket{le=\"0.005\"} 1"));
  EXPECT_TRUE(has("kafkio_server_http_request_duration_seconds_bucket{le=\"0.05\"} 2"));
  EXPECT_TRUE(has("kafkio_server_http_request_duration_seconds_bucket{le=\"10\"} 2"));
  EXPECT_TRUE(has("kafkio_server_http_request_duration_seconds_bucket{le=\"+Inf\"} 3"));
  EXPECT_TRUE(has("kafkio_server_http_request_duration_seconds_count 3"));
  EXPECT_TRUE(has("kafkio_server_records_produced_total 7"));
  EXPECT_TRUE(has("kafkio_server_worker_restarts_total 1"));
  EXPECT_TRUE(has("kafkio_producer_ready{worker=\"1\"} 0"));
  EXPECT_TRUE(has("# TYPE kafkio_server_http_request_duration_seconds histogram"));
}
