// producer::async_fetch_metadata against the fake broker: the whole cluster or named topics, as plain values; an
// unknown topic is reported and not created; no broker ends after max.block.ms; a lost connection is retried.
#include "client_fake_broker_fixture.hpp"

namespace kafkio::test {
namespace {

using FetchMetadata = FakeBrokerTest;

struct fetch_outcome {
  int calls = 0;
  std::error_code ec;
  cluster_metadata md;
};

auto record_into(fetch_outcome& o) {
  return [&o](boost::system::error_code ec, cluster_metadata md) {
    ++o.calls;
    o.ec = ec;
    o.md = std::move(md);
  };
}

TEST_F(FetchMetadata, WholeClusterWithoutAnyRecord) {
  make_fake({.nodes = 3, .auto_create = false});
  fake->create_topic("beta", 2, 2);
  fake->create_topic("alpha", 3, 1);
  fake->set_leader("alpha", 2, 3);
  start();
  fetch_outcome o;
  prod->async_fetch_metadata({}, record_into(o));
  EXPECT_EQ(o.calls, 0);  // never inline
  ASSERT_TRUE(run_until(io, [&] { return o.calls > 0; }, 5s));
  ASSERT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.md.cluster_id, "fake-cluster");
  EXPECT_EQ(o.md.controller_id, 1);
  ASSERT_EQ(o.md.brokers.size(), 3u);
  for (int n = 1; n <= 3; ++n) {
    EXPECT_EQ(o.md.brokers[static_cast<std::size_t>(n - 1)].node_id, n);
    EXPECT_EQ(o.md.brokers[static_cast<std::size_t>(n - 1)].host + ":" +
                  std::to_string(o.md.brokers[static_cast<std::size_t>(n - 1)].port),
              fake->address(n));
  }
  ASSERT_EQ(o.md.topics.size(), 2u);
  EXPECT_EQ(o.md.topics[0].name, "alpha");  // sorted by name
  EXPECT_EQ(o.md.topics[1].name, "beta");
  ASSERT_EQ(o.md.topics[0].partitions.size(), 3u);
  EXPECT_EQ(o.md.topics[0].partitions[2].id, 2);
  EXPECT_EQ(o.md.topics[0].partitions[2].leader, 3);
  EXPECT_EQ(o.md.topics[0].partitions[2].replicas, std::vector<std::int32_t>{3});
  EXPECT_EQ(o.md.topics[0].partitions[2].isr, std::vector<std::int32_t>{3});
  EXPECT_EQ(o.md.topics[1].partitions[0].leader, 2);
  EXPECT_FALSE(o.md.topics[0].error);
  // Asked with null topics (v1+), not with the producer's own topic list: every topic came back.
  EXPECT_EQ(fake->requests(api_key::produce), 0);
  run_for(io, 20ms);
  EXPECT_EQ(o.calls, 1);
}

TEST_F(FetchMetadata, NamedTopicsAndAnUnknownOneWhichIsNotCreated) {
  make_fake({.nodes = 1, .auto_create = true});
  fake->create_topic("known", 1);
  start();
  fetch_outcome o;
  prod->async_fetch_metadata({"known", "missing"}, record_into(o));
  ASSERT_TRUE(run_until(io, [&] { return o.calls > 0; }, 5s));
  ASSERT_FALSE(o.ec) << o.ec.message();
  ASSERT_EQ(o.md.topics.size(), 2u);
  EXPECT_EQ(o.md.topics[0].name, "known");
  EXPECT_FALSE(o.md.topics[0].error);
  EXPECT_EQ(o.md.topics[1].name, "missing");
  // The fake creates topics only for requests that allow it; a look must not (Metadata v4+ allow_auto_topic_creation).
  EXPECT_EQ(o.md.topics[1].error, kafka_errc::unknown_topic_or_partition) << o.md.topics[1].error.message();
  EXPECT_TRUE(o.md.topics[1].partitions.empty());
}

TEST_F(FetchMetadata, NoBrokerFailsAfterMaxBlock) {
  start({{"max.block.ms", "300"}}, "127.0.0.1:" + std::to_string(closed_port(io)));
  fetch_outcome o;
  const auto began = std::chrono::steady_clock::now();
  prod->async_fetch_metadata({}, record_into(o));
  ASSERT_TRUE(run_until(io, [&] { return o.calls > 0; }, 5s));
  EXPECT_GE(std::chrono::steady_clock::now() - began, 290ms);
  EXPECT_EQ(o.ec, client_errc::broker_connection_failed) << o.ec.message();
  run_for(io, 50ms);
  EXPECT_EQ(o.calls, 1);
}

TEST_F(FetchMetadata, ALostAnswerIsRetriedOnANewConnection) {
  make_fake();
  start({{"request.timeout.ms", "200"}});
  fetch_outcome warm;
  prod->async_fetch_metadata({}, record_into(warm));  // connected, so the next fetch goes out at once
  ASSERT_TRUE(run_until(io, [&] { return warm.calls > 0; }, 5s));
  fake->inject(api_key::metadata, fake_fault::swallow, 1);
  fetch_outcome o;
  prod->async_fetch_metadata({"t"}, record_into(o));
  ASSERT_TRUE(run_until(io, [&] { return o.calls > 0; }, 5s));
  EXPECT_FALSE(o.ec) << o.ec.message();
  ASSERT_EQ(o.md.topics.size(), 1u);
}

TEST_F(FetchMetadata, ClosedProducerCompletesWithProducerClosed) {
  start();
  bool closed = false;
  prod->async_close([&](std::error_code) { closed = true; });
  ASSERT_TRUE(run_until(io, [&] { return closed; }, 5s));
  fetch_outcome o;
  prod->async_fetch_metadata({}, record_into(o));
  ASSERT_TRUE(run_until(io, [&] { return o.calls > 0; }, 5s));
  EXPECT_EQ(o.ec, client_errc::producer_closed);
}

}  // namespace
}  // namespace kafkio::test
