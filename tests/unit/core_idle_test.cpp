// connections.max.idle.ms on the core with a virtual clock: idle connections are closed after exactly that long,
// never one with a request in flight, and the next record reconnects at once (an idle close is not a failure).
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

std::size_t connected(const core_harness& h) {
  std::size_t n = 0;
  for (const auto& b : h.core.metrics().brokers) n += b.connected;
  return n;
}

TEST(CoreIdle, IdleConnectionsCloseAfterConnectionsMaxIdleAndTheNextRecordReconnectsAtOnce) {
  core_harness h({{"linger.ms", "0"}, {"connections.max.idle.ms", "1000"}, {"reconnect.backoff.ms", "500"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  ASSERT_GE(connected(h), 1u);
  h.advance(990ms);
  EXPECT_GE(connected(h), 1u) << "closed before connections.max.idle.ms";
  h.advance(110ms);  // checked on a grid of a tenth of the limit
  EXPECT_EQ(connected(h), 0u);
  const auto opened = h.connections_opened();
  const auto at = h.core.now();
  auto id = h.send(rec("t", 0, "after idle"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_GT(h.connections_opened(), opened);
  EXPECT_LT(h.connection_attempts().back().first - at, 10ms) << "an idle close must not cost a reconnect backoff";
  EXPECT_EQ(h.cluster.log("t", 0).size(), 2u);
}

TEST(CoreIdle, AConnectionAwaitingAResponseIsNotIdle) {
  core_harness h({{"linger.ms", "0"}, {"connections.max.idle.ms", "1000"}, {"request.timeout.ms", "30000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.hold_produce_responses();
  auto id = h.send(rec("t", 0, "held"));
  h.advance(5000ms);
  EXPECT_FALSE(h.done(id));
  EXPECT_GE(connected(h), 1u) << "closed a connection that awaits a response";
  h.cluster.release_produce_responses();
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  EXPECT_FALSE(h.result(id).error);
  h.advance(1200ms);
  EXPECT_EQ(connected(h), 0u);
}

TEST(CoreIdle, ZeroKeepsConnectionsOpen) {
  core_harness h({{"linger.ms", "0"}, {"connections.max.idle.ms", "0"}, {"metadata.max.age.ms", "3600000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const auto before = connected(h);
  h.advance(std::chrono::minutes(20));
  EXPECT_EQ(connected(h), before);
}

TEST(CoreIdle, TheDefaultIsJavasNineMinutes) {
  EXPECT_EQ(producer_config{}.connections_max_idle, std::chrono::milliseconds(540000));
}

}  // namespace
}  // namespace kafkio::test
