// classify_produce_error against every row of docs/protocol.md's "Error codes" ("Error codes a producer must handle"): what the
// producer does with a partition error in a Produce response, idempotent and not.
#include <kafkio/core/produce_error.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace {

using kafkio::core::classify_produce_error;
using action = kafkio::core::produce_error_action;

std::string name(action a) {
  switch (a) {
    case action::succeed: return "succeed";
    case action::succeed_duplicate: return "succeed_duplicate";
    case action::retry: return "retry";
    case action::retry_with_metadata: return "retry_with_metadata";
    case action::out_of_order: return "out_of_order";
    case action::new_producer_id: return "new_producer_id";
    case action::fail: return "fail";
  }
  return "?";
}

struct row {
  std::int16_t code;
  std::set<action> idempotent;      // acceptable actions with enable.idempotence=true
  std::set<action> not_idempotent;  // ... and without
};

const std::set<action> kRetry{action::retry};
const std::set<action> kRefresh{action::retry_with_metadata};
const std::set<action> kFail{action::fail};

// docs/protocol.md, "Error codes", one entry per code, in the table's order.
const std::vector<row>& notes_table() {
  static const std::vector<row> rows{
      {-1, kFail, kFail},                               // UNKNOWN_SERVER_ERROR
      {0, {action::succeed}, {action::succeed}},        // NONE
      {2, kRetry, kRetry},                              // CORRUPT_MESSAGE: retriable, not a metadata error
      {3, kRefresh, kRefresh},                          // UNKNOWN_TOPIC_OR_PARTITION
      {5, kRefresh, kRefresh},                          // LEADER_NOT_AVAILABLE
      {6, kRefresh, kRefresh},                          // NOT_LEADER_OR_FOLLOWER
      {7, kRetry, kRetry},                              // REQUEST_TIMED_OUT
      {9, kRefresh, kRefresh},                          // REPLICA_NOT_AVAILABLE
      {10, kFail, kFail},                               // MESSAGE_TOO_LARGE (kafkio does not split batches)
      {13, kRefresh, kRefresh},                         // NETWORK_EXCEPTION
      {18, kFail, kFail},                               // RECORD_LIST_TOO_LARGE
      {19, kRetry, kRetry},                             // NOT_ENOUGH_REPLICAS
      {20, kRetry, kRetry},                             // NOT_ENOUGH_REPLICAS_AFTER_APPEND
      {21, kFail, kFail},                               // INVALID_REQUIRED_ACKS
      {29, kFail, kFail},                               // TOPIC_AUTHORIZATION_FAILED
      {31, kFail, kFail},                               // CLUSTER_AUTHORIZATION_FAILED
      {32, kFail, kFail},                               // INVALID_TIMESTAMP
      {35, kFail, kFail},                               // UNSUPPORTED_VERSION
      {42, kFail, kFail},                               // INVALID_REQUEST
      {45, {action::out_of_order}, kFail},              // OUT_OF_ORDER_SEQUENCE_NUMBER
      {46, {action::succeed_duplicate}, kFail},         // DUPLICATE_SEQUENCE_NUMBER: success, offset unknown
      {47, {action::new_producer_id}, kFail},           // INVALID_PRODUCER_EPOCH: re-init
      {51, kRetry, kRetry},                             // CONCURRENT_TRANSACTIONS
      {53, kFail, kFail},                               // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      {56, kRefresh, kRefresh},                         // KAFKA_STORAGE_ERROR
      {59, {action::new_producer_id}, kFail},           // UNKNOWN_PRODUCER_ID
      {74, kRefresh, kRefresh},                         // FENCED_LEADER_EPOCH
      // UNKNOWN_LEADER_EPOCH: the error table says "refresh metadata, retry", but Kafka's exception extends
      // RetriableException directly (not InvalidMetadataException), so the Java producer just retries. Either is a
      // correct retry.
      {75, {action::retry, action::retry_with_metadata}, {action::retry, action::retry_with_metadata}},
      {76, kFail, kFail},                               // UNSUPPORTED_COMPRESSION_TYPE
      {87, kFail, kFail},                               // INVALID_RECORD
      {89, kRetry, kRetry},                             // THROTTLING_QUOTA_EXCEEDED
      {90, kFail, kFail},                               // PRODUCER_FENCED
      {100, kRefresh, kRefresh},                        // UNKNOWN_TOPIC_ID
      {120, kFail, kFail},                              // TRANSACTION_ABORTABLE
      {14, kRetry, kRetry},                             // COORDINATOR_LOAD_IN_PROGRESS
      {15, kRetry, kRetry},                             // COORDINATOR_NOT_AVAILABLE
      {16, kRetry, kRetry},                             // NOT_COORDINATOR
      {33, kFail, kFail},                               // UNSUPPORTED_SASL_MECHANISM
      {34, kFail, kFail},                               // ILLEGAL_SASL_STATE
      {58, kFail, kFail},                               // SASL_AUTHENTICATION_FAILED
  };
  return rows;
}

TEST(ClassifyProduceError, EveryCodeOfNotesSection8) {
  for (const auto& r : notes_table()) {
    const auto with = classify_produce_error(r.code, true);
    const auto without = classify_produce_error(r.code, false);
    EXPECT_TRUE(r.idempotent.count(with)) << "code " << r.code << " idempotent -> " << name(with);
    EXPECT_TRUE(r.not_idempotent.count(without)) << "code " << r.code << " not idempotent -> " << name(without);
  }
}

TEST(ClassifyProduceError, RetriableExactlyWhenKafkaSaysSoExceptTheSequenceCodes) {
  // For every code in Kafka's table (not only §8), a retry happens iff the error is retriable, and a metadata
  // refresh iff it is a metadata error. The idempotence codes are the documented exceptions, and so is
  // UNKNOWN_LEADER_EPOCH (75): retriable in Kafka's hierarchy without being a metadata error, but it means our
  // leader information is stale, so the producer refreshes metadata first (docs/protocol.md, "Error codes").
  const std::set<std::int16_t> special{0, 45, 46, 47, 59, 75};
  for (bool idempotent : {true, false})
    EXPECT_EQ(classify_produce_error(75, idempotent), action::retry_with_metadata);
  for (int code = -1; code <= 200; ++code) {
    const auto c = static_cast<std::int16_t>(code);
    if (special.count(c)) continue;
    const auto* info = kafkio::find_kafka_error(c);
    for (bool idempotent : {true, false}) {
      const auto a = classify_produce_error(c, idempotent);
      if (!info || !info->retriable) EXPECT_EQ(a, action::fail) << code;
      else if (info->refresh_metadata) EXPECT_EQ(a, action::retry_with_metadata) << code;
      else EXPECT_EQ(a, action::retry) << code;
    }
  }
}

TEST(ClassifyProduceError, UnknownCodesFail) {
  for (std::int16_t code : {std::int16_t{-2}, std::int16_t{999}, std::int16_t{32767}, std::int16_t{-32768}}) {
    EXPECT_EQ(classify_produce_error(code, true), action::fail) << code;
    EXPECT_EQ(classify_produce_error(code, false), action::fail) << code;
  }
}

}  // namespace
