// SASL/OAUTHBEARER through the Asio driver, against the fake broker over loopback: the application's token
// callback (asked on the executor, answered asynchronously), a token set ahead of time, and no token source at all.
#include "client_fake_broker_fixture.hpp"

#include <boost/asio/post.hpp>

#include <gmock/gmock.h>

namespace kafkio::test {
namespace {

class OauthbearerTest : public FakeBrokerTest {
 protected:
  void SetUp() override {
    fake_broker::options o;
    o.sasl = true;
    make_fake(o);
  }
  property_list oauth_properties() const {
    return {{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"},
            {"sasl.oauthbearer.config", "audience=kafka"}};
  }
  static std::string message_with(const std::string& token) {
    return "n,,\x01" "auth=Bearer " + token + "\x01\x01";
  }
};

TEST_F(OauthbearerTest, TheCallbackIsAskedOnTheExecutorAndAnsweredLater) {
  start(oauth_properties());
  std::vector<std::string> asked;
  prod->set_oauthbearer_token_refresh_callback([&](std::string_view config) {
    asked.emplace_back(config);
    // Answered from another handler, as a callback that fetches its token asynchronously would.
    boost::asio::post(io, [&] {
      EXPECT_EQ(prod->set_oauthbearer_token({"app-token-1", std::chrono::system_clock::now() + 10min, "alice", {}}), "");
    });
  });
  for (int i = 0; i < 3; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  expect_log_exactly(3);
  EXPECT_EQ(asked, std::vector<std::string>{"audience=kafka"}) << "asked once, with sasl.oauthbearer.config";
  ASSERT_FALSE(fake->sasl_tokens().empty());
  for (const auto& [session, message] : fake->sasl_tokens()) EXPECT_EQ(message, message_with("app-token-1"));
  EXPECT_EQ(prod->metrics().oauthbearer_tokens, 1u);
}

TEST_F(OauthbearerTest, ATokenSetAheadNeedsNoCallback) {
  start(oauth_properties());
  EXPECT_EQ(prod->set_oauthbearer_token({"ahead", std::chrono::system_clock::now() + 10min, {}, {{"traceId", "9"}}}), "");
  send("v0");
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  ASSERT_FALSE(fake->sasl_tokens().empty());
  EXPECT_EQ(fake->sasl_tokens().front().second, "n,,\x01" "auth=Bearer ahead\x01traceId=9\x01\x01");
}

TEST_F(OauthbearerTest, AnExpiredTokenIsRefused) {
  start(oauth_properties());
  EXPECT_THAT(prod->set_oauthbearer_token({"old", std::chrono::system_clock::now() - 1s, {}, {}}),
              testing::HasSubstr("already expired"));
}

TEST_F(OauthbearerTest, WithoutATokenSourceRecordsFailWithAuthenticationFailedAndTheLogSaysWhy) {
  start(oauth_properties());
  send("v0");
  ASSERT_TRUE(all_completed());
  EXPECT_EQ(outcomes[0].ec, client_errc::authentication_failed);
  EXPECT_THAT(log_lines, testing::Contains(testing::HasSubstr("no token source: set producer::set_oauthbearer_token_refresh_callback")));
  EXPECT_TRUE(fake->sasl_tokens().empty());
}

TEST_F(OauthbearerTest, ACallbackFailureFailsTheRecordsWithItsReason) {
  start(oauth_properties());
  prod->set_oauthbearer_token_refresh_callback([&](std::string_view) { prod->set_oauthbearer_token_failure("IdP down"); });
  send("v0");
  ASSERT_TRUE(all_completed());
  EXPECT_EQ(outcomes[0].ec, client_errc::authentication_failed);
  EXPECT_THAT(log_lines, testing::Contains(testing::HasSubstr("OAUTHBEARER token unavailable: IdP down")));
}

TEST_F(OauthbearerTest, TheCallbackMayDestroyTheProducer) {
  start(oauth_properties());
  bool called = false;
  prod->set_oauthbearer_token_refresh_callback([&](std::string_view) {
    called = true;
    prod.reset();
  });
  send("v0");
  ASSERT_TRUE(run_until(io, [&] { return called && completed() == 1; }, 5s));
  EXPECT_EQ(outcomes[0].ec, std::errc::operation_canceled);
}

}  // namespace
}  // namespace kafkio::test
