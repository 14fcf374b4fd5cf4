// sasl.oauthbearer.method=oidc (KIP-768) against the real broker's OIDC listener: kafkio fetches its tokens over
// HTTPS from the test provider (scripts/lib/oidc_provider.py, client credentials, RS256 JWTs) and Kafka's
// OAuthBearerValidatorCallbackHandler checks their signatures against the provider's JWKS. Short tokens expire
// mid-run: the broker ends each session at its token's expiry (KIP-368), kafkio fetches a new token at 80 % of the
// lifetime and re-authenticates, and every record is read back exactly once.
#include "producer_fixture.hpp"

#include <chrono>
#include <fstream>
#include <string>

namespace kafkio::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

const std::string& oidc_bootstrap() {
  static const std::string b = trim(kafka_tool({"bootstrap", "--oidc"}));
  return b;
}
const std::string& token_url() {
  static const std::string u = trim(kafka_tool({"oidc-url"}));
  return u;
}
const std::string& tls_dir() {
  static const std::string d = trim(kafka_tool({"tls-dir"}));
  return d;
}
// Tokens the provider has issued so far (one line each).
std::size_t tokens_issued() {
  std::ifstream in(tls_dir() + "/oidc-tokens.log");
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

class producer_oidc_test : public producer_test {
 protected:
  std::unique_ptr<producer> make_oidc_producer(const std::string& url, const std::string& secret, bool trust_test_ca) {
    property_list props{{"security.protocol", "SASL_PLAINTEXT"},
                        {"sasl.mechanism", "OAUTHBEARER"},
                        {"sasl.oauthbearer.token.endpoint.url", url},
                        {"sasl.oauthbearer.client.id", "kafkio-client"},
                        {"sasl.oauthbearer.client.secret", secret},
                        {"sasl.oauthbearer.scope", "produce"}};
    if (trust_test_ca) props.push_back({"ssl.truststore.location", tls_dir() + "/ca.pem"});
    return make_logged_producer(oidc_bootstrap(), std::move(props));
  }
  std::string all_logged() const {
    std::string all;
    for (const auto& l : logged) all += l + "\n";
    return all;
  }
  void expect_all_failed_with_authentication_failed() {
    for (const auto& d : deliveries) {
      EXPECT_EQ(d.completions, 1);
      EXPECT_EQ(d.ec, client_errc::authentication_failed) << d.ec.message();
    }
  }
};

// Tokens of 4 s over 10 s of records: at least three fetched, sessions renewed on the same connections.
TEST_F(producer_oidc_test, TokensThatExpireMidRunAreRefreshedWithoutLosingOrDuplicatingARecord) {
  const auto topic = unique_topic("oidc");
  create_topic(topic, 2);
  const auto issued_before = tokens_issued();
  auto p = make_oidc_producer(token_url() + "?lifetime=4", "kafkio-client-secret", true);
  const auto start = steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    send(*p, {.topic = topic, .key = "k" + std::to_string(i % 5), .value = "oidc-" + std::to_string(i)});
    const auto until = steady_clock::now() + milliseconds(200);
    run_until(io, [&] { return steady_clock::now() >= until; }, seconds(5));
  }
  ASSERT_TRUE(wait_all());
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  expect_all_delivered();
  EXPECT_TRUE(logged.empty()) << all_logged();
  std::uint64_t renewed = 0;
  for (const auto& b : p->metrics().brokers) renewed += b.reauthentications;
  const auto fetched = tokens_issued() - issued_before;
  std::cout << "50 records over " << took.count() << " ms: " << fetched << " tokens fetched, " << renewed
            << " re-authentications\n";
  EXPECT_GE(fetched, 3u) << "4 s tokens over " << took.count() << " ms, refreshed at 3.2 s";
  EXPECT_EQ(p->metrics().oauthbearer_tokens, fetched);
  EXPECT_GE(renewed, 2u);
  verify_read_back(topic);
}

// The provider refuses the client: the records fail within seconds, the log has the endpoint's answer.
TEST_F(producer_oidc_test, AWrongClientSecretFailsTheRecordsWithTheEndpointsAnswer) {
  const auto topic = unique_topic("oidc-refused");
  create_topic(topic, 1);
  auto p = make_oidc_producer(token_url(), "wrong-secret", true);
  const auto start = steady_clock::now();
  for (int i = 0; i < 3; ++i) send(*p, {.topic = topic, .value = "never-" + std::to_string(i)});
  ASSERT_TRUE(wait_all(seconds(30)));
  EXPECT_LT(steady_clock::now() - start, seconds(10));
  expect_all_failed_with_authentication_failed();
  EXPECT_NE(all_logged().find("OIDC token endpoint " + token_url() + ": HTTP 401 Unauthorized: {\"error\": "
                              "\"invalid_client\"}"),
            std::string::npos)
      << all_logged();
}

// Without the test CA the provider's certificate is not trusted (the system's CAs are): the handshake fails and
// the log says why.
TEST_F(producer_oidc_test, AnUntrustedEndpointCertificateFailsTheRecordsAndSaysWhy) {
  const auto topic = unique_topic("oidc-untrusted");
  create_topic(topic, 1);
  auto p = make_oidc_producer(token_url(), "kafkio-client-secret", false);
  send(*p, {.topic = topic, .value = "never"});
  ASSERT_TRUE(wait_all(seconds(30)));
  expect_all_failed_with_authentication_failed();
  EXPECT_NE(all_logged().find("TLS handshake failed: certificate verify failed: unable to get local issuer certificate"),
            std::string::npos)
      << all_logged();
}

}  // namespace
}  // namespace kafkio::test
