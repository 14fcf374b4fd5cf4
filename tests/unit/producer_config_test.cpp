// kafkio::producer_config: defaults, parse() of every Kafka property, the exact error messages for bad values and
// unknown keys, bootstrap.servers entries. The rules between properties and to_properties() round trips are in
// producer_config_rules_test.cpp.
#include <kafkio/producer_config.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace {

using kafkio::acks_mode;
using kafkio::client_errc;
using kafkio::compression_type;
using kafkio::config_result;
using kafkio::partitioner_type;
using kafkio::producer_config;
using kafkio::property_list;
using kafkio::sasl_mechanism_type;
using kafkio::security_protocol_type;
using std::chrono::milliseconds;
using testing::ElementsAre;
using testing::IsEmpty;

// bootstrap.servers plus `extra`.
config_result parse_with(property_list extra) {
  extra.insert(extra.begin(), {"bootstrap.servers", "localhost:9092"});
  return producer_config::parse(extra);
}

std::string error_of(property_list extra) {
  auto r = parse_with(std::move(extra));
  EXPECT_EQ(r.error, client_errc::invalid_config) << "expected a failure";
  EXPECT_FALSE(r);
  return r.message;
}

TEST(ProducerConfig, DefaultsFollowTheJavaClient) {
  producer_config c;
  EXPECT_THAT(c.bootstrap_servers, IsEmpty());
  EXPECT_EQ(c.client_id, "kafkio-producer");
  EXPECT_EQ(c.acks, acks_mode::all);
  EXPECT_EQ(c.linger, milliseconds(5));
  EXPECT_EQ(c.batch_size, 16384);
  EXPECT_EQ(c.compression, compression_type::none);
  EXPECT_EQ(c.compression_level, std::nullopt);
  EXPECT_EQ(c.enable_idempotence, std::nullopt);
  EXPECT_TRUE(c.idempotence_enabled());
  EXPECT_EQ(c.max_in_flight_requests_per_connection, 5);
  EXPECT_EQ(c.retries, 2147483647);
  EXPECT_EQ(c.retry_backoff, milliseconds(100));
  EXPECT_EQ(c.retry_backoff_max, milliseconds(1000));
  EXPECT_EQ(c.request_timeout, milliseconds(30000));
  EXPECT_EQ(c.delivery_timeout, std::nullopt);
  EXPECT_EQ(c.effective_delivery_timeout(), milliseconds(120000));
  EXPECT_EQ(c.buffer_memory, 33554432);
  EXPECT_EQ(c.max_request_size, 1048576);
  EXPECT_EQ(c.metadata_max_age, milliseconds(300000));
  EXPECT_EQ(c.max_block, milliseconds(60000));
  EXPECT_EQ(c.partitioner, partitioner_type::murmur2_sticky);
  EXPECT_EQ(c.socket_connection_setup_timeout, milliseconds(10000));
  EXPECT_EQ(c.reconnect_backoff, milliseconds(50));
  EXPECT_EQ(c.reconnect_backoff_max, milliseconds(1000));
  EXPECT_EQ(c.max_frame_size, 100u * 1024 * 1024);
  EXPECT_EQ(c.security_protocol, security_protocol_type::plaintext);
  EXPECT_EQ(c.sasl_mechanism, sasl_mechanism_type::plain);
  EXPECT_EQ(c.sasl_username, "");
  EXPECT_EQ(c.sasl_password, "");
}

TEST(ProducerConfig, MinimalParseIsTheDefaultsResolved) {
  auto r = parse_with({});
  ASSERT_TRUE(r) << r.message;
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message, "");
  EXPECT_THAT(r.notes, IsEmpty());
  producer_config expected;
  expected.bootstrap_servers = {"localhost:9092"};
  expected.enable_idempotence = true;
  expected.delivery_timeout = milliseconds(120000);
  EXPECT_EQ(r.config, expected);
}

TEST(ProducerConfig, ParsesEveryKey) {
  auto r = producer_config::parse({
      {"bootstrap.servers", " b1:9092 , [::1]:9093,10.0.0.7:19092 "},
      {"client.id", "orders"},
      {"acks", "all"},
      {"linger.ms", "20"},
      {"batch.size", "65536"},
      {"compression.type", "zstd"},
      {"compression.zstd.level", "-5"},
      {"enable.idempotence", "TRUE"},
      {"max.in.flight.requests.per.connection", "3"},
      {"retries", "7"},
      {"retry.backoff.ms", "+250"},
      {"retry.backoff.max.ms", "5000"},
      {"request.timeout.ms", "15000"},
      {"delivery.timeout.ms", "60000"},
      {"buffer.memory", "67108864"},
      {"max.request.size", "2097152"},
      {"metadata.max.age.ms", "60000"},
      {"max.block.ms", "0"},
      {"partitioner", "round_robin"},
      {"security.protocol", "sasl_plaintext"},
      {"sasl.mechanism", "SCRAM-SHA-512"},
      {"sasl.username", "alice"},
      {"sasl.password", " s3cret "},
      {"socket.connection.setup.timeout.ms", "2500"},
      {"reconnect.backoff.ms", "10"},
      {"reconnect.backoff.max.ms", "800"},
      {"receive.message.max.bytes", "1048576"},
  });
  ASSERT_TRUE(r) << r.message;
  EXPECT_THAT(r.notes, IsEmpty());
  const auto& c = r.config;
  EXPECT_THAT(c.bootstrap_servers, ElementsAre("b1:9092", "[::1]:9093", "10.0.0.7:19092"));
  EXPECT_EQ(c.client_id, "orders");
  EXPECT_EQ(c.acks, acks_mode::all);
  EXPECT_EQ(c.linger, milliseconds(20));
  EXPECT_EQ(c.batch_size, 65536);
  EXPECT_EQ(c.compression, compression_type::zstd);
  EXPECT_EQ(c.compression_level, -5);
  EXPECT_EQ(c.enable_idempotence, true);
  EXPECT_EQ(c.max_in_flight_requests_per_connection, 3);
  EXPECT_EQ(c.retries, 7);
  EXPECT_EQ(c.retry_backoff, milliseconds(250));
  EXPECT_EQ(c.retry_backoff_max, milliseconds(5000));
  EXPECT_EQ(c.request_timeout, milliseconds(15000));
  EXPECT_EQ(c.delivery_timeout, milliseconds(60000));
  EXPECT_EQ(c.buffer_memory, 67108864);
  EXPECT_EQ(c.max_request_size, 2097152);
  EXPECT_EQ(c.metadata_max_age, milliseconds(60000));
  EXPECT_EQ(c.max_block, milliseconds(0));
  EXPECT_EQ(c.partitioner, partitioner_type::round_robin);
  EXPECT_EQ(c.security_protocol, security_protocol_type::sasl_plaintext);
  EXPECT_EQ(c.sasl_mechanism, sasl_mechanism_type::scram_sha_512);
  EXPECT_EQ(c.sasl_username, "alice");
  EXPECT_EQ(c.sasl_password, " s3cret ");  // passwords are taken verbatim
  EXPECT_EQ(c.socket_connection_setup_timeout, milliseconds(2500));
  EXPECT_EQ(c.reconnect_backoff, milliseconds(10));
  EXPECT_EQ(c.reconnect_backoff_max, milliseconds(800));
  EXPECT_EQ(c.max_frame_size, 1048576u);
}

TEST(ProducerConfig, EnumSpellings) {
  struct spelled {
    std::string key, value;
    std::function<bool(const producer_config&)> check;
  };
  const std::vector<spelled> cases = {
      {"acks", "-1", [](auto& c) { return c.acks == acks_mode::all; }},
      {"acks", "1", [](auto& c) { return c.acks == acks_mode::leader; }},
      {"acks", "0", [](auto& c) { return c.acks == acks_mode::none; }},
      {"compression.type", "none", [](auto& c) { return c.compression == compression_type::none; }},
      {"compression.type", "gzip", [](auto& c) { return c.compression == compression_type::gzip; }},
      {"compression.type", "snappy", [](auto& c) { return c.compression == compression_type::snappy; }},
      {"compression.type", "LZ4", [](auto& c) { return c.compression == compression_type::lz4; }},
      {"partitioner", "default", [](auto& c) { return c.partitioner == partitioner_type::murmur2_sticky; }},
      {"partitioner", "murmur2_sticky", [](auto& c) { return c.partitioner == partitioner_type::murmur2_sticky; }},
      {"partitioner", "murmur2_random", [](auto& c) { return c.partitioner == partitioner_type::murmur2_random; }},
      {"partitioner", "random", [](auto& c) { return c.partitioner == partitioner_type::random; }},
      {"security.protocol", "PLAINTEXT", [](auto& c) { return c.security_protocol == security_protocol_type::plaintext; }},
      {"sasl.mechanism", "plain", [](auto& c) { return c.sasl_mechanism == sasl_mechanism_type::plain; }},
      {"sasl.mechanism", "SCRAM-SHA-256", [](auto& c) { return c.sasl_mechanism == sasl_mechanism_type::scram_sha_256; }},
      {"enable.idempotence", " false ", [](auto& c) { return c.enable_idempotence == false; }},
  };
  for (const auto& t : cases) {
    auto r = parse_with({{t.key, t.value}});
    ASSERT_TRUE(r) << t.key << "=" << t.value << ": " << r.message;
    EXPECT_TRUE(t.check(r.config)) << t.key << "=" << t.value;
  }
  EXPECT_EQ(to_string(acks_mode::all), "all");
  EXPECT_EQ(to_string(acks_mode::leader), "1");
  EXPECT_EQ(to_string(compression_type::zstd), "zstd");
  EXPECT_EQ(to_string(partitioner_type::murmur2_sticky), "default");
  EXPECT_EQ(to_string(security_protocol_type::sasl_plaintext), "SASL_PLAINTEXT");
  EXPECT_EQ(to_string(sasl_mechanism_type::scram_sha_256), "SCRAM-SHA-256");
}

TEST(ProducerConfig, BadValuesNameKeyValueAndRange) {
  struct bad {
    std::string key, value, message;
  };
  const std::string int32 = "2147483647", int64 = "9223372036854775807";
  const std::vector<bad> cases = {
      {"linger.ms", "abc", "invalid value 'abc' for linger.ms: expected an integer in [0, " + int64 + "]"},
      {"linger.ms", "-1", "invalid value '-1' for linger.ms: expected an integer in [0, " + int64 + "]"},
      {"linger.ms", "5.0", "invalid value '5.0' for linger.ms: expected an integer in [0, " + int64 + "]"},
      {"linger.ms", "", "invalid value '' for linger.ms: expected an integer in [0, " + int64 + "]"},
      {"linger.ms", "+-5", "invalid value '+-5' for linger.ms: expected an integer in [0, " + int64 + "]"},
      {"linger.ms", "99999999999999999999", "invalid value '99999999999999999999' for linger.ms: expected an integer in [0, " + int64 + "]"},
      {"batch.size", "2147483648", "invalid value '2147483648' for batch.size: expected an integer in [0, " + int32 + "]"},
      {"max.in.flight.requests.per.connection", "0",
       "invalid value '0' for max.in.flight.requests.per.connection: expected an integer in [1, " + int32 + "]"},
      {"retries", "-1", "invalid value '-1' for retries: expected an integer in [0, " + int32 + "]"},
      {"retry.backoff.ms", "x", "invalid value 'x' for retry.backoff.ms: expected an integer in [0, " + int64 + "]"},
      {"retry.backoff.max.ms", "-3", "invalid value '-3' for retry.backoff.max.ms: expected an integer in [0, " + int64 + "]"},
      {"request.timeout.ms", "1e3", "invalid value '1e3' for request.timeout.ms: expected an integer in [0, " + int32 + "]"},
      {"delivery.timeout.ms", "3000000000", "invalid value '3000000000' for delivery.timeout.ms: expected an integer in [0, " + int32 + "]"},
      {"buffer.memory", "-1", "invalid value '-1' for buffer.memory: expected an integer in [0, " + int64 + "]"},
      {"max.request.size", "1MB", "invalid value '1MB' for max.request.size: expected an integer in [0, " + int32 + "]"},
      {"metadata.max.age.ms", "-1", "invalid value '-1' for metadata.max.age.ms: expected an integer in [0, " + int64 + "]"},
      {"max.block.ms", "-1", "invalid value '-1' for max.block.ms: expected an integer in [0, " + int64 + "]"},
      {"socket.connection.setup.timeout.ms", "-1",
       "invalid value '-1' for socket.connection.setup.timeout.ms: expected an integer in [0, " + int64 + "]"},
      {"reconnect.backoff.ms", "-1", "invalid value '-1' for reconnect.backoff.ms: expected an integer in [0, " + int64 + "]"},
      {"reconnect.backoff.max.ms", "?", "invalid value '?' for reconnect.backoff.max.ms: expected an integer in [0, " + int64 + "]"},
      {"receive.message.max.bytes", "1023",
       "invalid value '1023' for receive.message.max.bytes: expected an integer in [1024, " + int32 + "]"},
      {"acks", "2", "invalid value '2' for acks: expected one of all, -1, 1, 0"},
      {"compression.type", "brotli", "invalid value 'brotli' for compression.type: expected one of none, gzip, snappy, lz4, zstd"},
      {"partitioner", "consistent_random",
       "invalid value 'consistent_random' for partitioner: expected one of default, murmur2_sticky, murmur2_random, "
       "round_robin, random"},
      {"security.protocol", "TLS",
       "invalid value 'TLS' for security.protocol: expected one of PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL"},
      {"sasl.mechanism", "GSSAPI", "invalid value 'GSSAPI' for sasl.mechanism: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER"},
      {"enable.idempotence", "yes", "invalid value 'yes' for enable.idempotence: expected true or false"},
      {"compression.gzip.level", "10", "invalid value '10' for compression.gzip.level: expected an integer in [1, 9] or -1"},
      {"compression.gzip.level", "0", "invalid value '0' for compression.gzip.level: expected an integer in [1, 9] or -1"},
      {"compression.lz4.level", "0", "invalid value '0' for compression.lz4.level: expected an integer in [1, 17]"},
      {"compression.lz4.level", "18", "invalid value '18' for compression.lz4.level: expected an integer in [1, 17]"},
      {"compression.zstd.level", "23", "invalid value '23' for compression.zstd.level: expected an integer in [-131072, 22]"},
      {"compression.zstd.level", "-131073",
       "invalid value '-131073' for compression.zstd.level: expected an integer in [-131072, 22]"},
      {"compression.level", "high", "invalid value 'high' for compression.level: expected an integer (the level for compression.type)"},
  };
  for (const auto& t : cases) EXPECT_EQ(error_of({{t.key, t.value}}), t.message) << t.key << "=" << t.value;
}

TEST(ProducerConfig, UnknownKeysFailAndSuggestTheClosestKey) {
  auto unknown = [](std::string key) { return producer_config::parse({{"bootstrap.servers", "h:1"}, {key, "1"}}); };
  auto r = unknown("linger.m");
  EXPECT_EQ(r.error, client_errc::invalid_config);
  EXPECT_EQ(r.message, "unknown property 'linger.m' (did you mean 'linger.ms'?)");
  EXPECT_EQ(unknown("linger_ms").message, "unknown property 'linger_ms' (did you mean 'linger.ms'?)");
  EXPECT_EQ(unknown("LINGER.MS").message, "unknown property 'LINGER.MS' (did you mean 'linger.ms'?)");
  EXPECT_EQ(unknown("bootstrap.server").message, "unknown property 'bootstrap.server' (did you mean 'bootstrap.servers'?)");
  EXPECT_EQ(unknown("request.timout.ms").message,
            "unknown property 'request.timout.ms' (did you mean 'request.timeout.ms'?)");
  EXPECT_EQ(unknown("frobnicate").message, "unknown property 'frobnicate'");
  EXPECT_EQ(unknown("").message, "unknown property ''");
  EXPECT_EQ(unknown("key.serializer").message,
            "property 'key.serializer' is not supported by kafkio: records are bytes; serialize before send()");
  EXPECT_EQ(unknown("partitioner.class").message,
            "property 'partitioner.class' is not supported by kafkio: use 'partitioner' (default, murmur2_random, "
            "round_robin, random)");
  EXPECT_EQ(unknown("compression.snappy.level").message,
            "property 'compression.snappy.level' is not supported by kafkio: snappy has no levels");
}

TEST(ProducerConfig, BootstrapServers) {
  EXPECT_EQ(producer_config::parse({}).message,
            "bootstrap.servers is required: expected a comma-separated list of host:port");
  const std::string entry_form = "host:port with a port in [1, 65535] (an IPv6 address as [address]:port)";
  for (std::string bad : {"localhost", "localhost:", ":9092", "h:0", "h:65536", "h:123456", "h:-1", "h:+1", "::1:9092",
                          "[::1]", "[::1]9092", "[nothex]:1", "[]:1", "a b:1", "h:9092/x"}) {
    EXPECT_EQ(producer_config::parse({{"bootstrap.servers", bad}}).message,
              "invalid value '" + bad + "' for bootstrap.servers: expected " + entry_form)
        << bad;
  }
  EXPECT_EQ(producer_config::parse({{"bootstrap.servers", "a:1,,b:2"}}).message,
            "invalid value 'a:1,,b:2' for bootstrap.servers: expected a comma-separated list of host:port");
  EXPECT_EQ(producer_config::parse({{"bootstrap.servers", ""}}).message,
            "invalid value '' for bootstrap.servers: expected a comma-separated list of host:port");
  EXPECT_EQ(producer_config::parse({{"bootstrap.servers", "a:1, b:2 ,a:1"}}).message,
            "bootstrap.servers lists 'a:1' twice");
  auto r = producer_config::parse({{"bootstrap.servers", "kafka-1.example.com:9092,[fe80::1%eth0]:9092,h_2:1"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.bootstrap_servers.size(), 3u);
}

TEST(ProducerConfig, ParseBrokerAddress) {
  using kafkio::broker_address;
  using kafkio::parse_broker_address;
  EXPECT_EQ(parse_broker_address("localhost:9092"), (broker_address{"localhost", 9092}));
  EXPECT_EQ(parse_broker_address("10.1.2.3:1"), (broker_address{"10.1.2.3", 1}));
  EXPECT_EQ(parse_broker_address("[::1]:65535"), (broker_address{"::1", 65535}));
  EXPECT_EQ(parse_broker_address("[::ffff:10.0.0.1]:9092"), (broker_address{"::ffff:10.0.0.1", 9092}));
  EXPECT_EQ(parse_broker_address("[fe80::1%eth0]:9092"), (broker_address{"fe80::1%eth0", 9092}));
  EXPECT_EQ(parse_broker_address("h:00080"), (broker_address{"h", 80}));
  EXPECT_EQ(parse_broker_address(""), std::nullopt);
  EXPECT_EQ(parse_broker_address("h:000080"), std::nullopt);
  EXPECT_EQ(parse_broker_address("[::1]:0"), std::nullopt);
  EXPECT_EQ(parse_broker_address("[10.0.0.1]:1"), std::nullopt);  // brackets are for IPv6
}

TEST(ProducerConfig, LastOccurrenceOfAKeyWins) {
  auto r = parse_with({{"linger.ms", "1"}, {"linger.ms", "9"}, {"bootstrap.servers", "x:1,y:2"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.linger, milliseconds(9));
  EXPECT_THAT(r.config.bootstrap_servers, ElementsAre("x:1", "y:2"));
}

TEST(ProducerConfig, KeysAndValuesAreTrimmedButStringsAreVerbatim) {
  auto r = parse_with({{" linger.ms ", "\t7 "}, {"client.id", " padded id "}, {"sasl.username", " u "}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.linger, milliseconds(7));
  EXPECT_EQ(r.config.client_id, " padded id ");
  EXPECT_EQ(r.config.sasl_username, " u ");
}

}  // namespace
