// sasl.oauthbearer.method=oidc (KIP-768): the sans-io pieces (URL, encodings, the token response), the token
// client against a token endpoint of the test's own on loopback (plain HTTP: the HTTPS path is exercised against
// the real broker, tests/kafka/producer_oidc_test.cpp), and the producer fetching its token from it before it
// authenticates to the fake broker.
#include "client_fake_broker_fixture.hpp"

#include <kafkio/detail/oidc_token_client.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <gmock/gmock.h>

namespace kafkio::test {
namespace {

namespace oidc = kafkio::detail::oidc;
namespace http = boost::beast::http;
using testing::HasSubstr;

// base64url of a JSON payload, as a JWT's middle part.
std::string b64url(std::string_view s) {
  auto b = oidc::base64(s);
  while (!b.empty() && b.back() == '=') b.pop_back();
  for (auto& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return b;
}
std::string fake_jwt(std::string_view claims) { return b64url(R"({"alg":"RS256"})") + "." + b64url(claims) + ".sig"; }

TEST(OidcProtocol, UrlsSplitIntoSchemeHostPortAndTarget) {
  oidc::endpoint_url u;
  ASSERT_EQ(oidc::parse_url("HTTPS://idp.example/oauth2/token?x=1", u), "");
  EXPECT_TRUE(u.https);
  EXPECT_EQ(u.host, "idp.example");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/oauth2/token?x=1");
  u = {};
  ASSERT_EQ(oidc::parse_url("http://[::1]:8080", u), "");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.target, "/");
  u = {};
  EXPECT_EQ(oidc::parse_url("ftp://x", u), "the scheme is not http or https");
  EXPECT_EQ(oidc::parse_url("https:///token", u), "no host");
  EXPECT_EQ(oidc::parse_url("https://[::1/token", u), "an unterminated IPv6 address");
  EXPECT_EQ(oidc::parse_url("https://idp:x1/token", u), "port 'x1' is not a port number");
}

TEST(OidcProtocol, CredentialsAreFormEncodedBeforeBasic) {
  EXPECT_EQ(oidc::form_urlencode("a b+c:d/é"), "a+b%2Bc%3Ad%2F%C3%A9");
  EXPECT_EQ(oidc::base64("kafkio"), "a2Fma2lv");
  EXPECT_EQ(oidc::base64("ab"), "YWI=");
  EXPECT_EQ(oidc::base64("a"), "YQ==");
}

TEST(OidcProtocol, TheLifetimeIsTheShorterOfExpiresInAndTheJwtsExp) {
  auto r = oidc::parse_token_response(
      R"({"access_token":")" + fake_jwt(R"({"sub":"svc-1","exp":2000})") + R"(","token_type":"Bearer","expires_in":300})",
      1'000'000);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.lifetime, std::chrono::seconds(300));
  EXPECT_EQ(r.principal, "svc-1");
  r = oidc::parse_token_response(R"({"access_token":")" + fake_jwt(R"({"sub":"s","exp":1600.0})") + R"("})", 1'000'000);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.lifetime, std::chrono::seconds(600));
  // Issued at 1000.900 s with exp 1004 (whole seconds) and expires_in 4: it lives 3.1 s, not 4.
  r = oidc::parse_token_response(
      R"({"access_token":")" + fake_jwt(R"({"sub":"s","exp":1004})") + R"(","expires_in":4})", 1'000'900);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.lifetime, std::chrono::milliseconds(3100));
  r = oidc::parse_token_response(R"({"access_token":")" + fake_jwt(R"({"sub":"s"})") + R"(","expires_in":60})", 0);
  EXPECT_EQ(r.lifetime, std::chrono::seconds(60));
}

TEST(OidcProtocol, BadResponsesSayWhat) {
  const auto token = fake_jwt(R"({"sub":"s","exp":2000})");
  EXPECT_THAT(oidc::parse_token_response("<html>", 0).error, HasSubstr("not a JSON object (expected '{' at offset 0)"));
  EXPECT_EQ(oidc::parse_token_response(R"({"token_type":"Bearer"})", 0).error, "the response has no access_token");
  EXPECT_EQ(oidc::parse_token_response(R"({"access_token":")" + token + R"(","token_type":"mac"})", 0).error,
            "token_type 'mac' is not Bearer");
  EXPECT_EQ(oidc::parse_token_response(R"({"access_token":"opaque"})", 0).error,
            "the access_token is not a JWT (header.payload.signature)");
  EXPECT_EQ(oidc::parse_token_response(R"({"access_token":")" + token + R"("})", 2'000'500).error,
            "the token has already expired (lifetime -500 ms)");
  EXPECT_EQ(oidc::parse_token_response(R"({"access_token":")" + fake_jwt(R"({"sub":"s"})") + R"("})", 0).error,
            "the response has neither expires_in nor a JWT exp claim");
}

// A token endpoint on loopback: answers each POST with `status` and `body`, or never when `silent`.
class token_endpoint {
 public:
  explicit token_endpoint(boost::asio::io_context& io) : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/token"; }

  http::status status = http::status::ok;
  std::string body;
  bool silent = false;
  std::vector<http::request<http::string_body>> requests;

 private:
  struct session {
    boost::asio::ip::tcp::socket socket;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec) return;
      auto sn = std::make_shared<session>(session{std::move(s), {}, {}, {}});
      http::async_read(sn->socket, sn->buffer, sn->request, [this, sn](boost::system::error_code ec, std::size_t) {
        if (ec) return;
        requests.push_back(sn->request);
        if (silent) return held_.push_back(sn);  // kept open, never answered
        sn->response = {status, 11};
        sn->response.set(http::field::content_type, "application/json");
        sn->response.body() = body;
        sn->response.prepare_payload();
        http::async_write(sn->socket, sn->response, [sn](boost::system::error_code, std::size_t) {});
      });
      accept();
    });
  }
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<session>> held_;
};

struct token_fetch_outcome {
  int calls = 0;
  oidc::token_result result;
};

class OidcTokenClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<oidc::token_client> client(std::chrono::milliseconds timeout = 5s) {
    return std::make_shared<oidc::token_client>(
        io.get_executor(), oidc::client_settings{endpoint.url(), "svc id", "s3cr:t", "kafka produce", timeout, nullptr});
  }
  token_fetch_outcome fetch(const std::shared_ptr<oidc::token_client>& c) {
    token_fetch_outcome out;
    c->fetch([&](oidc::token_result r) {
      ++out.calls;
      out.result = std::move(r);
    });
    EXPECT_TRUE(run_until(io, [&] { return out.calls > 0; }, 10s));
    run_for(io, 10ms);
    EXPECT_EQ(out.calls, 1);
    return out;
  }
  boost::asio::io_context io;
  token_endpoint endpoint{io};
};

TEST_F(OidcTokenClientTest, PostsTheClientCredentialsGrantAndReadsTheToken) {
  const auto token = fake_jwt(R"({"sub":"svc-1","exp":99999999999})");
  endpoint.body = R"({"access_token":")" + token + R"(","token_type":"bearer","expires_in":120})";
  auto out = fetch(client());
  ASSERT_EQ(out.result.error, "");
  EXPECT_EQ(out.result.token, token);
  EXPECT_EQ(out.result.lifetime, std::chrono::seconds(120));
  EXPECT_EQ(out.result.principal, "svc-1");
  ASSERT_EQ(endpoint.requests.size(), 1u);
  const auto& req = endpoint.requests[0];
  EXPECT_EQ(req.method(), http::verb::post);
  EXPECT_EQ(req.target(), "/token");
  EXPECT_EQ(req[http::field::content_type], "application/x-www-form-urlencoded");
  EXPECT_EQ(req[http::field::authorization], "Basic " + oidc::base64("svc+id:s3cr%3At"));
  EXPECT_EQ(req.body(), "grant_type=client_credentials&scope=kafka+produce");
}

TEST_F(OidcTokenClientTest, AnHttpErrorNamesTheUrlStatusAndBody) {
  endpoint.status = http::status::unauthorized;
  endpoint.body = R"({"error":"invalid_client"})";
  auto out = fetch(client());
  EXPECT_EQ(out.result.error,
            "OIDC token endpoint " + endpoint.url() + ": HTTP 401 Unauthorized: {\"error\":\"invalid_client\"}");
  EXPECT_TRUE(out.result.token.empty());
}

TEST_F(OidcTokenClientTest, AnEndpointThatNeverAnswersTimesOut) {
  endpoint.silent = true;
  auto out = fetch(client(300ms));
  EXPECT_EQ(out.result.error, "OIDC token endpoint " + endpoint.url() + ": timed out after 300 ms");
}

TEST_F(OidcTokenClientTest, ARefusedConnectionSaysSo) {
  auto c = std::make_shared<oidc::token_client>(
      io.get_executor(),
      oidc::client_settings{"http://127.0.0.1:" + std::to_string(closed_port(io)) + "/t", "a", "b", "", 5s, nullptr});
  auto out = fetch(c);
  EXPECT_THAT(out.result.error, HasSubstr(": cannot connect to 127.0.0.1:"));
}

TEST_F(OidcTokenClientTest, CancelEndsAFetchAtOnce) {
  endpoint.silent = true;
  auto c = client();
  token_fetch_outcome out;
  c->fetch([&](oidc::token_result r) {
    ++out.calls;
    out.result = std::move(r);
  });
  ASSERT_TRUE(run_until(io, [&] { return !endpoint.requests.empty(); }, 5s));
  c->cancel();
  EXPECT_EQ(out.calls, 1);
  EXPECT_THAT(out.result.error, HasSubstr(": cancelled"));
  run_for(io, 20ms);
  EXPECT_EQ(out.calls, 1);
}

class OidcProducerTest : public FakeBrokerTest {
 protected:
  void SetUp() override {
    fake_broker::options o;
    o.sasl = true;
    make_fake(o);
  }
  property_list oidc_properties() const {
    return {{"security.protocol", "SASL_PLAINTEXT"},
            {"sasl.mechanism", "OAUTHBEARER"},
            {"sasl.oauthbearer.token.endpoint.url", endpoint.url()},
            {"sasl.oauthbearer.client.id", "svc"},
            {"sasl.oauthbearer.client.secret", "secret"},
            {"sasl.oauthbearer.extensions", "logicalCluster=lkc-1"}};
  }
  token_endpoint endpoint{io};
};

TEST_F(OidcProducerTest, TheTokenIsFetchedOnceAndSentToTheBroker) {
  const auto token = fake_jwt(R"({"sub":"svc","exp":99999999999})");
  endpoint.body = R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":3600})";
  start(oidc_properties());
  for (int i = 0; i < 3; ++i) send("v" + std::to_string(i));
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
  expect_log_exactly(3);
  EXPECT_EQ(endpoint.requests.size(), 1u);
  ASSERT_FALSE(fake->sasl_tokens().empty());
  for (const auto& [session, message] : fake->sasl_tokens())
    EXPECT_EQ(message, "n,,\x01" "auth=Bearer " + token + "\x01logicalCluster=lkc-1\x01\x01");
  EXPECT_EQ(prod->metrics().oauthbearer_tokens, 1u);
}

TEST_F(OidcProducerTest, ARefusingEndpointFailsTheRecordsWithItsAnswerInTheLog) {
  endpoint.status = http::status::bad_request;
  endpoint.body = R"({"error":"invalid_scope"})";
  start(oidc_properties());
  send("v0");
  ASSERT_TRUE(all_completed());
  EXPECT_EQ(outcomes[0].ec, client_errc::authentication_failed);
  EXPECT_THAT(log_lines, testing::Contains(HasSubstr("OAUTHBEARER token unavailable: OIDC token endpoint " +
                                                     endpoint.url() + ": HTTP 400 Bad Request: {\"error\":\"invalid_scope\"}")));
  EXPECT_TRUE(fake->sasl_tokens().empty());
}

TEST_F(OidcProducerTest, DestroyingTheProducerDuringAFetchCompletesItsRecords) {
  endpoint.silent = true;
  start(oidc_properties());
  send("v0");
  ASSERT_TRUE(run_until(io, [&] { return !endpoint.requests.empty(); }, 5s));
  prod.reset();
  ASSERT_TRUE(all_completed(2s));
  EXPECT_EQ(outcomes[0].ec, std::errc::operation_canceled);
}

}  // namespace
}  // namespace kafkio::test
