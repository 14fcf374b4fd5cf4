// The producer's view of the requests it sends: small plain structs in, small plain structs out, so the engine
// does not depend on the generated message types' details. Sans-io (no Asio).
#pragma once

#include <kafkio/core/metadata_cache.hpp>
#include <kafkio/protocol/messages/api_versions_response.hpp>
#include <kafkio/protocol/version_negotiation.hpp>
#include <kafkio/protocol/wire.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafkio::core {

struct request_context {
  std::int32_t correlation_id;
  const std::string* client_id;
};

// ApiVersions ------------------------------------------------------------------------------------------------
void encode_api_versions_request(protocol::byte_buffer& out, std::int16_t version, const request_context& ctx);
// Decodes with Kafka's v0 fallback (a broker that does not support `version` answers in v0 format).
std::error_code decode_api_versions_frame(protocol::bytes_view frame, std::int16_t version,
                                             protocol::api_versions_response& out);

// Metadata ---------------------------------------------------------------------------------------------------
void encode_metadata_request(protocol::byte_buffer& out, std::int16_t version, const request_context& ctx,
                             const std::vector<std::string>& topics);
struct metadata_result {
  std::map<std::int32_t, broker_endpoint> brokers;
  std::vector<std::pair<std::string, topic_metadata>> topics;
};
std::error_code decode_metadata_response(protocol::bytes_view frame, std::int16_t version, metadata_result& out);

// InitProducerId ---------------------------------------------------------------------------------------------
void encode_init_producer_id_request(protocol::byte_buffer& out, std::int16_t version, const request_context& ctx);
struct init_producer_id_result {
  std::int16_t error = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t throttle_ms = 0;
};
std::error_code decode_init_producer_id_response(protocol::bytes_view frame, std::int16_t version,
                                                 init_producer_id_result& out);

// Produce ----------------------------------------------------------------------------------------------------
struct produce_partition_data {
  const std::string* topic;
  std::int32_t partition;
  protocol::bytes_view batch;  // one sealed RecordBatch
};
// `partitions` must be grouped by topic (consecutive entries of the same topic form one topic entry).
void encode_produce_request(protocol::byte_buffer& out, std::int16_t version, const request_context& ctx,
                            std::int16_t acks, std::int32_t timeout_ms, const std::vector<produce_partition_data>& partitions);
// Views into the response frame: valid while the frame is (the response callback). Decoding into a reused
// produce_result therefore allocates nothing once its vector has grown to the partitions per response.
struct produce_partition_result {
  std::string_view topic;
  std::int32_t partition = -1;
  std::int16_t error = 0;
  std::int64_t base_offset = -1;
  std::int64_t log_append_time_ms = -1;
  std::optional<std::string_view> error_message;  // v8+
  std::int32_t leader_hint = -1, leader_epoch_hint = -1;  // v10+ CurrentLeader tagged field
};
struct produce_result {
  std::vector<produce_partition_result> partitions;
  std::int32_t throttle_ms = 0;
};
// Replaces out.partitions (keeping the vector's capacity).
std::error_code decode_produce_response(protocol::bytes_view frame, std::int16_t version, produce_result& out);

}  // namespace kafkio::core

#include <kafkio/core/impl/requests.hpp>
