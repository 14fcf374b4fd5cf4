// read_metadata: what the core takes from a decoded Metadata response (brokers, and per topic a leader table indexed
// by partition number), and the bound that keeps a hostile response from making it allocate more than it carries.
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

protocol::metadata_response sample() {
  protocol::metadata_response m;
  m.brokers.push_back({1, "broker-1.example", 19092, std::nullopt, {}});
  m.brokers.push_back({2, "broker-2.example", 19093, std::nullopt, {}});
  auto& t = m.topics.emplace_back();
  t.name = "events";
  for (std::int32_t p : {2, 0, 1}) {  // out of order on purpose
    auto& part = t.partitions.emplace_back();
    part.partition_index = p;
    part.leader_id = p == 1 ? -1 : 1 + p % 2;
    part.leader_epoch = 40 + p;
    part.error_code = p == 1 ? 5 : 0;
  }
  auto& missing = m.topics.emplace_back();
  missing.name = "missing";
  missing.error_code = 3;
  return m;
}

TEST(CoreReadMetadata, BrokersAndALeaderTableIndexedByPartition) {
  auto m = sample();
  core::metadata_result r;
  ASSERT_FALSE(core::read_metadata(m, r));
  ASSERT_EQ(r.brokers.size(), 2u);
  EXPECT_EQ(r.brokers.at(2).host, "broker-2.example");
  EXPECT_EQ(r.brokers.at(2).port, 19093);
  ASSERT_EQ(r.topics.size(), 2u);
  EXPECT_EQ(r.topics[0].first, "events");
  const auto& parts = r.topics[0].second.partitions;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].leader, 1);
  EXPECT_EQ(parts[0].leader_epoch, 40);
  EXPECT_EQ(parts[1].leader, -1);
  EXPECT_EQ(parts[1].error, 5);
  EXPECT_EQ(parts[2].leader, 1);
  EXPECT_EQ(r.topics[1].first, "missing");
  EXPECT_EQ(r.topics[1].second.error, 3);
  EXPECT_TRUE(r.topics[1].second.partitions.empty());
}

TEST(CoreReadMetadata, AnAbsurdPartitionIndexIsAnErrorNotAHugeAllocation) {
  auto m = sample();
  m.topics[0].partitions[0].partition_index = 2000000000;
  core::metadata_result r;
  EXPECT_EQ(core::read_metadata(m, r), client_errc::malformed_length);
}

TEST(CoreReadMetadata, TheLargestPartitionIndexIsAnErrorNotAnOverflow) {
  // Found by producer_responses_fuzz: index + 1 overflowed int32 before the comparison.
  auto m = sample();
  m.topics[0].partitions[0].partition_index = std::numeric_limits<std::int32_t>::max();
  core::metadata_result r;
  EXPECT_EQ(core::read_metadata(m, r), client_errc::malformed_length);
}

TEST(CoreReadMetadata, ANegativePartitionIndexIsSkipped) {
  auto m = sample();
  m.topics[0].partitions[0].partition_index = -5;  // was partition 2
  core::metadata_result r;
  ASSERT_FALSE(core::read_metadata(m, r));
  EXPECT_EQ(r.topics[0].second.partitions.size(), 2u);
}

TEST(CoreReadMetadata, TopicsNamedOnlyByIdAreSkipped) {
  auto m = sample();
  m.topics[0].name = std::nullopt;
  core::metadata_result r;
  ASSERT_FALSE(core::read_metadata(m, r));
  ASSERT_EQ(r.topics.size(), 1u);
  EXPECT_EQ(r.topics[0].first, "missing");
}

}  // namespace
}  // namespace kafkio::test
