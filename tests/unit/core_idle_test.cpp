// connections.max.idle.ms on the core with a virtual clock: idle connections are closed after exactly that long,
// never one with a request in flight, and the next record reconnects at once (an idle close is not a failure).
// metadata.max.idle.ms: idle topics drop out of metadata refreshes.
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

// metadata.max.idle.ms: a topic nothing was sent to for that long drops out of the refreshes, and is fetched again
// (the record waiting for it) when it is used again.
TEST(CoreIdle, ATopicIdleForMetadataMaxIdleIsLeftOutOfMetadataUntilUsedAgain) {
  core_harness h({{"linger.ms", "0"}, {"metadata.max.age.ms", "1000"}, {"metadata.max.idle.ms", "5000"},
                  {"connections.max.idle.ms", "0"}});
  h.cluster.create_topic("busy", 1);
  h.cluster.create_topic("quiet", 1);
  warm_up(h, "busy");
  warm_up(h, "quiet");
  for (int i = 0; i < 16; ++i) {  // 8 s of records to "busy" only
    auto id = h.send(rec("busy", 0, "v" + std::to_string(i)));
    ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
    h.advance(500ms);
  }
  const auto& asked = h.cluster.metadata_topics_asked;
  auto names = [](const std::vector<std::string>& topics, const std::string& t) {
    return std::find(topics.begin(), topics.end(), t) != topics.end();
  };
  ASSERT_GE(asked.size(), 6u) << "metadata.max.age.ms=1000 refreshes every second";
  EXPECT_TRUE(std::any_of(asked.begin(), asked.end(), [&](const auto& a) { return names(a, "quiet"); }));
  EXPECT_EQ(asked.back(), std::vector<std::string>{"busy"}) << "the idle topic is still refreshed";
  EXPECT_EQ(asked[asked.size() - 2], std::vector<std::string>{"busy"});

  const auto before = asked.size();
  auto id = h.send(rec("quiet", 0, "again"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  ASSERT_GT(asked.size(), before) << "used again, its metadata is fetched again";
  EXPECT_TRUE(names(asked[before], "quiet"));
  EXPECT_EQ(h.cluster.log("quiet", 0).size(), 2u);
  EXPECT_EQ(h.cluster.log("busy", 0).size(), 17u);
}

TEST(CoreIdle, MetadataMaxIdleIsAtLeastFiveSecondsAsInJava) {
  EXPECT_EQ(producer_config{}.metadata_max_idle, std::chrono::milliseconds(300000));
  auto r = producer_config::parse({{"bootstrap.servers", "h:1"}, {"metadata.max.idle.ms", "4999"}});
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("metadata.max.idle.ms"), std::string::npos) << r.message;
}

TEST(CoreIdle, TheDefaultIsJavasNineMinutes) {
  EXPECT_EQ(producer_config{}.connections_max_idle, std::chrono::milliseconds(540000));
}

}  // namespace
}  // namespace kafkio::test
