// Definitions for kafkio/producer_config.hpp (header-only: inline).
//
// The property tables live in detail/producer_config_tables.hpp; messages name the property key even for
// hand-filled structs, because the key is what the documentation (ours and the Java client's) indexes.
#pragma once

#include <kafkio/detail/oauthbearer_options.hpp>
#include <kafkio/detail/oidc_protocol.hpp>
#include <kafkio/detail/producer_config_tables.hpp>

namespace kafkio {

inline std::string_view to_string(acks_mode v) noexcept { return detail::canonical<acks_mode>(detail::acks_spellings, v); }
inline std::string_view to_string(compression_type v) noexcept {
  return detail::canonical<compression_type>(detail::compression_spellings, v);
}
inline std::string_view to_string(partitioner_type v) noexcept {
  return detail::canonical<partitioner_type>(detail::partitioner_spellings, v);
}
inline std::string_view to_string(security_protocol_type v) noexcept {
  return detail::canonical<security_protocol_type>(detail::security_protocol_spellings, v);
}
inline std::string_view to_string(sasl_mechanism_type v) noexcept {
  return detail::canonical<sasl_mechanism_type>(detail::sasl_mechanism_spellings, v);
}
inline std::string_view to_string(oauthbearer_method v) noexcept {
  return detail::canonical<oauthbearer_method>(detail::oauthbearer_method_spellings, v);
}
inline std::string_view to_string(metadata_recovery_strategy v) noexcept {
  return detail::canonical<metadata_recovery_strategy>(detail::metadata_recovery_spellings, v);
}

inline std::optional<broker_address> parse_broker_address(std::string_view entry, std::uint16_t min_port) {
  std::string_view host;
  std::string_view rest;
  if (!entry.empty() && entry.front() == '[') {
    // [ipv6]:port — hex digits, colons, dots (embedded IPv4), and an optional %zone.
    auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = entry.substr(1, close - 1);
    rest = entry.substr(close + 1);
    auto zone = host.find('%');
    for (std::size_t i = 0; i < host.size(); ++i) {
      char c = host[i];
      bool ok = i > zone ? detail::valid_host_char(c)
                         : (std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || i == zone);
      if (!ok) return std::nullopt;
    }
    if (host.find(':') == std::string_view::npos) return std::nullopt;
  } else {
    auto colon = entry.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = entry.substr(0, colon);
    rest = entry.substr(colon);
    if (!std::all_of(host.begin(), host.end(), detail::valid_host_char)) return std::nullopt;
  }
  if (host.empty() || rest.size() < 2 || rest.front() != ':') return std::nullopt;
  rest.remove_prefix(1);
  if (!std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; }) || rest.size() > 5)
    return std::nullopt;
  auto port = detail::parse_integer(rest);
  if (!port || *port < min_port || *port > 65535) return std::nullopt;
  return broker_address{std::string(host), static_cast<std::uint16_t>(*port)};
}

inline bool producer_config::idempotence_enabled() const noexcept {
  return enable_idempotence.value_or(acks == acks_mode::all && retries > 0);
}

inline std::chrono::milliseconds producer_config::effective_delivery_timeout() const noexcept {
  if (delivery_timeout) return *delivery_timeout;
  return milliseconds(std::max(detail::default_delivery_timeout_ms, detail::linger_plus_request_timeout(*this)));
}

namespace detail {

inline std::string describe_integer(std::int64_t v) { return std::to_string(v); }

// The TLS settings: each source of a certificate given once, a client key with its chain, known protocol names.
inline std::string check_tls(const producer_config& c, std::vector<std::string>& notes) {
  const producer_config defaults;
  // The trust store also serves an https OIDC token endpoint (oidc_token_client.hpp), with or without TLS to brokers.
  oidc::endpoint_url token_url;
  const bool trust_for_oidc = c.uses_oauthbearer() &&
                              oidc::parse_url(c.sasl_oauthbearer_token_endpoint_url, token_url).empty() && token_url.https;
  bool any_set = c.ssl_certificate_verification != defaults.ssl_certificate_verification;
  for (const auto& p : string_properties)
    if (p.key.substr(0, 4) == "ssl." && !(trust_for_oidc && p.key.starts_with("ssl.truststore.")))
      any_set |= c.*p.field != defaults.*p.field;
  if (trust_for_oidc && !c.ssl_truststore_location.empty() && !c.ssl_truststore_certificates.empty())
    return "ssl.truststore.location and ssl.truststore.certificates are both set: give one";
  if (!c.uses_tls()) {
    if (any_set)
      notes.push_back("the ssl.* settings are ignored because security.protocol=" +
                      std::string(to_string(c.security_protocol)));
    return {};
  }
  auto both = [](std::string_view a, std::string_view b) {
    return std::string(a) + " and " + std::string(b) + " are both set: give one";
  };
  if (!c.ssl_truststore_location.empty() && !c.ssl_truststore_certificates.empty())
    return both("ssl.truststore.location", "ssl.truststore.certificates");
  if (!c.ssl_certificate_location.empty() && !c.ssl_certificate_pem.empty())
    return both("ssl.certificate.location", "ssl.keystore.certificate.chain");
  if (!c.ssl_key_location.empty() && !c.ssl_key_pem.empty()) return both("ssl.key.location", "ssl.keystore.key");
  const bool has_chain = !c.ssl_certificate_location.empty() || !c.ssl_certificate_pem.empty();
  const bool has_key = !c.ssl_key_location.empty() || !c.ssl_key_pem.empty();
  if (has_chain != has_key)
    return has_chain ? "a client certificate (ssl.certificate.location or ssl.keystore.certificate.chain) needs its "
                       "private key (ssl.key.location or ssl.keystore.key)"
                     : "a client private key (ssl.key.location or ssl.keystore.key) needs its certificate chain "
                       "(ssl.certificate.location or ssl.keystore.certificate.chain)";
  if (!has_key && !c.ssl_key_password.empty()) notes.push_back("ssl.key.password is ignored: there is no client key");
  if (c.ssl_endpoint_identification_algorithm != "https" && !c.ssl_endpoint_identification_algorithm.empty())
    return invalid_value("ssl.endpoint.identification.algorithm", c.ssl_endpoint_identification_algorithm,
                         "https, or empty (or none) to skip the host name check");
  std::string_view rest = c.ssl_enabled_protocols;
  if (trim(rest).empty())
    return invalid_value("ssl.enabled.protocols", c.ssl_enabled_protocols, "a comma-separated list of TLSv1.2, TLSv1.3");
  for (;;) {
    auto comma = rest.find(',');
    auto entry = trim(rest.substr(0, comma));
    if (std::find(std::begin(tls_versions), std::end(tls_versions), entry) == std::end(tls_versions))
      return invalid_value("ssl.enabled.protocols", c.ssl_enabled_protocols,
                           "a comma-separated list of TLSv1.2, TLSv1.3 (older versions are not supported)");
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!c.ssl_certificate_verification)
    notes.push_back("enable.ssl.certificate.verification=false: any broker certificate is accepted");
  return {};
}

// The OAUTHBEARER settings: one token source, an endpoint URL kafkio can fetch, options that parse. Resolves the
// method to oidc when a token endpoint is given (the Java client has no method key: the URL says it).
inline std::string check_oauthbearer(producer_config& c, std::vector<std::string>& notes) {
  const producer_config defaults;
  const bool any_set = c.sasl_oauthbearer_unsecure_jwt || c.sasl_oauthbearer_method != defaults.sasl_oauthbearer_method ||
                       !c.sasl_oauthbearer_config.empty() || !c.sasl_oauthbearer_token_endpoint_url.empty() ||
                       !c.sasl_oauthbearer_client_id.empty() || !c.sasl_oauthbearer_client_secret.empty() ||
                       !c.sasl_oauthbearer_scope.empty() || !c.sasl_oauthbearer_extensions.empty();
  if (!c.uses_oauthbearer()) {
    if (any_set) notes.push_back("the sasl.oauthbearer.* settings are ignored because sasl.mechanism is not OAUTHBEARER");
    return {};
  }
  if (!c.sasl_oauthbearer_token_endpoint_url.empty()) c.sasl_oauthbearer_method = oauthbearer_method::oidc;
  sasl_extensions extensions;
  if (auto why = parse_sasl_extensions(c.sasl_oauthbearer_extensions, extensions); !why.empty())
    return invalid_value("sasl.oauthbearer.extensions", c.sasl_oauthbearer_extensions, "k=v,k=v: " + why);
  if (c.sasl_oauthbearer_method == oauthbearer_method::oidc) {
    if (c.sasl_oauthbearer_unsecure_jwt)
      return "enable.sasl.oauthbearer.unsecure.jwt=true and sasl.oauthbearer.method=oidc are both set: give one";
    const auto& url = c.sasl_oauthbearer_token_endpoint_url;
    if (url.empty()) return "sasl.oauthbearer.method=oidc requires sasl.oauthbearer.token.endpoint.url";
    oidc::endpoint_url parsed;
    if (auto why = oidc::parse_url(url, parsed); !why.empty())
      return invalid_value("sasl.oauthbearer.token.endpoint.url", url, "an http:// or https:// URL: " + why);
    if (c.sasl_oauthbearer_client_id.empty() || c.sasl_oauthbearer_client_secret.empty())
      return "OIDC client credentials need sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret";
    if (!c.sasl_oauthbearer_config.empty())
      notes.push_back("sasl.oauthbearer.config is ignored with sasl.oauthbearer.method=oidc");
  } else if (c.sasl_oauthbearer_unsecure_jwt) {
    unsecured_jwt_options options;
    if (auto why = parse_unsecured_jwt_options(c.sasl_oauthbearer_config, options); !why.empty())
      return invalid_value("sasl.oauthbearer.config", c.sasl_oauthbearer_config,
                           "'principal=NAME [scope=a,b] [lifeSeconds=N] [extension_K=V]': " + why);
    notes.push_back("enable.sasl.oauthbearer.unsecure.jwt=true: unsigned tokens, for development brokers only");
  }
  if (!c.sasl_username.empty() || !c.sasl_password.empty())
    notes.push_back("sasl.username and sasl.password are ignored with sasl.mechanism=OAUTHBEARER");
  return {};
}

// Range and cross-field checks shared by validate() and parse(). Resolves `c` in place (enable_idempotence,
// delivery_timeout, gzip level -1) and returns an error message, or "" when `c` is valid.
inline std::string check_and_resolve(producer_config& c, std::vector<std::string>& notes) {
  if (c.bootstrap_servers.empty())
    return "bootstrap.servers is required: expected a comma-separated list of host:port";
  for (std::size_t i = 0; i < c.bootstrap_servers.size(); ++i) {
    const auto& entry = c.bootstrap_servers[i];
    if (!parse_broker_address(entry))
      return invalid_value("bootstrap.servers", entry,
                           "host:port with a port in [1, 65535] (an IPv6 address as [address]:port)");
    if (std::find(c.bootstrap_servers.begin(), c.bootstrap_servers.begin() + static_cast<std::ptrdiff_t>(i), entry) !=
        c.bootstrap_servers.begin() + static_cast<std::ptrdiff_t>(i))
      return "bootstrap.servers lists '" + entry + "' twice";
  }
  if (c.client_id.size() > 32767)
    return "client.id is " + std::to_string(c.client_id.size()) + " bytes long: expected at most 32767";

  for (const auto& p : integer_properties()) {
    auto v = p.get(c);
    if (v && (*v < p.min || *v > p.max)) return invalid_value(p.key, describe_integer(*v), range_text(p.min, p.max));
  }
  // Hand-filled structs can hold values no enumerator names.
  if (to_string(c.acks).empty())
    return invalid_value("acks", describe_integer(static_cast<int>(c.acks)), one_of<acks_mode>(acks_spellings));
  if (to_string(c.compression).empty())
    return invalid_value("compression.type", describe_integer(static_cast<int>(c.compression)),
                         one_of<compression_type>(compression_spellings));
  if (to_string(c.partitioner).empty())
    return invalid_value("partitioner", describe_integer(static_cast<int>(c.partitioner)),
                         one_of<partitioner_type>(partitioner_spellings));
  if (c.partitioner != partitioner_type::murmur2_sticky) {
    const producer_config defaults;
    if (c.partitioner_adaptive_partitioning != defaults.partitioner_adaptive_partitioning ||
        c.partitioner_availability_timeout != defaults.partitioner_availability_timeout ||
        c.partitioner_ignore_keys != defaults.partitioner_ignore_keys)
      notes.push_back("the partitioner.* settings (KIP-794) are ignored because partitioner=" +
                      std::string(to_string(c.partitioner)) + " (they tune the default partitioner)");
  }
  if (to_string(c.security_protocol).empty())
    return invalid_value("security.protocol", describe_integer(static_cast<int>(c.security_protocol)),
                         one_of<security_protocol_type>(security_protocol_spellings));
  if (to_string(c.metadata_recovery).empty())
    return invalid_value("metadata.recovery.strategy", describe_integer(static_cast<int>(c.metadata_recovery)),
                         one_of<metadata_recovery_strategy>(metadata_recovery_spellings));
  if (to_string(c.sasl_mechanism).empty())
    return invalid_value("sasl.mechanism", describe_integer(static_cast<int>(c.sasl_mechanism)),
                         one_of<sasl_mechanism_type>(sasl_mechanism_spellings));
  if (to_string(c.sasl_oauthbearer_method).empty())
    return invalid_value("sasl.oauthbearer.method", describe_integer(static_cast<int>(c.sasl_oauthbearer_method)),
                         one_of<oauthbearer_method>(oauthbearer_method_spellings));

  if (c.compression_level) {
    auto range = level_range_for(c.compression);
    if (!range)
      return "compression.level=" + std::to_string(*c.compression_level) + " cannot be used with compression.type=" +
             std::string(to_string(c.compression)) + ": only gzip, lz4 and zstd have levels";
    if (!level_in_range(*range, *c.compression_level))
      return invalid_value(range->key, describe_integer(*c.compression_level), level_range_text(*range));
    if (range->also_accepted && *c.compression_level == *range->also_accepted) c.compression_level.reset();
  }

  // KafkaProducer: "Cannot set a transactional.id without also enabling idempotence".
  if (c.transactional() && c.enable_idempotence == false)
    return "transactional.id requires enable.idempotence=true (enable.idempotence=false)";
  if (c.transactional_id.size() > 32767)
    return "transactional.id is " + std::to_string(c.transactional_id.size()) + " bytes long: expected at most 32767";
  // The Java client's postProcessAndValidateIdempotenceConfigs (Kafka 4.x): conflicts with an explicit
  // enable.idempotence=true are errors; with the default, acks and retries conflicts turn idempotence off, but
  // max.in.flight > 5 is an error either way (KAFKA-17927).
  if (c.enable_idempotence.value_or(true)) {
    const bool explicit_setting = c.enable_idempotence.has_value();
    bool disable = false;
    if (c.retries == 0) {
      if (explicit_setting) return "enable.idempotence=true requires retries > 0 (retries=0)";
      notes.push_back("idempotence disabled because retries=0 (the idempotent producer needs retries > 0)");
      disable = true;
    }
    if (c.acks != acks_mode::all) {
      if (explicit_setting)
        return "enable.idempotence=true requires acks=all (acks=" + std::string(to_string(c.acks)) + ")";
      notes.push_back("idempotence disabled because acks=" + std::string(to_string(c.acks)) +
                      " (the idempotent producer needs acks=all)");
      disable = true;
    }
    if (c.max_in_flight_requests_per_connection > 5)
      return "max.in.flight.requests.per.connection=" + std::to_string(c.max_in_flight_requests_per_connection) +
             " is above 5, the most the idempotent producer allows" +
             (explicit_setting ? "" : " (idempotence is on by default)") + ": lower it or set enable.idempotence=false";
    if (disable && c.transactional())
      return "transactional.id requires idempotence, which needs acks=all and retries > 0";
    c.enable_idempotence = !disable;
  }

  // KafkaProducer.configureDeliveryTimeout: an explicit value below linger + request timeout is an error; the
  // default is raised to it.
  const std::int64_t minimum_delivery = linger_plus_request_timeout(c);
  if (c.delivery_timeout) {
    if (c.delivery_timeout->count() < minimum_delivery)
      return "delivery.timeout.ms=" + std::to_string(c.delivery_timeout->count()) +
             " must be at least linger.ms + request.timeout.ms = " + std::to_string(minimum_delivery);
  } else {
    if (default_delivery_timeout_ms < minimum_delivery)
      notes.push_back("delivery.timeout.ms raised from its default " + std::to_string(default_delivery_timeout_ms) +
                      " to linger.ms + request.timeout.ms = " + std::to_string(minimum_delivery));
    c.delivery_timeout = c.effective_delivery_timeout();
  }

  if (auto why = check_oauthbearer(c, notes); !why.empty()) return why;
  if (c.uses_sasl() && !c.uses_oauthbearer() && c.sasl_username.empty())
    return "security.protocol=" + std::string(to_string(c.security_protocol)) + " requires sasl.username";
  if (!c.uses_sasl() && (!c.sasl_username.empty() || !c.sasl_password.empty()))
    notes.push_back("sasl.username and sasl.password are ignored because security.protocol=" +
                    std::string(to_string(c.security_protocol)));
  if (auto why = check_tls(c, notes); !why.empty()) return why;

  // Java warns and uses a static backoff of the maximum; so does kafkio.
  auto static_backoff_note = [&](std::string_view base_key, ms base, std::string_view max_key, ms max) {
    if (base > max)
      notes.push_back(std::string(base_key) + "=" + std::to_string(base.count()) + " is above " +
                      std::string(max_key) + "=" + std::to_string(max.count()) + ": a static backoff of " +
                      std::to_string(max.count()) + " ms applies");
  };
  static_backoff_note("retry.backoff.ms", c.retry_backoff, "retry.backoff.max.ms", c.retry_backoff_max);
  static_backoff_note("reconnect.backoff.ms", c.reconnect_backoff, "reconnect.backoff.max.ms", c.reconnect_backoff_max);
  return {};
}

template <class E>
bool parse_enum(std::span<const spelling<E>> table, std::string_view key, std::string_view value, E& out,
                std::string& error, std::string_view extra = {}) {
  if (auto v = lookup(table, value)) return out = *v, true;
  error = invalid_value(key, value, one_of(table) + std::string(extra));
  return false;
}

inline std::optional<compression_type> codec_of_level_key(std::string_view key) noexcept {
  for (auto c : {compression_type::gzip, compression_type::lz4, compression_type::zstd})
    if (level_range_for(c)->key == key) return c;
  return std::nullopt;
}

}  // namespace detail

inline config_result producer_config::validate() const {
  config_result r;
  r.config = *this;
  r.message = detail::check_and_resolve(r.config, r.notes);
  if (!r.message.empty()) r.error = make_error_code(client_errc::invalid_config);
  return r;
}

inline config_result producer_config::parse(const property_list& properties) {
  using namespace detail;
  producer_config c;
  std::vector<std::string> notes;
  std::optional<int> generic_level;
  std::optional<int> codec_level[5];  // by compression_type id; only gzip, lz4, zstd are used
  bool reconnect_backoff_set = false, reconnect_backoff_max_set = false;

  auto fail = [](std::string message) {
    config_result r;
    r.error = make_error_code(client_errc::invalid_config);
    r.message = std::move(message);
    return r;
  };

  std::string error;
  for (const auto& [raw_key, raw_value] : properties) {
    const std::string_view key = resolve_alias(trim(raw_key));
    const std::string_view value = trim(raw_value);  // Java trims every non-password value
    if (const auto* p = find_integer_property(key)) {
      auto v = parse_integer(value);
      if (!v || *v < p->min || *v > p->max) return fail(invalid_value(key, value, range_text(p->min, p->max)));
      p->set(c, *v);
      reconnect_backoff_set |= key == "reconnect.backoff.ms";
      reconnect_backoff_max_set |= key == "reconnect.backoff.max.ms";
    } else if (key == "bootstrap.servers") {
      c.bootstrap_servers.clear();
      for (std::string_view rest = value;;) {
        auto comma = rest.find(',');
        auto entry = trim(rest.substr(0, comma));
        if (entry.empty()) return fail(invalid_value(key, value, "a comma-separated list of host:port"));
        c.bootstrap_servers.emplace_back(entry);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (key == "client.id") {
      c.client_id = raw_value;  // verbatim: it is an identifier, so spaces are the user's to keep
    } else if (key == "transactional.id") {
      c.transactional_id = raw_value;
    } else if (key == "sasl.username") {
      c.sasl_username = raw_value;
    } else if (key == "sasl.password") {
      c.sasl_password = raw_value;
    } else if (const auto* sp = find_string_property(key)) {
      // PEM text and passwords verbatim; names and paths trimmed like Java's other values.
      c.*sp->field = key == "ssl.key.password" || key == "ssl.keystore.key" ? std::string(raw_value) : std::string(value);
      if (key == "ssl.endpoint.identification.algorithm" && iequals(value, "none")) c.*sp->field = "";  // librdkafka
    } else if (key == "ssl.keystore.location") {
      c.ssl_certificate_location = c.ssl_key_location = value;  // Java's PEM key store: key and chain in one file
    } else if (key == "ssl.truststore.type" || key == "ssl.keystore.type") {
      if (!iequals(value, "PEM"))
        return fail(invalid_value(key, value, "PEM (kafkio reads PEM only; convert a JKS or PKCS12 store with "
                                              "keytool and openssl)"));
    } else if (key == "acks") {
      if (!parse_enum<acks_mode>(acks_spellings, key, value, c.acks, error)) return fail(error);
    } else if (key == "compression.type") {
      if (!parse_enum<compression_type>(compression_spellings, key, value, c.compression, error)) return fail(error);
    } else if (key == "partitioner") {
      if (!parse_enum<partitioner_type>(partitioner_spellings, key, value, c.partitioner, error)) return fail(error);
    } else if (key == "security.protocol") {
      if (!parse_enum<security_protocol_type>(security_protocol_spellings, key, value, c.security_protocol, error))
        return fail(error);
    } else if (key == "client.dns.lookup") {
      // KIP-302 / KIP-602: use_all_dns_ips is Java's default since 2.6 and what kafkio always does (every address
      // of a name tried in order, the name resolved again for each connection attempt). "default" was removed in
      // Kafka 3.0; KIP-235's canonical names serve Kerberos service principals, and kafkio has no GSSAPI.
      if (iequals(value, "resolve_canonical_bootstrap_servers_only"))
        return fail("client.dns.lookup=resolve_canonical_bootstrap_servers_only is not supported by kafkio: its "
                    "canonical host names are for SASL/GSSAPI (Kerberos), which kafkio lacks; use_all_dns_ips (the "
                    "default) connects to every address of each bootstrap name");
      if (!iequals(value, "use_all_dns_ips"))
        return fail(invalid_value(key, value, "use_all_dns_ips (\"default\" was removed in Kafka 3.0, KIP-602)"));
    } else if (key == "metadata.recovery.strategy") {
      if (!parse_enum<metadata_recovery_strategy>(metadata_recovery_spellings, key, value, c.metadata_recovery, error))
        return fail(error);
    } else if (key == "sasl.mechanism") {
      if (!parse_enum<sasl_mechanism_type>(sasl_mechanism_spellings, key, value, c.sasl_mechanism, error))
        return fail(error);
    } else if (key == "sasl.oauthbearer.method") {
      if (!parse_enum<oauthbearer_method>(oauthbearer_method_spellings, key, value, c.sasl_oauthbearer_method, error))
        return fail(error);
    } else if (auto* flag = find_bool_property(key)) {
      if (iequals(value, "true")) c.*flag->field = true;
      else if (iequals(value, "false")) c.*flag->field = false;
      else return fail(invalid_value(key, value, "true or false"));
    } else if (key == "enable.idempotence") {
      if (iequals(value, "true")) c.enable_idempotence = true;
      else if (iequals(value, "false")) c.enable_idempotence = false;
      else return fail(invalid_value(key, value, "true or false"));
    } else if (key == "compression.level") {
      auto v = parse_integer(value);
      if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
        return fail(invalid_value(key, value, "an integer (the level for compression.type)"));
      generic_level = static_cast<int>(*v);
    } else if (auto codec = codec_of_level_key(key)) {
      // Java validates each codec's level whether or not that codec is selected.
      auto range = *level_range_for(*codec);
      auto v = parse_integer(value);
      if (!v || !level_in_range(range, *v)) return fail(invalid_value(key, value, level_range_text(range)));
      codec_level[static_cast<int>(*codec)] = static_cast<int>(*v);
    } else {
      return fail(unknown_key_message(key));
    }
  }

  // Levels: compression.<codec>.level for the selected codec, or the generic compression.level; levels for other
  // codecs are accepted (Java has all three at once) and ignored.
  const auto selected_range = level_range_for(c.compression);
  for (auto codec : {compression_type::gzip, compression_type::lz4, compression_type::zstd})
    if (codec != c.compression && codec_level[static_cast<int>(codec)])
      notes.push_back(std::string(level_range_for(codec)->key) + " is ignored because compression.type=" +
                      std::string(to_string(c.compression)));
  if (generic_level) {
    const std::string text = std::to_string(*generic_level);
    if (!selected_range)
      return fail("compression.level=" + text + " cannot be used with compression.type=" +
                  std::string(to_string(c.compression)) + ": only gzip, lz4 and zstd have levels");
    if (!level_in_range(*selected_range, *generic_level))
      return fail(invalid_value("compression.level", text,
                                level_range_text(*selected_range) + " for " + std::string(to_string(c.compression))));
    auto specific = codec_level[static_cast<int>(c.compression)];
    if (specific && *specific != *generic_level)
      return fail("compression.level=" + text + " and " + std::string(selected_range->key) + "=" +
                  std::to_string(*specific) + " disagree");
  }
  c.compression_level = selected_range && codec_level[static_cast<int>(c.compression)]
                            ? codec_level[static_cast<int>(c.compression)]
                            : generic_level;

  // CommonClientConfigs.postProcessReconnectBackoffConfigs.
  if (reconnect_backoff_set && !reconnect_backoff_max_set) {
    c.reconnect_backoff_max = c.reconnect_backoff;
    notes.push_back("reconnect.backoff.max.ms set to reconnect.backoff.ms (" + std::to_string(c.reconnect_backoff.count()) +
                    " ms): exponential reconnect backoff is off because only reconnect.backoff.ms was given");
  }

  config_result r = c.validate();
  r.notes.insert(r.notes.begin(), notes.begin(), notes.end());
  return r;
}

inline property_list producer_config::to_properties(bool reveal_secrets) const {
  property_list out;
  auto add = [&out](std::string_view key, std::string_view value) { out.emplace_back(key, value); };
  std::string servers;
  for (const auto& s : bootstrap_servers) servers += (servers.empty() ? "" : ",") + s;
  add("bootstrap.servers", servers);
  add("client.id", client_id);
  add("acks", to_string(acks));
  add("compression.type", to_string(compression));
  if (compression_level) {
    auto range = detail::level_range_for(compression);
    add(range ? range->key : "compression.level", std::to_string(*compression_level));
  }
  add("enable.idempotence", idempotence_enabled() ? "true" : "false");
  add("partitioner", to_string(partitioner));
  add("transactional.id", transactional_id);
  add("security.protocol", to_string(security_protocol));
  add("sasl.mechanism", to_string(sasl_mechanism));
  add("sasl.username", sasl_username);
  add("sasl.password", reveal_secrets || sasl_password.empty() ? std::string_view(sasl_password) : "[hidden]");
  add("metadata.recovery.strategy", to_string(metadata_recovery));
  add("sasl.oauthbearer.method", to_string(sasl_oauthbearer_method));
  for (const auto& p : detail::string_properties) {
    const std::string& v = this->*p.field;
    add(p.key, !p.secret || reveal_secrets || v.empty() ? std::string_view(v) : "[hidden]");
  }
  for (const auto& p : detail::bool_properties) add(p.key, this->*p.field ? "true" : "false");
  for (const auto& p : detail::integer_properties()) {
    auto v = p.key == "delivery.timeout.ms" ? std::optional<std::int64_t>(effective_delivery_timeout().count())
                                            : p.get(*this);
    add(p.key, std::to_string(*v));
  }
  return out;
}

}  // namespace kafkio
