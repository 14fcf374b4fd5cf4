// Transactions against a real single-node Kafka (label kafka), read back by Kafka's ConsoleConsumer with
// --isolation-level read_committed: committed transactions visible exactly once, aborted ones never, and a second
// producer with the same transactional.id fencing the first (docs/producer.md, "Transactions").
#include "producer_fixture.hpp"

#include <cstdlib>
#include <set>
#include <string_view>

namespace kafkio::test {
namespace {

class producer_transactions_test : public producer_test {
 protected:
  // Runs one operation (init/begin/commit/abort/...) to its completion and returns its error.
  template <class Start>
  std::error_code run_op(Start start, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    bool done = false;
    std::error_code result;
    start([&](std::error_code ec) {
      result = ec;
      done = true;
    });
    EXPECT_TRUE(run_until(io, [&] { return done; }, timeout)) << "operation never completed";
    return done ? result : make_error_code(client_errc::request_timeout);
  }
  std::error_code init(producer& p) { return run_op([&](auto h) { p.async_init_transactions(h); }); }
  std::error_code begin(producer& p) { return run_op([&](auto h) { p.async_begin_transaction(h); }); }
  std::error_code commit(producer& p) { return run_op([&](auto h) { p.async_commit_transaction(h); }); }
  std::error_code abort(producer& p) { return run_op([&](auto h) { p.async_abort_transaction(h); }); }

  std::multiset<std::string> committed_values(const std::string& topic, std::size_t expected) {
    std::multiset<std::string> values;
    for (const auto& r : consume(topic, expected + 1, {.idle_timeout = std::chrono::milliseconds(8000),
                                                       .read_committed = true}))
      values.insert(r.value.value_or("null"));
    return values;
  }
  // Kafka 4.x finalizes transaction.version 2 by default (KIP-890); 3.x brokers (scripts/test runs these tests
  // against 3.9 too, with KAFKIO_KAFKA_VERSION set) only speak the KIP-98 protocol.
  static int expected_transaction_protocol() {
    const char* version = std::getenv("KAFKIO_KAFKA_VERSION");
    return version && std::string_view(version).starts_with("3.") ? 1 : 2;
  }
};

TEST_F(producer_transactions_test, CommittedRecordsAreVisibleOnceAndAbortedOnesNever) {
  const auto topic = unique_topic("txn");
  create_topic(topic, 3);
  auto p = make_producer({{"transactional.id", topic + "-producer"}, {"linger.ms", "5"}});
  ASSERT_EQ(init(*p), std::error_code{});
  EXPECT_EQ(p->metrics().transaction_protocol, expected_transaction_protocol());
  std::multiset<std::string> expected;
  auto transaction = [&](const std::string& name, int count, bool keep) {
    ASSERT_EQ(begin(*p), std::error_code{});
    for (int i = 0; i < count; ++i) {
      auto v = name + "-" + std::to_string(i);
      send(*p, {.topic = topic, .key = "k" + std::to_string(i % 7), .value = v});
      if (keep) expected.insert(v);
    }
    if (keep) {
      ASSERT_EQ(commit(*p), std::error_code{});
      ASSERT_TRUE(wait_all());
    } else {
      ASSERT_TRUE(wait_all());  // written to the log, then aborted: still never visible
      ASSERT_EQ(abort(*p), std::error_code{});
    }
  };
  transaction("committed-1", 40, true);
  transaction("aborted", 25, false);
  transaction("committed-2", 40, true);
  expect_all_delivered();
  EXPECT_EQ(committed_values(topic, expected.size()), expected);
  std::int64_t stored = 0;
  for (auto [partition, end] : end_offsets(topic)) stored += end;
  EXPECT_GE(stored, 105) << "the aborted records are in the log (hidden by the abort marker)";
}

TEST_F(producer_transactions_test, ASecondProducerWithTheSameTransactionalIdFencesTheFirst) {
  const auto topic = unique_topic("txn-fence");
  create_topic(topic, 1);
  const auto id = topic + "-producer";
  auto first = make_producer({{"transactional.id", id}, {"linger.ms", "0"}});
  ASSERT_EQ(init(*first), std::error_code{});
  ASSERT_EQ(begin(*first), std::error_code{});
  send(*first, {.topic = topic, .value = "from-the-first"});
  ASSERT_TRUE(wait_all());
  auto second = make_producer({{"transactional.id", id}, {"linger.ms", "0"}});
  ASSERT_EQ(init(*second), std::error_code{});  // aborts the first one's open transaction
  auto ec = commit(*first);
  EXPECT_TRUE(ec == kafka_errc::producer_fenced || ec == kafka_errc::invalid_producer_epoch) << ec.message();
  EXPECT_EQ(begin(*first), ec) << "fatal: the fenced producer takes no new transaction";
  ASSERT_EQ(begin(*second), std::error_code{});
  send(*second, {.topic = topic, .value = "from-the-second"});
  ASSERT_EQ(commit(*second), std::error_code{});
  ASSERT_TRUE(wait_all());
  EXPECT_EQ(committed_values(topic, 1), (std::multiset<std::string>{"from-the-second"}));
}

TEST_F(producer_transactions_test, OffsetsCommitWithTheTransaction) {
  const auto topic = unique_topic("txn-offsets");
  create_topic(topic, 1);
  const auto group = topic + "-group";
  auto p = make_producer({{"transactional.id", topic + "-producer"}});
  ASSERT_EQ(init(*p), std::error_code{});
  ASSERT_EQ(begin(*p), std::error_code{});
  send(*p, {.topic = topic, .value = "v"});
  auto offsets = [&](std::int64_t o) { return std::vector<offset_to_commit>{{topic, 0, o, std::nullopt, -1}}; };
  ASSERT_EQ(run_op([&](auto h) { p->async_send_offsets_to_transaction(offsets(7), {group}, h); }), std::error_code{});
  ASSERT_EQ(commit(*p), std::error_code{});
  auto described = kafka_tool({"java", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                               "--bootstrap-server", bootstrap(), "--describe", "--group", group});
  // GROUP TOPIC PARTITION CURRENT-OFFSET ...: the committed offset is 7.
  std::istringstream in(described);
  bool found = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string g, t, part, current;
    fields >> g >> t >> part >> current;
    if (g == group && t == topic) {
      EXPECT_EQ(current, "7") << line;
      found = true;
    }
  }
  EXPECT_TRUE(found) << described;
}

}  // namespace
}  // namespace kafkio::test
