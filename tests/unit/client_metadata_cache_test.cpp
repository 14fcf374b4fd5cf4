// metadata_cache: what the producer believes about brokers and partition leaders, and the epoch rule for leader
// hints from Produce responses (a hint never replaces newer knowledge).
#include <kafkio/core/metadata_cache.hpp>

#include <gtest/gtest.h>

namespace {

using kafkio::core::broker_endpoint;
using kafkio::core::metadata_cache;
using kafkio::core::partition_leader;
using kafkio::core::topic_metadata;

topic_metadata three_partitions(std::int32_t leader, std::int32_t epoch) {
  topic_metadata t;
  t.partitions = {{leader, epoch, 0}, {leader, epoch, 0}, {leader, epoch, 0}};
  return t;
}

TEST(MetadataCache, EmptyCacheKnowsNothing) {
  metadata_cache c;
  EXPECT_FALSE(c.ever_updated());
  EXPECT_EQ(c.broker(1), nullptr);
  EXPECT_TRUE(c.brokers().empty());
  EXPECT_EQ(c.topic("t"), nullptr);
  EXPECT_EQ(c.usable_topic("t"), nullptr);
  EXPECT_EQ(c.leader_for("t", 0), -1);
}

TEST(MetadataCache, BrokersAndUpdateTime) {
  metadata_cache c;
  c.set_brokers({{1, {1, "a", 9092}}, {2, {2, "b", 9093}}});
  ASSERT_NE(c.broker(2), nullptr);
  EXPECT_EQ(c.broker(2)->host, "b");
  EXPECT_EQ(c.broker(2)->port, 9093);
  EXPECT_EQ(c.broker(3), nullptr);
  c.set_brokers({{3, {3, "c", 1}}});  // a new response replaces the broker list
  EXPECT_EQ(c.broker(1), nullptr);
  EXPECT_NE(c.broker(3), nullptr);
  const auto now = metadata_cache::clock::now();
  c.mark_updated(now);
  EXPECT_TRUE(c.ever_updated());
  EXPECT_EQ(c.updated(), now);
}

TEST(MetadataCache, UsableTopicNeedsNoErrorAndSomePartitions) {
  metadata_cache c;
  c.set_topic("good", three_partitions(1, 0));
  topic_metadata errored = three_partitions(1, 0);
  errored.error = 3;  // UNKNOWN_TOPIC_OR_PARTITION
  c.set_topic("errored", errored);
  c.set_topic("empty", topic_metadata{});
  EXPECT_NE(c.usable_topic("good"), nullptr);
  EXPECT_EQ(c.usable_topic("errored"), nullptr);
  EXPECT_NE(c.topic("errored"), nullptr);  // known, but not usable
  EXPECT_EQ(c.usable_topic("empty"), nullptr);
  EXPECT_EQ(c.usable_topic("missing"), nullptr);
}

TEST(MetadataCache, LeaderForChecksBounds) {
  metadata_cache c;
  c.set_topic("t", three_partitions(7, 1));
  EXPECT_EQ(c.leader_for("t", 0), 7);
  EXPECT_EQ(c.leader_for("t", 2), 7);
  EXPECT_EQ(c.leader_for("t", 3), -1);
  EXPECT_EQ(c.leader_for("t", -1), -1);
  EXPECT_EQ(c.leader_for("other", 0), -1);
}

TEST(MetadataCache, SetLeaderAcceptsSameOrNewerEpochAndClearsTheError) {
  metadata_cache c;
  topic_metadata t = three_partitions(1, 5);
  t.partitions[1].error = 5;  // LEADER_NOT_AVAILABLE
  c.set_topic("t", t);
  c.set_leader("t", 1, 2, 6);  // newer epoch
  EXPECT_EQ(c.leader_for("t", 1), 2);
  EXPECT_EQ(c.topic("t")->partitions[1].leader_epoch, 6);
  EXPECT_EQ(c.topic("t")->partitions[1].error, 0);
  c.set_leader("t", 1, 3, 6);  // same epoch: accepted (the hint is at least as recent)
  EXPECT_EQ(c.leader_for("t", 1), 3);
  // Other partitions are untouched.
  EXPECT_EQ(c.leader_for("t", 0), 1);
  EXPECT_EQ(c.leader_for("t", 2), 1);
}

TEST(MetadataCache, SetLeaderIgnoresOlderEpochs) {
  metadata_cache c;
  c.set_topic("t", three_partitions(1, 5));
  c.set_leader("t", 0, 9, 4);
  EXPECT_EQ(c.leader_for("t", 0), 1);
  EXPECT_EQ(c.topic("t")->partitions[0].leader_epoch, 5);
  c.set_leader("t", 0, 9, -1);  // "unknown epoch" is older than any known one
  EXPECT_EQ(c.leader_for("t", 0), 1);
}

TEST(MetadataCache, SetLeaderIgnoresUnknownTopicsAndPartitions) {
  metadata_cache c;
  c.set_leader("nobody", 0, 1, 1);
  EXPECT_EQ(c.topic("nobody"), nullptr);  // a hint does not invent a topic
  c.set_topic("t", three_partitions(1, 0));
  c.set_leader("t", 3, 2, 10);
  c.set_leader("t", -1, 2, 10);
  EXPECT_EQ(c.topic("t")->partitions.size(), 3u);
  for (int p = 0; p < 3; ++p) EXPECT_EQ(c.leader_for("t", p), 1);
}

TEST(MetadataCache, SetTopicReplacesTheWholeEntry) {
  metadata_cache c;
  c.set_topic("t", three_partitions(1, 9));
  topic_metadata fewer;
  fewer.partitions = {{4, 0, 0}};
  c.set_topic("t", fewer);  // a Metadata response is authoritative, epochs included
  EXPECT_EQ(c.topic("t")->partitions.size(), 1u);
  EXPECT_EQ(c.leader_for("t", 0), 4);
  EXPECT_EQ(c.leader_for("t", 1), -1);
}

}  // namespace
