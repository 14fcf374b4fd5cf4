// The producer's configuration: a plain struct with the Java client's defaults (Kafka 4.x ProducerConfig), a parser
// for Kafka's own property names, the same validation rules as the Java client, and the way back to properties.
//
//   auto r = kafkio::producer_config::parse({{"bootstrap.servers", "localhost:9092"}, {"acks", "1"}});
//   if (!r) { log(r.message); return; }            // r.error == client_errc::invalid_config
//   for (auto& note : r.notes) log(note);           // e.g. "idempotence disabled because acks=1"
//   producer p(ex, std::move(r.config));
//
// or fill the struct by hand and call validate(), which applies the same rules and returns the same result type.
// See docs/producer.md, section "Configuration", for every property, its range and where kafkio differs from Java.
//
// Plain C++: no Asio here (the producer includes it).
#pragma once

#include <kafkio/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace kafkio {

// Key/value pairs with Kafka's property names ("linger.ms" -> "5"). When a key appears twice, the last one wins.
using property_list = std::vector<std::pair<std::string, std::string>>;

// acks: how many replicas must have the record before the broker answers. Values are the wire values.
enum class acks_mode : std::int16_t { none = 0, leader = 1, all = -1 };

// compression.type. Values are Kafka's codec ids (the low bits of a RecordBatch's attributes).
enum class compression_type : std::int8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// partitioner: how a record without an explicit partition picks one.
enum class partitioner_type : std::uint8_t {
  murmur2_sticky,  // "default": murmur2(key) like the Java client; null keys stick to one partition per batch
  murmur2_random,  // murmur2(key); null keys go to a random partition per record (librdkafka's name)
  round_robin,     // every record to the next partition, keys ignored (Java's RoundRobinPartitioner)
  random,          // a random partition per record, keys ignored
};

enum class security_protocol_type : std::uint8_t { plaintext, sasl_plaintext, ssl, sasl_ssl };
enum class sasl_mechanism_type : std::uint8_t { plain, scram_sha_256, scram_sha_512, oauthbearer };
// sasl.oauthbearer.method (librdkafka's name): where OAUTHBEARER tokens come from.
enum class oauthbearer_method : std::uint8_t {
  application,  // "default": the application's token callback, or the unsecured JWT (docs/producer.md, "OAUTHBEARER")
  oidc,         // OIDC client credentials from sasl.oauthbearer.token.endpoint.url (KIP-768)
};
// metadata.recovery.strategy (KIP-899): what to do when no broker known from metadata can be reached.
enum class metadata_recovery_strategy : std::uint8_t {
  none,         // keep trying the known brokers
  rebootstrap,  // also try bootstrap.servers again, resolved anew (Kafka 4's default)
};

// The spelling used in properties: "all", "lz4", "default", "SASL_PLAINTEXT", "SCRAM-SHA-256".
std::string_view to_string(acks_mode v) noexcept;
std::string_view to_string(compression_type v) noexcept;
std::string_view to_string(partitioner_type v) noexcept;
std::string_view to_string(security_protocol_type v) noexcept;
std::string_view to_string(sasl_mechanism_type v) noexcept;
std::string_view to_string(oauthbearer_method v) noexcept;
std::string_view to_string(metadata_recovery_strategy v) noexcept;

// One bootstrap.servers entry: "host:port" or "[ipv6]:port". Host is returned without brackets.
struct broker_address {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const broker_address&) const = default;
};
// nullopt unless `entry` is host:port with a non-empty host and a port in min_port..65535. kafkio's one parser of
// host:port (bootstrap.servers, and kafkio-server's --listen with min_port 0).
std::optional<broker_address> parse_broker_address(std::string_view entry, std::uint16_t min_port = 1);

struct config_result;

struct producer_config {
  using milliseconds = std::chrono::milliseconds;

  // bootstrap.servers — required; "host:port,host:port".
  std::vector<std::string> bootstrap_servers;
  // client.id — sent in every request header (Java defaults to "producer-N").
  std::string client_id = "kafkio-producer";
  // acks
  acks_mode acks = acks_mode::all;
  // linger.ms — how long a partition's batch may wait for more records.
  milliseconds linger{5};
  // batch.size — bytes per partition batch before it is sent regardless of linger.
  std::int32_t batch_size = 16384;
  // compression.type, and the level for it (compression.{gzip,lz4,zstd}.level or compression.level).
  compression_type compression = compression_type::none;
  std::optional<int> compression_level;  // unset: the codec's default (gzip 6, lz4 9, zstd 3)
  // enable.idempotence — unset means the Java default: on, unless acks or retries conflict (then off, with a note).
  // parse() and validate() resolve it; read it through idempotence_enabled().
  std::optional<bool> enable_idempotence;
  // transactional.id — empty: not transactional. Set: the transactional producer (docs/producer.md, "Transactions");
  // it requires idempotence.
  std::string transactional_id;
  // transaction.timeout.ms — how long the coordinator lets a transaction stay open before aborting it.
  milliseconds transaction_timeout{60000};
  // max.in.flight.requests.per.connection
  std::int32_t max_in_flight_requests_per_connection = 5;
  // retries — resends of a failed produce; delivery_timeout is the real bound.
  std::int32_t retries = 2147483647;
  // retry.backoff.ms, retry.backoff.max.ms — exponential backoff between retries.
  milliseconds retry_backoff{100};
  milliseconds retry_backoff_max{1000};
  // request.timeout.ms — how long to wait for one response.
  milliseconds request_timeout{30000};
  // delivery.timeout.ms — upper bound from send() to the completion handler. Unset means 120000 ms, raised to
  // linger + request_timeout if that is larger (Java does the same); read it through effective_delivery_timeout().
  std::optional<milliseconds> delivery_timeout;
  // buffer.memory — bytes of records waiting to be sent, across all partitions.
  std::int64_t buffer_memory = 33554432;
  // max.request.size — bytes per produce request; also caps one record batch.
  std::int32_t max_request_size = 1048576;
  // metadata.max.age.ms — refresh metadata at least this often.
  milliseconds metadata_max_age{300000};
  // metadata.max.idle.ms — a topic no record was sent to for this long is left out of metadata refreshes (and its
  // metadata forgotten: the next record to it waits for a fresh fetch, as in Java). At least 5000, as Java's.
  milliseconds metadata_max_idle{300000};
  // connections.max.idle.ms — a broker connection with nothing in flight or queued for this long is closed (the
  // next request reconnects without backoff); 0: never. Java's default, and the broker's own for its side.
  milliseconds connections_max_idle{540000};
  // metadata.recovery.strategy (KIP-899) — with `rebootstrap`, once every broker known from metadata failed to
  // connect (or metadata.recovery.rebootstrap.trigger.ms passed without metadata while it was wanted, KIP-1102),
  // bootstrap.servers are tried again, resolved anew: a cluster replaced behind its bootstrap name is found.
  metadata_recovery_strategy metadata_recovery = metadata_recovery_strategy::rebootstrap;
  milliseconds metadata_recovery_rebootstrap_trigger{300000};
  // statistics.interval.ms (librdkafka's name) — how often the statistics callback
  // (producer::set_statistics_callback) receives metrics(); 0: never.
  milliseconds statistics_interval{0};
  // max.block.ms — how long async_send() may wait (asynchronously: the calling thread never blocks) for its topic's
  // metadata or for buffer space before the record fails.
  milliseconds max_block{60000};
  // partitioner (kafkio's own key; Java has partitioner.class).
  partitioner_type partitioner = partitioner_type::murmur2_sticky;
  // KIP-794, for the default partitioner (murmur2_sticky) as in the Java client: the next sticky partition of
  // unkeyed records is chosen with weights that favour partitions with fewer batches queued
  // (partitioner.adaptive.partitioning.enable), and leaves out partitions whose leader has had batches ready but
  // could not take them for longer than partitioner.availability.timeout.ms (0: never left out).
  // partitioner.ignore.keys: keyed records are placed as unkeyed ones.
  bool partitioner_adaptive_partitioning = true;
  milliseconds partitioner_availability_timeout{0};
  bool partitioner_ignore_keys = false;
  // socket.connection.setup.timeout.ms — time allowed for one connection attempt.
  milliseconds socket_connection_setup_timeout{10000};
  // reconnect.backoff.ms, reconnect.backoff.max.ms — exponential backoff between connection attempts to a broker.
  milliseconds reconnect_backoff{50};
  milliseconds reconnect_backoff_max{1000};
  // receive.message.max.bytes (librdkafka's name) — largest response frame we accept.
  std::size_t max_frame_size = 100 * 1024 * 1024;
  // security.protocol, sasl.mechanism, sasl.username, sasl.password
  security_protocol_type security_protocol = security_protocol_type::plaintext;
  sasl_mechanism_type sasl_mechanism = sasl_mechanism_type::plain;
  std::string sasl_username;
  std::string sasl_password;
  // OAUTHBEARER (KIP-255, KIP-768; docs/producer.md, "OAUTHBEARER"). The token comes from one of: the application's
  // callback (producer::set_oauthbearer_token_refresh_callback), the unsecured JWT of Kafka's test mode
  // (enable.sasl.oauthbearer.unsecure.jwt with sasl.oauthbearer.config), or OIDC client credentials.
  // sasl.oauthbearer.method: oidc when sasl.oauthbearer.token.endpoint.url is set (as in the Java client).
  oauthbearer_method sasl_oauthbearer_method = oauthbearer_method::application;
  bool sasl_oauthbearer_unsecure_jwt = false;  // enable.sasl.oauthbearer.unsecure.jwt (librdkafka's)
  // sasl.oauthbearer.config (librdkafka's): "principal=alice scope=a,b lifeSeconds=3600 extension_k=v" for the
  // unsecured JWT; handed to the application's callback as it is.
  std::string sasl_oauthbearer_config;
  std::string sasl_oauthbearer_token_endpoint_url;  // sasl.oauthbearer.token.endpoint.url: http(s)://...
  std::string sasl_oauthbearer_client_id;           // sasl.oauthbearer.client.id (Java 4.1:
  std::string sasl_oauthbearer_client_secret;       //   sasl.oauthbearer.client.credentials.client.id/.secret)
  std::string sasl_oauthbearer_scope;               // sasl.oauthbearer.scope: asked of the token endpoint
  std::string sasl_oauthbearer_extensions;          // sasl.oauthbearer.extensions: "k=v,k=v", sent to the broker
  // TLS, for security.protocol SSL and SASL_SSL (docs/producer.md, "Security"). PEM only; the files are read once,
  // when the producer is constructed. Kafka's Java names, with librdkafka's accepted as aliases (in parentheses).
  std::string ssl_truststore_location;      // ssl.truststore.location (ssl.ca.location); none: the system's CAs
  std::string ssl_truststore_certificates;  // ssl.truststore.certificates (ssl.ca.pem): inline PEM
  std::string ssl_certificate_location;     // ssl.certificate.location: the client's chain (ssl.keystore.location
  std::string ssl_key_location;             // ssl.key.location            sets both: one PEM with key and chain)
  std::string ssl_certificate_pem;          // ssl.keystore.certificate.chain (ssl.certificate.pem): inline PEM
  std::string ssl_key_pem;                  // ssl.keystore.key (ssl.key.pem): inline PEM, may be encrypted
  std::string ssl_key_password;             // ssl.key.password: for an encrypted key
  // ssl.endpoint.identification.algorithm: "https" checks the broker's certificate names the host we connect to
  // (its advertised name); "" (or librdkafka's "none") does not.
  std::string ssl_endpoint_identification_algorithm = "https";
  std::string ssl_enabled_protocols = "TLSv1.2,TLSv1.3";  // ssl.enabled.protocols
  std::string ssl_cipher_suites;  // ssl.cipher.suites: OpenSSL names; empty: OpenSSL's defaults
  // enable.ssl.certificate.verification (librdkafka's): false accepts any broker certificate. For tests only.
  bool ssl_certificate_verification = true;

  // security.protocol SSL or SASL_SSL / SASL_PLAINTEXT or SASL_SSL.
  bool uses_tls() const noexcept {
    return security_protocol == security_protocol_type::ssl || security_protocol == security_protocol_type::sasl_ssl;
  }
  bool uses_sasl() const noexcept {
    return security_protocol == security_protocol_type::sasl_plaintext ||
           security_protocol == security_protocol_type::sasl_ssl;
  }
  bool uses_oauthbearer() const noexcept { return uses_sasl() && sasl_mechanism == sasl_mechanism_type::oauthbearer; }

  // Builds a config from Kafka property names, then validates it like validate(). Unknown keys, malformed or
  // out-of-range values and conflicting settings fail with client_errc::invalid_config and a message naming the
  // key, the value and what is accepted.
  static config_result parse(const property_list& properties);

  // Checks a hand-filled config with the same rules as parse() and returns the resolved copy (enable_idempotence and
  // delivery_timeout set, gzip level -1 normalised to unset) plus notes about defaults that were adjusted.
  config_result validate() const;

  // The effective configuration as properties (every key parse() accepts, resolved values), for logging and for
  // parse() again. The password is "[hidden]" unless `reveal_secrets`; parse(to_properties(true)) gives back the
  // validated config.
  property_list to_properties(bool reveal_secrets = false) const;

  // The resolved values, also meaningful on a config that has not been validated.
  bool idempotence_enabled() const noexcept;
  bool transactional() const noexcept { return !transactional_id.empty(); }
  milliseconds effective_delivery_timeout() const noexcept;

  bool operator==(const producer_config&) const = default;
};

struct config_result {
  producer_config config;          // validated and resolved; meaningless if `error` is set
  std::error_code error;           // empty, or client_errc::invalid_config
  std::string message;             // why it is invalid (empty on success)
  std::vector<std::string> notes;  // defaults that were adjusted, like the Java client's INFO/WARN logs

  explicit operator bool() const noexcept { return !error; }
};

}  // namespace kafkio

#include <kafkio/impl/producer_config.hpp>
