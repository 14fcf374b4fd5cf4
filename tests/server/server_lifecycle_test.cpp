// kafkio-server's process model and defences: SIGTERM under load loses no acknowledged or accepted record, a
// killed worker is replaced, slow clients are cut off by the timeouts, the connection cap holds, and a full producer
// buffer answers 429. Label "kafka" (scripts/with-kafka ctest -L kafka).
#include "server_harness.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

namespace kt = kafkio_server::test;
namespace json = boost::json;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {
constexpr const char* text_v2 = "application/vnd.kafka.text.v2+json";

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}
}  // namespace

TEST(ServerLifecycle, SigtermDuringLoadLosesNoAcceptedRecord) {
  auto topic = kt::unique_topic("sigterm");
  kt::create_topic(topic, 3);
  kt::server_process server({"--workers", "2", "-X", "linger.ms=20"});

  std::mutex mu;
  std::set<std::string> acknowledged, accepted;  // 200 with no record error / 204 (async)
  std::atomic<long> attempted{0}, other_status{0}, record_errors{0};
  std::atomic<bool> stop{false};
  auto load = [&](int thread, bool async) {
    std::optional<kt::client> c;
    for (int seq = 0; !stop; ++seq) {
      try {
        if (!c) c.emplace(server.port(), 10s);
      } catch (const std::exception&) {
        return;  // refused: the server is gone
      }
      std::vector<std::string> values;
      std::string body = R"({"records":[)";
      for (int i = 0; i < 5; ++i) {
        values.push_back("t" + std::to_string(thread) + "-" + std::to_string(seq) + "-" + std::to_string(i));
        body += std::string(i ? "," : "") + R"({"value":")" + values.back() + R"("})";
      }
      body += "]}";
      attempted += 5;
      try {
        auto res = c->post("/topics/" + topic + (async ? "?async=true" : ""), text_v2, body);
        std::lock_guard lock(mu);
        if (res.status == 204) {
          accepted.insert(values.begin(), values.end());
        } else if (res.status == 200) {
          auto offsets = json::parse(res.body).at("offsets").as_array();
          for (std::size_t i = 0; i < offsets.size(); ++i) {
            if (offsets[i].at("error_code").is_null()) acknowledged.insert(values[i]);
            else ++record_errors;
          }
        } else {
          ++other_status;
        }
        if (res.connection == "close") c.reset();
      } catch (const std::exception&) {
        c.reset();  // closed at shutdown before the request was read: not accepted, the client would retry
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) threads.emplace_back(load, t, t >= 4);
  std::this_thread::sleep_for(1500ms);
  const auto signalled = clock_type::now();
  server.signal(SIGTERM);
  ASSERT_TRUE(server.wait_exit(40s)) << server.log();
  const double shutdown_s = seconds_since(signalled);
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(server.exit_code(), 0) << server.log();
  EXPECT_EQ(other_status, 0);
  EXPECT_EQ(record_errors, 0);
  ASSERT_GT(acknowledged.size(), 50u) << "too little load to mean anything";
  ASSERT_GT(accepted.size(), 50u);

  auto got = kt::consume(topic, static_cast<std::size_t>(attempted.load()), 10000);
  std::set<std::string> in_kafka;
  for (const auto& r : got) in_kafka.insert(r.value);
  EXPECT_EQ(in_kafka.size(), got.size()) << "a record was written twice";
  std::size_t missing_acked = 0, missing_accepted = 0;
  for (const auto& v : acknowledged) missing_acked += !in_kafka.count(v);
  for (const auto& v : accepted) missing_accepted += !in_kafka.count(v);
  EXPECT_EQ(missing_acked, 0u);
  EXPECT_EQ(missing_accepted, 0u);
  std::cout << "[ sigterm ] " << acknowledged.size() << " acknowledged (200) + " << accepted.size()
            << " accepted (204) records, " << got.size() << " in Kafka of " << attempted << " attempted; shutdown took "
            << shutdown_s << " s\n";
}

TEST(ServerLifecycle, KilledWorkerIsReplaced) {
  auto topic = kt::unique_topic("respawn");
  kt::server_process server({"--workers", "2"});
  std::set<pid_t> before;  // the master says "listening" before it forks: wait for both workers
  for (auto deadline = clock_type::now() + 10s; clock_type::now() < deadline && before.size() < 2;) {
    std::this_thread::sleep_for(20ms);
    before = server.workers();
  }
  ASSERT_EQ(before.size(), 2u);
  const pid_t victim = *before.begin();
  ::kill(victim, SIGKILL);
  std::set<pid_t> after;
  for (auto deadline = clock_type::now() + 10s; clock_type::now() < deadline;) {
    after = server.workers();
    if (after.size() == 2 && !after.count(victim)) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(after.size(), 2u) << server.log();
  EXPECT_FALSE(after.count(victim));
  EXPECT_NE(server.log().find("was killed by signal 9"), std::string::npos) << server.log();
  for (int i = 0; i < 10; ++i) {
    kt::client c(server.port());
    auto res = c.post("/topics/" + topic, text_v2, R"({"records":[{"value":"after restart"}]})");
    EXPECT_EQ(res.status, 200u) << res.body;
  }
  kt::client c(server.port());
  auto m = c.get("/metrics");
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_worker_restarts_total"), 1);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_records_produced_total"), 10);
}

TEST(ServerLifecycle, SlowClientsAreCutOff) {
  kt::server_process server({"--workers", "1", "--idle-timeout", "1", "--header-timeout", "1", "--body-timeout", "1"});
  {  // Connects and says nothing.
    kt::client c(server.port());
    auto t0 = clock_type::now();
    EXPECT_TRUE(c.closed_by_server(4000ms));
    EXPECT_GT(seconds_since(t0), 0.8);
  }
  {  // Slowloris: headers that never end. The deadline closes the connection (Beast closes the socket on it).
    kt::client c(server.port());
    auto t0 = clock_type::now();
    c.send_raw("POST /topics/t HTTP/1.1\r\nHost: x\r\n");
    std::this_thread::sleep_for(300ms);
    c.send_raw("X-Slow: 1\r\n");
    EXPECT_TRUE(c.closed_by_server(4000ms));
    EXPECT_LT(seconds_since(t0), 3.0);
  }
  {  // A body that never arrives.
    kt::client c(server.port());
    c.send_raw("POST /topics/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
               "Content-Length: 100\r\n\r\n0123456789");
    EXPECT_TRUE(c.closed_by_server(4000ms));
  }
  {  // A keep-alive connection that served a request and then idles.
    kt::client c(server.port());
    EXPECT_EQ(c.get("/healthz").status, 200u);
    EXPECT_TRUE(c.closed_by_server(4000ms));
  }
  kt::client c(server.port());
  auto m = c.get("/metrics");
  EXPECT_GE(kt::metric(m.body, "kafkio_server_connections_timed_out_total"), 4);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_http_responses_total{code=\"200\"}"), 1);  // only the keep-alive one
}

TEST(ServerLifecycle, ConnectionCapShedsIdleConnectionsAndHoldsForBusyOnes) {
  auto topic = kt::unique_topic("cap");
  kt::server_process server({"--workers", "1", "--max-connections", "2"});
  {  // Both slots idle (keep-alive after a request): a third connection is served, the oldest idle one closed.
    kt::client c1(server.port());
    ASSERT_EQ(c1.get("/healthz").status, 200u);
    kt::client c2(server.port());
    ASSERT_EQ(c2.get("/healthz").status, 200u);
    kt::client c3(server.port(), 3000ms);
    EXPECT_EQ(c3.get("/healthz").status, 200u) << "idle connections kept a new one out";
    EXPECT_TRUE(c1.closed_by_server(2000ms)) << "the oldest idle connection was not the one closed";
    EXPECT_EQ(c2.get("/healthz").status, 200u);
  }
  // Both slots busy (a request whose body is still coming): the worker stops accepting; the kernel's backlog
  // holds the third connection until a slot is free.
  for (auto deadline = clock_type::now() + 5s; clock_type::now() < deadline;) {
    auto m = kt::client(server.port()).get("/metrics").body;  // wait until the connections above are gone
    if (kt::metric(m, "kafkio_server_connections_open") <= 1) break;
    std::this_thread::sleep_for(50ms);
  }
  const std::string body = R"({"records":[{"value":"busy"}]})";
  const std::string head = "POST /topics/" + topic + " HTTP/1.1\r\nHost: x\r\nContent-Type: " +
                           "application/vnd.kafka.json.v2+json\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\n\r\n";
  kt::client b1(server.port());
  kt::client b2(server.port());
  b1.send_raw(head + body.substr(0, 5));
  b2.send_raw(head + body.substr(0, 5));
  std::this_thread::sleep_for(200ms);
  kt::client c3(server.port(), 700ms);
  c3.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THROW(c3.read_response(), std::exception) << "a third connection was served while both were busy";
  // b1's request completes and it turns idle: now it is shed for the waiting connection.
  b1.send_raw(body.substr(5));
  EXPECT_EQ(b1.read_response().status, 200u);
  c3.set_timeout(5000ms);
  EXPECT_EQ(c3.read_response().status, 200u) << "the freed slot was not used";
  b2.send_raw(body.substr(5));
  EXPECT_EQ(b2.read_response().status, 200u);
}

TEST(ServerLifecycle, FullProducerBufferAnswers429) {
  // No broker at all (port 9 is never Kafka): records wait for metadata, so the buffer stays full.
  kt::server_process server({"--bootstrap", "127.0.0.1:9", "--workers", "1", "-X", "buffer.memory=2000",
                             "--graceful-timeout", "1", "--retry-after", "2"},
                            false);
  kt::client c(server.port());
  const std::string value(600, 'v');  // charged 632 bytes: three fit in 2000
  const std::string body = R"({"records":[{"value":")" + value + R"("}]})";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.post("/topics/t?async=true", text_v2, body).status, 204u);
  auto full = c.post("/topics/t?async=true", text_v2, body);
  EXPECT_EQ(full.status, 429u) << full.body;
  EXPECT_EQ(full.retry_after, "2");
  EXPECT_EQ(json::parse(full.body).at("error_code").as_int64(), 429);
  auto sync_full = c.post("/topics/t", text_v2, R"({"records":[{"value":")" + std::string(200, 's') + R"("}]})");
  EXPECT_EQ(sync_full.status, 429u);
  auto never_fits = c.post("/topics/t", text_v2, R"({"records":[{"value":")" + std::string(2500, 'x') + R"("}]})");
  EXPECT_EQ(never_fits.status, 413u) << never_fits.body;
  EXPECT_EQ(c.get("/readyz").status, 503u);
  kt::client c2(server.port());
  auto m = c2.get("/metrics");
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_records_rejected_total"), 2);
  EXPECT_EQ(kt::metric(m.body, "kafkio_server_http_responses_total{code=\"429\"}"), 2);
  // Shutdown cannot deliver those records: the graceful timeout ends it, and the exit status says so.
  server.signal(SIGTERM);
  ASSERT_TRUE(server.wait_exit(15s));
  EXPECT_EQ(server.exit_code(), 2);
  EXPECT_NE(server.log().find("graceful timeout"), std::string::npos) << server.log();
}
