// Kafka's error table (detail/kafka_error_table.hpp) and the two error categories.
// The expected flags were written independently of the table, from Kafka's exception classes (docs/protocol.md,
// "Error codes").
#include <kafkio/error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

using namespace kafkio;

namespace {

struct expected_flags {
  std::int16_t code;
  const char* name;
  bool retriable;
  bool refresh_metadata;
};

// retriable = the exception class extends RetriableException, refresh_metadata = it extends
// InvalidMetadataException. Codes with special producer handling (sequence resets, epoch bumps) are not retriable
// in Kafka's table; that handling lives elsewhere.
constexpr expected_flags producer_codes[] = {
    {-1, "UNKNOWN_SERVER_ERROR", false, false},
    {0, "NONE", false, false},
    {2, "CORRUPT_MESSAGE", true, false},
    {3, "UNKNOWN_TOPIC_OR_PARTITION", true, true},
    {5, "LEADER_NOT_AVAILABLE", true, true},
    {6, "NOT_LEADER_OR_FOLLOWER", true, true},
    {7, "REQUEST_TIMED_OUT", true, false},
    {9, "REPLICA_NOT_AVAILABLE", true, true},
    {10, "MESSAGE_TOO_LARGE", false, false},
    {13, "NETWORK_EXCEPTION", true, true},
    {14, "COORDINATOR_LOAD_IN_PROGRESS", true, false},
    {15, "COORDINATOR_NOT_AVAILABLE", true, false},
    {16, "NOT_COORDINATOR", true, false},
    {18, "RECORD_LIST_TOO_LARGE", false, false},
    {19, "NOT_ENOUGH_REPLICAS", true, false},
    {20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, false},
    {21, "INVALID_REQUIRED_ACKS", false, false},
    {29, "TOPIC_AUTHORIZATION_FAILED", false, false},
    {31, "CLUSTER_AUTHORIZATION_FAILED", false, false},
    {32, "INVALID_TIMESTAMP", false, false},
    {33, "UNSUPPORTED_SASL_MECHANISM", false, false},
    {34, "ILLEGAL_SASL_STATE", false, false},
    {35, "UNSUPPORTED_VERSION", false, false},
    {42, "INVALID_REQUEST", false, false},
    {45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, false},
    {46, "DUPLICATE_SEQUENCE_NUMBER", false, false},
    {47, "INVALID_PRODUCER_EPOCH", false, false},
    {51, "CONCURRENT_TRANSACTIONS", true, false},
    {53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, false},
    {56, "KAFKA_STORAGE_ERROR", true, true},
    {58, "SASL_AUTHENTICATION_FAILED", false, false},
    {59, "UNKNOWN_PRODUCER_ID", false, false},
    // FencedLeaderEpochException extends InvalidMetadataException in Kafka, so 74 is a refresh too.
    {74, "FENCED_LEADER_EPOCH", true, true},
    {75, "UNKNOWN_LEADER_EPOCH", true, false},
    {76, "UNSUPPORTED_COMPRESSION_TYPE", false, false},
    {87, "INVALID_RECORD", false, false},
    {89, "THROTTLING_QUOTA_EXCEEDED", true, false},
    {90, "PRODUCER_FENCED", false, false},
    {100, "UNKNOWN_TOPIC_ID", true, true},
    {120, "TRANSACTION_ABORTABLE", false, false},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

TEST(KafkaErrorTable, SortedUniqueAndComplete) {
  const auto& table = detail::kafka_error_table;
  ASSERT_FALSE(table.empty());
  EXPECT_TRUE(std::is_sorted(table.begin(), table.end(),
                             [](const kafka_error_info& a, const kafka_error_info& b) { return a.code < b.code; }));
  std::set<std::int16_t> codes;
  std::set<std::string_view> names;
  for (const auto& e : table) {
    EXPECT_TRUE(codes.insert(e.code).second) << "duplicate code " << e.code;
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate name " << e.name;
    EXPECT_FALSE(e.name.empty()) << e.code;
    EXPECT_FALSE(e.message.empty()) << e.name;
    // Every metadata-refreshing error is retriable: InvalidMetadataException extends RetriableException.
    if (e.refresh_metadata) {
      EXPECT_TRUE(e.retriable) << e.name;
    }
  }
  // Kafka allocates codes densely from -1; a gap would mean an entry was lost while building the table.
  EXPECT_EQ(table.front().code, -1);
  EXPECT_EQ(static_cast<std::size_t>(table.back().code - table.front().code + 1), table.size());
}

TEST(KafkaErrorTable, AgreesWithNotesSection8) {
  for (const auto& want : producer_codes) {
    const kafka_error_info* e = find_kafka_error(want.code);
    ASSERT_NE(e, nullptr) << want.code;
    EXPECT_EQ(e->name, want.name) << want.code;
    EXPECT_EQ(e->retriable, want.retriable) << want.name;
    EXPECT_EQ(e->refresh_metadata, want.refresh_metadata) << want.name;
  }
}

TEST(KafkaErrorTable, FindRejectsUnknownCodes) {
  for (int code : {-32768, -2, 32767}) EXPECT_EQ(find_kafka_error(static_cast<std::int16_t>(code)), nullptr) << code;
  const auto last = detail::kafka_error_table.back().code;
  EXPECT_EQ(find_kafka_error(static_cast<std::int16_t>(last + 1)), nullptr);
  EXPECT_EQ(kafka_category().message(last + 1), "unknown Kafka error code " + std::to_string(last + 1));
}

// Each enumerator's spelling is Kafka's name in lower case, and its value is that name's code.
#define KAFKIO_NAMED(e) std::pair<kafka_errc, const char*>{kafka_errc::e, #e}
TEST(KafkaErrorTable, EveryEnumeratorIsInTheTableUnderItsKafkaName) {
  const std::pair<kafka_errc, const char*> named[] = {
      KAFKIO_NAMED(unknown_server_error),
      KAFKIO_NAMED(none),
      KAFKIO_NAMED(offset_out_of_range),
      KAFKIO_NAMED(corrupt_message),
      KAFKIO_NAMED(unknown_topic_or_partition),
      KAFKIO_NAMED(invalid_fetch_size),
      KAFKIO_NAMED(leader_not_available),
      KAFKIO_NAMED(not_leader_or_follower),
      KAFKIO_NAMED(request_timed_out),
      KAFKIO_NAMED(broker_not_available),
      KAFKIO_NAMED(replica_not_available),
      KAFKIO_NAMED(message_too_large),
      KAFKIO_NAMED(network_exception),
      KAFKIO_NAMED(coordinator_load_in_progress),
      KAFKIO_NAMED(coordinator_not_available),
      KAFKIO_NAMED(not_coordinator),
      KAFKIO_NAMED(invalid_topic_exception),
      KAFKIO_NAMED(record_list_too_large),
      KAFKIO_NAMED(not_enough_replicas),
      KAFKIO_NAMED(not_enough_replicas_after_append),
      KAFKIO_NAMED(invalid_required_acks),
      KAFKIO_NAMED(invalid_group_id),
      KAFKIO_NAMED(topic_authorization_failed),
      KAFKIO_NAMED(group_authorization_failed),
      KAFKIO_NAMED(cluster_authorization_failed),
      KAFKIO_NAMED(invalid_timestamp),
      KAFKIO_NAMED(unsupported_sasl_mechanism),
      KAFKIO_NAMED(illegal_sasl_state),
      KAFKIO_NAMED(unsupported_version),
      KAFKIO_NAMED(invalid_request),
      KAFKIO_NAMED(unsupported_for_message_format),
      KAFKIO_NAMED(out_of_order_sequence_number),
      KAFKIO_NAMED(duplicate_sequence_number),
      KAFKIO_NAMED(invalid_producer_epoch),
      KAFKIO_NAMED(invalid_txn_state),
      KAFKIO_NAMED(invalid_producer_id_mapping),
      KAFKIO_NAMED(invalid_transaction_timeout),
      KAFKIO_NAMED(concurrent_transactions),
      KAFKIO_NAMED(transaction_coordinator_fenced),
      KAFKIO_NAMED(transactional_id_authorization_failed),
      KAFKIO_NAMED(operation_not_attempted),
      KAFKIO_NAMED(kafka_storage_error),
      KAFKIO_NAMED(sasl_authentication_failed),
      KAFKIO_NAMED(unknown_producer_id),
      KAFKIO_NAMED(listener_not_found),
      KAFKIO_NAMED(fenced_leader_epoch),
      KAFKIO_NAMED(unknown_leader_epoch),
      KAFKIO_NAMED(unsupported_compression_type),
      KAFKIO_NAMED(invalid_record),
      KAFKIO_NAMED(throttling_quota_exceeded),
      KAFKIO_NAMED(producer_fenced),
      KAFKIO_NAMED(unknown_topic_id),
      KAFKIO_NAMED(inconsistent_topic_id),
      KAFKIO_NAMED(transactional_id_not_found),
      KAFKIO_NAMED(transaction_abortable),
      KAFKIO_NAMED(rebootstrap_required),
  };
  for (const auto& [errc, identifier] : named) {
    const auto* e = find_kafka_error(static_cast<std::int16_t>(errc));
    ASSERT_NE(e, nullptr) << identifier;
    EXPECT_EQ(lower(e->name), identifier);
  }
}
#undef KAFKIO_NAMED

TEST(KafkaCategory, MessageNamesEveryCode) {
  // "NAME: message" for every entry, so the name can be recovered from the text and looked up again.
  for (const auto& e : detail::kafka_error_table) {
    const std::string text = kafka_category().message(e.code);
    EXPECT_EQ(text, std::string(e.name) + ": " + std::string(e.message));
    const auto colon = text.find(": ");
    ASSERT_NE(colon, std::string::npos);
    const std::string name = text.substr(0, colon);
    const auto it = std::find_if(detail::kafka_error_table.begin(), detail::kafka_error_table.end(),
                                 [&](const kafka_error_info& x) { return x.name == name; });
    ASSERT_NE(it, detail::kafka_error_table.end()) << name;
    EXPECT_EQ(it->code, e.code);
  }
  EXPECT_EQ(std::error_code(kafka_errc::corrupt_message).message(),
            "CORRUPT_MESSAGE: This message has failed its CRC checksum, exceeds the valid size, has a null key for a "
            "compacted topic, or is otherwise corrupt.");
}

TEST(ClientCategory, EveryValueHasItsOwnMessage) {
  // Values are consecutive from 1; a new enumerator without a message trips -Wswitch in error.ipp, and a value
  // past the end falls back to "unknown kafkio error N", which ends this walk.
  std::set<std::string> seen;
  int last_known = 0;
  for (int v = 1; v < 1000; ++v) {
    const std::string text = client_category().message(v);
    if (text.rfind("unknown kafkio error", 0) == 0) break;
    EXPECT_FALSE(text.empty()) << v;
    EXPECT_TRUE(seen.insert(text).second) << "message shared by two values: " << text;
    last_known = v;
  }
  EXPECT_GE(last_known, static_cast<int>(client_errc::invalid_topic_name));
  EXPECT_EQ(client_category().message(0), "unknown kafkio error 0");
  EXPECT_STREQ(client_category().name(), "kafkio");
}

TEST(IsRetriable, KafkaCategoryFollowsTheTable) {
  for (const auto& e : detail::kafka_error_table)
    EXPECT_EQ(is_retriable(std::error_code(e.code, kafka_category())), e.retriable) << e.name;
  EXPECT_TRUE(is_retriable(kafka_errc::not_enough_replicas_after_append));
  EXPECT_TRUE(is_retriable(kafka_errc::unknown_topic_id));
  EXPECT_FALSE(is_retriable(kafka_errc::out_of_order_sequence_number));
  EXPECT_FALSE(is_retriable(kafka_errc::producer_fenced));
  // Codes a newer broker might send that we do not know: not retriable (Kafka maps them to UNKNOWN_SERVER_ERROR).
  EXPECT_FALSE(is_retriable(std::error_code(9999, kafka_category())));
}

TEST(IsRetriable, ClientCategoryOnlyTransientFailures) {
  EXPECT_TRUE(is_retriable(client_errc::request_timeout));
  EXPECT_TRUE(is_retriable(client_errc::broker_connection_failed));
  for (auto e : {client_errc::truncated, client_errc::crc_mismatch, client_errc::invalid_config,
                 client_errc::record_too_large, client_errc::delivery_timeout, client_errc::producer_closed,
                 client_errc::authentication_failed, client_errc::fatal_producer_state,
                 client_errc::invalid_topic_name})
    EXPECT_FALSE(is_retriable(e)) << std::error_code(e).message();
  // Same numeric value, different category: must not be confused with a Kafka code.
  const int timeout_value = static_cast<int>(client_errc::request_timeout);
  EXPECT_EQ(is_retriable(std::error_code(timeout_value, kafka_category())),
            find_kafka_error(static_cast<std::int16_t>(timeout_value))->retriable);
  EXPECT_FALSE(is_retriable(std::make_error_code(std::errc::timed_out)));
  EXPECT_FALSE(is_retriable(std::error_code{}));
}
