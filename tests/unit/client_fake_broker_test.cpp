// kafkio::producer against the fake broker (tests/support/fake_broker.hpp) when the broker behaves: records land
// in the log in order with the offsets reported to the caller, batches carry what was sent, ApiVersions falls back,
// acks=0, backpressure, flush, close and destruction. Misbehaving brokers: client_fake_broker_faults_test.cpp.
#include "client_fake_broker_fixture.hpp"

namespace kafkio::test {
namespace {

using Producer = FakeBrokerTest;

TEST_F(Producer, HappyPathOffsetsInOrderAndBatchesCarryTheRecords) {
  start({{"linger.ms", "20"}});
  const std::vector<header> hs{{"h1", "x"}, {"h-null", std::nullopt}};
  constexpr int n = 60;
  for (int i = 0; i < n; ++i) {
    producer_record r;
    r.topic = "t";
    std::string key = "k" + std::to_string(i), value = "v" + std::to_string(i);
    if (i % 3 == 0) r.key = key;
    r.value = value;
    if (i % 4 == 0) r.headers = hs;
    r.timestamp_ms = 1700000000000 + i;
    outcomes.emplace_back();
    prod->async_send(r, [this, i](std::error_code ec, record_metadata md) {
      auto& o = outcomes[static_cast<std::size_t>(i)];
      ++o.calls;
      o.ec = ec;
      o.md = std::move(md);
      completion_order.push_back(static_cast<std::size_t>(i));
    });
  }
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  for (int i = 0; i < n; ++i) {
    const auto& md = outcomes[static_cast<std::size_t>(i)].md;
    EXPECT_EQ(md.topic, "t");
    EXPECT_EQ(md.partition, 0);
    EXPECT_EQ(md.offset, i);  // one partition: the fake assigns 0, 1, 2, ... in arrival order
    EXPECT_EQ(md.timestamp_ms, 1700000000000 + i);
  }
  for (std::size_t i = 0; i < completion_order.size(); ++i) EXPECT_EQ(completion_order[i], i);
  expect_log_exactly(n);
  const auto log = fake->log("t", 0);
  for (int i = 0; i < n; ++i) {
    const auto& rec = log[static_cast<std::size_t>(i)].record;
    EXPECT_EQ(rec.key, i % 3 == 0 ? std::optional<std::string>("k" + std::to_string(i)) : std::nullopt);
    EXPECT_EQ(rec.timestamp, 1700000000000 + i);
    if (i % 4 == 0) {
      ASSERT_EQ(rec.headers.size(), 2u);
      EXPECT_EQ(rec.headers[0], std::make_pair(std::string("h1"), std::optional<std::string>("x")));
      EXPECT_EQ(rec.headers[1].second, std::nullopt);
    } else {
      EXPECT_TRUE(rec.headers.empty());
    }
  }
  // Idempotent by default: one producer id, epoch 0, sequences without gaps, nothing refused or duplicated.
  std::int32_t next_sequence = 0;
  for (const auto& a : fake->produce_attempts()) {
    EXPECT_EQ(a.error, 0);
    EXPECT_FALSE(a.duplicate);
    EXPECT_EQ(a.producer_id, fake->last_producer_id());
    EXPECT_EQ(a.producer_epoch, 0);
    EXPECT_EQ(a.base_sequence, next_sequence);
    EXPECT_EQ(a.acks, -1);
    EXPECT_EQ(a.version, 12);  // the highest both sides speak
    next_sequence += static_cast<std::int32_t>(a.records.size());
  }
  EXPECT_EQ(next_sequence, n);
  EXPECT_LT(fake->produce_attempts().size(), static_cast<std::size_t>(n)) << "linger.ms=20 should batch records";
  EXPECT_EQ(fake->requests(api_key::init_producer_id), 1);
  const auto m = prod->metrics();
  EXPECT_EQ(m.records_acked, static_cast<std::uint64_t>(n));
  EXPECT_EQ(m.records_failed, 0u);
  EXPECT_TRUE(prod->has_metadata());
}

TEST_F(Producer, ExplicitPartitionsAndKeysOnSeveralPartitions) {
  make_fake();
  fake->create_topic("t", 4);
  start();
  for (int i = 0; i < 40; ++i) send("v" + std::to_string(i), i % 4);
  const auto keyed = send("keyed", std::nullopt, std::string("foobar"));  // murmur2("foobar") % 4 = 2
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(outcomes[static_cast<std::size_t>(i)].md.partition, i % 4);
    EXPECT_EQ(outcomes[static_cast<std::size_t>(i)].md.offset, i / 4);
  }
  EXPECT_EQ(outcomes[keyed].md.partition, 2);
  EXPECT_EQ(outcomes[keyed].md.offset, 10);
  for (int p = 0; p < 4; ++p) EXPECT_EQ(fake->log("t", p).size(), p == 2 ? 11u : 10u);
}

TEST_F(Producer, FollowsALeaderThatMovesToAnotherBroker) {
  make_fake({.nodes = 2});
  fake->create_topic("t", 2);
  fake->set_leader("t", 1, 2);
  start();
  for (int i = 0; i < 10; ++i) send("v" + std::to_string(i), i % 2);
  ASSERT_TRUE(all_completed());
  fake->set_leader("t", 0, 2);  // node 1 now answers NOT_LEADER_OR_FOLLOWER for t-0, with the new leader as hint
  for (int i = 10; i < 20; ++i) send("v" + std::to_string(i), i % 2);
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  EXPECT_EQ(fake->log("t", 0).size(), 10u);
  EXPECT_EQ(fake->log("t", 1).size(), 10u);
  bool moved = false;
  for (const auto& a : fake->produce_attempts()) moved |= a.partition == 0 && a.node == 2 && a.error == 0;
  EXPECT_TRUE(moved);
}

class ApiVersionsFallback : public FakeBrokerTest, public ::testing::WithParamInterface<std::int16_t> {};

TEST_P(ApiVersionsFallback, RejectedV4GetsTheV0FormatReplyAndTheProducerRetriesLower) {
  make_fake({.api_versions_max = GetParam()});
  start();
  send("v0");
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  std::vector<std::int16_t> versions;
  for (const auto& [key, v] : fake->request_log())
    if (key == api_key::api_versions) versions.push_back(v);
  ASSERT_GE(versions.size(), 2u);
  EXPECT_EQ(versions[0], 4);
  EXPECT_EQ(versions[1], GetParam());
}
INSTANTIATE_TEST_SUITE_P(MaxVersion, ApiVersionsFallback, ::testing::Values(std::int16_t{0}, std::int16_t{2}));

// Regression (found with the librdkafka mock cluster): it rejects ApiVersions v4 with error 35 in a body that is
// neither v4 nor v0; the producer trusts the leading error code and retries with v0.
TEST_F(Producer, FallsBackOnErrorCode35EvenIfTheBodyDoesNotDecode) {
  make_fake({.api_versions_max = 2, .rdkafka_mock_api_versions_reply = true});
  start();
  send("v0");
  ASSERT_TRUE(all_completed(2s)) << "no ApiVersions fallback when the error-35 reply does not decode";
  expect_all_succeeded();
}

TEST_F(Producer, OldProduceAndMetadataVersionsWork) {
  make_fake({.produce_max = 3, .metadata_max = 1, .init_producer_id_max = 0});
  start();
  for (int i = 0; i < 5; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  expect_log_exactly(5);
  EXPECT_EQ(fake->produce_attempts().back().version, 3);
}

TEST_F(Producer, AcksZeroCompletesOnceWrittenWithOffsetMinusOne) {
  start({{"acks", "0"}});
  for (int i = 0; i < 10; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  for (const auto& o : outcomes) EXPECT_EQ(o.md.offset, -1);
  ASSERT_TRUE(run_until(io, [&] { return fake->log("t", 0).size() == 10; }, 5s));
  expect_log_exactly(10);
  for (const auto& a : fake->produce_attempts()) {
    EXPECT_EQ(a.acks, 0);
    EXPECT_EQ(a.producer_id, -1);  // idempotence is off with acks=0
  }
  EXPECT_EQ(fake->requests(api_key::init_producer_id), 0);
}

TEST_F(Producer, BackpressureTrySendFailsAtOnceAsyncSendWaits) {
  start({{"buffer.memory", "1000"}});
  send("v0");
  ASSERT_TRUE(all_completed());  // metadata and producer id are in place
  fake->hold_produce_responses();
  const std::string big(100, 'x');  // about 132 bytes charged each: 7 fit in 1000
  std::size_t first_refused = 0;
  for (int i = 0; i < 20 && !first_refused; ++i) {
    auto idx = try_send(big);
    io.poll();  // a refusal completes right away, without any I/O
    if (outcomes[idx].calls) first_refused = idx;
  }
  ASSERT_NE(first_refused, 0u) << "try_send never reported queue_full";
  EXPECT_EQ(outcomes[first_refused].ec, make_error_code(client_errc::queue_full));
  EXPECT_EQ(first_refused, 8u);
  EXPECT_EQ(completed(), 2u);  // v0 and the refused one
  // async_send waits for room (up to another buffer.memory's worth), beyond that it is refused too.
  std::vector<std::size_t> waiting;
  for (int i = 0; i < 7; ++i) waiting.push_back(send(big));
  const auto too_many = send(big);
  run_for(io, 100ms);
  for (auto w : waiting) EXPECT_EQ(outcomes[w].calls, 0);
  EXPECT_EQ(outcomes[too_many].ec, make_error_code(client_errc::queue_full));
  EXPECT_EQ(prod->metrics().records_waiting_for_room, 7u);
  fake->release_produce_responses();
  ASSERT_TRUE(all_completed());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (i == first_refused || i == too_many) continue;
    EXPECT_FALSE(outcomes[i].ec) << i << ": " << outcomes[i].ec.message();
  }
  EXPECT_EQ(fake->log("t", 0).size(), 15u);
}

TEST_F(Producer, FlushSkipsLingerAndCompletesAfterEveryEarlierRecord) {
  start({{"linger.ms", "60000"}});
  for (int i = 0; i < 5; ++i) send("v" + std::to_string(i));
  bool flushed = false;
  std::size_t completed_at_flush = 0;
  prod->async_flush([&](std::error_code ec) {
    EXPECT_FALSE(ec);
    flushed = true;
    completed_at_flush = completed();
  });
  ASSERT_TRUE(run_until(io, [&] { return flushed; }, 5s)) << "flush waited for linger.ms";
  EXPECT_EQ(completed_at_flush, 5u);
  expect_all_succeeded();
  bool empty_flush = false;
  prod->async_flush([&](std::error_code ec) { empty_flush = !ec; });
  ASSERT_TRUE(run_until(io, [&] { return empty_flush; }, 1s));
}

TEST_F(Producer, CloseDeliversPendingThenRefusesNewRecords) {
  start({{"linger.ms", "60000"}});
  for (int i = 0; i < 5; ++i) send("v" + std::to_string(i));
  bool closed = false;
  prod->async_close([&](std::error_code ec) {
    EXPECT_FALSE(ec);
    closed = true;
  });
  ASSERT_TRUE(run_until(io, [&] { return closed; }, 5s));
  ASSERT_TRUE(all_completed(1s));
  expect_all_succeeded();
  expect_log_exactly(5);
  const auto late = send("late");
  ASSERT_TRUE(all_completed(1s));
  EXPECT_EQ(outcomes[late].ec, make_error_code(client_errc::producer_closed));
}

TEST_F(Producer, DestructionAbortsRecordsInFlight) {
  start();
  send("v0");
  ASSERT_TRUE(all_completed());
  fake->hold_produce_responses();
  for (int i = 1; i <= 5; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(run_until(io, [&] { return fake->produce_attempts().size() >= 2; }, 5s));
  prod.reset();
  ASSERT_TRUE(all_completed(2s));
  for (std::size_t i = 1; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].calls, 1);
    EXPECT_EQ(outcomes[i].ec, std::errc::operation_canceled) << i << ": " << outcomes[i].ec.message();
  }
}

// A flush or close still waiting when the producer is destroyed completes with operation_aborted (producer.hpp:
// "whatever is still pending completes with operation_aborted"), not with success: its records were not delivered.
// Regression: abort() once failed the records first, and their completions finished the flush with success.
class PendingAtDestruction : public FakeBrokerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(PendingAtDestruction, FlushOrCloseCompletesWithOperationAborted) {
  start();
  send("v0");
  ASSERT_TRUE(all_completed());
  fake->hold_produce_responses();
  for (int i = 1; i <= 3; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(run_until(io, [&] { return fake->produce_attempts().size() >= 2; }, 5s));
  std::error_code ec;
  int calls = 0;
  auto done = [&](std::error_code e) {
    ec = e;
    ++calls;
  };
  if (GetParam()) prod->async_close(done);
  else prod->async_flush(done);
  prod.reset();
  ASSERT_TRUE(run_until(io, [&] { return calls > 0; }, 2s));
  run_for(io, 20ms);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(ec, std::errc::operation_canceled);
}
INSTANTIATE_TEST_SUITE_P(FlushOrClose, PendingAtDestruction, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "close" : "flush"; });

TEST_F(Producer, DestructionAbortsRecordsWaitingForMetadata) {
  make_fake();
  fake->inject(api_key::metadata, fake_fault::swallow, 100);
  start();
  for (int i = 0; i < 3; ++i) send("v" + std::to_string(i));
  run_for(io, 100ms);
  EXPECT_EQ(completed(), 0u);
  EXPECT_FALSE(prod->has_metadata());
  prod.reset();
  ASSERT_TRUE(all_completed(2s));
  for (const auto& o : outcomes) EXPECT_EQ(o.ec, std::errc::operation_canceled) << o.ec.message();
}

// docs/producer.md: constructing a producer does nothing else; connections start with the first record (or
// async_connect). A producer that never gets a record opens no connection and sends nothing, up to its end.
TEST_F(Producer, IdleProducerNeverConnects) {
  start();
  run_for(io, 100ms);
  EXPECT_EQ(fake->connections_accepted(), 0);
  prod.reset();
  run_for(io, 20ms);
  EXPECT_EQ(fake->connections_accepted(), 0);
  EXPECT_TRUE(fake->request_log().empty());
  // The fake does see a producer that has a record (so the counts above can fail).
  start();
  send("v0");
  ASSERT_TRUE(all_completed());
  EXPECT_GE(fake->connections_accepted(), 1);
}

}  // namespace
}  // namespace kafkio::test
