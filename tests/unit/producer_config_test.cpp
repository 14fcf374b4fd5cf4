// kafkio::producer_config: defaults, parse() of every Kafka property, the exact error messages, the Java client's
// idempotence and delivery-timeout rules, validate() on hand-filled structs, and to_properties() round trips.
#include <kafkio/producer_config.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

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
      {"security.protocol", "SSL",
       "invalid value 'SSL' for security.protocol: expected one of PLAINTEXT, SASL_PLAINTEXT (kafkio has no TLS)"},
      {"sasl.mechanism", "GSSAPI", "invalid value 'GSSAPI' for sasl.mechanism: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"},
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
  EXPECT_EQ(unknown("transactional.id").message,
            "property 'transactional.id' is not supported by kafkio: transactions are not supported");
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

// ---- the Java client's idempotence rules (ProducerConfig.postProcessAndValidateIdempotenceConfigs, Kafka 4.x) ----

TEST(ProducerConfigIdempotence, ExplicitConflictsAreErrors) {
  EXPECT_EQ(error_of({{"enable.idempotence", "true"}, {"acks", "1"}}), "enable.idempotence=true requires acks=all (acks=1)");
  EXPECT_EQ(error_of({{"enable.idempotence", "true"}, {"acks", "0"}}), "enable.idempotence=true requires acks=all (acks=0)");
  EXPECT_EQ(error_of({{"enable.idempotence", "true"}, {"retries", "0"}}),
            "enable.idempotence=true requires retries > 0 (retries=0)");
  EXPECT_EQ(error_of({{"enable.idempotence", "true"}, {"max.in.flight.requests.per.connection", "6"}}),
            "max.in.flight.requests.per.connection=6 is above 5, the most the idempotent producer allows: lower it or "
            "set enable.idempotence=false");
}

TEST(ProducerConfigIdempotence, DefaultedIdempotenceIsDisabledByAcksOrRetriesWithANote) {
  auto r = parse_with({{"acks", "1"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.enable_idempotence, false);
  EXPECT_FALSE(r.config.idempotence_enabled());
  EXPECT_THAT(r.notes, ElementsAre("idempotence disabled because acks=1 (the idempotent producer needs acks=all)"));

  r = parse_with({{"retries", "0"}, {"acks", "0"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.enable_idempotence, false);
  EXPECT_THAT(r.notes, ElementsAre("idempotence disabled because retries=0 (the idempotent producer needs retries > 0)",
                                   "idempotence disabled because acks=0 (the idempotent producer needs acks=all)"));
}

TEST(ProducerConfigIdempotence, InFlightAboveFiveIsAnErrorEvenWhenIdempotenceIsOnlyDefaulted) {
  const std::string message =
      "max.in.flight.requests.per.connection=6 is above 5, the most the idempotent producer allows (idempotence is on "
      "by default): lower it or set enable.idempotence=false";
  EXPECT_EQ(error_of({{"max.in.flight.requests.per.connection", "6"}}), message);
  // Java checks in-flight even after acks has already decided to turn idempotence off.
  EXPECT_EQ(error_of({{"max.in.flight.requests.per.connection", "6"}, {"acks", "1"}}), message);
  auto r = parse_with({{"max.in.flight.requests.per.connection", "5"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.enable_idempotence, true);
}

TEST(ProducerConfigIdempotence, ExplicitlyDisabledAllowsAnything) {
  auto r = parse_with({{"enable.idempotence", "false"}, {"max.in.flight.requests.per.connection", "50"},
                       {"acks", "0"}, {"retries", "0"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.enable_idempotence, false);
  EXPECT_THAT(r.notes, IsEmpty());
}

TEST(ProducerConfigIdempotence, HandFilledStructsFollowTheSameRules) {
  producer_config c;
  c.bootstrap_servers = {"h:1"};
  c.acks = acks_mode::leader;  // enable_idempotence left unset: the default
  auto r = c.validate();
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.enable_idempotence, false);
  EXPECT_EQ(r.notes.size(), 1u);

  c.enable_idempotence = true;
  r = c.validate();
  EXPECT_EQ(r.error, client_errc::invalid_config);
  EXPECT_EQ(r.message, "enable.idempotence=true requires acks=all (acks=1)");
}

// ---- delivery.timeout.ms >= linger.ms + request.timeout.ms (KafkaProducer.configureDeliveryTimeout) ----

TEST(ProducerConfigDeliveryTimeout, ExplicitValueBelowLingerPlusRequestTimeoutIsAnError) {
  EXPECT_EQ(error_of({{"delivery.timeout.ms", "30004"}}),
            "delivery.timeout.ms=30004 must be at least linger.ms + request.timeout.ms = 30005");
  EXPECT_EQ(error_of({{"delivery.timeout.ms", "1000"}, {"linger.ms", "0"}, {"request.timeout.ms", "1001"}}),
            "delivery.timeout.ms=1000 must be at least linger.ms + request.timeout.ms = 1001");
  auto r = parse_with({{"delivery.timeout.ms", "30005"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.delivery_timeout, milliseconds(30005));
}

TEST(ProducerConfigDeliveryTimeout, DefaultIsRaisedWithANote) {
  auto r = parse_with({{"request.timeout.ms", "200000"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.delivery_timeout, milliseconds(200005));
  EXPECT_THAT(r.notes,
              ElementsAre("delivery.timeout.ms raised from its default 120000 to linger.ms + request.timeout.ms = 200005"));
}

TEST(ProducerConfigDeliveryTimeout, HugeLingerSaturatesLikeJavasIntArithmetic) {
  auto r = parse_with({{"linger.ms", "9223372036854775807"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.delivery_timeout, milliseconds(2147483647));
  EXPECT_EQ(error_of({{"linger.ms", "9223372036854775807"}, {"delivery.timeout.ms", "2147483646"}}),
            "delivery.timeout.ms=2147483646 must be at least linger.ms + request.timeout.ms = 2147483647");
}

// ---- compression levels ----

TEST(ProducerConfigCompression, LevelsForTheSelectedCodec) {
  struct level_case {
    std::string type, key, value;
    std::optional<int> level;
  };
  const std::vector<level_case> cases = {
      {"gzip", "compression.gzip.level", "1", 1},       {"gzip", "compression.gzip.level", "9", 9},
      {"gzip", "compression.gzip.level", "-1", std::nullopt},  // zlib's default level is "unset"
      {"lz4", "compression.lz4.level", "1", 1},         {"lz4", "compression.lz4.level", "17", 17},
      {"zstd", "compression.zstd.level", "-131072", -131072}, {"zstd", "compression.zstd.level", "22", 22},
      {"zstd", "compression.level", "19", 19},          {"gzip", "compression.level", "-1", std::nullopt},
  };
  for (const auto& t : cases) {
    auto r = parse_with({{t.key, t.value}, {"compression.type", t.type}});
    ASSERT_TRUE(r) << t.key << "=" << t.value << ": " << r.message;
    EXPECT_EQ(r.config.compression_level, t.level) << t.key << "=" << t.value;
    EXPECT_THAT(r.notes, IsEmpty());
  }
}

TEST(ProducerConfigCompression, LevelConflictsAndMismatches) {
  EXPECT_EQ(error_of({{"compression.level", "5"}}),
            "compression.level=5 cannot be used with compression.type=none: only gzip, lz4 and zstd have levels");
  EXPECT_EQ(error_of({{"compression.type", "snappy"}, {"compression.level", "5"}}),
            "compression.level=5 cannot be used with compression.type=snappy: only gzip, lz4 and zstd have levels");
  EXPECT_EQ(error_of({{"compression.type", "lz4"}, {"compression.level", "18"}}),
            "invalid value '18' for compression.level: expected an integer in [1, 17] for lz4");
  EXPECT_EQ(error_of({{"compression.type", "gzip"}, {"compression.level", "5"}, {"compression.gzip.level", "7"}}),
            "compression.level=5 and compression.gzip.level=7 disagree");
  auto r = parse_with({{"compression.type", "gzip"}, {"compression.level", "7"}, {"compression.gzip.level", "7"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.compression_level, 7);
}

TEST(ProducerConfigCompression, OtherCodecsLevelsAreValidatedThenIgnored) {
  auto r = parse_with({{"compression.type", "gzip"}, {"compression.lz4.level", "3"}, {"compression.zstd.level", "9"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.compression_level, std::nullopt);
  EXPECT_THAT(r.notes, ElementsAre("compression.lz4.level is ignored because compression.type=gzip",
                                   "compression.zstd.level is ignored because compression.type=gzip"));
  EXPECT_EQ(error_of({{"compression.type", "gzip"}, {"compression.lz4.level", "30"}}),
            "invalid value '30' for compression.lz4.level: expected an integer in [1, 17]");
}

TEST(ProducerConfigCompression, HandFilledLevelIsCheckedAgainstTheCodec) {
  producer_config c;
  c.bootstrap_servers = {"h:1"};
  c.compression = compression_type::zstd;
  c.compression_level = 23;
  EXPECT_EQ(c.validate().message, "invalid value '23' for compression.zstd.level: expected an integer in [-131072, 22]");
  c.compression = compression_type::snappy;
  c.compression_level = 1;
  EXPECT_EQ(c.validate().message,
            "compression.level=1 cannot be used with compression.type=snappy: only gzip, lz4 and zstd have levels");
}

// ---- backoff, security ----

TEST(ProducerConfigBackoff, ReconnectBackoffAloneDisablesExponentialBackoffLikeJava) {
  auto r = parse_with({{"reconnect.backoff.ms", "200"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.reconnect_backoff_max, milliseconds(200));
  EXPECT_THAT(r.notes, ElementsAre("reconnect.backoff.max.ms set to reconnect.backoff.ms (200 ms): exponential "
                                   "reconnect backoff is off because only reconnect.backoff.ms was given"));
  r = parse_with({{"reconnect.backoff.ms", "200"}, {"reconnect.backoff.max.ms", "5000"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.reconnect_backoff_max, milliseconds(5000));
  EXPECT_THAT(r.notes, IsEmpty());
}

TEST(ProducerConfigBackoff, BaseAboveMaxGivesAStaticBackoffNote) {
  auto r = parse_with({{"retry.backoff.ms", "2000"}, {"reconnect.backoff.ms", "3000"}, {"reconnect.backoff.max.ms", "10"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_THAT(r.notes, ElementsAre("retry.backoff.ms=2000 is above retry.backoff.max.ms=1000: a static backoff of 1000 ms applies",
                                   "reconnect.backoff.ms=3000 is above reconnect.backoff.max.ms=10: a static backoff of 10 ms applies"));
}

TEST(ProducerConfigSecurity, SaslNeedsAUsernameAndPlaintextIgnoresCredentials) {
  EXPECT_EQ(error_of({{"security.protocol", "SASL_PLAINTEXT"}}), "security.protocol=SASL_PLAINTEXT requires sasl.username");
  auto r = parse_with({{"sasl.username", "u"}, {"sasl.password", "p"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_THAT(r.notes, ElementsAre("sasl.username and sasl.password are ignored because security.protocol=PLAINTEXT"));
}

// ---- validate() on hand-filled structs ----

TEST(ProducerConfigValidate, SameMessagesAsParse) {
  producer_config c;
  EXPECT_EQ(c.validate().error, client_errc::invalid_config);
  EXPECT_EQ(c.validate().message, "bootstrap.servers is required: expected a comma-separated list of host:port");
  c.bootstrap_servers = {"h:1"};
  ASSERT_TRUE(c.validate());

  auto with = [&c](auto change) {
    producer_config copy = c;
    change(copy);
    return copy.validate().message;
  };
  EXPECT_EQ(with([](producer_config& x) { x.linger = milliseconds(-1); }),
            "invalid value '-1' for linger.ms: expected an integer in [0, 9223372036854775807]");
  EXPECT_EQ(with([](producer_config& x) { x.max_in_flight_requests_per_connection = 0; }),
            "invalid value '0' for max.in.flight.requests.per.connection: expected an integer in [1, 2147483647]");
  EXPECT_EQ(with([](producer_config& x) { x.delivery_timeout = milliseconds(3000000000); }),
            "invalid value '3000000000' for delivery.timeout.ms: expected an integer in [0, 2147483647]");
  EXPECT_EQ(with([](producer_config& x) { x.max_frame_size = 10; }),
            "invalid value '10' for receive.message.max.bytes: expected an integer in [1024, 2147483647]");
  EXPECT_EQ(with([](producer_config& x) { x.bootstrap_servers = {"nope"}; }),
            "invalid value 'nope' for bootstrap.servers: expected host:port with a port in [1, 65535] (an IPv6 address "
            "as [address]:port)");
  EXPECT_EQ(with([](producer_config& x) { x.client_id.assign(32768, 'x'); }),
            "client.id is 32768 bytes long: expected at most 32767");
  EXPECT_EQ(with([](producer_config& x) { x.acks = static_cast<acks_mode>(2); }),
            "invalid value '2' for acks: expected one of all, -1, 1, 0");
  EXPECT_EQ(with([](producer_config& x) { x.compression = static_cast<compression_type>(9); }),
            "invalid value '9' for compression.type: expected one of none, gzip, snappy, lz4, zstd");
  EXPECT_EQ(with([](producer_config& x) { x.partitioner = static_cast<partitioner_type>(9); }),
            "invalid value '9' for partitioner: expected one of default, murmur2_sticky, murmur2_random, round_robin, random");
  EXPECT_EQ(with([](producer_config& x) { x.security_protocol = static_cast<security_protocol_type>(9); }),
            "invalid value '9' for security.protocol: expected one of PLAINTEXT, SASL_PLAINTEXT");
  EXPECT_EQ(with([](producer_config& x) { x.sasl_mechanism = static_cast<sasl_mechanism_type>(9); }),
            "invalid value '9' for sasl.mechanism: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512");
}

TEST(ProducerConfigValidate, ResolvesAndIsIdempotent) {
  producer_config c;
  c.bootstrap_servers = {"h:1"};
  c.compression = compression_type::gzip;
  c.compression_level = -1;
  auto r = c.validate();
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.enable_idempotence, true);
  EXPECT_EQ(r.config.delivery_timeout, milliseconds(120000));
  EXPECT_EQ(r.config.compression_level, std::nullopt);
  auto again = r.config.validate();
  ASSERT_TRUE(again);
  EXPECT_EQ(again.config, r.config);
}

// ---- to_properties ----

TEST(ProducerConfigProperties, EffectiveValuesAndHiddenPassword) {
  auto r = parse_with({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.username", "u"}, {"sasl.password", "pw"},
                       {"compression.type", "lz4"}, {"compression.level", "4"}});
  ASSERT_TRUE(r) << r.message;
  auto props = r.config.to_properties();
  auto value = [&props](std::string_view key) -> std::string {
    for (const auto& [k, v] : props)
      if (k == key) return v;
    return "<missing>";
  };
  EXPECT_EQ(value("sasl.password"), "[hidden]");
  EXPECT_EQ(r.config.to_properties(true).at(10), (std::pair<std::string, std::string>{"sasl.password", "pw"}));
  EXPECT_EQ(value("compression.lz4.level"), "4");
  EXPECT_EQ(value("compression.level"), "<missing>");
  EXPECT_EQ(value("enable.idempotence"), "true");
  EXPECT_EQ(value("delivery.timeout.ms"), "120000");
  EXPECT_EQ(value("acks"), "all");
  EXPECT_EQ(value("receive.message.max.bytes"), "104857600");

  // Every key is written once; of the four level keys only the selected codec's (when a level is set).
  std::set<std::string> keys;
  for (const auto& [k, v] : props) EXPECT_TRUE(keys.insert(k).second) << "duplicate " << k;
  EXPECT_EQ(keys.size(), 27u);
}

TEST(ProducerConfigProperties, UnvalidatedConfigShowsResolvedValues) {
  producer_config c;
  c.bootstrap_servers = {"h:1"};
  c.acks = acks_mode::none;
  c.request_timeout = milliseconds(500000);
  auto props = c.to_properties();
  EXPECT_THAT(props, testing::Contains(std::pair<std::string, std::string>{"enable.idempotence", "false"}));
  EXPECT_THAT(props, testing::Contains(std::pair<std::string, std::string>{"delivery.timeout.ms", "500005"}));
  auto back = producer_config::parse(props);
  ASSERT_TRUE(back) << back.message;
  EXPECT_EQ(back.config, c.validate().config);
}

void expect_round_trip(const producer_config& c) {
  auto first = c.validate();
  ASSERT_TRUE(first) << first.message;
  auto second = producer_config::parse(first.config.to_properties(true));
  ASSERT_TRUE(second) << second.message;
  EXPECT_EQ(second.config, first.config);
  EXPECT_EQ(second.config.to_properties(true), first.config.to_properties(true));
}

TEST(ProducerConfigProperties, RoundTripsThroughParse) {
  producer_config c;
  c.bootstrap_servers = {"a:1", "[::1]:2"};
  expect_round_trip(c);
  auto everything = parse_with({{"client.id", " x "}, {"acks", "0"}, {"compression.type", "zstd"},
                                {"compression.zstd.level", "-7"}, {"partitioner", "murmur2_random"},
                                {"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "SCRAM-SHA-256"},
                                {"sasl.username", "u"}, {"sasl.password", " p w "}, {"reconnect.backoff.ms", "70"}});
  ASSERT_TRUE(everything) << everything.message;
  expect_round_trip(everything.config);
}

// Random hand-filled configs around the documented ranges: whatever validate() accepts, parse(to_properties())
// gives back. (A rejected config has no round trip to check: to_properties() shows resolved values, so it can turn
// an implicit idempotence conflict into an explicit, valid enable.idempotence=false.)
TEST(ProducerConfigProperties, RandomConfigsRoundTrip) {
  std::mt19937_64 rng(20240601);
  auto pick = [&rng](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    producer_config c;
    c.bootstrap_servers = {"h" + std::to_string(pick(0, 9)) + ":" + std::to_string(pick(1, 65535))};
    if (pick(0, 1)) c.bootstrap_servers.push_back("[::" + std::to_string(pick(1, 9)) + "]:9092");
    c.client_id = pick(0, 1) ? "" : "c" + std::to_string(pick(0, 99));
    c.acks = std::array{acks_mode::all, acks_mode::leader, acks_mode::none}[static_cast<std::size_t>(pick(0, 2))];
    c.linger = milliseconds(pick(0, 100000));
    c.batch_size = static_cast<std::int32_t>(pick(0, 1 << 20));
    c.compression = static_cast<compression_type>(pick(0, 4));
    if (pick(0, 1)) c.compression_level = static_cast<int>(pick(-3, 20));
    if (pick(0, 2)) c.enable_idempotence = pick(0, 1) == 1;
    c.max_in_flight_requests_per_connection = static_cast<std::int32_t>(pick(1, 7));
    c.retries = static_cast<std::int32_t>(pick(0, 3));
    c.retry_backoff = milliseconds(pick(0, 2000));
    c.request_timeout = milliseconds(pick(0, 200000));
    if (pick(0, 1)) c.delivery_timeout = milliseconds(pick(0, 400000));
    c.partitioner = static_cast<partitioner_type>(pick(0, 3));
    c.reconnect_backoff = milliseconds(pick(0, 2000));
    c.max_frame_size = static_cast<std::size_t>(pick(1024, 1 << 30));
    if (pick(0, 1)) {
      c.security_protocol = security_protocol_type::sasl_plaintext;
      c.sasl_mechanism = static_cast<sasl_mechanism_type>(pick(0, 2));
      c.sasl_username = pick(0, 3) ? "user" : "";
      c.sasl_password = "pw" + std::to_string(pick(0, 9));
    }
    auto checked = c.validate();
    auto reparsed = producer_config::parse(c.to_properties(true));
    if (!checked) {
      ++rejected;
      EXPECT_EQ(checked.error, client_errc::invalid_config);
      EXPECT_FALSE(checked.message.empty());
      continue;
    }
    ++accepted;
    ASSERT_TRUE(reparsed) << reparsed.message;
    EXPECT_EQ(reparsed.config, checked.config);
  }
  // The generator must exercise both paths.
  EXPECT_GT(accepted, 200);
  EXPECT_GT(rejected, 200);
}

TEST(ProducerConfigErrors, CodeIsInvalidConfigInTheKafkioCategory) {
  auto r = producer_config::parse({{"nope", "1"}});
  EXPECT_EQ(r.error, make_error_code(client_errc::invalid_config));
  EXPECT_EQ(&r.error.category(), &kafkio::client_category());
  EXPECT_EQ(r.error.message(), "invalid configuration");
}

}  // namespace
