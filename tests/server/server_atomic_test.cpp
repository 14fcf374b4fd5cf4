// ?atomic=true against a real Kafka: a request's records in one transaction, read back with Kafka's ConsoleConsumer
// at isolation.level=read_committed. Label "kafka".
#include "server_harness.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace kt = kafkio_server::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* text_type = "application/vnd.kafka.text.v2+json";

std::string text_records(const std::vector<std::pair<std::string, int>>& values) {
  std::string body = R"({"records":[)";
  for (std::size_t i = 0; i < values.size(); ++i)
    body += (i ? "," : "") + std::string(R"({"value":")") + values[i].first + R"(","partition":)" +
            std::to_string(values[i].second) + "}";
  return body + "]}";
}

// (partition, offset) of each record of a 200 answer.
std::vector<std::pair<int, long long>> positions(const kt::response& r) {
  std::vector<std::pair<int, long long>> out;
  const auto doc = json::parse(r.body);  // named: a temporary in the range-for would die before the loop (C++20)
  for (const auto& e : doc.at("offsets").as_array())
    out.emplace_back(e.at("partition").to_number<int>(), e.at("offset").to_number<long long>());
  return out;
}

std::set<std::string> values_of(const std::vector<kt::consumed>& records) {
  std::set<std::string> out;
  for (const auto& r : records) out.insert(r.value);
  return out;
}

}  // namespace

TEST(ServerAtomic, CommittedRequestsAreVisibleWholeAndAbortedOnesNotAtAll) {
  auto topic = kt::unique_topic("atomic");
  kt::create_topic(topic, 2);
  kt::server_process server({"--workers", "1"});
  kt::client c(server.port());
  const auto target = "/topics/" + topic + "?atomic=true";

  auto first = c.post(target, text_type, text_records({{"c1", 0}, {"c2", 1}, {"c3", 0}}));
  ASSERT_EQ(first.status, 200u) << first.body << server.log();
  // The second request's last record names a partition the topic does not have: the whole request is aborted,
  // its records on the partitions that exist included.
  auto bad = c.post(target, text_type, text_records({{"a1", 0}, {"a2", 1}, {"a3", 9}}));
  EXPECT_EQ(bad.status, 404u) << bad.body;
  auto error = json::parse(bad.body).as_object();
  EXPECT_EQ(error.at("error_code").to_number<int>(), 40402) << bad.body;
  EXPECT_NE(std::string(error.at("message").as_string()).find("none of the request's 3 records are visible: record 2"),
            std::string::npos)
      << bad.body;
  // The producer goes on with the next transaction.
  auto last = c.post(target, text_type, text_records({{"c4", 1}, {"c5", 0}}));
  ASSERT_EQ(last.status, 200u) << last.body;

  // What a read_committed consumer sees: exactly the committed records, at the offsets the answers gave. Five are
  // read (no wait for a sixth that must not come): a visible a1 or a2 would be among any five, as each partition
  // has a committed record after them and its records arrive in offset order.
  auto got = kt::consume(topic, 5, 15000, true);
  std::map<std::pair<int, long long>, std::string> at;
  for (const auto& r : got) at[{r.partition, r.offset}] = r.value;
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(values_of(got), (std::set<std::string>{"c1", "c2", "c3", "c4", "c5"}));
  const auto p1 = positions(first), p2 = positions(last);
  ASSERT_EQ(p1.size(), 3u);
  EXPECT_EQ(at[p1[0]], "c1");
  EXPECT_EQ(at[p1[1]], "c2");
  EXPECT_EQ(at[p1[2]], "c3");
  EXPECT_EQ(at[p2.at(0)], "c4");
  EXPECT_EQ(at[p2.at(1)], "c5");

  auto metrics = c.get("/metrics").body;
  EXPECT_EQ(kt::metric(metrics, "kafkio_server_transactions_committed_total"), 2);
  EXPECT_EQ(kt::metric(metrics, "kafkio_server_transactions_aborted_total"), 1);
}

TEST(ServerAtomic, ConcurrentRequestsTakeTurnsAndAllCommit) {
  auto topic = kt::unique_topic("atomic-turns");
  kt::create_topic(topic, 3);
  kt::server_process server({"--workers", "2"});
  constexpr int clients = 6, requests = 5, per_request = 4;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      kt::client c(server.port());
      for (int r = 0; r < requests; ++r) {
        std::vector<std::pair<std::string, int>> values;
        for (int i = 0; i < per_request; ++i)
          values.emplace_back("t" + std::to_string(t) + "-r" + std::to_string(r) + "-" + std::to_string(i), i % 3);
        auto res = c.post("/topics/" + topic + "?atomic=true", text_type, text_records(values));
        if (res.status == 200 && positions(res).size() == per_request) ++ok;
        else ADD_FAILURE() << res.status << " " << res.body;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), clients * requests);
  auto got = kt::consume(topic, clients * requests * per_request, 20000, true);
  EXPECT_EQ(got.size(), static_cast<std::size_t>(clients * requests * per_request));
  EXPECT_EQ(values_of(got).size(), static_cast<std::size_t>(clients * requests * per_request));
}

// A worker killed during atomic requests may leave a transaction open; its replacement has the same
// transactional.id, so initialising it fences the dead producer and aborts that transaction. Otherwise
// read_committed consumers would wait for it until transaction.timeout.ms (60 s) ended it.
TEST(ServerAtomic, ReplacedWorkerFencesTheKilledOnesOpenTransaction) {
  auto topic = kt::unique_topic("atomic-fence");
  kt::create_topic(topic, 1);
  kt::server_process server({"--workers", "1"});
  std::mutex m;
  std::set<std::string> committed;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int n = 0; !stop; ++n) {
      const auto value = "v" + std::to_string(n);
      try {
        kt::client c(server.port(), 10s);
        auto res = c.post("/topics/" + topic + "?atomic=true", text_type, text_records({{value, 0}, {value + "b", 0}}));
        std::lock_guard<std::mutex> lock(m);
        if (res.status == 200) committed.insert({value, value + "b"});
      } catch (const std::exception&) {  // the worker died during the request, or none was there yet
        std::this_thread::sleep_for(20ms);
      }
    }
  });
  std::set<pid_t> before;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(20ms);
    before = server.workers();
    std::lock_guard<std::mutex> lock(m);
    if (!before.empty() && committed.size() >= 20) break;
  }
  ASSERT_EQ(before.size(), 1u);
  ::kill(*before.begin(), SIGKILL);
  std::size_t at_kill = 0;
  {
    std::lock_guard<std::mutex> lock(m);
    at_kill = committed.size();
  }
  // Until the replacement has committed a few of its own.
  for (auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(50ms);
    std::lock_guard<std::mutex> lock(m);
    if (committed.size() >= at_kill + 10) break;
  }
  stop = true;
  writer.join();
  ASSERT_GE(committed.size(), at_kill + 10) << server.log();
  // Within 15 s, far below the 60 s a dangling transaction would hold read_committed consumers back.
  auto got = kt::consume(topic, committed.size() + 10, 15000, true);
  auto seen = values_of(got);
  EXPECT_EQ(got.size(), seen.size()) << "a record was read twice";
  for (const auto& v : committed) EXPECT_TRUE(seen.count(v)) << v << " was committed but is not visible";
  // Every visible record belongs to a whole transaction: both records of a request, or neither.
  for (const auto& v : seen)
    if (v.back() != 'b') {
      EXPECT_TRUE(seen.count(v + "b")) << v;
    }
}

TEST(ServerAtomic, RefusedWithAsyncAndAsATransactionalIdProperty) {
  kt::server_process server({"--workers", "1"});
  kt::client c(server.port());
  auto res = c.post("/topics/anything?atomic=true&async=true", text_type, R"({"records":[{"value":"x"}]})");
  EXPECT_EQ(res.status, 400u) << res.body;
  EXPECT_NE(res.body.find("exclude each other"), std::string::npos) << res.body;
  // A query error is answered before the body is read, and the connection closed: a new one for the next request.
  kt::client c2(server.port());
  res = c2.post("/topics/anything?atomic=maybe", text_type, R"({"records":[{"value":"x"}]})");
  EXPECT_EQ(res.status, 400u) << res.body;
  EXPECT_NE(res.body.find("atomic must be true or false"), std::string::npos) << res.body;

  auto r = kt::run_command({KAFKIO_SERVER_BIN, "--listen", "127.0.0.1:0", "--bootstrap", kt::bootstrap(), "-X",
                            "transactional.id=mine"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("transactional.id is not a server property"), std::string::npos) << r.err;
}
