// What a Metadata request tells about the cluster, as plain values: producer::async_fetch_metadata's result.
// (The producer keeps its own view of leaders internally; this is a snapshot for applications, e.g. a gateway
// listing topics or naming the cluster.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace kafkio {

struct broker_info {
  std::int32_t node_id = -1;
  std::string host;
  std::int32_t port = 0;
  std::optional<std::string> rack;
};

struct partition_info {
  std::int32_t id = -1;
  std::int32_t leader = -1;             // -1: no leader right now
  std::vector<std::int32_t> replicas;   // node ids, preferred leader first
  std::vector<std::int32_t> isr;        // in-sync replicas
  std::error_code error;                // e.g. LEADER_NOT_AVAILABLE
};

struct topic_info {
  std::string name;
  std::error_code error;                // e.g. kafka_errc::unknown_topic_or_partition for a topic that does not exist
  bool is_internal = false;             // __consumer_offsets, __transaction_state
  std::vector<partition_info> partitions;  // ordered by id
};

struct cluster_metadata {
  std::string cluster_id;               // empty from brokers older than Metadata v2 (Kafka 0.10.1)
  std::int32_t controller_id = -1;
  std::vector<broker_info> brokers;     // ordered by node id
  std::vector<topic_info> topics;       // those asked for (all when none was named), ordered by name
};

}  // namespace kafkio
