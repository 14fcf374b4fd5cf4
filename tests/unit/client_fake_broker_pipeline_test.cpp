// kafkio::producer against the fake broker: pipelining and ordering (several batches of one partition in flight
// when one of them fails), per-partition errors inside one request, connection drops mid-stream, compression,
// and records refused before they reach a broker (unknown topic or partition, too large).
#include "client_fake_broker_fixture.hpp"

namespace kafkio::test {
namespace {

using ProducerPipeline = FakeBrokerTest;

// The offsets each record got must follow the order the records were sent in (per partition).
void expect_offsets_follow_send_order(const std::deque<send_outcome>& outcomes) {
  std::map<std::int32_t, std::int64_t> last;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& md = outcomes[i].md;
    auto it = last.find(md.partition);
    if (it != last.end()) {
      EXPECT_GT(md.offset, it->second) << "record " << i << " partition " << md.partition;
    }
    last[md.partition] = md.offset;
  }
}

TEST_F(ProducerPipeline, FailedFirstBatchWhileLaterOnesAreInFlightKeepsOrderWithoutDuplicates) {
  make_fake();
  // Small batches: every record is its own batch, several are in flight at once.
  start({{"batch.size", "1"}});
  send("v0");
  ASSERT_TRUE(all_completed());
  fake->hold_produce_responses();
  fake->fail_produce({19});  // the first of the next batches: NOT_ENOUGH_REPLICAS; the fake then refuses the
                             // ones already in flight behind it with OUT_OF_ORDER_SEQUENCE_NUMBER, as a broker does
  for (int i = 1; i < 20; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(run_until(io, [&] { return fake->produce_attempts().size() >= 3; }, 5s));
  fake->release_produce_responses();
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  expect_log_exactly(20);
  for (std::size_t i = 0; i < outcomes.size(); ++i) EXPECT_EQ(outcomes[i].md.offset, static_cast<std::int64_t>(i));
  bool saw_out_of_order = false;
  for (const auto& a : fake->produce_attempts()) saw_out_of_order |= a.error == 45;
  EXPECT_TRUE(saw_out_of_order) << "the scenario did not put batches in flight behind the failed one";
  EXPECT_EQ(fake->requests(api_key::init_producer_id), 1) << "a retriable error needs no new producer id";
}

TEST_F(ProducerPipeline, WithoutIdempotenceOneBatchPerPartitionInFlightKeepsOrder) {
  make_fake();
  start({{"batch.size", "1"}, {"enable.idempotence", "false"}});
  fake->fail_produce({7, 19});
  for (int i = 0; i < 15; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  expect_log_exactly(15);
  expect_offsets_follow_send_order(outcomes);
}

TEST_F(ProducerPipeline, ErrorOnOnePartitionOfARequestRetriesOnlyThatBatch) {
  make_fake();
  fake->create_topic("t", 3);
  fake->produce_hook = [n = 0](const fake_produce_attempt& a) mutable -> std::int16_t {
    return a.partition == 1 && n++ < 2 ? 6 : 0;  // t-1 refused twice with NOT_LEADER_OR_FOLLOWER
  };
  start({{"linger.ms", "20"}});
  for (int i = 0; i < 30; ++i) send("v" + std::to_string(i), i % 3);
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  for (int p = 0; p < 3; ++p) {
    const auto log = fake->log("t", p);
    ASSERT_EQ(log.size(), 10u) << "partition " << p;
    for (std::size_t k = 0; k < log.size(); ++k) EXPECT_EQ(log[k].record.value, "v" + std::to_string(3 * k + p));
  }
  int attempts_p0 = 0;
  for (const auto& a : fake->produce_attempts()) attempts_p0 += a.partition == 0;
  int batches_p0 = 0;
  for (const auto& a : fake->produce_attempts()) batches_p0 += a.partition == 0 && a.error == 0;
  EXPECT_EQ(attempts_p0, batches_p0) << "a batch of t-0 was resent although only t-1 failed";
}

TEST_F(ProducerPipeline, BrokerRestartWithRecordsInFlightDeliversEachOnce) {
  make_fake();
  start({{"batch.size", "200"}});
  send("v0");
  ASSERT_TRUE(all_completed());
  fake->hold_produce_responses();  // written but not acknowledged when the connections drop
  for (int i = 1; i < 40; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(run_until(io, [&] { return fake->produce_attempts().size() >= 3; }, 5s));
  fake->release_produce_responses();
  fake->hold_produce_responses();
  fake->drop_connections();
  fake->release_produce_responses();
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  expect_log_exactly(40);
  for (std::size_t i = 0; i < outcomes.size(); ++i) EXPECT_EQ(outcomes[i].md.offset, static_cast<std::int64_t>(i));
}

class Compressed : public FakeBrokerTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(Compressed, BatchesDecompressToTheRecordsSent) {
  make_fake();
  start({{"compression.type", GetParam()}, {"linger.ms", "20"}});
  for (int i = 0; i < 100; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  expect_log_exactly(100);
}
INSTANTIATE_TEST_SUITE_P(Codecs, Compressed, ::testing::Values("gzip", "snappy", "lz4", "zstd"));

TEST_F(ProducerPipeline, UnknownTopicFailsAfterMaxBlock) {
  make_fake({.auto_create = false});
  start({{"max.block.ms", "300"}});
  const auto t0 = std::chrono::steady_clock::now();
  send("v0", std::nullopt, std::nullopt, "missing");
  ASSERT_TRUE(all_completed(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms);
  EXPECT_EQ(outcomes[0].ec, make_error_code(client_errc::unknown_topic)) << outcomes[0].ec.message();
}

TEST_F(ProducerPipeline, ExplicitPartitionOutOfRangeFails) {
  make_fake();
  fake->create_topic("t", 2);
  start();
  send("v0", 5);
  send("v1", 1);
  ASSERT_TRUE(all_completed());
  EXPECT_EQ(outcomes[0].ec, make_error_code(client_errc::unknown_partition)) << outcomes[0].ec.message();
  EXPECT_FALSE(outcomes[1].ec);
  EXPECT_EQ(fake->log("t", 1).size(), 1u);
}

TEST_F(ProducerPipeline, RecordLargerThanMaxRequestSizeFailsWithoutReachingTheBroker) {
  make_fake();
  start({{"max.request.size", "1000"}});
  send(std::string(2000, 'x'));
  ASSERT_TRUE(all_completed(1s));
  EXPECT_EQ(outcomes[0].ec, make_error_code(client_errc::record_too_large));
  EXPECT_EQ(fake->requests(api_key::produce), 0);
}

TEST_F(ProducerPipeline, ManyRecordsAcrossPartitionsAndTopics) {
  make_fake({.nodes = 3});
  fake->create_topic("a", 6);
  fake->create_topic("b", 3);
  for (int p = 0; p < 6; ++p) fake->set_leader("a", p, 1 + p % 3);
  start({{"linger.ms", "5"}});
  constexpr int n = 3000;
  for (int i = 0; i < n; ++i) send("v" + std::to_string(i), std::nullopt, "key" + std::to_string(i), i % 2 ? "a" : "b");
  ASSERT_TRUE(all_completed(20s));
  expect_all_succeeded();
  std::size_t stored = 0;
  for (int p = 0; p < 6; ++p) stored += fake->log("a", p).size();
  for (int p = 0; p < 3; ++p) stored += fake->log("b", p).size();
  EXPECT_EQ(stored, static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto& md = outcomes[static_cast<std::size_t>(i)].md;
    const auto log = fake->log(md.topic, md.partition);
    ASSERT_LT(static_cast<std::size_t>(md.offset), log.size());
    EXPECT_EQ(log[static_cast<std::size_t>(md.offset)].record.value, "v" + std::to_string(i));
    EXPECT_EQ(md.partition, detail::partition_for_key("key" + std::to_string(i), i % 2 ? 6 : 3));
  }
}

}  // namespace
}  // namespace kafkio::test
