// What kafkio::producer::async_send_offsets_to_transaction takes: consumed offsets to commit inside the producer's
// transaction, and the consumer group they belong to. kafkio has no consumer; the caller's consumer supplies both
// (Java's ConsumerGroupMetadata; docs/producer.md, "Transactions").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kafkio {

// The consumer group whose offsets the transaction commits. generation_id and member_id let the group coordinator
// refuse a commit from a member that was replaced (a "zombie"); -1 and "" skip that check (a standalone consumer).
struct consumer_group_metadata {
  // Default member initializers throughout, so that `{"my-group"}` or designated initializers may leave members
  // out without -Wmissing-field-initializers.
  std::string group_id{};
  std::int32_t generation_id = -1;
  std::string member_id{};
  std::optional<std::string> group_instance_id{};  // static membership (group.instance.id), if any
};

// One partition's next offset to consume (the last processed record's offset + 1, as Kafka's commit convention is).
struct offset_to_commit {
  std::string topic{};
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> metadata{};  // stored with the offset; null (nullopt) or any text
  std::int32_t leader_epoch = -1;       // of the last consumed record, if the consumer knows it
};

}  // namespace kafkio
