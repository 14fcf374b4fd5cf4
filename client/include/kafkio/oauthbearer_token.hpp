// kafkio::oauthbearer_token — what an application's token source hands the producer for SASL/OAUTHBEARER
// (KIP-255; docs/producer.md, "OAUTHBEARER"): librdkafka's rd_kafka_oauthbearer_set_token(), as a struct.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace kafkio {

struct oauthbearer_token {
  std::string value;                              // the bearer token (usually a JWT), sent as it is
  std::chrono::system_clock::time_point expiry;   // when it stops being valid (the JWT's exp)
  std::string principal;                          // whom it names, for the log
  std::map<std::string, std::string> extensions;  // SASL extensions (RFC 7628 §3.1), with sasl.oauthbearer.extensions
};

// Called when the producer needs a token, with sasl.oauthbearer.config; see producer::set_oauthbearer_token_refresh_callback.
using oauthbearer_refresh_function = std::function<void(std::string_view sasl_oauthbearer_config)>;

}  // namespace kafkio
