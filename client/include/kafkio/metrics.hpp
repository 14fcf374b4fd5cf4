// A snapshot of the producer's counters (cheap to take; plain values).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kafkio {

struct broker_metrics {
  std::int32_t node_id = -1;
  std::string address;                    // host:port
  bool connected = false;
  std::uint64_t requests_sent = 0;
  std::uint64_t responses_received = 0;
  std::size_t requests_in_flight = 0;
  std::chrono::microseconds last_round_trip{0};
  std::chrono::microseconds average_round_trip{0};  // exponentially weighted (alpha 1/8), like TCP's SRTT
  std::uint64_t reauthentications = 0;  // KIP-368: SASL re-authentications on this connection's link
};

struct producer_metrics {
  std::uint64_t records_accepted = 0;  // taken by async_send/try_send
  std::uint64_t records_acked = 0;     // completed with success
  std::uint64_t records_failed = 0;    // completed with an error
  std::size_t records_pending = 0;     // accepted and not completed yet (in batches, in flight, waiting for room)
  std::uint64_t record_bytes_acked = 0;
  std::uint64_t batches_sent = 0;      // batches put into Produce requests (retries included)
  std::uint64_t produce_requests = 0;
  std::uint64_t retries = 0;           // batch retries
  std::uint64_t batches_split = 0;     // batches split in two after MESSAGE_TOO_LARGE / RECORD_LIST_TOO_LARGE
  std::uint64_t metadata_requests = 0;
  std::uint64_t rebootstraps = 0;      // bootstrap.servers tried again (metadata.recovery.strategy=rebootstrap)
  std::uint64_t oauthbearer_tokens = 0;  // OAUTHBEARER tokens taken (the first and each refresh)
  std::uint64_t producer_id_resets = 0;
  // With transactional.id, once the producer id is known: 1 = the KIP-98 protocol (AddPartitionsToTxn, EndTxn < 5),
  // 2 = transactions v2 (KIP-890: the broker advertises transaction.version 2). 0 otherwise.
  int transaction_protocol = 0;
  std::size_t requests_in_flight = 0;
  std::size_t buffered_bytes = 0;      // charged against buffer.memory
  std::size_t records_waiting_for_room = 0;
  std::vector<broker_metrics> brokers;
};

enum class log_level { debug, info, warning, error };

}  // namespace kafkio
