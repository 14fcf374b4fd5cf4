// Shared fixture for the producer tests against tests/support/fake_broker.hpp: one io_context, the fake, a
// producer, and a record of every completion (so a test can insist each record completed exactly once).
#pragma once

#include "support/fake_broker.hpp"

#include <kafkio/producer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace kafkio::test {

using namespace std::chrono_literals;

struct send_outcome {
  int calls = 0;
  std::error_code ec;
  record_metadata md;
};

class FakeBrokerTest : public ::testing::Test {
 protected:
  // Short backoffs so retries happen within a test's time; long enough timeouts that nothing expires by accident.
  property_list base_properties(const std::string& bootstrap) const {
    return {{"bootstrap.servers", bootstrap},   {"linger.ms", "0"},
            {"retry.backoff.ms", "5"},          {"retry.backoff.max.ms", "50"},
            {"reconnect.backoff.ms", "5"},      {"reconnect.backoff.max.ms", "50"},
            {"request.timeout.ms", "5000"},     {"client.id", "fake-test"}};
  }

  void make_fake(fake_broker::options o = {}) { fake = std::make_unique<fake_broker>(io, o); }

  // Starts a producer against the fake (or `bootstrap`), with `extra` properties overriding the base ones.
  void start(const property_list& extra = {}, std::string bootstrap = {}) {
    if (!fake && bootstrap.empty()) make_fake();
    auto props = base_properties(bootstrap.empty() ? fake->bootstrap() : bootstrap);
    props.insert(props.end(), extra.begin(), extra.end());
    auto parsed = producer_config::parse(props);
    ASSERT_TRUE(parsed) << parsed.message;
    prod = std::make_unique<producer>(io.get_executor(), parsed);
    prod->set_logger([this](log_level, std::string_view m) { log_lines.emplace_back(m); });
  }

  std::size_t send(const std::string& value, std::optional<std::int32_t> partition = std::nullopt,
                   std::optional<std::string> key = std::nullopt, const std::string& topic = "t") {
    return submit(value, partition, key, topic, true);
  }
  std::size_t try_send(const std::string& value, std::optional<std::int32_t> partition = std::nullopt) {
    return submit(value, partition, std::nullopt, "t", false);
  }

  bool all_completed(std::chrono::milliseconds timeout = 10s) {
    return run_until(io, [&] { return completed() == outcomes.size(); }, timeout);
  }
  std::size_t completed() const {
    std::size_t n = 0;
    for (const auto& o : outcomes) n += o.calls > 0;
    return n;
  }
  // Every record completed exactly once and without error.
  void expect_all_succeeded() {
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      EXPECT_EQ(outcomes[i].calls, 1) << "record " << i;
      EXPECT_FALSE(outcomes[i].ec) << "record " << i << ": " << outcomes[i].ec.message();
    }
  }
  // The fake's log of t-0 holds exactly the values v0..v(n-1), once each, in order.
  void expect_log_exactly(std::size_t n, const std::string& topic = "t", std::int32_t partition = 0) {
    auto log = fake->log(topic, partition);
    ASSERT_EQ(log.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(log[i].offset, static_cast<std::int64_t>(i));
      EXPECT_EQ(log[i].record.value, "v" + std::to_string(i));
    }
  }

  void TearDown() override {
    prod.reset();
    run_for(io, 20ms);  // completions posted by the destructor run now
    for (std::size_t i = 0; i < outcomes.size(); ++i) EXPECT_LE(outcomes[i].calls, 1) << "record " << i;
    if (HasFailure())
      for (const auto& l : log_lines) std::cerr << "  producer log: " << l << "\n";
  }

  boost::asio::io_context io;  // first: destroyed last, after everything that uses it
  std::unique_ptr<fake_broker> fake;
  std::unique_ptr<producer> prod;
  std::deque<send_outcome> outcomes;
  std::vector<std::size_t> completion_order;
  std::vector<std::string> log_lines;

 private:
  std::size_t submit(const std::string& value, std::optional<std::int32_t> partition, std::optional<std::string> key,
                     const std::string& topic, bool wait) {
    const std::size_t i = outcomes.size();
    outcomes.emplace_back();
    producer_record r;
    r.topic = topic;
    r.partition = partition;
    if (key) r.key = *key;
    r.value = value;
    auto done = [this, i](std::error_code ec, record_metadata md) {
      auto& o = outcomes[i];
      ++o.calls;
      o.ec = ec;
      o.md = std::move(md);
      completion_order.push_back(i);
    };
    if (wait) prod->async_send(r, done);
    else prod->try_send(r, done);
    return i;
  }
};

// A loopback port nobody listens on (connection refused).
inline std::uint16_t closed_port(boost::asio::io_context& io) {
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}

}  // namespace kafkio::test
