// Bounded work per pass (docs/architecture.md, "Bounded work per turn"): a pass of the sender compresses at most
// one step of record bytes, so a large batch is compressed over several passes (one per turn of the driver's loop)
// and many small ones are sealed a pass's worth at a time; and fuller requests: once a request goes to a broker,
// the first batches of its other partitions ride along, lingering or not.
#include "core_test_support.hpp"

#include <random>
#include <set>

namespace kafkio::test {
namespace {

std::string letters(std::mt19937& rng, std::size_t n) {
  std::string s(n, 'a');
  for (auto& c : s) c = static_cast<char>('A' + rng() % 26);
  return s;
}

TEST(CoreBoundedWork, ALargeBatchIsCompressedAStepPerPass) {
  core_harness h({{"linger.ms", "0"}, {"batch.size", "700000"}, {"compression.type", "zstd"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const auto before = h.core.metrics().produce_requests;
  std::mt19937 rng(3);
  std::vector<completion_id> ids;
  for (int i = 0; i < 600; ++i) ids.push_back(h.send_without_pass(rec("t", 0, letters(rng, 1000))));
  int passes = 0;
  while (h.core.metrics().produce_requests == before && h.run_pass()) ++passes;
  // ~605 KB of records, 128 KiB compressed per pass: the request leaves in the fifth pass.
  EXPECT_EQ(passes, 5);
  EXPECT_EQ(h.core.metrics().produce_requests, before + 1);
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 1s));
  for (auto id : ids) EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  ASSERT_FALSE(h.cluster.produce_attempts().empty());
  EXPECT_EQ(h.cluster.produce_attempts().back().records.size(), 600u);
  EXPECT_EQ(h.cluster.log("t", 0).size(), 601u);
  h.check_all_completed();
  EXPECT_TRUE(h.violations.empty()) << h.violations.front();
}

TEST(CoreBoundedWork, ManySmallBatchesAreSealedAPassWorthAtATime) {
  core_harness h({{"linger.ms", "0"}, {"batch.size", "16384"}, {"compression.type", "zstd"}});
  h.cluster.create_topic("t", 12);
  warm_up(h, "t");
  const auto before = h.core.metrics().batches_sent;
  std::mt19937 rng(4);
  std::vector<completion_id> ids;
  for (int p = 0; p < 12; ++p)  // a full 16 KiB batch in each of 12 partitions, one broker: 192 KiB to compress
    for (int i = 0; i < 16; ++i) ids.push_back(h.send_without_pass(rec("t", p, letters(rng, 1000))));
  ASSERT_TRUE(h.run_pass());
  const auto first = h.core.metrics().batches_sent - before;
  EXPECT_GE(first, 7u);
  EXPECT_LE(first, 9u) << "one pass compressed more than 128 KiB";
  EXPECT_TRUE(h.core.wants_run()) << "the rest must go in the next pass";
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 1s));
  EXPECT_EQ(h.core.metrics().batches_sent - before, 12u);
  for (auto id : ids) EXPECT_FALSE(h.result(id).error);
  h.check_all_completed();
  EXPECT_TRUE(h.violations.empty()) << h.violations.front();
}

TEST(CoreFullerRequests, LingeringPartitionsRideAlongWithARequestThatGoesAnyway) {
  core_harness h({{"linger.ms", "10000"}, {"batch.size", "1000"}});
  h.cluster.create_topic("t", 3);
  warm_up(h, "t");
  const int before = produce_requests(h);
  auto a = h.send(rec("t", 1, "lingering"));
  auto b = h.send(rec("t", 2, "lingering too"));
  EXPECT_EQ(produce_requests(h), before) << "sent before linger.ms passed";
  auto c = h.send(rec("t", 0, std::string(1200, 'x')));  // a full batch: its request goes now
  EXPECT_EQ(produce_requests(h), before + 1);
  const auto& attempts = h.cluster.produce_attempts();
  ASSERT_GE(attempts.size(), 3u);
  std::set<std::int32_t> partitions;
  for (auto it = attempts.end() - 3; it != attempts.end(); ++it) partitions.insert(it->partition);
  EXPECT_EQ(partitions, (std::set<std::int32_t>{0, 1, 2})) << "the lingering partitions did not ride along";
  h.advance(2ms);
  for (auto id : {a, b, c}) ASSERT_TRUE(h.done(id));
}

TEST(CoreFullerRequests, ABrokerWhosePartitionsAllLingerGetsNothing) {
  core_harness h({{"linger.ms", "50"}});
  h.cluster.create_topic("t", 3);
  warm_up(h, "t");
  const int before = produce_requests(h);
  for (int p = 0; p < 3; ++p) h.send(rec("t", p, "v"));
  h.advance(49ms);
  EXPECT_EQ(produce_requests(h), before);
  h.advance(1ms);
  EXPECT_EQ(produce_requests(h), before + 1) << "one request for all three partitions";
}

}  // namespace
}  // namespace kafkio::test
