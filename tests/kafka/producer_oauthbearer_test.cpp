// SASL/OAUTHBEARER (KIP-255) against the real broker's OAUTH listener (scripts/kafka's single node: SASL_PLAINTEXT,
// Kafka's unsecured validator, connections.max.reauth.ms=3000). The broker checks every token kafkio sends and ends
// each session after 3 s, so a producer that runs for longer must re-authenticate (KIP-368) on its connections
// without losing or duplicating a record; records are read back with Kafka's ConsoleConsumer.
#include "producer_fixture.hpp"

#include <kafkio/core/bearer_token.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace kafkio::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::string oauth_bootstrap() {
  static const std::string b = trim(kafka_tool({"bootstrap", "--oauth-unsecured"}));
  return b;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class producer_oauthbearer_test : public producer_test {
 protected:
  std::unique_ptr<producer> make_oauth_producer(property_list extra) {
    property_list props{{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}};
    props.insert(props.end(), extra.begin(), extra.end());
    return make_logged_producer(oauth_bootstrap(), std::move(props));
  }

  // `count` records, one every `gap`, the io_context running in between.
  void send_paced(producer& p, const std::string& topic, int count, milliseconds gap, const std::string& prefix) {
    for (int i = 0; i < count; ++i) {
      send(p, {.topic = topic, .key = "k" + std::to_string(i % 5), .value = prefix + "-" + std::to_string(i)});
      const auto until = steady_clock::now() + gap;
      run_until(io, [&] { return steady_clock::now() >= until; }, seconds(5));
    }
  }

  static std::uint64_t reauthentications(const producer& p) {
    std::uint64_t n = 0;
    for (const auto& b : p.metrics().brokers) n += b.reauthentications;
    return n;
  }
};

// The unsecured JWT of Kafka's test mode, made by kafkio from sasl.oauthbearer.config; 8 s of records over sessions
// of 3 s.
TEST_F(producer_oauthbearer_test, UnsecuredJwtRecordsAreReadBackAcrossReauthentications) {
  const auto topic = unique_topic("oauth-unsecured");
  create_topic(topic, 2);
  auto p = make_oauth_producer({{"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                                {"sasl.oauthbearer.config", "principal=alice lifeSeconds=3600 scope=test"}});
  const auto start = steady_clock::now();
  send_paced(*p, topic, 40, milliseconds(200), "unsecured");
  ASSERT_TRUE(wait_all());
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  expect_all_delivered();
  EXPECT_TRUE(logged.empty()) << logged.front();
  const auto renewed = reauthentications(*p);
  std::cout << "40 records over " << took.count() << " ms, " << renewed << " re-authentications\n";
  EXPECT_GE(renewed, 2u) << "sessions of 3 s over " << took.count() << " ms";
  verify_read_back(topic);
}

// The application's token source (set_oauthbearer_token_refresh_callback) with tokens of 3 s: asked again at 80 %
// of each lifetime, the broker sees a new token on each re-authentication.
TEST_F(producer_oauthbearer_test, ApplicationTokensAreRefreshedBeforeTheyExpire) {
  const auto topic = unique_topic("oauth-callback");
  create_topic(topic, 1);
  auto p = make_oauth_producer({});
  std::vector<std::string> configs;
  p->set_oauthbearer_token_refresh_callback([&](std::string_view config) {
    configs.emplace_back(config);
    detail::unsecured_jwt_options o;
    o.principal = "app";  // a session may not change principals on re-authentication (the broker refuses)
    o.life_seconds = 3;
    const auto now = wall_ms();  // the token's exp is whole seconds: the expiry given must be the token's own
    auto why = p->set_oauthbearer_token({.value = core::make_unsecured_jwt(o, now),
                                         .expiry = std::chrono::system_clock::time_point(seconds(now / 1000 + 3)),
                                         .principal = o.principal,
                                         .extensions = {}});
    EXPECT_EQ(why, "");
  });
  send_paced(*p, topic, 35, milliseconds(200), "callback");
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  EXPECT_TRUE(logged.empty()) << logged.front();
  std::cout << configs.size() << " tokens for 7 s of records\n";
  EXPECT_GE(configs.size(), 3u) << "3 s tokens over 7 s: refreshed at 2.4 s each";
  EXPECT_EQ(p->metrics().oauthbearer_tokens, configs.size());
  verify_read_back(topic);
}

// A token the broker refuses: the records fail with authentication_failed within seconds, and the log has the
// broker's reason.
TEST_F(producer_oauthbearer_test, ATokenTheBrokerRefusesFailsTheRecordsWithItsReason) {
  const auto topic = unique_topic("oauth-refused");
  create_topic(topic, 1);
  auto p = make_oauth_producer({{"max.block.ms", "60000"}, {"delivery.timeout.ms", "120000"}});
  p->set_oauthbearer_token_refresh_callback([&](std::string_view) {
    p->set_oauthbearer_token({.value = "not-a-jwt",
                              .expiry = std::chrono::system_clock::now() + seconds(60),
                              .principal = "",
                              .extensions = {}});
  });
  const auto start = steady_clock::now();
  for (int i = 0; i < 3; ++i) send(*p, {.topic = topic, .value = "never-" + std::to_string(i)});
  ASSERT_TRUE(wait_all(seconds(30)));
  EXPECT_LT(steady_clock::now() - start, seconds(10));
  for (const auto& d : deliveries) {
    EXPECT_EQ(d.completions, 1);
    EXPECT_EQ(d.ec, client_errc::authentication_failed) << d.ec.message();
  }
  std::string all;
  for (const auto& l : logged) all += l + "\n";
  EXPECT_NE(all.find(oauth_bootstrap()), std::string::npos) << all;
  EXPECT_NE(all.find("invalid_token"), std::string::npos) << "the broker's JSON error: " << all;
}

}  // namespace
}  // namespace kafkio::test
