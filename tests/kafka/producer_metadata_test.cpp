// producer::async_fetch_metadata against a real single-node Kafka (label kafka), checked against Kafka's own tools:
// the cluster id as ClusterTool reports it, a topic's partitions and leaders as TopicCommand describes them, and
// an unknown topic reported but not created.
#include "producer_fixture.hpp"

namespace kafkio::test {
namespace {

struct fetched {
  int calls = 0;
  std::error_code ec;
  cluster_metadata md;
};

fetched fetch(boost::asio::io_context& io, producer& p, std::vector<std::string> topics) {
  fetched f;
  p.async_fetch_metadata(std::move(topics), [&f](boost::system::error_code ec, cluster_metadata md) {
    ++f.calls;
    f.ec = ec;
    f.md = std::move(md);
  });
  run_until(io, [&] { return f.calls > 0; }, std::chrono::seconds(30));
  return f;
}

TEST_F(producer_test, FetchMetadataMatchesKafkasTools) {
  const auto topic = unique_topic("fetch-metadata");
  create_topic(topic, 3);
  auto p = make_producer();
  auto all = fetch(io, *p, {});
  ASSERT_EQ(all.calls, 1);
  ASSERT_FALSE(all.ec) << all.ec.message();
  auto tool = kafka_tool({"java", "org.apache.kafka.tools.ClusterTool", "cluster-id", "--bootstrap-server", bootstrap()});
  EXPECT_NE(tool.find("Cluster ID: " + all.md.cluster_id), std::string::npos) << tool;
  EXPECT_FALSE(all.md.cluster_id.empty());
  ASSERT_EQ(all.md.brokers.size(), 1u);
  EXPECT_EQ(all.md.brokers[0].node_id, 1);
  EXPECT_EQ(all.md.controller_id, 1);
  bool listed = false;
  for (const auto& t : all.md.topics) listed |= t.name == topic;
  EXPECT_TRUE(listed);

  const auto missing = unique_topic("never-created");
  auto some = fetch(io, *p, {topic, missing});
  ASSERT_FALSE(some.ec) << some.ec.message();
  ASSERT_EQ(some.md.topics.size(), 2u);
  const auto& t = some.md.topics[0].name == topic ? some.md.topics[0] : some.md.topics[1];
  const auto& m = some.md.topics[0].name == topic ? some.md.topics[1] : some.md.topics[0];
  ASSERT_EQ(t.partitions.size(), 3u);
  const auto leaders = partition_leaders(topic);
  for (const auto& part : t.partitions) {
    EXPECT_EQ(part.leader, leaders.at(part.id)) << part.id;
    EXPECT_EQ(part.replicas, std::vector<std::int32_t>{1});
    EXPECT_EQ(part.isr, std::vector<std::int32_t>{1});
  }
  EXPECT_EQ(m.error, kafka_errc::unknown_topic_or_partition) << m.error.message();
  // Asking did not create it (auto.create.topics.enable is on in this broker; the request disallows it).
  auto again = fetch(io, *p, {missing});
  ASSERT_FALSE(again.ec);
  ASSERT_EQ(again.md.topics.size(), 1u);
  EXPECT_EQ(again.md.topics[0].error, kafka_errc::unknown_topic_or_partition);
}

}  // namespace
}  // namespace kafkio::test
