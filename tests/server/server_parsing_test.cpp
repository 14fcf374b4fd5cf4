// kafkio-server's sans-io parts: base64, content types, routes, query strings, request bodies (REST Proxy v2 /
// Strimzi shapes), per-record error classification, response bodies, options, and the Prometheus rendering.
#include "base64.hpp"
#include "http_rules.hpp"
#include "json_exact.hpp"
#include "options.hpp"
#include "produce_request.hpp"
#include "atomic_writer.hpp"
#include "openapi.hpp"
#include "rest_metadata.hpp"
#include "rest_response.hpp"
#include "v3_records.hpp"
#include "shared_stats.hpp"

#include <kafkio/error.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <functional>
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
  EXPECT_EQ(ks::format_for_content_type("application/vnd.kafka.v2+json"), embedded_format::binary);
  for (const char* t : {"", "application/json", "text/plain", "application/vnd.kafka.avro.v2+json",
                        "application/vnd.kafka.json.v1+json"})
    EXPECT_FALSE(ks::format_for_content_type(t)) << t;
}

TEST(ServerRoutes, MatchesTheApi) {
  using kind = ks::route::kind;
  auto r = ks::match_route("/topics/events");
  EXPECT_EQ(r.what, kind::topic);
  EXPECT_FALSE(r.v3);
  EXPECT_EQ(r.topic, "events");
  EXPECT_FALSE(r.partition);
  EXPECT_TRUE(ks::is_produce(r, true));
  EXPECT_FALSE(ks::is_produce(r, false));
  r = ks::match_route("/topics/my%2Ebig_topic/partitions/12");
  EXPECT_EQ(r.what, kind::partition);
  EXPECT_EQ(r.topic, "my.big_topic");
  EXPECT_EQ(r.partition, 12);
  EXPECT_EQ(ks::match_route("/topics").what, kind::topics);
  EXPECT_EQ(ks::match_route("/brokers").what, kind::brokers);
  EXPECT_FALSE(ks::match_route("/brokers").v3);
  EXPECT_EQ(ks::match_route("/topics/t/partitions").what, kind::partitions);
  EXPECT_TRUE(ks::match_route("/topics/t/partitions/-1").bad_partition);
  EXPECT_TRUE(ks::match_route("/topics/t/partitions/x").bad_partition);
  EXPECT_TRUE(ks::match_route("/topics/t/partitions/99999999999").bad_partition);
  EXPECT_EQ(ks::match_route("/healthz").what, kind::healthz);
  EXPECT_EQ(ks::match_route("/readyz").what, kind::readyz);
  EXPECT_EQ(ks::match_route("/metrics").what, kind::metrics);
  EXPECT_EQ(ks::match_route("/openapi.json").what, kind::openapi);

  r = ks::match_route("/v3/clusters/abc-1/topics/t/records");
  EXPECT_EQ(r.what, kind::records);
  EXPECT_TRUE(r.v3);
  EXPECT_EQ(r.cluster_id, "abc-1");
  EXPECT_EQ(r.topic, "t");
  EXPECT_TRUE(ks::is_produce(r, true));
  EXPECT_EQ(ks::allowed_methods(r), "POST");
  EXPECT_EQ(ks::match_route("/v3/clusters").what, kind::clusters);
  EXPECT_EQ(ks::match_route("/v3/clusters/c").what, kind::cluster);
  EXPECT_EQ(ks::match_route("/v3/clusters/c/brokers").what, kind::brokers);
  EXPECT_EQ(ks::match_route("/v3/clusters/c/topics").what, kind::topics);
  EXPECT_EQ(ks::match_route("/v3/clusters/c/topics/t").what, kind::topic);
  EXPECT_FALSE(ks::is_produce(ks::match_route("/v3/clusters/c/topics/t"), true));  // v3 produces at .../records
  EXPECT_EQ(ks::allowed_methods(ks::match_route("/v3/clusters/c/topics/t")), "GET, HEAD");
  EXPECT_EQ(ks::allowed_methods(ks::match_route("/topics/t")), "POST, GET, HEAD");
  EXPECT_EQ(ks::match_route("/v3/clusters/c/topics/t/partitions").what, kind::partitions);
  r = ks::match_route("/v3/clusters/c/topics/t/partitions/3");
  EXPECT_EQ(r.what, kind::partition);
  EXPECT_EQ(r.partition, 3);
  for (const char* p : {"/", "/topics/", "/topics/t/", "/topics/t/partitions/1/x", "/topics/%zz", "/topics/t/other/1",
                        "/topics/t/records", "/v3", "/v3/clusters/", "/v3/clusters/c/other", "/v3/clusters/c/brokers/1",
                        "/v3/clusters/c/topics/t/records/x", "/v2/topics", "//topics"})
    EXPECT_EQ(ks::match_route(p).what, kind::not_found) << p;
}

TEST(ServerNegotiation, AcceptPicksAResponseTypeOr406) {
  const std::vector<std::string_view> v2 = {"application/vnd.kafka.v2+json", "application/vnd.kafka+json",
                                            "application/json"};
  EXPECT_EQ(ks::negotiate("", v2), "application/vnd.kafka.v2+json");
  EXPECT_EQ(ks::negotiate("*/*", v2), "application/vnd.kafka.v2+json");
  EXPECT_EQ(ks::negotiate("application/*", v2), "application/vnd.kafka.v2+json");
  EXPECT_EQ(ks::negotiate("application/json", v2), "application/json");
  EXPECT_EQ(ks::negotiate("Application/JSON; charset=utf-8", v2), "application/json");
  EXPECT_EQ(ks::negotiate("application/vnd.kafka+json", v2), "application/vnd.kafka+json");
  EXPECT_EQ(ks::negotiate("text/html, application/json;q=0.5, application/vnd.kafka.v2+json;q=0.9", v2),
            "application/vnd.kafka.v2+json");
  EXPECT_EQ(ks::negotiate("*/*;q=0.1, application/json", v2), "application/json");
  EXPECT_FALSE(ks::negotiate("text/html", v2));
  EXPECT_FALSE(ks::negotiate("application/xml, text/*", v2));
  EXPECT_FALSE(ks::negotiate("application/json;q=0", v2));
  EXPECT_FALSE(ks::negotiate("*/*;q=0", v2));
  EXPECT_FALSE(ks::negotiate("application/*, application/json;q=0, application/vnd.kafka.v2+json;q=0, "
                             "application/vnd.kafka+json;q=0",
                             v2));
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

TEST(ServerQuery, AtomicIsABooleanThatExcludesAsync) {
  ks::produce_query q;
  EXPECT_FALSE(ks::parse_query("atomic=true", q));
  EXPECT_TRUE(q.atomic);
  EXPECT_FALSE(q.async);
  ks::produce_query q2;
  EXPECT_FALSE(ks::parse_query("atomic=false&async=true", q2));
  EXPECT_FALSE(q2.atomic);
  EXPECT_TRUE(q2.async);
  ks::produce_query q3;
  auto err = ks::parse_query("atomic=yes", q3);  // true, 1, false, 0 or nothing
  ASSERT_TRUE(err);
  EXPECT_EQ(err->status, 400u);
  EXPECT_NE(err->message.find("atomic must be true or false"), std::string::npos) << err->message;
  ks::produce_query q4;
  err = ks::parse_query("async=true&atomic=true", q4);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->status, 400u);
  EXPECT_NE(err->message.find("exclude each other"), std::string::npos) << err->message;
}

TEST(ServerAtomicId, NamesTheWorkersPlace) {
  EXPECT_EQ(ks::atomic_transactional_id("kafkio-server", "web-3", 8082, 1), "kafkio-server-web-3-8082-1");
  auto cfg = ks::atomic_producer_config({{"bootstrap.servers", "k:9092"}}, "kafkio-server-web-3-8082-1");
  ASSERT_TRUE(cfg) << cfg.message;
  EXPECT_TRUE(cfg.config.transactional());
  // Transactions need idempotence: with it switched off among the server's properties, no atomic producer.
  auto off = ks::atomic_producer_config({{"bootstrap.servers", "k:9092"}, {"enable.idempotence", "false"}}, "x");
  EXPECT_FALSE(off);
  EXPECT_FALSE(off.message.empty());
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

TEST(ServerBody, JsonFormatKeepsEveryNumberAsSent) {
  // Through a double these became 1E-1, 1E0, 1.2345678901234568E29, 1E5 and -0E0.
  const char* numbers[] = {"0.1", "1.0", "123456789012345678901234567890", "1E5", "-0", "1e-400", "2.50",
                           "-9223372036854775809", "18446744073709551616", "3.141592653589793238462643383279"};
  for (const char* n : numbers) {
    auto p = ks::parse_records(std::string(R"({"records":[{"key":)") + n + R"(,"value":{"n":[)" + n + R"(,{"m":)" + n +
                                   "}]}}]}",
                               ks::embedded_format::json, {});
    ASSERT_FALSE(p.error) << n << ": " << p.error->message;
    EXPECT_EQ(p.records[0].key, n);
    EXPECT_EQ(p.records[0].value, std::string(R"({"n":[)") + n + R"(,{"m":)" + n + "}]}");
  }
  // Strings that look like numbers stay strings, and whitespace goes (compact text, as before).
  auto p = ks::parse_records(R"({"records":[{"value": { "s" : "1.0" , "t" : [ true , null ] } }]})",
                             ks::embedded_format::json, {});
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.records[0].value, R"({"s":"1.0","t":[true,null]})");
  // Strings and keys come out escaped as Boost.JSON escapes them.
  const std::string strings = R"({"q\"k":"a\"b\\c\n\t\u0001\u00e9\/","e":""})";
  auto s = ks::parse_records(R"({"records":[{"value":)" + strings + "}]}", ks::embedded_format::json, {});
  ASSERT_FALSE(s.error);
  EXPECT_EQ(s.records[0].value, json::serialize(json::parse(strings)));
}

TEST(ServerBody, NumbersBeyondDoubleAre422) {
  for (const char* n : {"1e400", "-1e400", "1E309", "123456789e999"}) {
    auto p = ks::parse_records(std::string(R"({"records":[{"value":{"x":)") + n + "}}]}", ks::embedded_format::json, {});
    ASSERT_TRUE(p.error) << n;
    EXPECT_EQ(p.error->status, 422u) << n;
  }
}

TEST(ServerBody, NumbersAreNotStrings) {
  // Numbers are kept as tagged text internally; they must never pass where a string is required.
  EXPECT_TRUE(ks::parse_records(R"({"records":[{"value":5}]})", ks::embedded_format::text, {}).error);
  EXPECT_TRUE(ks::parse_records(R"({"records":[{"value":5}]})", ks::embedded_format::binary, {}).error);
  EXPECT_TRUE(ks::parse_records(R"({"records":[{"value":"aGk=","headers":[{"name":5,"value":"aGk="}]}]})",
                                ks::embedded_format::binary, {})
                  .error);
  EXPECT_TRUE(ks::parse_records(R"({"records":[{"value":"aGk=","headers":[{"name":"h","value":12}]}]})",
                                ks::embedded_format::binary, {})
                  .error);
  auto ok = ks::parse_records(R"({"records":[{"value":"aGk=","partition":3,"timestamp":1700000000000}]})",
                              ks::embedded_format::binary, {});
  ASSERT_FALSE(ok.error);
  EXPECT_EQ(ok.records[0].partition, 3);
  EXPECT_EQ(ok.records[0].timestamp_ms, 1700000000000);
  for (const char* bad : {R"("partition":1.0)", R"("partition":1e0)", R"("timestamp":1.7e12)", R"("timestamp":-1)"})
    EXPECT_TRUE(
        ks::parse_records(std::string(R"({"records":[{"value":"aGk=",)") + bad + "}]}", ks::embedded_format::binary, {})
            .error)
        << bad;
}

TEST(ServerJsonExact, StreamParserSplitsConcatenatedValuesFedInPieces) {
  const std::string input = " {\"a\":1.50}\n{\"b\":[12345678901234567890123]}  {\"c\":\"x\"}";
  for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    ks::json_exact::stream_parser p(64);
    std::vector<std::string> values;
    for (std::size_t at = 0; at < input.size();) {
      std::string_view chunk(input.data() + at, std::min(piece, input.size() - at));
      while (!chunk.empty()) {
        boost::system::error_code ec;
        auto used = p.write_some(chunk, ec);
        ASSERT_FALSE(ec) << ec.message();
        chunk.remove_prefix(used);
        if (p.done()) values.push_back(ks::json_exact::serialize(p.release()));
      }
      at += std::min(piece, input.size() - at);
    }
    EXPECT_FALSE(p.in_progress());
    ASSERT_EQ(values.size(), 3u) << piece;
    EXPECT_EQ(values[0], R"({"a":1.50})");
    EXPECT_EQ(values[1], R"({"b":[12345678901234567890123]})");
    EXPECT_EQ(values[2], R"({"c":"x"})");
  }
}

TEST(ServerHttpRules, TransferEncodingMustBeExactlyChunked) {
  namespace http = boost::beast::http;
  auto verdict = [](std::vector<std::string> te, unsigned version = 11) {
    http::request_header<> h;
    h.version(version);
    h.method(http::verb::post);
    h.target("/topics/t");
    h.set(http::field::host, "x");
    for (const auto& v : te) h.insert(http::field::transfer_encoding, v);
    auto r = ks::check_request_headers(h, {});
    return r ? r->status : 0u;
  };
  EXPECT_EQ(verdict({}), 0u);
  EXPECT_EQ(verdict({"chunked"}), 0u);
  EXPECT_EQ(verdict({"Chunked"}), 0u);
  EXPECT_EQ(verdict({" chunked , "}), 0u);  // empty list elements are allowed
  EXPECT_EQ(verdict({"gzip"}), 400u);
  EXPECT_EQ(verdict({"chunked, gzip"}), 400u);
  EXPECT_EQ(verdict({"chunked", "gzip"}), 400u);
  EXPECT_EQ(verdict({""}), 400u);
  EXPECT_EQ(verdict({"gzip, chunked"}), 501u);
  EXPECT_EQ(verdict({"gzip", "chunked"}), 501u);
  EXPECT_EQ(verdict({"chunked"}, 10), 400u);
}

TEST(ServerHttpRules, HostVersionTargetAndExpect) {
  namespace http = boost::beast::http;
  http::request_header<> h;
  h.version(11);
  h.method(http::verb::get);
  h.target("/healthz");
  auto status = [&](ks::header_limits l = {}) {
    auto r = ks::check_request_headers(h, l);
    return r ? r->status : 0u;
  };
  EXPECT_EQ(status(), 400u);  // no Host
  h.set(http::field::host, "x");
  EXPECT_EQ(status(), 0u);
  EXPECT_EQ(status({.max_target_bytes = 4}), 414u);
  h.version(20);
  EXPECT_EQ(status(), 505u);
  h.version(10);
  h.erase(http::field::host);
  EXPECT_EQ(status(), 0u);  // HTTP/1.0 needs no Host

  h.set(http::field::expect, "100-Continue");
  EXPECT_FALSE(ks::expects_continue(h));  // not from HTTP/1.0
  h.version(11);
  EXPECT_TRUE(ks::expects_continue(h));
  h.set(http::field::expect, "200-ok");
  EXPECT_FALSE(ks::expects_continue(h));

  EXPECT_TRUE(ks::unsupported_version("PRI * HTTP/2.0"));
  EXPECT_TRUE(ks::unsupported_version("GET / HTTP/1.2"));
  EXPECT_FALSE(ks::unsupported_version("GET / HTTX/1.1"));
  EXPECT_FALSE(ks::unsupported_version("HELLO"));
  EXPECT_TRUE(ks::request_line_too_long(std::string(100, 'a'), 50));
  EXPECT_FALSE(ks::request_line_too_long("GET / HTTP/1.1\r\nX: " + std::string(100, 'a'), 50));
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

TEST(ServerCharge, IsWhatTheProducerCharges) {
  ks::owned_record r;
  r.key = "kk";
  r.value = "vvvv";
  r.headers.push_back({"h", "x"});
  r.headers.push_back({"empty", std::nullopt});
  const std::vector<kafkio::header> headers{{"h", "x"}, {"empty", std::nullopt}};
  kafkio::producer_record pr{"t", std::nullopt, "kk", "vvvv", headers, std::nullopt};
  EXPECT_EQ(ks::record_charge(r), kafkio::buffer_charge(pr));
  EXPECT_GT(kafkio::buffer_charge(pr), 2u + 4 + 1 + 1 + 5) << "the charge covers at least the bytes";
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

TEST(ServerErrors, AuthenticationAndAuthorizationAndTheRequestStatus) {
  using kafkio::client_errc;
  using kafkio::kafka_errc;
  EXPECT_EQ(ks::classify(make_error_code(client_errc::authentication_failed)).error_code, 40101);
  EXPECT_EQ(ks::classify(make_error_code(kafka_errc::sasl_authentication_failed)).error_code, 40101);
  EXPECT_EQ(ks::classify(make_error_code(kafka_errc::topic_authorization_failed)).error_code, 40301);
  EXPECT_EQ(ks::classify(make_error_code(kafka_errc::cluster_authorization_failed)).error_code, 40301);
  auto status = [](std::vector<std::error_code> ecs) {
    std::vector<ks::record_outcome> o;
    for (auto ec : ecs) o.push_back({ec, ec ? -1 : 0, ec ? -1 : 5});
    return ks::v2_request_status(o);
  };
  const auto ok = std::error_code{};
  const auto topic = make_error_code(client_errc::unknown_topic);
  const auto partition = make_error_code(client_errc::unknown_partition);
  const auto authz = make_error_code(kafka_errc::topic_authorization_failed);
  const auto authn = make_error_code(client_errc::authentication_failed);
  EXPECT_EQ(status({ok, ok}).status, 200u);
  EXPECT_EQ(status({ok, topic}).status, 200u);  // mixed: per-record errors
  auto all_topic = status({topic, topic});
  EXPECT_EQ(all_topic.status, 404u);
  ASSERT_TRUE(all_topic.error);
  EXPECT_EQ(all_topic.error->error_code, 40401);
  EXPECT_EQ(status({partition}).error->error_code, 40402);
  EXPECT_EQ(status({ok, authz}).status, 403u);
  EXPECT_FALSE(status({ok, authz}).error);  // with the offsets body
  EXPECT_EQ(status({authz, authn}).status, 401u);
}

TEST(ServerV3, ParsesRecordsLikeRestProxy) {
  auto parse = [](const std::string& text) {
    auto doc = ks::json_exact::parse(text, 64);
    EXPECT_FALSE(doc.ec) << text;
    return ks::parse_v3_record(doc.value);
  };
  auto p = parse(R"({"partition_id":2,"key":{"type":"STRING","data":"k1"},"value":{"type":"JSON","data":{"n":1.0}},)"
                 R"("headers":[{"name":"h","value":"dg=="},{"name":"n","value":null}],"timestamp":"2024-01-02T03:04:05.678Z"})");
  ASSERT_FALSE(p.error) << p.error->message;
  const auto& r = p.record.record;
  EXPECT_EQ(r.partition, 2);
  EXPECT_EQ(r.key, "k1");
  EXPECT_EQ(r.value, R"({"n":1.0})");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].value, "v");
  EXPECT_FALSE(r.headers[1].value);
  EXPECT_EQ(r.timestamp_ms, 1704164645678);
  EXPECT_EQ(p.record.key_type, "STRING");
  EXPECT_EQ(p.record.value_size, 9u);

  auto b = parse(R"({"value":{"type":"binary","data":"Y29uZmx1ZW50"},"timestamp":1704164645.5})");
  ASSERT_FALSE(b.error) << b.error->message;
  EXPECT_EQ(b.record.record.value, "confluent");
  EXPECT_FALSE(b.record.record.key);
  EXPECT_EQ(b.record.record.timestamp_ms, 1704164645500);  // a number is seconds, as Jackson reads an Instant
  auto tomb = parse(R"({"key":{"type":"STRING","data":"k"},"value":{"type":"JSON","data":null}})");
  ASSERT_FALSE(tomb.error);
  EXPECT_FALSE(tomb.record.record.value);

  for (const char* bad : {R"([1])", R"({"partition_id":-1})", R"({"partition_id":1.5})", R"({"value":"raw"})",
                          R"({"value":{"data":"no type"}})", R"({"value":{"type":"AVRO","data":{}}})",
                          R"({"value":{"type":"JSON","data":1,"schema_id":3}})", R"({"value":{"type":"BINARY","data":"!"}})",
                          R"({"value":{"type":"STRING","data":5}})", R"({"headers":[{"value":"dg=="}]})",
                          R"({"timestamp":"2024-01-02T03:04:05"})", R"({"timestamp":"yesterday"})"}) {
    auto e = parse(bad);
    ASSERT_TRUE(e.error) << bad;
    EXPECT_EQ(e.error->status, 400u) << bad;
  }
}

TEST(ServerV3, TimestampsAndReports) {
  EXPECT_EQ(ks::parse_iso8601_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ks::parse_iso8601_ms("2024-02-29T12:00:00.1+02:00"), 1709200800100);
  EXPECT_EQ(ks::parse_iso8601_ms("2000-01-01T00:00:00.123456Z"), 946684800123);
  EXPECT_FALSE(ks::parse_iso8601_ms("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(ks::parse_iso8601_ms("2024-01-01 00:00:00Z"));
  for (std::int64_t ms : {0LL, 1LL, 946684800123LL, 1709200800100LL, 4102444800999LL})
    EXPECT_EQ(ks::parse_iso8601_ms(ks::format_iso8601_ms(ms)), ms) << ks::format_iso8601_ms(ms);
  EXPECT_EQ(ks::format_iso8601_ms(1704164645678), "2024-01-02T03:04:05.678Z");

  ks::v3_record r;
  r.value_type = "JSON";
  r.value_size = 9;
  auto ok = json::parse(ks::v3_report(r, {{}, 1, 42, 1704164645678}, "cid", "t")).as_object();
  EXPECT_EQ(ok.at("error_code").as_int64(), 200);
  EXPECT_EQ(ok.at("cluster_id").as_string(), "cid");
  EXPECT_EQ(ok.at("topic_name").as_string(), "t");
  EXPECT_EQ(ok.at("partition_id").as_int64(), 1);
  EXPECT_EQ(ok.at("offset").as_int64(), 42);
  EXPECT_EQ(ok.at("timestamp").as_string(), "2024-01-02T03:04:05.678Z");
  EXPECT_EQ(ok.at("value").at("type").as_string(), "JSON");
  EXPECT_EQ(ok.at("value").at("size").as_int64(), 9);
  EXPECT_FALSE(ok.contains("key"));
  auto failed = json::parse(ks::v3_report(r, {make_error_code(kafkio::client_errc::delivery_timeout)}, "cid", "t"))
                    .as_object();
  EXPECT_EQ(failed.at("error_code").as_int64(), 50003);
  EXPECT_TRUE(failed.at("message").is_string());
}

TEST(ServerMetadata, RendersRestProxyShapes) {
  kafkio::cluster_metadata md;
  md.cluster_id = "cid";
  md.controller_id = 1;
  md.brokers = {{1, "h1", 9092, std::nullopt}, {2, "h2", 9093, std::string("r2")}};
  md.topics = {{"events", {}, false, {{0, 1, {1, 2}, {1}, {}}, {1, 2, {2, 1}, {2, 1}, {}}}},
               {"__consumer_offsets", {}, true, {{0, 1, {1}, {1}, {}}}}};
  EXPECT_EQ(json::parse(ks::v2_topic_names(md)), json::parse(R"(["events"])"));
  auto t = json::parse(ks::v2_topic(md.topics[0])).as_object();
  EXPECT_EQ(t.at("name").as_string(), "events");
  EXPECT_TRUE(t.at("configs").as_object().empty());
  EXPECT_EQ(t.at("partitions").as_array().size(), 2u);
  auto p0 = json::parse(ks::v2_partition(md.topics[0].partitions[0]));
  EXPECT_EQ(p0, json::parse(R"({"partition":0,"leader":1,"replicas":[{"broker":1,"leader":true,"in_sync":true},)"
                            R"({"broker":2,"leader":false,"in_sync":false}]})"));
  const std::string base = "http://gw:8082";
  auto clusters = json::parse(ks::v3_cluster_list(md, base)).as_object();
  EXPECT_EQ(clusters.at("kind").as_string(), "KafkaClusterList");
  EXPECT_EQ(clusters.at("metadata").at("self").as_string(), "http://gw:8082/v3/clusters");
  const auto& c = clusters.at("data").as_array().at(0).as_object();
  EXPECT_EQ(c.at("cluster_id").as_string(), "cid");
  EXPECT_EQ(c.at("controller").at("related").as_string(), "http://gw:8082/v3/clusters/cid/brokers/1");
  EXPECT_EQ(c.at("metadata").at("resource_name").as_string(), "crn:///kafka=cid");
  auto topics = json::parse(ks::v3_topic_list(md, base)).as_object();
  ASSERT_EQ(topics.at("data").as_array().size(), 2u);
  auto v3t = json::parse(ks::v3_topic(md, md.topics[0], base)).as_object();
  EXPECT_EQ(v3t.at("kind").as_string(), "KafkaTopic");
  EXPECT_EQ(v3t.at("partitions_count").as_int64(), 2);
  EXPECT_EQ(v3t.at("replication_factor").as_int64(), 2);
  EXPECT_EQ(v3t.at("partitions").at("related").as_string(), "http://gw:8082/v3/clusters/cid/topics/events/partitions");
  auto v3p = json::parse(ks::v3_partition(md, md.topics[0], md.topics[0].partitions[1], base)).as_object();
  EXPECT_EQ(v3p.at("partition_id").as_int64(), 1);
  EXPECT_EQ(v3p.at("leader").at("related").as_string(),
            "http://gw:8082/v3/clusters/cid/topics/events/partitions/1/replicas/2");
  EXPECT_EQ(json::parse(ks::v2_brokers(md)), json::parse(R"({"brokers":[1,2]})"));
  auto brokers = json::parse(ks::v3_broker_list(md, base)).as_object();
  EXPECT_EQ(brokers.at("data").as_array().at(1).at("rack").as_string(), "r2");
  EXPECT_TRUE(brokers.at("data").as_array().at(0).at("rack").is_null());
}

TEST(ServerOpenApi, DocumentParsesAndNamesEveryRoute) {
  auto doc = json::parse(ks::openapi_document()).as_object();
  EXPECT_EQ(doc.at("openapi").as_string(), "3.0.3");
  const auto& paths = doc.at("paths").as_object();
  struct expected {
    const char* path;
    const char* concrete;  // a request path the server routes to it
    std::vector<const char*> methods;
  };
  const expected routes[] = {
      {"/topics", "/topics", {"get"}},
      {"/topics/{topic}", "/topics/t", {"get", "post"}},
      {"/topics/{topic}/partitions", "/topics/t/partitions", {"get"}},
      {"/topics/{topic}/partitions/{partition}", "/topics/t/partitions/0", {"get", "post"}},
      {"/brokers", "/brokers", {"get"}},
      {"/v3/clusters", "/v3/clusters", {"get"}},
      {"/v3/clusters/{cluster_id}", "/v3/clusters/c", {"get"}},
      {"/v3/clusters/{cluster_id}/brokers", "/v3/clusters/c/brokers", {"get"}},
      {"/v3/clusters/{cluster_id}/topics", "/v3/clusters/c/topics", {"get"}},
      {"/v3/clusters/{cluster_id}/topics/{topic_name}", "/v3/clusters/c/topics/t", {"get"}},
      {"/v3/clusters/{cluster_id}/topics/{topic_name}/partitions", "/v3/clusters/c/topics/t/partitions", {"get"}},
      {"/v3/clusters/{cluster_id}/topics/{topic_name}/partitions/{partition_id}", "/v3/clusters/c/topics/t/partitions/0",
       {"get"}},
      {"/v3/clusters/{cluster_id}/topics/{topic_name}/records", "/v3/clusters/c/topics/t/records", {"post"}},
      {"/healthz", "/healthz", {"get"}},
      {"/readyz", "/readyz", {"get"}},
      {"/metrics", "/metrics", {"get"}},
      {"/openapi.json", "/openapi.json", {"get"}},
  };
  EXPECT_EQ(paths.size(), std::size(routes)) << "a path in the document that the server does not route";
  for (const auto& r : routes) {
    ASSERT_TRUE(paths.contains(r.path)) << r.path;
    EXPECT_NE(ks::match_route(r.concrete).what, ks::route::kind::not_found) << r.concrete;
    for (const char* m : r.methods) EXPECT_TRUE(paths.at(r.path).as_object().contains(m)) << r.path << " " << m;
  }
  // Every $ref names a schema that exists.
  const auto& schemas = doc.at("components").at("schemas").as_object();
  std::function<void(const json::value&)> check = [&](const json::value& v) {
    if (const auto* o = v.if_object()) {
      if (const auto* ref = o->if_contains("$ref")) {
        std::string_view name = ref->as_string();
        ASSERT_EQ(name.rfind("#/components/schemas/", 0), 0u) << name;
        EXPECT_TRUE(schemas.contains(name.substr(21))) << name;
      }
      for (const auto& kv : *o) check(kv.value());
    } else if (const auto* a = v.if_array()) {
      for (const auto& e : *a) check(e);
    }
  };
  check(doc);
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
  auto r = ks::parse_options({"--workers", "5", "--listen=:9000", "-X", "acks=1", "--idle-timeout", "2.5",
                              "--max-body-memory", "16M", "--worker-timeout", "7", "--unready-after", "2",
                              "--max-uri-bytes", "2K"},
                             lookup);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.options.workers, 5);
  EXPECT_EQ(r.options.max_body_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(r.options.listen_host, "0.0.0.0");
  EXPECT_EQ(r.options.listen_port, 9000);
  EXPECT_DOUBLE_EQ(r.options.idle_timeout.count(), 2.5);
  EXPECT_EQ(r.options.max_body_memory, 16u * 1024 * 1024);
  EXPECT_DOUBLE_EQ(r.options.worker_timeout.count(), 7);
  EXPECT_DOUBLE_EQ(r.options.unready_after.count(), 2);
  EXPECT_EQ(r.options.max_uri_bytes, 2048u);
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
