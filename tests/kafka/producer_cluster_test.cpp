// The producer against the 3-node cluster of scripts/kafka (label cluster): while it produces continuously with
// acks=all and idempotence to a topic with replication 3 and min.insync.replicas=2, the leader of a partition is
// killed (SIGKILL) and restarted. Every acknowledged record must then be in the log exactly once, in send order per
// partition, at the offset its completion reported — read back with Kafka's ConsoleConsumer; records that failed
// must say why (with a delivery timeout long enough, none should fail).
#include "producer_fixture.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <thread>

namespace kafkio::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

int running_nodes() {
  auto r = run_command({kafka_script(), "status"});
  int n = 0;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) n += line.find(": running") != std::string::npos ? 1 : 0;
  return n;
}

// Kills a node and brings it back on a thread of its own: the tools block for seconds, the io_context must not.
class node_killer {
 public:
  node_killer(std::string topic, std::int32_t partition, milliseconds down_for)
      : topic_(std::move(topic)), partition_(partition), down_for_(down_for) {}
  ~node_killer() {
    if (thread_.joinable()) thread_.join();
  }
  void start() {
    thread_ = std::thread([this] {
      try {
        auto leaders = partition_leaders(topic_);
        victim_ = leaders.at(partition_);
        kafka_tool({"kill", std::to_string(victim_)});
        killed_at_ = steady_clock::now();
        killed_ = true;
        std::this_thread::sleep_for(down_for_);
        kafka_tool({"restart", std::to_string(victim_)});
        restarted_at_ = steady_clock::now();
        restarted_ = true;
      } catch (const std::exception& e) {
        error_ = e.what();
        if (victim_ > 0 && !restarted_) {  // never leave the cluster a node short for the next test
          try {
            kafka_tool({"restart", std::to_string(victim_)});
          } catch (...) {
          }
        }
      }
      done_ = true;
    });
  }
  bool done() const { return done_; }
  int victim() const { return victim_; }
  bool killed() const { return killed_; }
  bool restarted() const { return restarted_; }
  const std::string& error() const { return error_; }
  steady_clock::time_point killed_at() const { return killed_at_; }
  steady_clock::time_point restarted_at() const { return restarted_at_; }

 private:
  std::string topic_;
  std::int32_t partition_;
  milliseconds down_for_;
  std::thread thread_;
  std::atomic<bool> done_{false}, killed_{false}, restarted_{false};
  int victim_ = -1;
  std::string error_;
  steady_clock::time_point killed_at_{}, restarted_at_{};
};

TEST_F(producer_test, LeaderKilledAndRestartedWhileProducing) {
  ASSERT_EQ(running_nodes(), 3) << "needs the 3-node cluster: scripts/with-kafka --nodes 3 ctest -L cluster";
  const auto topic = unique_topic("failover");
  constexpr std::int32_t partitions = 6;
  // 10 records every 20 ms: about 40 s of production, so it goes on after the killed node is back (~20 s later).
  constexpr std::size_t total = 20000, per_tick = 10;
  constexpr milliseconds tick_period{20};
  create_topic(topic, partitions, {.replication = 3, .configs = {"min.insync.replicas=2"}});
  auto p = make_producer({{"acks", "all"}, {"enable.idempotence", "true"}, {"delivery.timeout.ms", "240000"},
                          {"request.timeout.ms", "10000"}, {"metadata.max.age.ms", "5000"}});
  // Key p<partition>-<sequence>: the read-back checks each partition holds 0, 1, 2, ... exactly once, in order.
  std::vector<std::size_t> next_sequence(partitions, 0);
  node_killer killer(topic, 0, seconds(5));
  const auto start = steady_clock::now();
  auto since_start = [&](steady_clock::time_point t) {
    return std::chrono::duration_cast<milliseconds>(t - start).count();
  };

  // Seen from the io thread at each tick while the killed node is down, before the tick sends more: the most
  // records of the killed leader's partition 0 that were sent and not yet completed, and how many records were
  // still to be sent when the kill was first seen.
  std::size_t partition0_outstanding_while_down = 0;
  std::optional<std::size_t> unsent_at_kill;
  boost::asio::steady_timer pace(io);
  std::function<void()> tick = [&] {
    if (killer.killed() && !killer.restarted()) {
      if (!unsent_at_kill) unsent_at_kill = total - sent.size();
      std::size_t outstanding = 0;
      for (std::size_t i = 0; i < sent.size(); i += static_cast<std::size_t>(partitions))  // record i: partition i % 6
        outstanding += deliveries[i].completions == 0;
      partition0_outstanding_while_down = std::max(partition0_outstanding_while_down, outstanding);
    }
    for (std::size_t n = 0; n < per_tick && sent.size() < total; ++n) {
      const auto partition = static_cast<std::int32_t>(sent.size() % partitions);
      const auto seq = next_sequence[static_cast<std::size_t>(partition)]++;
      send(*p, {.topic = topic, .partition = partition,
                .key = "p" + std::to_string(partition) + "-" + std::to_string(seq),
                .value = "record-" + std::to_string(sent.size())});
    }
    if (sent.size() == total / 5) killer.start();  // a fifth in: kill the leader of partition 0
    if (sent.size() < total) {
      pace.expires_after(tick_period);
      pace.async_wait([&](boost::system::error_code ec) {
        if (!ec) tick();
      });
    }
  };
  boost::asio::post(io, tick);
  const bool finished = run_until(io, [&] { return sent.size() == total && completed == total; }, seconds(300));
  const auto finished_at = steady_clock::now();
  // Let the killer finish (the restart waits until the node is back) before anything else.
  ASSERT_TRUE(run_until(io, [&] { return killer.done(); }, seconds(180))) << "kill/restart did not finish";
  ASSERT_TRUE(finished) << completed << " of " << total << " completed";
  ASSERT_TRUE(killer.error().empty()) << killer.error();
  ASSERT_TRUE(killer.killed() && killer.restarted());
  // The kill happened during production: records of the killed leader's partition were outstanding while it
  // was down, and the producer still had records to send then.
  ASSERT_TRUE(unsent_at_kill.has_value()) << "no tick ran while the node was down";
  std::cout << "while the node was down: up to " << partition0_outstanding_while_down
            << " records of partition 0 outstanding; " << *unsent_at_kill << " records still to send at the kill\n";
  EXPECT_GT(partition0_outstanding_while_down, 0u)
      << "no record of partition 0 was in flight while its leader was down";
  EXPECT_GT(*unsent_at_kill, 0u);
  EXPECT_LT(killer.killed_at(), finished_at);
  EXPECT_LT(killer.restarted_at(), finished_at) << "every record completed before the node was back";

  const auto m = p->metrics();
  std::cout << "killed node " << killer.victim() << " (leader of partition 0) at " << since_start(killer.killed_at())
            << " ms, back at " << since_start(killer.restarted_at()) << " ms; all " << total << " completed at "
            << since_start(finished_at) << " ms; retries " << m.retries << ", metadata requests "
            << m.metadata_requests << ", producer id resets " << m.producer_id_resets << "\n";
  std::map<std::string, std::size_t> failures;
  for (const auto& d : deliveries)
    if (d.ec) ++failures[d.ec.message()];
  for (const auto& [message, count] : failures) std::cout << count << " records failed: " << message << "\n";
  expect_all_delivered();  // delivery.timeout.ms (240 s) is far longer than the outage

  // Exactly once in the log: as many records as were acknowledged, and each acknowledged one where it was reported.
  std::int64_t stored = 0;
  for (auto [partition, end] : end_offsets(topic)) stored += end;
  EXPECT_EQ(stored, static_cast<std::int64_t>(successes())) << "records duplicated or lost in the log";
  verify_read_back(topic);

  // In send order per partition: the keys' sequences read back in offset order are 0, 1, 2, ...
  auto got = consume(topic, successes());
  std::map<std::int32_t, std::vector<std::pair<std::int64_t, std::string>>> by_partition;
  for (const auto& c : got) by_partition[c.partition].emplace_back(c.offset, c.key.value_or("null"));
  for (auto& [partition, records] : by_partition) {
    std::sort(records.begin(), records.end());
    for (std::size_t i = 0; i < records.size(); ++i) {
      const auto want = "p" + std::to_string(partition) + "-" + std::to_string(i);
      if (records[i].second != want) {
        ADD_FAILURE() << "partition " << partition << " offset " << records[i].first << " holds " << records[i].second
                      << ", expected " << want;
        break;
      }
    }
  }
}

}  // namespace
}  // namespace kafkio::test
