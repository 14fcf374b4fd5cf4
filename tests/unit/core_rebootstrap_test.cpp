// Re-bootstrap (KIP-899, metadata.recovery.strategy) on the core with a virtual clock. The scene: a 3-node cluster
// reached through "broker3:9092" (a bootstrap name standing for a load balancer or a DNS alias), whose metadata
// names only nodes 1 and 2. Then the cluster is replaced: nodes 1 and 2 are gone, and behind the bootstrap name
// node 3 now leads the partition. Only a producer that goes back to bootstrap.servers finds it.
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

core_harness::options three_nodes() {
  core_harness::options o;
  o.cluster.nodes = 3;
  return o;
}

property_list settings(std::string strategy, std::string trigger_ms = "300000") {
  return {{"bootstrap.servers", "broker3:9092"},
          {"linger.ms", "0"},
          {"reconnect.backoff.ms", "50"},
          {"reconnect.backoff.max.ms", "200"},
          {"request.timeout.ms", "1000"},
          {"delivery.timeout.ms", "10000"},
          {"metadata.recovery.strategy", std::move(strategy)},
          {"metadata.recovery.rebootstrap.trigger.ms", std::move(trigger_ms)}};
}

// Node 3 is known only as the bootstrap address; the partition is on node 1.
void before_the_move(core_harness& h) {
  h.cluster.hide_from_metadata(3);
  h.cluster.create_topic("t", 1, 1);
  const auto md = warm_up(h, "t");
  ASSERT_EQ(md.partition, 0);
}

// Nodes 1 and 2 disappear; node 3 leads and is what metadata now names.
void the_cluster_moves(core_harness& h) {
  h.refuse_connections(1);
  h.refuse_connections(2);
  h.cluster.hide_from_metadata(1);
  h.cluster.hide_from_metadata(2);
  h.cluster.hide_from_metadata(3, false);
  h.cluster.set_leader("t", 0, 3);
  h.drop_all_connections();
}

int attempts_to(const core_harness& h, int node, time_point since) {
  int n = 0;
  for (const auto& [at, to] : h.connection_attempts()) n += at >= since && to == node;
  return n;
}

TEST(CoreRebootstrap, WhenNoKnownBrokerCanBeReachedTheBootstrapAddressesAreTriedAgain) {
  core_harness h(three_nodes(), settings("rebootstrap"));
  before_the_move(h);
  the_cluster_moves(h);
  const auto moved = h.core.now();
  auto id = h.send(rec("t", 0, "after the move"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 10s));
  EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  EXPECT_EQ(h.cluster.log("t", 0).size(), 2u);  // the warm-up and this one, once each
  EXPECT_GE(attempts_to(h, 1, moved), 1) << "the known brokers are tried first";
  EXPECT_GE(attempts_to(h, 2, moved), 1);
  EXPECT_GE(attempts_to(h, 3, moved), 1);
  EXPECT_GE(h.core.metrics().rebootstraps, 1u);
  bool logged = false;
  for (const auto& l : h.logs) logged |= l.find("re-bootstrapping") != std::string::npos;
  EXPECT_TRUE(logged);
  h.check_all_completed();
  EXPECT_TRUE(h.violations.empty());
}

TEST(CoreRebootstrap, WithStrategyNoneOnlyTheKnownBrokersAreTried) {
  core_harness h(three_nodes(), settings("none"));
  before_the_move(h);
  the_cluster_moves(h);
  const auto moved = h.core.now();
  auto id = h.send(rec("t", 0, "after the move"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 15s));
  EXPECT_TRUE(h.result(id).error) << "delivered although no reachable broker was known";
  EXPECT_EQ(attempts_to(h, 3, moved), 0);
  EXPECT_GE(attempts_to(h, 1, moved) + attempts_to(h, 2, moved), 4) << "the known brokers, with backoff";
  EXPECT_EQ(h.core.metrics().rebootstraps, 0u);
  h.check_all_completed();
}

TEST(CoreRebootstrap, AnIdleConnectionClosedByTheBrokerIsNoReasonToRebootstrap) {
  core_harness h(three_nodes(), settings("rebootstrap"));
  before_the_move(h);
  h.drop_all_connections();  // every connection lost once, but reconnecting works
  auto id = h.send(rec("t", 0, "after the drop"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 5s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_EQ(h.core.metrics().rebootstraps, 0u);
}

TEST(CoreRebootstrap, NoMetadataForTheTriggerTimeAsksTheBootstrapAddress) {
  // KIP-1102: nodes 1 and 2 keep accepting connections but never answer Metadata, so a record for a new topic
  // waits for its metadata; after the trigger time the producer asks the bootstrap address instead.
  core_harness h(three_nodes(), settings("rebootstrap", "3000"));
  before_the_move(h);
  h.cluster.ignore_metadata_on(1);
  h.cluster.ignore_metadata_on(2);
  h.cluster.hide_from_metadata(3, false);
  h.cluster.create_topic("u", 1, 3);
  h.drop_all_connections();  // the bootstrap connection of the start too: it would still answer
  const auto asked = h.core.now();
  auto id = h.send(rec("u", 0, "a new topic"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 10s));
  EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  EXPECT_GE(h.core.now() - asked, 3000ms) << "asked the bootstrap address before the trigger time";
  EXPECT_LT(h.core.now() - asked, 5000ms);
  EXPECT_GE(h.core.metrics().rebootstraps, 1u);
  h.check_all_completed();
}

TEST(CoreRebootstrap, ThePropertiesAreChecked) {
  const std::pair<std::string, std::string> b{"bootstrap.servers", "b:9092"};
  auto bad = producer_config::parse({b, {"metadata.recovery.strategy", "sometimes"}});
  EXPECT_FALSE(bad);
  EXPECT_NE(bad.message.find("metadata.recovery.strategy"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("rebootstrap"), std::string::npos) << bad.message;
  auto none = producer_config::parse({b, {"metadata.recovery.strategy", "NONE"}});
  ASSERT_TRUE(none) << none.message;
  EXPECT_EQ(none.config.metadata_recovery, metadata_recovery_strategy::none);
  EXPECT_EQ(producer_config{}.metadata_recovery, metadata_recovery_strategy::rebootstrap);  // Kafka 4's default
  EXPECT_FALSE(producer_config::parse({b, {"metadata.recovery.rebootstrap.trigger.ms", "-1"}}));
}

}  // namespace
}  // namespace kafkio::test
