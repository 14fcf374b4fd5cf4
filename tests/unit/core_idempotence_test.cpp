// Idempotence on the core: sequence numbers per partition, the producer id and when it is replaced, the first
// batch of a partition going alone (docs/producer.md, "Delivery guarantees").
#include "core_test_support.hpp"

#include <set>

namespace kafkio::test {
namespace {

TEST(CoreSequence, BatchesOfAPartitionAreNumberedConsecutivelyByRecordCount) {
  core_harness h({{"linger.ms", "0"}, {"batch.size", "1000"}});
  h.cluster.create_topic("t", 2);
  warm_up(h, "t", 0);
  warm_up(h, "t", 1);
  h.cluster.hold_produce_responses();
  h.send_burst({rec("t", 0, "a"), rec("t", 0, "b"), rec("t", 1, "c")});  // one turn of the loop: a, b share a batch
  h.advance(1ms);
  h.cluster.release_produce_responses();
  h.send(rec("t", 0, "d"));
  h.advance(5ms);
  std::map<std::int32_t, std::vector<std::pair<std::int32_t, std::size_t>>> seq;  // partition -> (base, count)
  for (const auto& a : h.cluster.produce_attempts()) seq[a.partition].emplace_back(a.base_sequence, a.records.size());
  ASSERT_EQ(seq[0].size(), 3u);
  EXPECT_EQ(seq[0][0], (std::pair<std::int32_t, std::size_t>{0, 1}));  // warm-up
  EXPECT_EQ(seq[0][1], (std::pair<std::int32_t, std::size_t>{1, 2}));  // a, b
  EXPECT_EQ(seq[0][2], (std::pair<std::int32_t, std::size_t>{3, 1}));  // d
  ASSERT_EQ(seq[1].size(), 2u);
  EXPECT_EQ(seq[1][1].first, 1) << "partitions have sequences of their own";
  std::set<std::int64_t> ids;
  for (const auto& a : h.cluster.produce_attempts()) ids.insert(a.producer_id);
  EXPECT_EQ(ids.size(), 1u);
}

TEST(CoreSequence, UnknownProducerIdGetsANewIdAndTheBatchIsResentFromSequenceZero) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const auto first_id = h.cluster.last_producer_id();
  h.cluster.fail_produce({59});  // UNKNOWN_PRODUCER_ID: the broker lost our state
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  const auto& last = h.cluster.produce_attempts().back();
  EXPECT_EQ(last.producer_id, first_id + 1);
  EXPECT_EQ(last.base_sequence, 0);
  EXPECT_EQ(h.cluster.requests(api_key::init_producer_id), 2);
  EXPECT_EQ(h.core.metrics().producer_id_resets, 1u);
}

TEST(CoreSequence, AGapAfterTheLastAcknowledgedBatchResetsTheProducerId) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.fail_produce({45});  // OUT_OF_ORDER_SEQUENCE_NUMBER for the batch right after the acknowledged one
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_EQ(h.core.metrics().producer_id_resets, 1u);
  EXPECT_EQ(h.cluster.produce_attempts().back().base_sequence, 0);
}

TEST(CoreSequence, AFailedNumberedBatchLeavesAHoleSoTheNextBatchUsesANewProducerId) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.fail_produce({10});  // MESSAGE_TOO_LARGE: fails for good, sequence 1 is never written
  auto failed = h.send(rec("t", 0, "too big, says the broker"));
  h.advance(1ms);
  ASSERT_TRUE(h.done(failed));
  EXPECT_TRUE(h.result(failed).error);
  auto next = h.send(rec("t", 0, "next"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(next); }, 2s));
  EXPECT_FALSE(h.result(next).error) << "sequence 2 after a hole at 1 would be refused forever";
  EXPECT_EQ(h.cluster.produce_attempts().back().base_sequence, 0);
  EXPECT_EQ(h.core.metrics().producer_id_resets, 1u);
}

TEST(CoreSequence, ThePartitionsFirstBatchUnderAProducerIdGoesAlone) {
  // Until one batch is acknowledged, a broker accepts any first sequence: batch 1 must not overtake batch 0.
  core_harness h({{"linger.ms", "0"}, {"batch.size", "50"}});
  h.cluster.create_topic("t", 1);
  h.cluster.hold_produce_responses();
  std::vector<completion_id> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(h.send(rec("t", 0, std::string(60, char('a' + i)))));
  h.advance(20ms);
  EXPECT_EQ(produce_requests(h), 1) << "the first batch did not go alone";
  h.cluster.release_produce_responses();
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 1s));
  EXPECT_EQ(h.cluster.log("t", 0).size(), 3u);
}

TEST(CoreSequence, WithoutIdempotenceBatchesCarryNoProducerId) {
  core_harness h({{"linger.ms", "0"}, {"enable.idempotence", "false"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  EXPECT_EQ(h.cluster.requests(api_key::init_producer_id), 0);
  EXPECT_EQ(h.cluster.produce_attempts().back().producer_id, -1);
  EXPECT_EQ(h.cluster.produce_attempts().back().base_sequence, -1);
}

TEST(CoreProducerId, InitProducerIdFailuresAreRetriedWithBackoffAndFatalOnesFailTheRecords) {
  core_harness h({{"linger.ms", "0"}, {"retry.backoff.ms", "100"}, {"retry.backoff.max.ms", "100"}});
  h.cluster.create_topic("t", 1);
  h.cluster.fail_init_producer_id({15});  // COORDINATOR_NOT_AVAILABLE: retriable
  auto id = h.send(rec("t", 0, "v"));
  h.advance(50ms);
  EXPECT_FALSE(h.done(id));
  EXPECT_EQ(h.cluster.requests(api_key::init_producer_id), 1);
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_EQ(h.cluster.requests(api_key::init_producer_id), 2);

  core_harness denied({{"linger.ms", "0"}});
  denied.cluster.create_topic("t", 1);
  denied.cluster.fail_init_producer_id({31});  // CLUSTER_AUTHORIZATION_FAILED: not allowed to be idempotent
  auto refused = denied.send(rec("t", 0, "v"));
  ASSERT_TRUE(denied.advance_until([&] { return denied.done(refused); }, 1s));
  EXPECT_EQ(denied.result(refused).error, kafka_errc::cluster_authorization_failed);
}

}  // namespace
}  // namespace kafkio::test
