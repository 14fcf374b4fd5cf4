// What the producer does when a partition in a Produce response carries an error (sans-io; Kafka's Sender and
// TransactionManager rules; docs/protocol.md, "Error codes" and "Idempotence").
#pragma once

#include <kafkio/error.hpp>

namespace kafkio::core {

enum class produce_error_action {
  succeed,              // NONE
  succeed_duplicate,    // DUPLICATE_SEQUENCE_NUMBER: already written earlier; offset unknown
  retry,                // transient: back off and resend the same batch (same sequence)
  retry_with_metadata,  // the leader moved or is unknown: refresh metadata, then resend
  out_of_order,         // idempotent sequence check failed: retry, or new producer id if it is a real gap
  new_producer_id,      // the broker no longer knows our producer id/epoch: get a new one, then resend
  fail,                 // permanent: complete every record of the batch with the error
};

inline produce_error_action classify_produce_error(std::int16_t code, bool idempotent) noexcept {
  switch (static_cast<kafka_errc>(code)) {
    case kafka_errc::none: return produce_error_action::succeed;
    case kafka_errc::duplicate_sequence_number:
      return idempotent ? produce_error_action::succeed_duplicate : produce_error_action::fail;
    case kafka_errc::out_of_order_sequence_number:
      return idempotent ? produce_error_action::out_of_order : produce_error_action::fail;
    case kafka_errc::fenced_leader_epoch:
    case kafka_errc::unknown_leader_epoch:
      return produce_error_action::retry_with_metadata;  // our idea of the leader is stale (docs/protocol.md, "Error codes")
    case kafka_errc::invalid_producer_epoch:
    case kafka_errc::unknown_producer_id:
      return idempotent ? produce_error_action::new_producer_id : produce_error_action::fail;
    default: break;
  }
  const auto* info = find_kafka_error(code);
  if (!info || !info->retriable) return produce_error_action::fail;
  return info->refresh_metadata ? produce_error_action::retry_with_metadata : produce_error_action::retry;
}

}  // namespace kafkio::core
