// Apache Kafka's error table (clients/.../common/protocol/Errors.java). Sorted by code.
// retriable: the exception class extends RetriableException; refresh_metadata: extends InvalidMetadataException.
// PLACEHOLDER: only a subset so far; the full table is being generated.
#pragma once

#include <array>

namespace kafkio::detail {

inline constexpr std::array kafka_error_table = {
    kafka_error_info{-1, "UNKNOWN_SERVER_ERROR", false, false, "The server experienced an unexpected error when processing the request."},
    kafka_error_info{0, "NONE", false, false, "No error."},
    kafka_error_info{6, "NOT_LEADER_OR_FOLLOWER", true, true, "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."},
};

}  // namespace kafkio::detail
