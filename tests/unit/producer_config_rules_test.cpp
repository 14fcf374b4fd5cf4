// kafkio::producer_config: the Java client's rules between properties (idempotence, delivery timeout, compression
// levels, backoff, SASL), validate() on hand-filled structs, and to_properties() round trips through parse().
#include <kafkio/producer_config.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

// KIP-302's use_all_dns_ips is what kafkio does; the other values say why they are refused.
TEST(ProducerConfigSecurity, ClientDnsLookupTakesUseAllDnsIpsOnly) {
  EXPECT_TRUE(parse_with({{"client.dns.lookup", "use_all_dns_ips"}}));
  EXPECT_TRUE(parse_with({{"client.dns.lookup", " USE_ALL_DNS_IPS "}}));
  EXPECT_THAT(error_of({{"client.dns.lookup", "resolve_canonical_bootstrap_servers_only"}}),
              testing::HasSubstr("canonical host names are for SASL/GSSAPI (Kerberos), which kafkio lacks"));
  EXPECT_EQ(error_of({{"client.dns.lookup", "default"}}),
            "invalid value 'default' for client.dns.lookup: expected use_all_dns_ips (\"default\" was removed in "
            "Kafka 3.0, KIP-602)");
}

void expect_round_trip(const producer_config& c);

TEST(ProducerConfigSecurity, TlsUnderJavaNamesAndLibrdkafkaAliases) {
  auto java = parse_with({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"},
                          {"sasl.username", "u"}, {"sasl.password", "p"},
                          {"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", " /etc/ca.pem "},
                          {"ssl.keystore.type", "pem"}, {"ssl.keystore.location", "/etc/client.pem"},
                          {"ssl.key.password", " k "}, {"ssl.enabled.protocols", "TLSv1.3"},
                          {"ssl.endpoint.identification.algorithm", ""}});
  ASSERT_TRUE(java) << java.message;
  EXPECT_TRUE(java.config.uses_tls());
  EXPECT_TRUE(java.config.uses_sasl());
  EXPECT_EQ(java.config.ssl_truststore_location, "/etc/ca.pem");
  EXPECT_EQ(java.config.ssl_certificate_location, "/etc/client.pem");  // one PEM file with key and chain
  EXPECT_EQ(java.config.ssl_key_location, "/etc/client.pem");
  EXPECT_EQ(java.config.ssl_key_password, " k ");  // verbatim, like every password
  EXPECT_EQ(java.config.ssl_endpoint_identification_algorithm, "");
  auto librdkafka = parse_with({{"security.protocol", "ssl"}, {"sasl.mechanisms", "PLAIN"},
                                {"ssl.ca.pem", "CA"}, {"ssl.certificate.pem", "CHAIN"}, {"ssl.key.pem", "KEY"},
                                {"ssl.endpoint.identification.algorithm", "none"},
                                {"enable.ssl.certificate.verification", "false"}});
  ASSERT_TRUE(librdkafka) << librdkafka.message;
  EXPECT_EQ(librdkafka.config.security_protocol, security_protocol_type::ssl);
  EXPECT_EQ(librdkafka.config.ssl_truststore_certificates, "CA");
  EXPECT_EQ(librdkafka.config.ssl_certificate_pem, "CHAIN");
  EXPECT_EQ(librdkafka.config.ssl_key_pem, "KEY");
  EXPECT_EQ(librdkafka.config.ssl_endpoint_identification_algorithm, "");
  EXPECT_FALSE(librdkafka.config.ssl_certificate_verification);
  EXPECT_THAT(librdkafka.notes, testing::Contains("enable.ssl.certificate.verification=false: any broker certificate "
                                                  "is accepted"));
  expect_round_trip(librdkafka.config);
  // The secrets are hidden.
  for (const auto& [k, v] : librdkafka.config.to_properties())
    if (k == "ssl.keystore.key") {
      EXPECT_EQ(v, "[hidden]");
    }
}

TEST(ProducerConfigSecurity, TlsRules) {
  EXPECT_EQ(error_of({{"security.protocol", "SASL_SSL"}}), "security.protocol=SASL_SSL requires sasl.username");
  EXPECT_EQ(error_of({{"security.protocol", "SSL"}, {"ssl.ca.location", "a"}, {"ssl.truststore.certificates", "b"}}),
            "ssl.truststore.location and ssl.truststore.certificates are both set: give one");
  EXPECT_EQ(error_of({{"security.protocol", "SSL"}, {"ssl.certificate.location", "c"}}),
            "a client certificate (ssl.certificate.location or ssl.keystore.certificate.chain) needs its private key "
            "(ssl.key.location or ssl.keystore.key)");
  EXPECT_EQ(error_of({{"security.protocol", "SSL"}, {"ssl.key.pem", "k"}}),
            "a client private key (ssl.key.location or ssl.keystore.key) needs its certificate chain "
            "(ssl.certificate.location or ssl.keystore.certificate.chain)");
  EXPECT_EQ(error_of({{"security.protocol", "SSL"}, {"ssl.enabled.protocols", "TLSv1.2,TLSv1.1"}}),
            "invalid value 'TLSv1.2,TLSv1.1' for ssl.enabled.protocols: expected a comma-separated list of TLSv1.2, "
            "TLSv1.3 (older versions are not supported)");
  EXPECT_EQ(error_of({{"security.protocol", "SSL"}, {"ssl.endpoint.identification.algorithm", "http"}}),
            "invalid value 'http' for ssl.endpoint.identification.algorithm: expected https, or empty (or none) to "
            "skip the host name check");
  EXPECT_EQ(error_of({{"ssl.truststore.type", "JKS"}}),
            "invalid value 'JKS' for ssl.truststore.type: expected PEM (kafkio reads PEM only; convert a JKS or "
            "PKCS12 store with keytool and openssl)");
  EXPECT_EQ(error_of({{"ssl.keystore.password", "x"}}),
            "property 'ssl.keystore.password' is not supported by kafkio: key stores are PEM: an encrypted key takes "
            "ssl.key.password");
  EXPECT_EQ(error_of({{"ssl.ca.locaton", "x"}}), "unknown property 'ssl.ca.locaton' (did you mean 'ssl.ca.location'?)");
  auto plaintext = parse_with({{"ssl.ca.location", "/ca.pem"}});
  ASSERT_TRUE(plaintext) << plaintext.message;
  EXPECT_THAT(plaintext.notes, ElementsAre("the ssl.* settings are ignored because security.protocol=PLAINTEXT"));
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
            "invalid value '9' for security.protocol: expected one of PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL");
  EXPECT_EQ(with([](producer_config& x) { x.sasl_mechanism = static_cast<sasl_mechanism_type>(9); }),
            "invalid value '9' for sasl.mechanism: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER");
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
  EXPECT_EQ(r.config.to_properties(true).at(11), (std::pair<std::string, std::string>{"sasl.password", "pw"}));
  EXPECT_EQ(value("transactional.id"), "");  // not transactional
  EXPECT_EQ(value("transaction.timeout.ms"), "60000");
  EXPECT_EQ(value("compression.lz4.level"), "4");
  EXPECT_EQ(value("compression.level"), "<missing>");
  EXPECT_EQ(value("enable.idempotence"), "true");
  EXPECT_EQ(value("delivery.timeout.ms"), "120000");
  EXPECT_EQ(value("acks"), "all");
  EXPECT_EQ(value("receive.message.max.bytes"), "104857600");

  // Every key is written once; of the four level keys only the selected codec's (when a level is set).
  std::set<std::string> keys;
  for (const auto& [k, v] : props) EXPECT_TRUE(keys.insert(k).second) << "duplicate " << k;
  // 27, + 11 TLS keys, + transactional.id and transaction.timeout.ms, + metadata.recovery.strategy and
  // metadata.recovery.rebootstrap.trigger.ms, + statistics.interval.ms, + connections.max.idle.ms, + 8 OAUTHBEARER,
  // + metadata.max.idle.ms, + 3 KIP-794 partitioner keys
  EXPECT_EQ(keys.size(), 56u);
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

// ---- OAUTHBEARER (docs/producer.md, "OAUTHBEARER") -----------------------------------------------------------------------------

property_list oauth(property_list extra) {
  extra.insert(extra.begin(), {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "OAUTHBEARER"}});
  return extra;
}

TEST(ProducerConfigOauthbearer, NeedsNoUsernameAndATokenEndpointMeansOidc) {
  auto r = parse_with(oauth({}));
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.sasl_oauthbearer_method, kafkio::oauthbearer_method::application);
  r = parse_with(oauth({{"sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"},
                        {"sasl.oauthbearer.client.credentials.client.id", "app"},  // Java 4.1's names
                        {"sasl.oauthbearer.client.credentials.client.secret", "s3cret"},
                        {"sasl.oauthbearer.scope", "kafka"}}));
  ASSERT_TRUE(r) << r.message;
  EXPECT_EQ(r.config.sasl_oauthbearer_method, kafkio::oauthbearer_method::oidc);
  EXPECT_EQ(r.config.sasl_oauthbearer_client_id, "app");
  EXPECT_EQ(r.config.sasl_oauthbearer_client_secret, "s3cret");
  auto props = r.config.to_properties();
  auto secret = std::find_if(props.begin(), props.end(), [](auto& p) { return p.first == "sasl.oauthbearer.client.secret"; });
  ASSERT_NE(secret, props.end());
  EXPECT_EQ(secret->second, "[hidden]");
  EXPECT_EQ(producer_config::parse(r.config.to_properties(true)).config, r.config);
}

TEST(ProducerConfigOauthbearer, BadSettingsSayWhat) {
  EXPECT_EQ(error_of(oauth({{"sasl.oauthbearer.method", "oidc"}})),
            "sasl.oauthbearer.method=oidc requires sasl.oauthbearer.token.endpoint.url");
  EXPECT_EQ(error_of(oauth({{"sasl.oauthbearer.token.endpoint.url", "ftp://idp/token"},
                            {"sasl.oauthbearer.client.id", "a"}, {"sasl.oauthbearer.client.secret", "b"}})),
            "invalid value 'ftp://idp/token' for sasl.oauthbearer.token.endpoint.url: expected an http:// or https:// "
            "URL: the scheme is not http or https");
  EXPECT_EQ(error_of(oauth({{"sasl.oauthbearer.token.endpoint.url", "https://idp:99999/token"},
                            {"sasl.oauthbearer.client.id", "a"}, {"sasl.oauthbearer.client.secret", "b"}})),
            "invalid value 'https://idp:99999/token' for sasl.oauthbearer.token.endpoint.url: expected an http:// or "
            "https:// URL: port '99999' is not a port number");
  EXPECT_EQ(error_of(oauth({{"sasl.oauthbearer.token.endpoint.url", "https://idp/token"}})),
            "OIDC client credentials need sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret");
  EXPECT_EQ(error_of(oauth({{"sasl.oauthbearer.token.endpoint.url", "https://idp/token"},
                            {"sasl.oauthbearer.client.id", "a"}, {"sasl.oauthbearer.client.secret", "b"},
                            {"enable.sasl.oauthbearer.unsecure.jwt", "true"}})),
            "enable.sasl.oauthbearer.unsecure.jwt=true and sasl.oauthbearer.method=oidc are both set: give one");
  EXPECT_THAT(error_of(oauth({{"enable.sasl.oauthbearer.unsecure.jwt", "true"}, {"sasl.oauthbearer.config", "scope=x"}})),
              testing::HasSubstr("principal=NAME is required"));
  EXPECT_THAT(error_of(oauth({{"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                              {"sasl.oauthbearer.config", "principal=a lifeSeconds=0"}})),
              testing::HasSubstr("lifeSeconds must be at least 1"));
  EXPECT_THAT(error_of(oauth({{"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                              {"sasl.oauthbearer.config", "principal=a colour=red"}})),
              testing::HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(error_of(oauth({{"sasl.oauthbearer.extensions", "auth=x"}})), testing::HasSubstr("'auth' is reserved"));
  EXPECT_THAT(error_of(oauth({{"sasl.oauthbearer.extensions", "trace-id=1"}})), testing::HasSubstr("letters only"));
  EXPECT_THAT(error_of(oauth({{"sasl.oauthbearer.method", "magic"}})),
              testing::HasSubstr("expected one of default, oidc"));
  EXPECT_THAT(error_of({{"sasl.login.callback.handler.class", "x"}}),
              testing::HasSubstr("set_oauthbearer_token_refresh_callback"));
}

TEST(ProducerConfigOauthbearer, NotesSayWhatIsIgnored) {
  auto r = parse_with({{"sasl.oauthbearer.scope", "kafka"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_THAT(r.notes, testing::Contains("the sasl.oauthbearer.* settings are ignored because sasl.mechanism is not OAUTHBEARER"));
  r = parse_with(oauth({{"sasl.username", "u"}, {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                        {"sasl.oauthbearer.config", "principal=alice"}}));
  ASSERT_TRUE(r) << r.message;
  EXPECT_THAT(r.notes, testing::Contains("sasl.username and sasl.password are ignored with sasl.mechanism=OAUTHBEARER"));
  EXPECT_THAT(r.notes, testing::Contains(testing::HasSubstr("unsigned tokens, for development brokers only")));
}

TEST(ProducerConfigErrors, CodeIsInvalidConfigInTheKafkioCategory) {
  auto r = producer_config::parse({{"nope", "1"}});
  EXPECT_EQ(r.error, make_error_code(client_errc::invalid_config));
  EXPECT_EQ(&r.error.category(), &kafkio::client_category());
  EXPECT_EQ(r.error.message(), "invalid configuration");
}

}  // namespace

namespace {

TEST(ProducerConfigPartitioner, Kip794KeysParseAndRoundTrip) {
  auto r = kafkio::producer_config::parse({{"bootstrap.servers", "h:1"},
                                           {"partitioner.adaptive.partitioning.enable", "false"},
                                           {"partitioner.availability.timeout.ms", "1500"},
                                           {"partitioner.ignore.keys", "TRUE"}});
  ASSERT_TRUE(r) << r.message;
  EXPECT_FALSE(r.config.partitioner_adaptive_partitioning);
  EXPECT_EQ(r.config.partitioner_availability_timeout, std::chrono::milliseconds(1500));
  EXPECT_TRUE(r.config.partitioner_ignore_keys);
  EXPECT_TRUE(r.notes.empty());
  auto again = kafkio::producer_config::parse(r.config.to_properties());
  ASSERT_TRUE(again) << again.message;
  EXPECT_EQ(again.config.partitioner_availability_timeout, std::chrono::milliseconds(1500));
  EXPECT_TRUE(again.config.partitioner_ignore_keys);
  const kafkio::producer_config defaults;
  EXPECT_TRUE(defaults.partitioner_adaptive_partitioning) << "on by default, as in Java";
  EXPECT_EQ(defaults.partitioner_availability_timeout.count(), 0);
}

TEST(ProducerConfigPartitioner, Kip794KeysSayWhatIsWrongOrIgnored) {
  auto bad = kafkio::producer_config::parse({{"bootstrap.servers", "h:1"}, {"partitioner.ignore.keys", "yes"}});
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.message, "invalid value 'yes' for partitioner.ignore.keys: expected true or false");
  auto negative =
      kafkio::producer_config::parse({{"bootstrap.servers", "h:1"}, {"partitioner.availability.timeout.ms", "-1"}});
  EXPECT_FALSE(negative);
  auto ignored = kafkio::producer_config::parse(
      {{"bootstrap.servers", "h:1"}, {"partitioner", "murmur2_random"}, {"partitioner.availability.timeout.ms", "100"}});
  ASSERT_TRUE(ignored) << ignored.message;
  ASSERT_EQ(ignored.notes.size(), 1u);
  EXPECT_EQ(ignored.notes[0], "the partitioner.* settings (KIP-794) are ignored because partitioner=murmur2_random "
                              "(they tune the default partitioner)");
}

}  // namespace
