// statistics.interval.ms and producer::set_statistics_callback, against the fake broker: the callback's cadence,
// what the snapshot says after a known workload, statistics_json() read back by a JSON parser, and the callback's
// end (an empty function, the producer's destruction).
#include "client_fake_broker_fixture.hpp"

#include <kafkio/statistics_json.hpp>

#include <boost/json.hpp>
#include <boost/json/src.hpp>  // header-only Boost.JSON: its compiled part, in this one file of the executable

#include <gtest/gtest.h>

namespace kafkio::test {
namespace {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

class statistics_test : public FakeBrokerTest {
 protected:
  void start_with_statistics(int interval_ms) {
    start({{"statistics.interval.ms", std::to_string(interval_ms)}});
    prod->set_statistics_callback([this](const producer_metrics& m) {
      snapshots.push_back(m);
      times.push_back(clock_type::now());
    });
  }
  std::vector<producer_metrics> snapshots;
  std::vector<clock_type::time_point> times;
};

TEST_F(statistics_test, ArriveEveryIntervalAndCountTheWorkload) {
  start_with_statistics(40);
  for (int i = 0; i < 10; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  const auto after_acks = snapshots.size();
  // 4 more after the acknowledgements, and 5 in all (the span of 4 intervals below)
  ASSERT_TRUE(run_until(io, [&] { return snapshots.size() >= std::max<std::size_t>(after_acks + 4, 5); }, 5s))
      << snapshots.size();

  // The due times advance by the interval from the previous one (no drift): 4 intervals span 4 * 40 ms of due
  // times. The callbacks run a little after theirs (a busy loop), so the first one's lateness comes off the span
  // measured here: 157.8 ms was seen on a loaded machine. The upper bound only catches a runaway timer.
  const auto span = times.back() - times[times.size() - 5];
  EXPECT_GE(span, 4 * 40ms - 15ms);
  EXPECT_LT(span, 4 * 40ms + 400ms);
  for (std::size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i] - times[i - 1], 20ms) << "callbacks " << i;

  const auto& last = snapshots.back();
  EXPECT_EQ(last.records_accepted, 10u);
  EXPECT_EQ(last.records_acked, 10u);
  EXPECT_EQ(last.records_failed, 0u);
  EXPECT_EQ(last.records_pending, 0u);
  EXPECT_EQ(last.buffered_bytes, 0u);
  ASSERT_FALSE(last.brokers.empty());
  bool some_connected = false;
  for (const auto& b : last.brokers) some_connected = some_connected || b.connected;
  EXPECT_TRUE(some_connected);
}

TEST_F(statistics_test, SnapshotWhileRecordsWaitCountsThemPending) {
  make_fake();
  fake->hold_produce_responses();  // the broker takes Produce requests and does not answer yet
  start_with_statistics(30);
  for (int i = 0; i < 5; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(run_until(io, [&] { return !snapshots.empty() && snapshots.back().requests_in_flight > 0; }, 5s));
  EXPECT_EQ(snapshots.back().records_pending, 5u);
  EXPECT_GT(snapshots.back().buffered_bytes, 0u);
  fake->release_produce_responses();
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
}

TEST_F(statistics_test, OffByDefault) {
  start();
  int calls = 0;
  prod->set_statistics_callback([&](const producer_metrics&) { ++calls; });
  send("v0");
  ASSERT_TRUE(all_completed());
  run_for(io, 150ms);
  EXPECT_EQ(calls, 0);
}

TEST_F(statistics_test, AnEmptyFunctionAndTheDestructorStopTheCallbacks) {
  start_with_statistics(20);
  ASSERT_TRUE(run_until(io, [&] { return snapshots.size() >= 2; }, 5s));
  prod->set_statistics_callback({});
  const auto n = snapshots.size();
  run_for(io, 100ms);
  EXPECT_EQ(snapshots.size(), n);

  start_with_statistics(20);
  ASSERT_TRUE(run_until(io, [&] { return snapshots.size() >= n + 1; }, 5s));
  prod.reset();
  const auto m = snapshots.size();
  run_for(io, 100ms);
  EXPECT_EQ(snapshots.size(), m) << "a callback after the producer was destroyed";
}

TEST_F(statistics_test, AfterCloseOneLastSnapshotThenNone) {
  start_with_statistics(30);
  send("v0");
  bool closed = false;
  prod->async_close([&](std::error_code) { closed = true; });
  ASSERT_TRUE(run_until(io, [&] { return closed; }, 5s));
  const auto at_close = snapshots.size();
  ASSERT_TRUE(run_until(io, [&] { return snapshots.size() > at_close; }, 2s)) << "the final snapshot";
  EXPECT_EQ(snapshots.back().records_acked, 1u);
  run_for(io, 150ms);
  EXPECT_EQ(snapshots.size(), at_close + 1);
}

TEST_F(statistics_test, TheCallbackMayDestroyTheProducer) {
  start({{"statistics.interval.ms", "20"}});
  int calls = 0;
  prod->set_statistics_callback([&, keep = std::string(64, 'x')](const producer_metrics&) {
    ++calls;
    prod.reset();  // destroys the callback's own std::function while it runs, unless the driver copied it
    EXPECT_EQ(keep.size(), 64u);
  });
  ASSERT_TRUE(run_until(io, [&] { return calls >= 1; }, 5s));
  run_for(io, 100ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(statistics_test, TheCallbackMaySendThroughTheProducer) {
  start({{"statistics.interval.ms", "20"}});
  int calls = 0;
  prod->set_statistics_callback([&](const producer_metrics&) {
    if (++calls <= 3) send("from-callback-" + std::to_string(calls));
  });
  ASSERT_TRUE(run_until(io, [&] { return calls >= 3 && completed() == 3; }, 5s));
  expect_all_succeeded();
}

TEST(statistics_json, LibrdkafkaFieldsAndKafkiosOwnParseBack) {
  producer_metrics m;
  m.records_accepted = 12;
  m.records_acked = 9;
  m.records_failed = 1;
  m.records_pending = 2;
  m.record_bytes_acked = 900;
  m.buffered_bytes = 300;
  m.retries = 4;
  broker_metrics boot;
  boot.address = "seed:9092";
  broker_metrics b;
  b.node_id = 3;
  b.address = "broker-3:9092";
  b.connected = true;
  b.requests_sent = 7;
  b.responses_received = 6;
  b.requests_in_flight = 1;
  b.average_round_trip = std::chrono::microseconds(2500);
  m.brokers = {boot, b};

  const auto text = statistics_json(m, {.client_id = "svc \"a\"\n", .age = std::chrono::microseconds(5000000),
                                        .replyq = 3, .msg_max = 100000, .msg_size_max = 33554432});
  json::value v;
  ASSERT_NO_THROW(v = json::parse(text)) << text;
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("type").as_string(), "producer");
  EXPECT_EQ(o.at("client_id").as_string(), "svc \"a\"\n");
  EXPECT_EQ(o.at("age").to_number<std::int64_t>(), 5000000);
  EXPECT_EQ(o.at("replyq").to_number<std::int64_t>(), 3);
  EXPECT_EQ(o.at("msg_cnt").to_number<std::int64_t>(), 2);
  EXPECT_EQ(o.at("msg_size").to_number<std::int64_t>(), 300);
  EXPECT_EQ(o.at("msg_max").to_number<std::int64_t>(), 100000);
  EXPECT_EQ(o.at("msg_size_max").to_number<std::int64_t>(), 33554432);
  EXPECT_EQ(o.at("tx").to_number<std::int64_t>(), 7);
  EXPECT_EQ(o.at("rx").to_number<std::int64_t>(), 6);
  EXPECT_EQ(o.at("txmsgs").to_number<std::int64_t>(), 9);
  EXPECT_EQ(o.at("txmsg_bytes").to_number<std::int64_t>(), 900);
  EXPECT_GT(o.at("time").to_number<std::int64_t>(), 1600000000);

  const auto& brokers = o.at("brokers").as_object();
  ASSERT_EQ(brokers.size(), 2u);
  const auto& b3 = brokers.at("broker-3:9092/3").as_object();
  EXPECT_EQ(b3.at("nodeid").to_number<std::int64_t>(), 3);
  EXPECT_EQ(b3.at("nodename").as_string(), "broker-3:9092");
  EXPECT_EQ(b3.at("source").as_string(), "learned");
  EXPECT_EQ(b3.at("state").as_string(), "UP");
  EXPECT_EQ(b3.at("waitresp_cnt").to_number<std::int64_t>(), 1);
  EXPECT_EQ(b3.at("rtt").as_object().at("avg").to_number<std::int64_t>(), 2500);
  const auto& seed = brokers.at("seed:9092/bootstrap").as_object();
  EXPECT_EQ(seed.at("source").as_string(), "configured");
  EXPECT_EQ(seed.at("state").as_string(), "DOWN");

  const auto& own = o.at("kafkio").as_object();
  EXPECT_EQ(own.at("records_accepted").to_number<std::int64_t>(), 12);
  EXPECT_EQ(own.at("records_failed").to_number<std::int64_t>(), 1);
  EXPECT_EQ(own.at("retries").to_number<std::int64_t>(), 4);
  ASSERT_EQ(own.at("brokers").as_array().size(), 2u);
  EXPECT_EQ(own.at("brokers").as_array()[1].as_object().at("requests_sent").to_number<std::int64_t>(), 7);
}

TEST(statistics_json, LimitsNotGivenAreLeftOut) {
  const auto v = json::parse(statistics_json({}, {.client_id = "c"}));
  EXPECT_FALSE(v.as_object().contains("replyq"));
  EXPECT_FALSE(v.as_object().contains("msg_max"));
  EXPECT_TRUE(v.as_object().at("brokers").as_object().empty());
}

TEST(statistics_config, IntervalBounds) {
  const std::pair<std::string, std::string> b{"bootstrap.servers", "b:9092"};
  EXPECT_TRUE(producer_config::parse({b, {"statistics.interval.ms", "0"}}));
  EXPECT_TRUE(producer_config::parse({b, {"statistics.interval.ms", "86400000"}}));
  for (const char* bad : {"-1", "86400001", "soon"}) {
    auto r = producer_config::parse({b, {"statistics.interval.ms", bad}});
    EXPECT_FALSE(r) << bad;
    EXPECT_NE(r.message.find("statistics.interval.ms"), std::string::npos) << r.message;
  }
}

}  // namespace
}  // namespace kafkio::test
