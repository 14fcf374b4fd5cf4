// Tables and small parsing helpers behind kafkio/producer_config.hpp: one entry per property, so parse(),
// validate() and to_properties() cannot disagree about a key or its range. Included by impl/producer_config.hpp
// after producer_config is complete.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <span>

namespace kafkio {
namespace detail {

inline constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

inline std::string_view trim(std::string_view s) noexcept {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// A decimal integer like Java's Long.parseLong: optional sign, digits only, no overflow.
inline std::optional<std::int64_t> parse_integer(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() == '-') return std::nullopt;  // "+-5"
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Levenshtein distance, for "did you mean" suggestions on short keys.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

inline std::string invalid_value(std::string_view key, std::string_view value, std::string_view expected) {
  return "invalid value '" + std::string(value) + "' for " + std::string(key) + ": expected " + std::string(expected);
}

inline std::string range_text(std::int64_t min, std::int64_t max) {
  return "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

// ---- integer properties ----------------------------------------------------------------------------------------

struct integer_property {
  std::string_view key;
  std::int64_t min, max;
  std::optional<std::int64_t> (*get)(const producer_config&);  // nullopt: unset optional field
  void (*set)(producer_config&, std::int64_t);
};

using ms = std::chrono::milliseconds;

// Ranges are the Java client's (ConfigDef validators; INT fields cannot exceed int32), except where noted.
inline const std::array<integer_property, 22>& integer_properties() {
  static const std::array<integer_property, 22> table{{
      {"linger.ms", 0, int64_max, [](const producer_config& c) -> std::optional<std::int64_t> { return c.linger.count(); },
       [](producer_config& c, std::int64_t v) { c.linger = ms(v); }},
      {"batch.size", 0, int32_max, [](const producer_config& c) -> std::optional<std::int64_t> { return c.batch_size; },
       [](producer_config& c, std::int64_t v) { c.batch_size = static_cast<std::int32_t>(v); }},
      {"max.in.flight.requests.per.connection", 1, int32_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.max_in_flight_requests_per_connection; },
       [](producer_config& c, std::int64_t v) { c.max_in_flight_requests_per_connection = static_cast<std::int32_t>(v); }},
      {"retries", 0, int32_max, [](const producer_config& c) -> std::optional<std::int64_t> { return c.retries; },
       [](producer_config& c, std::int64_t v) { c.retries = static_cast<std::int32_t>(v); }},
      {"retry.backoff.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.retry_backoff.count(); },
       [](producer_config& c, std::int64_t v) { c.retry_backoff = ms(v); }},
      {"retry.backoff.max.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.retry_backoff_max.count(); },
       [](producer_config& c, std::int64_t v) { c.retry_backoff_max = ms(v); }},
      {"request.timeout.ms", 0, int32_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.request_timeout.count(); },
       [](producer_config& c, std::int64_t v) { c.request_timeout = ms(v); }},
      {"delivery.timeout.ms", 0, int32_max,
       [](const producer_config& c) -> std::optional<std::int64_t> {
         if (!c.delivery_timeout) return std::nullopt;
         return c.delivery_timeout->count();
       },
       [](producer_config& c, std::int64_t v) { c.delivery_timeout = ms(v); }},
      {"buffer.memory", 0, int64_max, [](const producer_config& c) -> std::optional<std::int64_t> { return c.buffer_memory; },
       [](producer_config& c, std::int64_t v) { c.buffer_memory = v; }},
      {"max.request.size", 0, int32_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.max_request_size; },
       [](producer_config& c, std::int64_t v) { c.max_request_size = static_cast<std::int32_t>(v); }},
      {"metadata.max.age.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.metadata_max_age.count(); },
       [](producer_config& c, std::int64_t v) { c.metadata_max_age = ms(v); }},
      // Java: at least 5000.
      {"metadata.max.idle.ms", 5000, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.metadata_max_idle.count(); },
       [](producer_config& c, std::int64_t v) { c.metadata_max_idle = ms(v); }},
      {"partitioner.availability.timeout.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.partitioner_availability_timeout.count(); },
       [](producer_config& c, std::int64_t v) { c.partitioner_availability_timeout = ms(v); }},
      {"connections.max.idle.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.connections_max_idle.count(); },
       [](producer_config& c, std::int64_t v) { c.connections_max_idle = ms(v); }},
      // KIP-1102 (Java: at least 0).
      {"metadata.recovery.rebootstrap.trigger.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> {
         return c.metadata_recovery_rebootstrap_trigger.count();
       },
       [](producer_config& c, std::int64_t v) { c.metadata_recovery_rebootstrap_trigger = ms(v); }},
      // librdkafka's bounds (0: off, at most a day).
      {"statistics.interval.ms", 0, 86400000,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.statistics_interval.count(); },
       [](producer_config& c, std::int64_t v) { c.statistics_interval = ms(v); }},
      {"transaction.timeout.ms", 1, int32_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.transaction_timeout.count(); },
       [](producer_config& c, std::int64_t v) { c.transaction_timeout = ms(v); }},
      {"max.block.ms", 0, int64_max, [](const producer_config& c) -> std::optional<std::int64_t> { return c.max_block.count(); },
       [](producer_config& c, std::int64_t v) { c.max_block = ms(v); }},
      // Java has no validator here; a negative connect timeout means nothing, so kafkio requires >= 0.
      {"socket.connection.setup.timeout.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.socket_connection_setup_timeout.count(); },
       [](producer_config& c, std::int64_t v) { c.socket_connection_setup_timeout = ms(v); }},
      {"reconnect.backoff.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.reconnect_backoff.count(); },
       [](producer_config& c, std::int64_t v) { c.reconnect_backoff = ms(v); }},
      {"reconnect.backoff.max.ms", 0, int64_max,
       [](const producer_config& c) -> std::optional<std::int64_t> { return c.reconnect_backoff_max.count(); },
       [](producer_config& c, std::int64_t v) { c.reconnect_backoff_max = ms(v); }},
      // kafkio's own: a frame's size prefix is an int32; below 1 KiB even a metadata response would not fit.
      {"receive.message.max.bytes", 1024, int32_max,
       [](const producer_config& c) -> std::optional<std::int64_t> {
         return c.max_frame_size > static_cast<std::size_t>(int64_max) ? int64_max
                                                                        : static_cast<std::int64_t>(c.max_frame_size);
       },
       [](producer_config& c, std::int64_t v) { c.max_frame_size = static_cast<std::size_t>(v); }},
  }};
  return table;
}

inline const integer_property* find_integer_property(std::string_view key) {
  for (const auto& p : integer_properties())
    if (p.key == key) return &p;
  return nullptr;
}

// ---- compression levels ----------------------------------------------------------------------------------------

struct level_range {
  std::string_view key;  // compression.<codec>.level
  int min, max;
  std::optional<int> also_accepted;  // gzip: -1, zlib's "default level"
};

inline std::optional<level_range> level_range_for(compression_type c) noexcept {
  switch (c) {
    case compression_type::gzip: return level_range{"compression.gzip.level", 1, 9, -1};
    case compression_type::lz4: return level_range{"compression.lz4.level", 1, 17, std::nullopt};
    case compression_type::zstd: return level_range{"compression.zstd.level", -131072, 22, std::nullopt};
    default: return std::nullopt;
  }
}

inline bool level_in_range(const level_range& r, std::int64_t v) noexcept {
  return (v >= r.min && v <= r.max) || (r.also_accepted && v == *r.also_accepted);
}

inline std::string level_range_text(const level_range& r) {
  return range_text(r.min, r.max) + (r.also_accepted ? " or " + std::to_string(*r.also_accepted) : "");
}

// ---- enumerations ----------------------------------------------------------------------------------------------

template <class E> struct spelling {
  std::string_view text;
  E value;
};

// The first spelling of a value is the canonical one (what to_string and to_properties write).
inline constexpr spelling<acks_mode> acks_spellings[] = {
    {"all", acks_mode::all}, {"-1", acks_mode::all}, {"1", acks_mode::leader}, {"0", acks_mode::none}};
inline constexpr spelling<compression_type> compression_spellings[] = {
    {"none", compression_type::none}, {"gzip", compression_type::gzip}, {"snappy", compression_type::snappy},
    {"lz4", compression_type::lz4},   {"zstd", compression_type::zstd}};
inline constexpr spelling<partitioner_type> partitioner_spellings[] = {
    {"default", partitioner_type::murmur2_sticky},
    {"murmur2_sticky", partitioner_type::murmur2_sticky},
    {"murmur2_random", partitioner_type::murmur2_random},
    {"round_robin", partitioner_type::round_robin},
    {"random", partitioner_type::random}};
inline constexpr spelling<security_protocol_type> security_protocol_spellings[] = {
    {"PLAINTEXT", security_protocol_type::plaintext},
    {"SASL_PLAINTEXT", security_protocol_type::sasl_plaintext},
    {"SSL", security_protocol_type::ssl},
    {"SASL_SSL", security_protocol_type::sasl_ssl}};
inline constexpr spelling<metadata_recovery_strategy> metadata_recovery_spellings[] = {
    {"rebootstrap", metadata_recovery_strategy::rebootstrap}, {"none", metadata_recovery_strategy::none}};
inline constexpr spelling<sasl_mechanism_type> sasl_mechanism_spellings[] = {
    {"PLAIN", sasl_mechanism_type::plain},
    {"SCRAM-SHA-256", sasl_mechanism_type::scram_sha_256},
    {"SCRAM-SHA-512", sasl_mechanism_type::scram_sha_512},
    {"OAUTHBEARER", sasl_mechanism_type::oauthbearer}};
inline constexpr spelling<oauthbearer_method> oauthbearer_method_spellings[] = {
    {"default", oauthbearer_method::application}, {"oidc", oauthbearer_method::oidc}};

template <class E> std::string_view canonical(std::span<const spelling<E>> table, E v) noexcept {
  for (const auto& s : table)
    if (s.value == v) return s.text;
  return {};
}

// Case-insensitive, like Java's security.protocol (Kafka is case-sensitive for some of the others; accepting more
// spellings than Java loses nothing).
template <class E> std::optional<E> lookup(std::span<const spelling<E>> table, std::string_view text) noexcept {
  for (const auto& s : table)
    if (iequals(s.text, text)) return s.value;
  return std::nullopt;
}

template <class E> std::string one_of(std::span<const spelling<E>> table) {
  std::string out = "one of ";
  for (std::size_t i = 0; i < table.size(); ++i) out += (i ? ", " : "") + std::string(table[i].text);
  return out;
}

// ---- string properties (TLS, OAUTHBEARER) -----------------------------------------------------------------------------------

struct string_property {
  std::string_view key;
  std::string producer_config::*field;
  bool secret;  // shown as "[hidden]" by to_properties()
};

inline constexpr string_property string_properties[] = {
    {"ssl.truststore.location", &producer_config::ssl_truststore_location, false},
    {"ssl.truststore.certificates", &producer_config::ssl_truststore_certificates, false},
    {"ssl.certificate.location", &producer_config::ssl_certificate_location, false},
    {"ssl.key.location", &producer_config::ssl_key_location, false},
    {"ssl.keystore.certificate.chain", &producer_config::ssl_certificate_pem, false},
    {"ssl.keystore.key", &producer_config::ssl_key_pem, true},
    {"ssl.key.password", &producer_config::ssl_key_password, true},
    {"ssl.endpoint.identification.algorithm", &producer_config::ssl_endpoint_identification_algorithm, false},
    {"ssl.enabled.protocols", &producer_config::ssl_enabled_protocols, false},
    {"ssl.cipher.suites", &producer_config::ssl_cipher_suites, false},
    {"sasl.oauthbearer.config", &producer_config::sasl_oauthbearer_config, false},
    {"sasl.oauthbearer.token.endpoint.url", &producer_config::sasl_oauthbearer_token_endpoint_url, false},
    {"sasl.oauthbearer.client.id", &producer_config::sasl_oauthbearer_client_id, false},
    {"sasl.oauthbearer.client.secret", &producer_config::sasl_oauthbearer_client_secret, true},
    {"sasl.oauthbearer.scope", &producer_config::sasl_oauthbearer_scope, false},
    {"sasl.oauthbearer.extensions", &producer_config::sasl_oauthbearer_extensions, false},
};

inline const string_property* find_string_property(std::string_view key) {
  for (const auto& p : string_properties)
    if (p.key == key) return &p;
  return nullptr;
}

// ---- true/false properties ----------------------------------------------------------------------------------------

struct bool_property {
  std::string_view key;
  bool producer_config::*field;
};

inline constexpr bool_property bool_properties[] = {
    {"enable.ssl.certificate.verification", &producer_config::ssl_certificate_verification},
    {"enable.sasl.oauthbearer.unsecure.jwt", &producer_config::sasl_oauthbearer_unsecure_jwt},
    {"partitioner.adaptive.partitioning.enable", &producer_config::partitioner_adaptive_partitioning},
    {"partitioner.ignore.keys", &producer_config::partitioner_ignore_keys},
};

inline const bool_property* find_bool_property(std::string_view key) {
  for (const auto& p : bool_properties)
    if (p.key == key) return &p;
  return nullptr;
}

// librdkafka's names (what confluent-kafka's users bring) for keys that mean the same thing: parse() reads them as
// the key they stand for. The one table of aliases; the Python binding passes these through.
struct property_alias {
  std::string_view alias, key;
};
inline constexpr property_alias property_aliases[] = {
    {"ssl.ca.location", "ssl.truststore.location"},
    {"ssl.ca.pem", "ssl.truststore.certificates"},
    {"ssl.certificate.pem", "ssl.keystore.certificate.chain"},
    {"ssl.key.pem", "ssl.keystore.key"},
    {"sasl.mechanisms", "sasl.mechanism"},
    // Java 4.1's names (KIP-1139) for the client credentials.
    {"sasl.oauthbearer.client.credentials.client.id", "sasl.oauthbearer.client.id"},
    {"sasl.oauthbearer.client.credentials.client.secret", "sasl.oauthbearer.client.secret"},
};

inline std::string_view resolve_alias(std::string_view key) noexcept {
  for (const auto& a : property_aliases)
    if (a.alias == key) return a.key;
  return key;
}

// ssl.enabled.protocols entries kafkio accepts (TLS 1.0 and 1.1 are deprecated, RFC 8996).
inline constexpr std::string_view tls_versions[] = {"TLSv1.2", "TLSv1.3"};

// ---- keys ------------------------------------------------------------------------------------------------------

// Every key parse() accepts that is not in the integer, string or true/false tables.
inline constexpr std::string_view other_keys[] = {
    "bootstrap.servers",      "client.id",             "acks",
    "compression.type",       "compression.level",     "compression.gzip.level",
    "compression.lz4.level",  "compression.zstd.level", "enable.idempotence",
    "partitioner",            "transactional.id",
    "security.protocol",      "sasl.mechanism",        "sasl.username",
    "sasl.password",          "ssl.keystore.location", "ssl.truststore.type",
    "ssl.keystore.type",      "metadata.recovery.strategy", "sasl.oauthbearer.method",
    "client.dns.lookup"};

// Java producer keys kafkio deliberately lacks, so the message can say so instead of "unknown".
struct unsupported_key {
  std::string_view key, why;
};
inline constexpr unsupported_key unsupported_java_keys[] = {
    {"key.serializer", "records are bytes; serialize before send()"},
    {"value.serializer", "records are bytes; serialize before send()"},
    {"partitioner.class", "use 'partitioner' (default, murmur2_random, round_robin, random)"},
    {"interceptor.classes", "there are no interceptors"},
    {"sasl.jaas.config", "use 'sasl.username' and 'sasl.password' (OAUTHBEARER: the sasl.oauthbearer.* keys)"},
    {"sasl.login.callback.handler.class", "use producer::set_oauthbearer_token_refresh_callback"},
    {"ssl.truststore.password", "trust stores are PEM, which has no password"},
    {"ssl.keystore.password", "key stores are PEM: an encrypted key takes ssl.key.password"},
    {"compression.snappy.level", "snappy has no levels"},
};

inline std::string unknown_key_message(std::string_view key) {
  for (const auto& u : unsupported_java_keys)
    if (u.key == key) return "property '" + std::string(key) + "' is not supported by kafkio: " + std::string(u.why);
  std::string lowered(key);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  auto consider = [&](std::string_view candidate) {
    std::size_t d = edit_distance(lowered, candidate);
    if (d < best_distance) best = candidate, best_distance = d;
  };
  for (const auto& p : integer_properties()) consider(p.key);
  for (auto k : other_keys) consider(k);
  for (const auto& p : string_properties) consider(p.key);
  for (const auto& p : bool_properties) consider(p.key);
  for (const auto& a : property_aliases) consider(a.alias);
  std::string message = "unknown property '" + std::string(key) + "'";
  // Small relative to the key: a typo, not a different word.
  if (best_distance <= 2 || (best_distance <= 3 && key.size() >= 10))
    message += " (did you mean '" + std::string(best) + "'?)";
  return message;
}

inline bool valid_host_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// Saturating linger + request timeout, the Java client's minimum for delivery.timeout.ms (capped to int32 as Java's
// int arithmetic does).
inline std::int64_t linger_plus_request_timeout(const producer_config& c) noexcept {
  std::int64_t linger = std::min<std::int64_t>(c.linger.count(), int32_max);
  return std::min<std::int64_t>(linger + std::max<std::int64_t>(c.request_timeout.count(), 0), int32_max);
}

inline constexpr std::int64_t default_delivery_timeout_ms = 120000;

}  // namespace detail

}  // namespace kafkio
