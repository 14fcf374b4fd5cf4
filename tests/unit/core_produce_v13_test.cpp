// Produce v13 (topics named by id, KIP-516) and KIP-951's NodeEndpoints (a new leader's address in the Produce
// response) on the core (docs/producer.md, "Cluster changes").
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

core_harness::options v13_cluster(int nodes = 1) {
  core_harness::options o;
  o.cluster.produce_max = 13;
  o.cluster.nodes = nodes;
  return o;
}

TEST(CoreProduceV13, TopicsGoByIdAndTheAnswerIsMatchedById) {
  core_harness h(v13_cluster(), {{"linger.ms", "0"}});
  h.cluster.create_topic("a", 1);
  h.cluster.create_topic("b", 2);
  warm_up(h, "a");
  warm_up(h, "b", 1);
  auto ids = h.send_burst({rec("a", 0, "x"), rec("b", 0, "y"), rec("b", 1, "z")});  // one request, two topics
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 2s));
  for (auto id : ids) ASSERT_FALSE(h.result(id).error) << h.result(id).error.message();
  EXPECT_EQ(h.result(ids[0]).metadata.offset, 1);  // after the warm-up
  EXPECT_EQ(h.result(ids[1]).metadata.offset, 0);
  EXPECT_EQ(h.result(ids[2]).metadata.offset, 1);
  // The fake finds a v13 batch's topic by its id only: a stored record proves the id was right.
  for (const auto& a : h.cluster.produce_attempts()) EXPECT_EQ(a.version, 13);
  EXPECT_EQ(h.cluster.log("b", 1).back().record.value, "z");
}

TEST(CoreProduceV13, ATopicMetadataGaveNoIdGoesByNameInAV12Request) {
  auto o = v13_cluster();
  o.cluster.metadata_max = 9;  // topic ids arrive with Metadata v10
  core_harness h(o, {{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  ASSERT_FALSE(h.result(id).error) << h.result(id).error.message();
  ASSERT_FALSE(h.cluster.produce_attempts().empty());
  EXPECT_EQ(h.cluster.produce_attempts().back().version, 12);
}

TEST(CoreProduceV13, UnknownTopicIdIsRetriedAfterAMetadataRefresh) {
  core_harness h(v13_cluster(), {{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const auto metadata_before = h.cluster.requests(api_key::metadata);
  h.cluster.fail_produce({100});  // UNKNOWN_TOPIC_ID, as from a broker that has not seen the topic yet
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  EXPECT_GT(h.cluster.requests(api_key::metadata), metadata_before);
  EXPECT_EQ(h.core.metrics().retries, 1u);
}

// Node 2 joined the cluster and took the partition over; the producer never heard of it, and the Metadata it asks
// for does not come: only the Produce response's NodeEndpoints say where the new leader is.
TEST(CoreNodeEndpoints, ANewLeaderMetadataDoesNotListIsReachedThroughTheProduceResponse) {
  core_harness h(v13_cluster(2), {{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  h.cluster.hide_from_metadata(2);
  warm_up(h, "t");
  h.cluster.ignore_metadata_on(1);
  h.cluster.set_leader("t", 0, 2);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 3s));
  ASSERT_FALSE(h.result(id).error) << h.result(id).error.message();
  const auto& last = h.cluster.produce_attempts().back();
  EXPECT_EQ(last.node, 2);
  EXPECT_EQ(last.error, 0);
  EXPECT_EQ(h.cluster.log("t", 0).back().record.value, "v");
  bool logged = false;
  for (const auto& line : h.logs) logged = logged || line.find("node 2 is at broker2:9092") != std::string::npos;
  EXPECT_TRUE(logged);
}

}  // namespace
}  // namespace kafkio::test
