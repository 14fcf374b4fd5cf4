// KIP-794 in the core: where unkeyed records go when one leader is slow or stops taking batches. A two-broker
// fake cluster: partition 0 led by node 1, partition 1 by node 2. Records of one batch each (batch.size of 100
// bytes), so every record makes the sticky partition switch and the weights decide.
#include "core_test_support.hpp"

#include <array>
#include <iostream>

namespace kafkio::test {
namespace {

core_harness::options two_brokers() {
  core_harness::options o;
  o.cluster.nodes = 2;
  return o;
}

property_list adaptive_props(std::initializer_list<std::pair<std::string, std::string>> extra) {
  property_list p{{"linger.ms", "0"}, {"batch.size", "100"}, {"request.timeout.ms", "600000"},
                  {"delivery.timeout.ms", "1200000"}, {"enable.idempotence", "false"}, {"acks", "1"}};
  p.insert(p.end(), extra.begin(), extra.end());
  return p;
}

// Sends `n` unkeyed records of 100 bytes to "t", time moving 10 ms between them; counts where each went.
std::array<int, 2> send_spread(core_harness& h, int n) {
  std::array<int, 2> placed{};
  for (int i = 0; i < n; ++i) {
    h.send({"t", std::nullopt, std::nullopt, std::string(100, 'x')});
    h.advance(std::chrono::milliseconds(10));
  }
  for (const auto& attempt : h.cluster.produce_attempts()) ++placed[static_cast<std::size_t>(attempt.partition)];
  return placed;
}

void place_leaders(core_harness& h) {
  h.cluster.create_topic("t", 2);
  h.cluster.set_leader("t", 1, 2);
}

// Node 2 never answers Produce; after a warm-up record (metadata and both connections), `n` records as send_spread.
std::array<int, 2> send_spread_with_node_2_hung(core_harness& h, int n) {
  place_leaders(h);
  h.cluster.hang_produce_on(2);
  h.send({"t", 0, std::nullopt, "warm-up"});
  h.advance(std::chrono::milliseconds(50));
  return send_spread(h, n);
}

// Records not completed: those waiting for the hung leader.
std::size_t records_waiting(const core_harness& h) {
  std::size_t waiting = 0;
  for (const auto& [id, r] : h.records())
    if (!h.done(id)) ++waiting;
  return waiting;
}

TEST(CoreAdaptivePartitioning, AHungLeaderIsLeftOutAfterTheAvailabilityTimeout) {
  core_harness h(two_brokers(), adaptive_props({{"partitioner.availability.timeout.ms", "200"}}));
  const auto placed = send_spread_with_node_2_hung(h, 300);
  // Node 2 takes one request (a partition has one batch in flight without idempotence) and never answers it: 200 ms
  // after that request, with batches due for it, its partition weighs 0.
  std::size_t to_hung = 0;
  for (const auto& attempt : h.cluster.produce_attempts()) to_hung += attempt.node == 2;
  EXPECT_LE(to_hung, 5u) << "requests that reached the hung leader";
  // Records queued for partition 1 once it was left out: at most what 200 ms of 10 ms gaps hold, plus its 5.
  const auto queued_for_hung = records_waiting(h);
  std::cout << "partition 0: " << placed[0] << " delivered; hung leader: " << to_hung << " requests, "
            << queued_for_hung << " records waiting\n";
  EXPECT_GE(queued_for_hung, 3u) << "it was chosen before it was left out";
  // Left out 200 ms after its last request: at most the records of those 200 ms (10 ms apart) went to it, against
  // 25 without the timeout (the next test).
  EXPECT_LE(queued_for_hung, 20u) << "placed on partition 0: " << placed[0];
  EXPECT_GE(placed[0], 300 - 20);
}

TEST(CoreAdaptivePartitioning, WithoutTheTimeoutAHungLeaderStillGetsFewerRecords) {
  core_harness h(two_brokers(), adaptive_props({}));
  send_spread_with_node_2_hung(h, 300);
  const auto waiting = records_waiting(h);
  // Its queue grows, so its weight falls towards 1 against the other partition's (longest + 1): far fewer than
  // the half a uniform choice would give it.
  std::cout << waiting << " of 300 records waiting for the hung leader\n";
  EXPECT_GT(waiting, 5u);
  EXPECT_LT(waiting, 60u) << "of 300 records, a uniform choice would queue about 150 on the hung leader";
}

TEST(CoreAdaptivePartitioning, TurnedOffTheChoiceIsUniform) {
  core_harness h(two_brokers(), adaptive_props({{"partitioner.adaptive.partitioning.enable", "false"},
                                                {"partitioner.availability.timeout.ms", "200"}}));
  send_spread_with_node_2_hung(h, 300);
  const auto waiting = records_waiting(h);
  std::cout << waiting << " of 300 records waiting for the hung leader\n";
  EXPECT_GT(waiting, 120u) << "about half of 300 go to the hung leader";
}

TEST(CoreAdaptivePartitioning, HealthyLeadersShareRecordsEvenly) {
  core_harness h(two_brokers(), adaptive_props({{"partitioner.availability.timeout.ms", "200"}}));
  place_leaders(h);
  const auto placed = send_spread(h, 400);
  EXPECT_EQ(placed[0] + placed[1], 400);
  std::cout << "partition 0: " << placed[0] << ", partition 1: " << placed[1] << "\n";
  EXPECT_NEAR(placed[0], 200, 40);
  EXPECT_EQ(h.completed(), 400u);
}

TEST(CoreAdaptivePartitioning, IgnoreKeysPlacesKeyedRecordsAsUnkeyed) {
  core_harness h(two_brokers(), adaptive_props({{"partitioner.ignore.keys", "true"}}));
  place_leaders(h);
  for (int i = 0; i < 200; ++i) {
    h.send({"t", std::nullopt, std::string("same-key"), std::string(100, 'x')});
    h.advance(std::chrono::milliseconds(10));
  }
  std::array<int, 2> placed{};
  for (const auto& attempt : h.cluster.produce_attempts()) ++placed[static_cast<std::size_t>(attempt.partition)];
  EXPECT_GT(placed[0], 50);
  EXPECT_GT(placed[1], 50) << "one key, yet both partitions";
}

}  // namespace
}  // namespace kafkio::test
