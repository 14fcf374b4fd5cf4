// kafkio authenticating against the real broker's SASL_PLAINTEXT listener (label kafka; scripts/kafka's single
// node, user alice / alice-secret, PLAIN and SCRAM-SHA-256/512): records produced through it are read back over
// the PLAINTEXT listener with Kafka's ConsoleConsumer; a wrong password fails the records and async_connect with
// authentication_failed within seconds (max.block.ms is far longer, so a timeout cannot pass for it), and the
// logged reason is the broker's own.
#include "producer_fixture.hpp"

#include <vector>

namespace kafkio::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// The SASL listener of the broker under test: $KAFKIO_SASL_BOOTSTRAP, else `scripts/kafka bootstrap --sasl`.
std::string sasl_bootstrap() {
  if (const char* b = std::getenv("KAFKIO_SASL_BOOTSTRAP"); b && *b) return b;
  static const std::string fallback = trim(kafka_tool({"bootstrap", "--sasl"}));
  return fallback;
}

class producer_sasl_test : public producer_test, public ::testing::WithParamInterface<const char*> {
 protected:
  std::unique_ptr<producer> make_sasl_producer(const std::string& password, property_list extra = {}) {
    property_list props{{"security.protocol", "SASL_PLAINTEXT"},
                        {"sasl.mechanism", GetParam()},
                        {"sasl.username", "alice"},
                        {"sasl.password", password}};
    props.insert(props.end(), extra.begin(), extra.end());
    return make_logged_producer(sasl_bootstrap(), std::move(props));
  }
};

TEST_P(producer_sasl_test, RecordsThroughTheSaslListenerAreReadBack) {
  const auto topic = unique_topic(std::string("sasl-") + GetParam());
  create_topic(topic, 2);
  auto p = make_sasl_producer("alice-secret");
  for (std::size_t i = 0; i < 200; ++i)
    send(*p, {.topic = topic,
              .key = "k" + std::to_string(i % 7),
              .value = std::string(GetParam()) + "-" + std::to_string(i),
              .headers = {{"mechanism", GetParam()}}});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  EXPECT_TRUE(logged.empty()) << logged.front();
  verify_read_back(topic);
}

TEST_P(producer_sasl_test, WrongPasswordFailsWithAuthenticationFailedAtOnce) {
  const auto topic = unique_topic(std::string("sasl-wrong-") + GetParam());
  create_topic(topic, 1);
  auto p = make_sasl_producer("not-alice-secret", {{"max.block.ms", "60000"}, {"delivery.timeout.ms", "120000"}});
  const auto start = steady_clock::now();
  std::optional<std::error_code> connected;
  p->async_connect([&](std::error_code ec) { connected = ec; });
  for (std::size_t i = 0; i < 5; ++i) send(*p, {.topic = topic, .value = "never-" + std::to_string(i)});
  ASSERT_TRUE(run_until(io, [&] { return connected && completed == sent.size(); }, seconds(30)))
      << "still waiting after 30 s: a wrong password must not wait for max.block.ms (60 s)";
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  std::cout << GetParam() << " with a wrong password failed after " << took.count() << " ms\n";
  EXPECT_LT(took, seconds(10));
  EXPECT_EQ(*connected, client_errc::authentication_failed) << connected->message();
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(deliveries[i].completions, 1);
    EXPECT_EQ(deliveries[i].ec, client_errc::authentication_failed)
        << "record " << i << ": " << deliveries[i].ec.message();
  }
  // The log says where and why, in the broker's words (SaslAuthenticate's error message).
  bool explained = false;
  for (const auto& line : logged)
    explained = explained || (line.find("SASL authentication with " + sasl_bootstrap()) != std::string::npos &&
                              line.find("Authentication failed") != std::string::npos);
  EXPECT_TRUE(explained) << "no log line names the broker and the broker's reason";
  // Nothing was written.
  std::int64_t stored = 0;
  for (auto [partition, end] : end_offsets(topic)) stored += end;
  EXPECT_EQ(stored, 0);
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, producer_sasl_test, ::testing::Values("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace kafkio::test
