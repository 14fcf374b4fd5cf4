// The sender's rules, on the core with a virtual clock: linger, batch.size, in-flight limits, retries with
// exponential backoff, delivery.timeout.ms, request.timeout.ms, throttling. Times are exact: the harness's network
// takes 1 ms from broker to client and nothing else moves the clock.
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

TEST(CoreLinger, ARecordWaitsExactlyLingerMsThenGoesOut) {
  core_harness h({{"linger.ms", "20"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int before = produce_requests(h);
  auto id = h.send(rec("t", 0, "v"));
  h.advance(19ms);
  EXPECT_EQ(produce_requests(h), before) << "sent before linger.ms passed";
  h.advance(1ms);
  EXPECT_EQ(produce_requests(h), before + 1) << "not sent when linger.ms passed";
  EXPECT_FALSE(h.done(id));
  h.advance(1ms);  // the response's way back
  ASSERT_TRUE(h.done(id));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_EQ(h.result(id).metadata.offset, 1);  // after the warm-up record
}

TEST(CoreLinger, AFullBatchGoesAtOnceWithoutWaitingForLinger) {
  core_harness h({{"linger.ms", "10000"}, {"batch.size", "100"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int before = produce_requests(h);
  h.send(rec("t", 0, std::string(150, 'x')));  // fills batch.size on its own
  EXPECT_EQ(produce_requests(h), before + 1) << "a full batch waited";
}

TEST(CoreLinger, ARecordThatWouldOverflowTheBatchClosesItAndStartsTheNext) {
  core_harness h({{"linger.ms", "10000"}, {"batch.size", "400"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int before = produce_requests(h);
  h.send(rec("t", 0, std::string(100, 'a')));
  h.send(rec("t", 0, std::string(100, 'b')));
  EXPECT_EQ(produce_requests(h), before) << "batch sent before it was full";
  h.send(rec("t", 0, std::string(100, 'c')));  // does not fit: the first batch is full now
  EXPECT_EQ(produce_requests(h), before + 1);
  EXPECT_EQ(h.cluster.produce_attempts().back().records.size(), 2u);
}

TEST(CoreLinger, LingerZeroSendsInTheNextPassWithoutTimePassing) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int before = produce_requests(h);
  h.send(rec("t", 0, "v"));
  EXPECT_EQ(produce_requests(h), before + 1);
}

TEST(CoreInFlight, NoMoreThanMaxInFlightRequestsPerConnection) {
  core_harness h({{"linger.ms", "0"}, {"batch.size", "50"}, {"max.in.flight.requests.per.connection", "2"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int before = produce_requests(h);
  h.cluster.hold_produce_responses();
  std::vector<completion_id> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(h.send(rec("t", 0, std::string(60, char('a' + i)))));  // a batch each
  h.advance(5ms);
  EXPECT_EQ(produce_requests(h), before + 2) << "more than max.in.flight requests outstanding";
  h.cluster.release_produce_responses();
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 100ms));
  EXPECT_EQ(produce_requests(h), before + 5);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(h.result(ids[i]).metadata.offset, static_cast<std::int64_t>(i + 1));
}

TEST(CoreInFlight, WithoutIdempotenceOneBatchPerPartitionIsInFlight) {
  core_harness h({{"linger.ms", "0"}, {"batch.size", "50"}, {"enable.idempotence", "false"}, {"acks", "1"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int before = produce_requests(h);
  h.cluster.hold_produce_responses();
  for (int i = 0; i < 3; ++i) h.send(rec("t", 0, std::string(60, 'x')));
  h.advance(5ms);
  EXPECT_EQ(produce_requests(h), before + 1) << "order across retries needs one batch per partition in flight";
}

TEST(CoreRetry, RetriableErrorsAreRetriedAfterExponentialBackoffWithJitter) {
  core_harness h({{"linger.ms", "0"}, {"retry.backoff.ms", "100"}, {"retry.backoff.max.ms", "10000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  std::vector<time_point> at;
  h.cluster.produce_hook = [&](const fake_produce_attempt&) -> std::int16_t {
    at.push_back(h.now());
    return at.size() <= 3 ? 7 : 0;  // REQUEST_TIMED_OUT three times
  };
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 5s));
  EXPECT_FALSE(h.result(id).error);
  ASSERT_EQ(at.size(), 4u);
  // Gap n = 1 ms for the error to come back + backoff of 100 * 2^(n-1) ms, +/- 20 % (KIP-580).
  for (int n = 1; n <= 3; ++n) {
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(at[n] - at[n - 1]).count();
    double base = 100.0 * (1 << (n - 1));
    EXPECT_GE(gap, 1 + 0.8 * base - 1) << "retry " << n;
    EXPECT_LE(gap, 1 + 1.2 * base + 1) << "retry " << n;
  }
  EXPECT_EQ(h.core.metrics().retries, 3u);
}

TEST(CoreRetry, BackoffIsCappedAtRetryBackoffMax) {
  core_harness h({{"linger.ms", "0"}, {"retry.backoff.ms", "100"}, {"retry.backoff.max.ms", "150"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  std::vector<time_point> at;
  h.cluster.produce_hook = [&](const fake_produce_attempt&) -> std::int16_t {
    at.push_back(h.now());
    return at.size() <= 4 ? 7 : 0;
  };
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 5s));
  ASSERT_EQ(at.size(), 5u);
  for (std::size_t n = 2; n < at.size(); ++n)
    EXPECT_LE(std::chrono::duration_cast<std::chrono::milliseconds>(at[n] - at[n - 1]).count(), 1 + 150 * 1.2 + 1);
}

TEST(CoreRetry, ARetriedBatchKeepsItsSequenceNumber) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  int calls = 0;
  h.cluster.produce_hook = [&](const fake_produce_attempt&) -> std::int16_t { return ++calls == 1 ? 7 : 0; };
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  const auto& a = h.cluster.produce_attempts();
  ASSERT_GE(a.size(), 3u);
  EXPECT_EQ(a[a.size() - 2].base_sequence, a.back().base_sequence);
  EXPECT_EQ(a.back().base_sequence, 1);  // the warm-up record had 0
  EXPECT_EQ(h.cluster.log("t", 0).size(), 2u) << "the retry was written twice";
}

TEST(CoreRetry, NonRetriableErrorsFailTheRecordsAtOnce) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.fail_produce({10});  // MESSAGE_TOO_LARGE
  auto id = h.send(rec("t", 0, "v"));
  h.advance(1ms);
  ASSERT_TRUE(h.done(id));
  EXPECT_EQ(h.result(id).error, kafka_errc::message_too_large);
  EXPECT_EQ(h.core.metrics().retries, 0u);
}

TEST(CoreDeliveryTimeout, RetriesStopAtDeliveryTimeoutMs) {
  core_harness h({{"linger.ms", "0"}, {"request.timeout.ms", "1000"}, {"delivery.timeout.ms", "1500"},
                  {"retry.backoff.ms", "100"}, {"retry.backoff.max.ms", "100"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.produce_hook = [](const fake_produce_attempt&) -> std::int16_t { return 7; };  // never accepted
  const auto sent = h.now();
  auto id = h.send(rec("t", 0, "v"));
  h.advance_to(sent + 1499ms);
  EXPECT_FALSE(h.done(id)) << "failed before delivery.timeout.ms";
  h.advance_to(sent + 1501ms);
  ASSERT_TRUE(h.done(id)) << "still retrying after delivery.timeout.ms";
  EXPECT_EQ(h.result(id).error, client_errc::delivery_timeout);
}

TEST(CoreDeliveryTimeout, ABatchThatNeverLeavesExpiresAtItsDeadline) {
  core_harness h({{"linger.ms", "0"}, {"request.timeout.ms", "500"}, {"delivery.timeout.ms", "800"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.refuse_connections(1);
  h.drop_all_connections();  // the leader is gone, and stays gone
  const auto sent = h.now();
  auto id = h.send(rec("t", 0, "v"));
  h.advance_to(sent + 799ms);
  EXPECT_FALSE(h.done(id));
  h.advance_to(sent + 800ms);
  ASSERT_TRUE(h.done(id));
  EXPECT_EQ(h.result(id).error, client_errc::delivery_timeout);
}

TEST(CoreRequestTimeout, AnUnansweredRequestDropsTheConnectionAndTheBatchIsRetried) {
  core_harness h({{"linger.ms", "0"}, {"request.timeout.ms", "1000"}, {"delivery.timeout.ms", "5000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.inject(api_key::produce, fake_fault::swallow);
  const int connections = h.connections_opened();
  const auto sent = h.now();
  auto id = h.send(rec("t", 0, "v"));
  h.advance_to(sent + 999ms);
  EXPECT_FALSE(h.done(id));
  EXPECT_EQ(h.connections_opened(), connections);
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_GT(h.connections_opened(), connections) << "the swallowing connection was not replaced";
  EXPECT_EQ(h.cluster.log("t", 0).size(), 2u);  // written once (the swallowed request was stored, its retry deduplicated)
}

TEST(CoreThrottle, AThrottledBrokerGetsNoProduceRequestUntilTheThrottleTimePassed) {
  // Produce v6+: a broker over its quota answers at once and asks for throttle_time_ms of silence (KIP-219).
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.throttle_produce(300);
  auto first = h.send(rec("t", 0, "a"));
  h.advance(1ms);
  ASSERT_TRUE(h.done(first));
  const auto answered = h.now();
  h.cluster.throttle_produce(0);
  const int before = produce_requests(h);
  auto second = h.send(rec("t", 0, "b"));
  h.advance_to(answered + 299ms);
  EXPECT_EQ(produce_requests(h), before) << "sent while throttled";
  h.advance_to(answered + 300ms);
  EXPECT_EQ(produce_requests(h), before + 1);
  h.advance(1ms);
  EXPECT_TRUE(h.done(second));
}

}  // namespace
}  // namespace kafkio::test
