// SASL/OAUTHBEARER tokens and KIP-368 re-authentication on the core, with a virtual clock: where the token comes from,
// when it is asked for again, what a token source's failure does, and re-authentication on the same connection
// before the broker's session lifetime ends, without losing a record.
#include "core_test_support.hpp"

#include <kafkio/protocol/base64.hpp>

#include <gmock/gmock.h>

#include <set>

namespace kafkio::test {
namespace {

core_harness::property_init oauth_with_callback = {
    {"linger.ms", "0"}, {"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"},
    {"reconnect.backoff.ms", "100"}, {"reconnect.backoff.max.ms", "100"}};

core_harness::options sasl_cluster(std::int64_t session_lifetime_ms = 0) {
  core_harness::options o;
  o.cluster.sasl = true;
  o.cluster.sasl_session_lifetime_ms = session_lifetime_ms;
  return o;
}

// The JWT's claims (the middle part, base64url).
std::string jwt_claims(std::string_view jwt) {
  auto first = jwt.find('.'), second = jwt.find('.', first + 1);
  std::string part(jwt.substr(first + 1, second - first - 1));
  for (char& c : part) c = c == '-' ? '+' : c == '_' ? '/' : c;
  auto decoded = protocol::base64_decode(part, protocol::base64_padding::optional);
  return decoded ? *decoded : "(not base64url)";
}

TEST(CoreOauthbearer, TheUnsecuredJwtIsMadeInTheCoreAndSentAsRfc7628Says) {
  core_harness h(sasl_cluster(), {{"linger.ms", "0"}, {"security.protocol", "SASL_PLAINTEXT"},
                                  {"sasl.mechanism", "OAUTHBEARER"}, {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                                  {"sasl.oauthbearer.config", "principal=alice scope=a,b lifeSeconds=60 extension_traceId=42"},
                                  {"sasl.oauthbearer.extensions", "tenant=blue"}});
  h.cluster.create_topic("t", 1);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  EXPECT_FALSE(h.core.take_oauthbearer_token_request()) << "the unsecured JWT needs no token source";
  ASSERT_FALSE(h.cluster.sasl_tokens().empty());
  const std::string& message = h.cluster.sasl_tokens().front().second;
  const std::string prefix = "n,,\x01" "auth=Bearer ";
  ASSERT_EQ(message.substr(0, prefix.size()), prefix) << message;
  EXPECT_EQ(message.substr(message.size() - 2), "\x01\x01");
  EXPECT_NE(message.find("\x01tenant=blue\x01"), std::string::npos) << "sasl.oauthbearer.extensions";
  EXPECT_NE(message.find("\x01traceId=42\x01"), std::string::npos) << "extension_ of sasl.oauthbearer.config";
  auto token = message.substr(prefix.size(), message.find('\x01', prefix.size()) - prefix.size());
  EXPECT_EQ(token.substr(0, token.find('.')), "eyJhbGciOiJub25lIn0") << "base64url of {\"alg\":\"none\"}";
  EXPECT_EQ(token.back(), '.') << "an unsecured JWS has an empty signature";
  const auto iat = core_harness::base_wall_ms / 1000;
  EXPECT_EQ(jwt_claims(token), "{\"sub\":\"alice\",\"iat\":" + std::to_string(iat) + ",\"exp\":" +
                                   std::to_string(iat + 60) + ",\"scope\":[\"a\",\"b\"]}");
  EXPECT_EQ(h.core.metrics().oauthbearer_tokens, 1u);
}

// exp is whole seconds: made at x.900 s with lifeSeconds=3, the token lives 2.1 s, so the next one must be made
// within 80 % of 2.1 s, before the broker would refuse the old one (found against the real broker, whose sessions
// then failed with invalid_token).
TEST(CoreOauthbearer, TheUnsecuredJwtIsRenewedBeforeItsWholeSecondExpiry) {
  core_harness h(sasl_cluster(), {{"linger.ms", "0"}, {"security.protocol", "SASL_PLAINTEXT"},
                                  {"sasl.mechanism", "OAUTHBEARER"}, {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                                  {"sasl.oauthbearer.config", "principal=alice lifeSeconds=3"}});
  h.cluster.create_topic("t", 1);
  h.advance(900ms);  // the wall clock is now at x.900 s
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  const auto first = h.core.now();
  ASSERT_EQ(h.core.metrics().oauthbearer_tokens, 1u);
  ASSERT_TRUE(h.advance_until([&] { return h.core.metrics().oauthbearer_tokens == 2u; }, 3s));
  const auto renewed_after = h.core.now() - first;
  EXPECT_LE(renewed_after, 1750ms) << "renewed at 80 % of 3 s, after the token's exp (2.1 s after it was made)";
}

TEST(CoreOauthbearer, ConnectionsWaitForTheApplicationsTokenWhichIsAskedForOnce) {
  core_harness h(sasl_cluster(), oauth_with_callback);
  h.cluster.create_topic("t", 1);
  auto id = h.send(rec("t", 0, "v"));
  h.advance(50ms);
  EXPECT_TRUE(h.core.take_oauthbearer_token_request());
  h.advance(50ms);
  EXPECT_FALSE(h.core.take_oauthbearer_token_request()) << "asked again while the first request is unanswered";
  EXPECT_EQ(h.connections_opened(), 0) << "connected without a token";
  EXPECT_FALSE(h.done(id));
  EXPECT_EQ(h.core.set_oauthbearer_token("token-1", 600s, "alice", {{"traceId", "7"}}), "");
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  EXPECT_FALSE(h.result(id).error);
  ASSERT_FALSE(h.cluster.sasl_tokens().empty());  // the bootstrap connection's, then the leader's
  EXPECT_EQ(h.cluster.sasl_tokens()[0].second, "n,,\x01" "auth=Bearer token-1\x01traceId=7\x01\x01");
}

TEST(CoreOauthbearer, TheTokenIsAskedForAgainAtEightyPercentOfItsLifetimeAndTheNewOneIsUsed) {
  core_harness h(sasl_cluster(), oauth_with_callback);
  h.cluster.create_topic("t", 1);
  h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.core.take_oauthbearer_token_request());
  h.core.set_oauthbearer_token("token-1", 10s);
  h.advance(7900ms);
  EXPECT_FALSE(h.core.take_oauthbearer_token_request()) << "refreshed before 80 % of the lifetime";
  h.advance(200ms);
  EXPECT_TRUE(h.core.take_oauthbearer_token_request());
  h.core.set_oauthbearer_token("token-2", 10s);
  h.drop_all_connections();
  auto id = h.send(rec("t", 0, "after"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  ASSERT_FALSE(h.cluster.sasl_tokens().empty());
  EXPECT_NE(h.cluster.sasl_tokens().back().second.find("Bearer token-2\x01"), std::string::npos);
  EXPECT_EQ(h.core.metrics().oauthbearer_tokens, 2u);
}

TEST(CoreOauthbearer, ATokenSourceFailureFailsTheWaitingRecordsAndIsRetriedAfterTheBackoff) {
  core_harness h(sasl_cluster(), oauth_with_callback);
  h.cluster.create_topic("t", 1);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.core.take_oauthbearer_token_request());
  h.core.set_oauthbearer_token_failure("token endpoint answered 503");
  h.advance(0ms);
  ASSERT_TRUE(h.done(id));
  EXPECT_EQ(h.result(id).error, client_errc::authentication_failed);
  EXPECT_THAT(h.logs, testing::Contains(testing::HasSubstr("OAUTHBEARER token unavailable: token endpoint answered 503")));
  auto later = h.send(rec("t", 0, "later"));
  h.advance(50ms);
  EXPECT_FALSE(h.core.take_oauthbearer_token_request()) << "asked again within the reconnect backoff";
  h.advance(100ms);
  EXPECT_TRUE(h.core.take_oauthbearer_token_request());
  h.core.set_oauthbearer_token("token-1", 600s);
  ASSERT_TRUE(h.advance_until([&] { return h.done(later); }, 1s));
  EXPECT_FALSE(h.result(later).error);
}

TEST(CoreOauthbearer, AFailedRefreshKeepsTheCurrentTokenInUse) {
  core_harness h(sasl_cluster(), oauth_with_callback);
  h.cluster.create_topic("t", 1);
  h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.core.take_oauthbearer_token_request());
  h.core.set_oauthbearer_token("token-1", 10s);
  h.advance(8100ms);
  ASSERT_TRUE(h.core.take_oauthbearer_token_request());
  h.core.set_oauthbearer_token_failure("timed out");
  auto id = h.send(rec("t", 0, "during"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  EXPECT_FALSE(h.result(id).error) << "a refresh failure failed a record while the token was valid";
  EXPECT_THAT(h.logs, testing::Contains(testing::HasSubstr("refresh failed (the current token stays in use)")));
  h.advance(150ms);
  EXPECT_TRUE(h.core.take_oauthbearer_token_request()) << "retried after the backoff";
}

TEST(CoreOauthbearer, AnUnusableTokenIsRefusedWithTheReason) {
  core_harness h(sasl_cluster(), oauth_with_callback);
  h.cluster.create_topic("t", 1);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.core.take_oauthbearer_token_request());
  EXPECT_THAT(h.core.set_oauthbearer_token("two words", 600s), testing::HasSubstr("printable ASCII without spaces"));
  EXPECT_THAT(h.core.set_oauthbearer_token("", 600s), testing::HasSubstr("empty"));
  EXPECT_THAT(h.core.set_oauthbearer_token("t", -5ms), testing::HasSubstr("already expired"));
  EXPECT_THAT(h.core.set_oauthbearer_token("t", 600s, {}, {{"auth", "x"}}), testing::HasSubstr("reserved"));
  h.advance(0ms);
  ASSERT_TRUE(h.done(id));
  EXPECT_EQ(h.result(id).error, client_errc::authentication_failed);
  EXPECT_EQ(h.connections_opened(), 0);
}

TEST(CoreOauthbearer, WithoutATokenSourceTheConnectionNeverStarts) {
  // The core only asks; the driver answers "no token source" (client_oauthbearer_test). Unanswered, records wait for
  // delivery.timeout.ms and say why they could not be sent.
  core_harness h(sasl_cluster(), {{"linger.ms", "0"}, {"security.protocol", "SASL_PLAINTEXT"},
                                  {"sasl.mechanism", "OAUTHBEARER"}, {"delivery.timeout.ms", "2000"},
                                  {"request.timeout.ms", "1000"}});
  h.cluster.create_topic("t", 1);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 3s));
  EXPECT_TRUE(h.result(id).error);
  EXPECT_EQ(h.connections_opened(), 0);
}

// KIP-368: the broker's SaslAuthenticate gives a session lifetime; before it ends the producer authenticates again
// on the same connection (new SaslHandshake + SaslAuthenticate), with the current token.
TEST(CoreReauthentication, HappensOnTheSameConnectionBeforeTheSessionEndsAndLosesNothing) {
  core_harness h(sasl_cluster(1000), {{"linger.ms", "0"}, {"security.protocol", "SASL_PLAINTEXT"},
                                      {"sasl.mechanism", "PLAIN"}, {"sasl.username", "alice"},
                                      {"sasl.password", "alice-secret"}});
  h.cluster.create_topic("t", 1);
  std::vector<completion_id> ids;
  for (int i = 0; i < 100; ++i) {
    ids.push_back(h.send(rec("t", 0, "v" + std::to_string(i))));
    h.advance(50ms);
  }
  ASSERT_TRUE(h.advance_until([&] { return std::all_of(ids.begin(), ids.end(), [&](auto id) { return h.done(id); }); }, 2s));
  for (auto id : ids) EXPECT_FALSE(h.result(id).error);
  EXPECT_EQ(h.cluster.log("t", 0).size(), 100u);
  // 5 s with sessions of 1 s, renewed at 85-95 %: on each connection (the bootstrap one and the leader's) the first
  // authentication and at least 5 more, and no connection opened again.
  std::map<int, int> per_session;
  for (const auto& a : h.cluster.sasl_tokens()) ++per_session[a.first];
  EXPECT_EQ(h.connections_opened(), 2);
  ASSERT_EQ(per_session.size(), 2u) << "re-authentication opened new connections instead";
  for (const auto& [session, n] : per_session) EXPECT_GE(n, 6) << "session " << session;
  std::uint64_t reauthentications = 0;
  for (const auto& b : h.core.metrics().brokers) reauthentications += b.reauthentications;
  EXPECT_EQ(reauthentications, h.cluster.sasl_tokens().size() - 2);
  EXPECT_TRUE(h.violations.empty()) << h.violations.front();
}

TEST(CoreReauthentication, AnOauthbearerSessionReauthenticatesWithTheRefreshedToken) {
  core_harness h(sasl_cluster(2000), oauth_with_callback);
  h.cluster.create_topic("t", 1);
  auto first = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.core.take_oauthbearer_token_request());
  h.core.set_oauthbearer_token("token-1", 2s);
  ASSERT_TRUE(h.advance_until([&] { return h.done(first); }, 1s));
  bool asked = false;  // (advance_until calls its predicate again at the end; the request is taken once)
  ASSERT_TRUE(h.advance_until([&] { return asked = asked || h.core.take_oauthbearer_token_request(); }, 2s));
  h.core.set_oauthbearer_token("token-2", 2s);
  auto with_token_2 = [&] {
    int n = 0;
    for (const auto& a : h.cluster.sasl_tokens()) n += a.second.find("Bearer token-2\x01") != std::string::npos;
    return n;
  };
  ASSERT_TRUE(h.advance_until([&] { return with_token_2() == 2; }, 1s)) << "both connections, with the new token";
  EXPECT_EQ(h.connections_opened(), 2) << "re-authentication opened a connection";
  auto after = h.send(rec("t", 0, "after"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(after); }, 1s));
  EXPECT_FALSE(h.result(after).error);
}

}  // namespace
}  // namespace kafkio::test
