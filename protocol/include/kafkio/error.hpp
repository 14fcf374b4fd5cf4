// kafkio's error vocabulary, shared by every layer.
//
// Two std::error_category instances:
//  - kafka_category(): error codes a Kafka broker returns (the int16 `error_code` fields), with Kafka's names and
//    a `retriable` flag taken from Apache Kafka's Errors table (see detail/kafka_error_table.hpp).
//  - client_category(): failures detected on our side (bad bytes, limits, configuration, connection state).
// Both are header-only singletons (function-local statics), so they compare equal across translation units.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace kafkio {

// Kafka broker error codes, sorted by code. Only the codes the producer (idempotent and transactional) acts on are
// named here; every code in detail/kafka_error_table.hpp has a name and a message via kafka_category().message(),
// including codes without an enumerator. Enumerator names are Kafka's names in lower case.
enum class kafka_errc : std::int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  invalid_fetch_size = 4,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  broker_not_available = 8,
  replica_not_available = 9,
  message_too_large = 10,
  network_exception = 13,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  not_enough_replicas = 19,
  not_enough_replicas_after_append = 20,
  invalid_required_acks = 21,
  invalid_group_id = 24,
  topic_authorization_failed = 29,
  group_authorization_failed = 30,
  cluster_authorization_failed = 31,
  invalid_timestamp = 32,
  unsupported_sasl_mechanism = 33,
  illegal_sasl_state = 34,
  unsupported_version = 35,
  invalid_request = 42,
  unsupported_for_message_format = 43,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  invalid_txn_state = 48,
  invalid_producer_id_mapping = 49,
  invalid_transaction_timeout = 50,
  concurrent_transactions = 51,
  transaction_coordinator_fenced = 52,
  transactional_id_authorization_failed = 53,
  operation_not_attempted = 55,
  kafka_storage_error = 56,
  sasl_authentication_failed = 58,
  unknown_producer_id = 59,
  listener_not_found = 72,
  fenced_leader_epoch = 74,
  unknown_leader_epoch = 75,
  unsupported_compression_type = 76,
  invalid_record = 87,
  throttling_quota_exceeded = 89,
  producer_fenced = 90,
  unknown_topic_id = 100,
  inconsistent_topic_id = 103,
  transactional_id_not_found = 105,
  transaction_abortable = 120,
  rebootstrap_required = 129,
};

// Errors kafkio itself detects.
enum class client_errc : int {
  // decoding
  truncated = 1,              // input ended inside a field
  malformed_varint,           // varint longer than its type allows
  malformed_length,           // negative or impossible length field
  unexpected_null,            // null where the schema forbids it
  malformed_tagged_fields,    // tags out of order or duplicated
  trailing_bytes,             // bytes left after a complete message
  frame_too_large,            // size prefix above the configured maximum
  correlation_mismatch,       // response for a request we did not send (or out of order)
  unsupported_version,        // no version both sides support, or a version our codecs lack
  crc_mismatch,               // RecordBatch CRC-32C does not match
  corrupt_batch,              // RecordBatch fields inconsistent (counts, lengths, magic)
  unsupported_compression,    // codec id unknown or not built in
  compression_failed,         // the codec library reported an error
  decompression_failed,       // compressed stream malformed
  decompressed_too_large,     // output would exceed the configured cap (compression bomb)
  // producer
  invalid_config,             // a configuration key or value is invalid
  record_too_large,           // one record exceeds max.request.size / batch limits
  queue_full,                 // buffer.memory exhausted and the caller asked not to wait
  delivery_timeout,           // delivery.timeout.ms elapsed before an acknowledgement
  request_timeout,            // no response within request.timeout.ms
  producer_closed,            // the producer was closed before the operation could run
  unknown_topic,              // the topic does not exist (after metadata retries)
  unknown_partition,          // explicit partition out of range
  broker_connection_failed,   // could not connect to any bootstrap broker
  authentication_failed,      // SASL handshake or authentication failed
  fatal_producer_state,       // idempotent producer state cannot be recovered
  invalid_topic_name,         // not a legal Kafka topic name (kafkio/topic_name.hpp)
  transaction_state,          // not allowed in the transactional producer's state (e.g. send outside a transaction)
  transaction_aborted,        // the record's transaction was aborted before the record was sent
  transaction_timeout,        // a transactional operation did not complete within max.block.ms
};

const std::error_category& kafka_category() noexcept;
const std::error_category& client_category() noexcept;

inline std::error_code make_error_code(kafka_errc e) noexcept { return {static_cast<int>(e), kafka_category()}; }
inline std::error_code make_error_code(client_errc e) noexcept { return {static_cast<int>(e), client_category()}; }

// A broker error code as std::error_code; NONE (0) gives an empty error_code.
inline std::error_code kafka_error(std::int16_t code) noexcept {
  return code == 0 ? std::error_code{} : std::error_code{code, kafka_category()};
}

// Facts about a Kafka error code from Apache Kafka's Errors table.
struct kafka_error_info {
  std::int16_t code;
  std::string_view name;       // e.g. "NOT_LEADER_OR_FOLLOWER"
  bool retriable;              // the Java exception extends RetriableException
  bool refresh_metadata;       // the Java exception extends InvalidMetadataException
  std::string_view message;    // Kafka's default message
};

// nullptr for codes not in the table.
const kafka_error_info* find_kafka_error(std::int16_t code) noexcept;

// True if a produce that failed with `ec` may be retried (Kafka server retriable errors, timeouts, lost connections).
bool is_retriable(std::error_code ec) noexcept;

}  // namespace kafkio

namespace std {
template <> struct is_error_code_enum<kafkio::kafka_errc> : true_type {};
template <> struct is_error_code_enum<kafkio::client_errc> : true_type {};
}  // namespace std

#include <kafkio/impl/error.ipp>
