// Kafka's rule for legal topic names, the one home of it in kafkio (the producer refuses an illegal name at once,
// kafkio-server answers it without producing). The rule is Apache Kafka's
// org.apache.kafka.common.internals.Topic.validate: 1 to 249 characters, each an ASCII letter, digit, '.', '_' or
// '-', and not "." or "..". A broker refuses anything else with INVALID_TOPIC_EXCEPTION, but only after the
// client asked for its metadata; checking here fails the record without a round trip.
#pragma once

#include <kafkio/error.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>

namespace kafkio {

// Kafka's limit (Topic.MAX_NAME_LENGTH): a partition's directory is "<name>-<partition>", and 255 is the usual
// file name limit.
inline constexpr std::size_t max_topic_name_length = 249;

// Empty error_code for a legal name, else client_errc::invalid_topic_name.
inline std::error_code validate_topic_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_topic_name_length || name == "." || name == "..")
    return make_error_code(client_errc::invalid_topic_name);
  for (char c : name) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '-';
    if (!legal) return make_error_code(client_errc::invalid_topic_name);
  }
  return {};
}

}  // namespace kafkio
