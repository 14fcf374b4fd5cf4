// Flush generations, close, abort, connect() and buffer.memory on the core with a virtual clock.
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

TEST(CoreFlush, AFlushWaitsForTheRecordsSentBeforeItAndNotForLaterOnes) {
  core_harness h({{"linger.ms", "1000"}, {"retry.backoff.ms", "100"}, {"retry.backoff.max.ms", "100"}});
  h.cluster.create_topic("t", 2);
  warm_up(h, "t", 0);
  warm_up(h, "t", 1);
  int p0_attempts = 0;
  h.cluster.produce_hook = [&](const fake_produce_attempt& a) -> std::int16_t {
    return a.partition == 0 && ++p0_attempts == 1 ? 7 : 0;  // the first record's batch is retried once
  };
  auto a = h.send(rec("t", 0, "a"));
  auto f1 = h.flush();
  auto b = h.send(rec("t", 1, "b"));
  auto f2 = h.flush();
  h.advance(1ms);
  EXPECT_TRUE(h.done(b)) << "linger was not skipped while flushing";
  EXPECT_FALSE(h.done(a));
  EXPECT_FALSE(h.done(f1)) << "flush completed before the record it waits for";
  EXPECT_FALSE(h.done(f2));
  ASSERT_TRUE(h.advance_until([&] { return h.done(f2); }, 1s));
  EXPECT_FALSE(h.result(f1).error);
  const auto& order = h.completion_order();
  auto pos = [&](completion_id id) { return std::find(order.begin(), order.end(), id) - order.begin(); };
  EXPECT_LT(pos(a), pos(f1)) << "a flush is reported after the records it waited for";
  EXPECT_LT(pos(f1), pos(f2));
}

TEST(CoreFlush, AFlushWithNothingPendingCompletesAtOnce) {
  core_harness h({});
  auto f = h.flush();
  EXPECT_TRUE(h.done(f));
  EXPECT_EQ(h.connections_opened(), 0) << "a flush of nothing connected to a broker";
}

TEST(CoreClose, CloseDeliversWhatWasSentThenClosesAndRefusesLaterSends) {
  core_harness h({{"linger.ms", "1000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  auto a = h.send(rec("t", 0, "a"));
  auto c = h.close();
  EXPECT_FALSE(h.done(c));
  auto late = h.send(rec("t", 0, "late"));
  ASSERT_TRUE(h.done(late));
  EXPECT_EQ(h.result(late).error, client_errc::producer_closed);
  h.advance(1ms);  // linger skipped: a is sent at once and answered
  ASSERT_TRUE(h.done(a));
  EXPECT_FALSE(h.result(a).error);
  ASSERT_TRUE(h.done(c));
  EXPECT_FALSE(h.result(c).error);
  for (const auto& b : h.core.metrics().brokers) EXPECT_FALSE(b.connected) << b.address;
  const int writes = h.writes();
  h.advance(10s);  // metadata.max.age, reconnects: nothing of it after a close
  EXPECT_EQ(h.writes(), writes);
  EXPECT_EQ(h.core.wakeup(), time_point::max());
  h.check_all_completed();
  EXPECT_TRUE(h.violations.empty()) << h.violations.front();
}

TEST(CoreAbort, EverythingPendingCompletesOnceWithOperationAborted) {
  core_harness h({{"linger.ms", "0"}, {"buffer.memory", "1000"}, {"max.request.size", "1000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.hold_produce_responses();
  auto in_flight = h.send(rec("t", 0, std::string(400, 'a')));
  auto queued = h.send(rec("t", 0, std::string(400, 'b')));
  auto waiting_for_room = h.send(rec("t", 0, std::string(400, 'c')));
  EXPECT_EQ(h.last_send_result, core::producer_core::send_result::waiting_for_room);
  auto waiting_for_metadata = h.send(rec("unknown-yet", 0, "d"));
  auto flush = h.flush();
  auto connect = h.connect();  // metadata is there: completes at once
  h.abort();
  for (auto id : {in_flight, queued, waiting_for_room, waiting_for_metadata, flush}) {
    ASSERT_TRUE(h.done(id)) << id;
    EXPECT_EQ(h.result(id).error, std::errc::operation_canceled) << id;
  }
  EXPECT_FALSE(h.result(connect).error);
  h.check_all_completed();
  EXPECT_TRUE(h.violations.empty()) << h.violations.front();
}

TEST(CoreConnect, CompletesWhenMetadataArrivesOrFailsAfterMaxBlockMs) {
  core_harness h({});
  auto c = h.connect();
  h.advance(10ms);
  ASSERT_TRUE(h.done(c));
  EXPECT_FALSE(h.result(c).error);

  core_harness down({{"max.block.ms", "300"}});
  down.refuse_connections(1);
  auto d = down.connect();
  down.advance(299ms);
  EXPECT_FALSE(down.done(d));
  down.advance(1ms);
  ASSERT_TRUE(down.done(d));
  EXPECT_EQ(down.result(d).error, client_errc::broker_connection_failed);
}

TEST(CoreBufferMemory, AFullBufferMakesSendsWaitOrFailAndCancelEndsTheWait) {
  core_harness h({{"linger.ms", "0"}, {"buffer.memory", "1000"}, {"max.request.size", "1000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.hold_produce_responses();
  auto a = h.send(rec("t", 0, std::string(400, 'a')));
  auto b = h.send(rec("t", 0, std::string(400, 'b')));  // 2 x 432 of 1000 charged
  auto refused = h.send(rec("t", 0, std::string(400, 'c')), false);
  ASSERT_TRUE(h.done(refused));
  EXPECT_EQ(h.result(refused).error, client_errc::queue_full);
  auto waits = h.send(rec("t", 0, std::string(400, 'd')));
  auto cancelled = h.send(rec("t", 0, std::string(400, 'e')));
  EXPECT_EQ(h.core.metrics().records_waiting_for_room, 2u);
  h.cancel(cancelled);
  ASSERT_TRUE(h.done(cancelled));
  EXPECT_EQ(h.result(cancelled).error, std::errc::operation_canceled);
  h.cancel(a);  // not waiting for room: in a batch already, so it goes out whole
  EXPECT_FALSE(h.done(a));
  h.cluster.release_produce_responses();
  ASSERT_TRUE(h.advance_until([&] { return h.done(waits); }, 1s));
  EXPECT_FALSE(h.result(a).error);
  EXPECT_FALSE(h.result(b).error);
  EXPECT_FALSE(h.result(waits).error);
  EXPECT_EQ(h.core.metrics().buffered_bytes, 0u);
}

TEST(CoreBufferMemory, ARecordWaitingForRoomExpiresAfterDeliveryTimeout) {
  core_harness h({{"linger.ms", "0"}, {"buffer.memory", "1000"}, {"max.request.size", "1000"},
                  {"request.timeout.ms", "1000"}, {"delivery.timeout.ms", "2000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.inject(api_key::produce, fake_fault::swallow, 100);
  h.send(rec("t", 0, std::string(400, 'a')));
  h.send(rec("t", 0, std::string(400, 'b')));
  const auto t = h.now();
  auto waits = h.send(rec("t", 0, std::string(400, 'c')));
  h.advance_to(t + 1999ms);
  EXPECT_FALSE(h.done(waits));
  h.advance_to(t + 2000ms);
  ASSERT_TRUE(h.done(waits));
  EXPECT_EQ(h.result(waits).error, client_errc::delivery_timeout);
}

}  // namespace
}  // namespace kafkio::test
