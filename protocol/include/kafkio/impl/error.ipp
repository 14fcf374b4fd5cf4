// Definitions for kafkio/error.hpp (header-only: inline).
#pragma once

#include <kafkio/detail/kafka_error_table.hpp>

#include <algorithm>

namespace kafkio {

inline const kafka_error_info* find_kafka_error(std::int16_t code) noexcept {
  const auto& table = detail::kafka_error_table;
  auto it = std::lower_bound(table.begin(), table.end(), code,
                             [](const kafka_error_info& e, std::int16_t c) { return e.code < c; });
  return it != table.end() && it->code == code ? &*it : nullptr;
}

namespace detail {

class kafka_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kafka"; }
  std::string message(int code) const override {
    if (const auto* e = find_kafka_error(static_cast<std::int16_t>(code)))
      return std::string(e->name) + ": " + std::string(e->message);
    return "unknown Kafka error code " + std::to_string(code);
  }
};

class client_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kafkio"; }
  std::string message(int code) const override {
    switch (static_cast<client_errc>(code)) {
      case client_errc::truncated: return "input truncated";
      case client_errc::malformed_varint: return "malformed varint";
      case client_errc::malformed_length: return "malformed length field";
      case client_errc::unexpected_null: return "null value where the schema forbids it";
      case client_errc::malformed_tagged_fields: return "malformed tagged fields";
      case client_errc::trailing_bytes: return "unexpected bytes after the end of the message";
      case client_errc::frame_too_large: return "frame larger than the configured maximum";
      case client_errc::correlation_mismatch: return "response correlation id does not match the request";
      case client_errc::unsupported_version: return "no API version supported by both client and broker";
      case client_errc::crc_mismatch: return "record batch CRC-32C mismatch";
      case client_errc::corrupt_batch: return "corrupt record batch";
      case client_errc::unsupported_compression: return "unsupported compression codec";
      case client_errc::compression_failed: return "compression failed";
      case client_errc::decompression_failed: return "decompression failed: malformed compressed data";
      case client_errc::decompressed_too_large: return "decompressed data exceeds the configured limit";
      case client_errc::invalid_config: return "invalid configuration";
      case client_errc::record_too_large: return "record too large";
      case client_errc::queue_full: return "producer queue full (buffer.memory exhausted)";
      case client_errc::delivery_timeout: return "delivery timed out (delivery.timeout.ms)";
      case client_errc::request_timeout: return "request timed out (request.timeout.ms)";
      case client_errc::producer_closed: return "producer closed";
      case client_errc::unknown_topic: return "unknown topic";
      case client_errc::unknown_partition: return "unknown partition";
      case client_errc::broker_connection_failed: return "could not connect to any broker";
      case client_errc::authentication_failed: return "authentication failed";
      case client_errc::fatal_producer_state: return "idempotent producer state cannot be recovered";
      case client_errc::invalid_topic_name:
        return "invalid topic name: Kafka allows 1 to 249 ASCII letters, digits, '.', '_' and '-', "
               "and not \".\" or \"..\"";
      case client_errc::transaction_state: return "not allowed in the producer's transaction state";
      case client_errc::transaction_aborted: return "the transaction was aborted before the record was sent";
      case client_errc::transaction_timeout: return "transactional operation timed out (max.block.ms)";
    }
    return "unknown kafkio error " + std::to_string(code);
  }
};

}  // namespace detail

inline const std::error_category& kafka_category() noexcept {
  static const detail::kafka_error_category c;
  return c;
}
inline const std::error_category& client_category() noexcept {
  static const detail::client_error_category c;
  return c;
}

inline bool is_retriable(std::error_code ec) noexcept {
  if (ec.category() == kafka_category()) {
    const auto* e = find_kafka_error(static_cast<std::int16_t>(ec.value()));
    return e && e->retriable;
  }
  if (ec.category() == client_category())
    return ec == client_errc::request_timeout || ec == client_errc::broker_connection_failed;
  return false;
}

}  // namespace kafkio
