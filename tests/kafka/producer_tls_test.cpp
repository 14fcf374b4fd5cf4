// kafkio over TLS against the real broker's TLS listeners (label kafka; scripts/kafka's single node: SSL,
// SASL_SSL with PLAIN and SCRAM, MTLS requiring a client certificate; the CA and certificates are made by
// scripts/kafka in its state folder). Records sent over each listener are read back with Kafka's ConsoleConsumer
// and compared. Then each way TLS can go wrong, with the text the user gets asserted: an untrusted CA, an expired
// certificate, a wrong host name, a missing client certificate, TLS against a plaintext port and the reverse, bad
// SASL credentials over TLS, and a handshake that stalls. The expired certificate and the stalled handshake come
// from small servers of the test's own (OpenSSL through Asio on a thread of their own; a TCP listener that never
// answers), which also count connection attempts: a failure must back off, not storm.
#include "producer_fixture.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace kafkio::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
namespace asio = boost::asio;

std::string listener(const char* flag) { return trim(kafka_tool({"bootstrap", flag})); }
std::string tls_file(const std::string& name) {
  static const std::string dir = trim(kafka_tool({"tls-dir"}));
  return dir + "/" + name;
}
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A listener on 127.0.0.1 of the test's own, served on its own thread. With a certificate it is a TLS server that
// handshakes (and then holds the connection); without, it accepts and never says a word. Counts connections.
class test_server {
 public:
  explicit test_server(std::string cert = {}, std::string key = {})
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), tls_(!cert.empty()) {
    if (tls_) {
      ctx_.use_certificate_chain_file(cert);
      ctx_.use_private_key_file(key, asio::ssl::context::pem);
    }
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~test_server() {
    io_.stop();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_.load(); }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      ++connections_;
      if (tls_) {
        auto stream = std::make_shared<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(s), ctx_);
        stream->async_handshake(asio::ssl::stream_base::server, [stream, this](boost::system::error_code) {
          held_tls_.push_back(stream);
        });
      } else {
        held_.push_back(std::move(s));  // never read: the client's ClientHello goes unanswered
      }
      accept();
    });
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  bool tls_;
  asio::ssl::context ctx_{asio::ssl::context::tls_server};
  std::vector<asio::ip::tcp::socket> held_;
  std::vector<std::shared_ptr<asio::ssl::stream<asio::ip::tcp::socket>>> held_tls_;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

class producer_tls_test : public producer_test {
 protected:
  std::unique_ptr<producer> make_tls_producer(const std::string& servers, property_list props) {
    return make_logged_producer(servers, std::move(props));
  }
  bool logged_line_with(std::initializer_list<std::string> parts) const {
    for (const auto& line : logged) {
      bool all = true;
      for (const auto& part : parts) all = all && lowered(line).find(lowered(part)) != std::string::npos;
      if (all) return true;
    }
    return false;
  }
  std::string log_text() const {
    std::string all;
    for (const auto& line : logged) all += "\n  " + line;
    return all;
  }

  // Sends `n` records to a fresh topic and waits for all their completions (at most `limit`); returns how long.
  milliseconds send_and_wait(producer& p, std::size_t n, seconds limit) {
    const auto topic = unique_topic("tls-fail");
    const auto start = steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) send(p, {.topic = topic, .value = "never-" + std::to_string(i)});
    EXPECT_TRUE(wait_all(limit)) << "records still waiting after " << limit.count() << " s";
    return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  }
  void expect_all_failed(std::optional<std::error_code> with = std::nullopt) {
    for (std::size_t i = 0; i < deliveries.size(); ++i) {
      EXPECT_EQ(deliveries[i].completions, 1) << "record " << i;
      EXPECT_TRUE(deliveries[i].ec) << "record " << i << " was delivered";
      if (with) {
        EXPECT_EQ(deliveries[i].ec, *with) << "record " << i << ": " << deliveries[i].ec.message();
      }
    }
  }

};

// ---- records over every TLS listener, read back -----------------------------------------------------------------

struct listener_case {
  const char* name;
  const char* flag;  // scripts/kafka bootstrap --flag
  property_list (*props)();
};

const listener_case listener_cases[] = {
    {"SSL", "--ssl",
     [] { return property_list{{"security.protocol", "SSL"}, {"ssl.truststore.location", tls_file("ca.pem")}}; }},
    {"SSL_inline_ca_librdkafka_names", "--ssl",
     [] { return property_list{{"security.protocol", "ssl"}, {"ssl.ca.pem", read_file(tls_file("ca.pem"))}}; }},
    {"SASL_SSL_PLAIN", "--sasl-ssl",
     [] {
       return property_list{{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"},
                            {"sasl.username", "alice"},      {"sasl.password", "alice-secret"},
                            {"ssl.ca.location", tls_file("ca.pem")}};
     }},
    {"SASL_SSL_SCRAM_SHA_256", "--sasl-ssl",
     [] {
       return property_list{{"security.protocol", "SASL_SSL"}, {"sasl.mechanisms", "SCRAM-SHA-256"},
                            {"sasl.username", "alice"},      {"sasl.password", "alice-secret"},
                            {"ssl.ca.location", tls_file("ca.pem")}};
     }},
    {"SASL_SSL_SCRAM_SHA_512", "--sasl-ssl",
     [] {
       return property_list{{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"},
                            {"sasl.username", "alice"},      {"sasl.password", "alice-secret"},
                            {"ssl.truststore.location", tls_file("ca.pem")}};
     }},
    {"MTLS_files", "--mtls",
     [] {
       return property_list{{"security.protocol", "SSL"},
                            {"ssl.ca.location", tls_file("ca.pem")},
                            {"ssl.certificate.location", tls_file("client.pem")},
                            {"ssl.key.location", tls_file("client.key")}};
     }},
    {"MTLS_inline_encrypted_key", "--mtls",
     [] {
       return property_list{{"security.protocol", "SSL"},
                            {"ssl.truststore.type", "PEM"},
                            {"ssl.truststore.certificates", read_file(tls_file("ca.pem"))},
                            {"ssl.keystore.type", "PEM"},
                            {"ssl.keystore.certificate.chain", read_file(tls_file("client.pem"))},
                            {"ssl.keystore.key", read_file(tls_file("client-encrypted.key"))},
                            {"ssl.key.password", "client-key-secret"}};
     }},
};

class producer_tls_listener_test : public producer_tls_test, public ::testing::WithParamInterface<listener_case> {};

TEST_P(producer_tls_listener_test, RecordsAreReadBack) {
  const auto topic = unique_topic(std::string("tls-") + GetParam().name);
  create_topic(topic, 2);
  auto p = make_tls_producer(listener(GetParam().flag), GetParam().props());
  for (std::size_t i = 0; i < 300; ++i)
    send(*p, {.topic = topic,
              .key = "k" + std::to_string(i % 7),
              .value = std::string(GetParam().name) + "-" + std::to_string(i) + std::string(i % 50, 'x'),
              .headers = {{"listener", GetParam().name}}});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  EXPECT_TRUE(logged.empty()) << log_text();
  verify_read_back(topic);
}

INSTANTIATE_TEST_SUITE_P(Listeners, producer_tls_listener_test, ::testing::ValuesIn(listener_cases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- what goes wrong, and what the user is told -------------------------------------------------------------------

// Certificates refused are final for the records waiting (like wrong SASL credentials): they fail within seconds,
// not after max.block.ms (60 s here).
TEST_F(producer_tls_test, UntrustedCaFailsTheRecordsAtOnce) {
  const auto address = listener("--ssl");
  auto p = make_tls_producer(address, {{"security.protocol", "SSL"},
                                       {"ssl.ca.location", tls_file("other-ca.pem")},
                                       {"max.block.ms", "60000"}});
  auto took = send_and_wait(*p, 5, seconds(30));
  EXPECT_LT(took, seconds(10));
  expect_all_failed();
  EXPECT_NE(deliveries[0].ec.message().find("certificate verify failed"), std::string::npos)
      << deliveries[0].ec.message();
  EXPECT_TRUE(logged_line_with({"TLS handshake with " + address + " failed: certificate verify failed"}))
      << log_text();
}

TEST_F(producer_tls_test, ExpiredCertificateIsNamedAndRetriesBackOff) {
  test_server server(tls_file("expired.pem"), tls_file("expired.key"));
  auto p = make_tls_producer(server.address(), {{"security.protocol", "SSL"},
                                                {"ssl.ca.location", tls_file("ca.pem")},
                                                {"max.block.ms", "60000"}});
  auto took = send_and_wait(*p, 5, seconds(30));
  EXPECT_LT(took, seconds(10));
  expect_all_failed();
  EXPECT_TRUE(logged_line_with({"TLS handshake with " + server.address() + " failed", "certificate has expired"}))
      << log_text();
  // The producer keeps trying for metadata, with reconnect.backoff.ms (50) doubling to reconnect.backoff.max.ms
  // (1000): about 6 attempts in 3 s, not hundreds.
  const int before = server.connections();
  run_until(io, [] { return false; }, seconds(3));
  const int attempts = server.connections() - before;
  std::cout << "connection attempts in 3 s after the failure: " << attempts << "\n";
  EXPECT_LE(attempts, 8);
}

TEST_F(producer_tls_test, WrongHostNameIsRefusedUnlessIdentificationIsOff) {
  // The broker's certificate names IP 127.0.0.1 only; "localhost" reaches the same listener.
  const auto address = "localhost:" + listener("--ssl").substr(listener("--ssl").rfind(':') + 1);
  {
    auto p = make_tls_producer(address, {{"security.protocol", "SSL"}, {"ssl.ca.location", tls_file("ca.pem")}});
    send_and_wait(*p, 3, seconds(30));
    expect_all_failed();
    EXPECT_TRUE(logged_line_with({"TLS handshake with " + address + " failed", "hostname mismatch"})) << log_text();
  }
  // With the check off the bootstrap connection succeeds, and the broker's advertised 127.0.0.1 is used after.
  sent.clear(), deliveries.clear(), completed = 0, logged.clear();
  const auto topic = unique_topic("tls-no-host-check");
  create_topic(topic, 1);
  auto p = make_tls_producer(address, {{"security.protocol", "SSL"},
                                       {"ssl.ca.location", tls_file("ca.pem")},
                                       {"ssl.endpoint.identification.algorithm", ""}});
  for (int i = 0; i < 20; ++i) send(*p, {.topic = topic, .value = "v" + std::to_string(i)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  verify_read_back(topic);
}

TEST_F(producer_tls_test, MissingClientCertificateOnTheMutualTlsListener) {
  const auto address = listener("--mtls");
  auto p = make_tls_producer(address, {{"security.protocol", "SSL"},
                                       {"ssl.ca.location", tls_file("ca.pem")},
                                       {"max.block.ms", "60000"}});
  auto took = send_and_wait(*p, 5, seconds(30));
  EXPECT_LT(took, seconds(10));
  expect_all_failed();
  // TLS 1.3: the broker's alert arrives after the client's side of the handshake is done.
  EXPECT_TRUE(logged_line_with({"TLS ", address + " failed", "alert"})) << log_text();
}

TEST_F(producer_tls_test, TlsClientAgainstAPlaintextPort) {
  const auto address = bootstrap();
  auto p = make_tls_producer(address, {{"security.protocol", "SSL"},
                                       {"ssl.ca.location", tls_file("ca.pem")},
                                       {"max.block.ms", "3000"}});
  auto took = send_and_wait(*p, 3, seconds(30));
  EXPECT_LT(took, seconds(8));
  expect_all_failed(make_error_code(client_errc::broker_connection_failed));
  EXPECT_TRUE(logged_line_with({"TLS handshake with " + address + " failed", "a TLS listener?"})) << log_text();
}

TEST_F(producer_tls_test, PlaintextClientAgainstATlsPort) {
  const auto address = listener("--ssl");
  auto p = make_tls_producer(address, {{"max.block.ms", "3000"}});
  auto took = send_and_wait(*p, 3, seconds(30));
  EXPECT_LT(took, seconds(8));
  // The listener answers the plaintext ApiVersions request with a TLS alert record, whose first four bytes read as
  // a frame size of ~350 MB: the records fail with that cause (the last failure of a connection that was up).
  expect_all_failed(make_error_code(client_errc::frame_too_large));
  EXPECT_TRUE(logged_line_with({"connection to " + address + " lost", "does security.protocol match"})) << log_text();
}

TEST_F(producer_tls_test, BadSaslCredentialsOverTls) {
  const auto address = listener("--sasl-ssl");
  auto p = make_tls_producer(address, {{"security.protocol", "SASL_SSL"},
                                       {"sasl.mechanism", "SCRAM-SHA-256"},
                                       {"sasl.username", "alice"},
                                       {"sasl.password", "not-alice-secret"},
                                       {"ssl.ca.location", tls_file("ca.pem")},
                                       {"max.block.ms", "60000"}});
  auto took = send_and_wait(*p, 5, seconds(30));
  EXPECT_LT(took, seconds(10));
  for (const auto& d : deliveries) EXPECT_EQ(d.ec, client_errc::authentication_failed) << d.ec.message();
  EXPECT_TRUE(logged_line_with({"SASL authentication with " + address + " failed"})) << log_text();
}

// The peer accepts TCP and never answers the ClientHello: socket.connection.setup.timeout.ms ends each attempt,
// the records fail at max.block.ms, and attempts are spaced by the reconnect backoff.
TEST_F(producer_tls_test, StalledHandshakeTimesOut) {
  test_server server;
  auto p = make_tls_producer(server.address(), {{"security.protocol", "SSL"},
                                                {"ssl.ca.location", tls_file("ca.pem")},
                                                {"socket.connection.setup.timeout.ms", "500"},
                                                {"max.block.ms", "3000"}});
  auto took = send_and_wait(*p, 3, seconds(30));
  std::cout << "stalled handshake: records failed after " << took.count() << " ms, " << server.connections()
            << " connection attempts\n";
  EXPECT_GE(took, milliseconds(2900));
  EXPECT_LT(took, seconds(6));
  expect_all_failed(make_error_code(client_errc::broker_connection_failed));
  EXPECT_TRUE(logged_line_with({"connection to " + server.address() + " lost", "connection setup timed out"}))
      << log_text();
  EXPECT_GE(server.connections(), 2);
  EXPECT_LE(server.connections(), 6);
}

// ---- the loop during a burst of handshakes ---------------------------------------------------------------------

// A 1 ms periodic timer on the io_context; lateness = when it ran - when it was due (wall clock: reported, not
// asserted, since preemption by other processes on the machine counts too).
class lateness_probe {
 public:
  explicit lateness_probe(asio::io_context& io) : timer_(io) {}
  void start() {
    due_ = steady_clock::now() + milliseconds(1);
    arm();
  }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }
  std::int64_t quantile_us(double q) const {
    auto s = samples_us_;
    std::sort(s.begin(), s.end());
    return s.empty() ? 0 : s[static_cast<std::size_t>(q * static_cast<double>(s.size() - 1))];
  }
  std::size_t samples() const { return samples_us_.size(); }

 private:
  void arm() {
    timer_.expires_at(due_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      auto now = steady_clock::now();
      samples_us_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - due_).count());
      due_ = std::max(due_ + milliseconds(1), now);
      arm();
    });
  }
  asio::steady_timer timer_;
  steady_clock::time_point due_;
  bool stopped_ = false;
  std::vector<std::int64_t> samples_us_;
};

// 50 producers on one loop connect at once (a handshake to the bootstrap address and one to the leader each, 100
// in all, with SASL_SSL's SCRAM on top for the second run), one record each; every record must arrive.
TEST_F(producer_tls_test, LoopLatenessDuringABurstOfFiftyHandshakes) {
  const auto topic = unique_topic("tls-burst");
  create_topic(topic, 1);
  struct burst {
    const char* name;
    std::string servers;
    property_list props;
  };
  const burst bursts[] = {
      {"PLAINTEXT", bootstrap(), {}},
      {"SSL", listener("--ssl"), {{"security.protocol", "SSL"}, {"ssl.ca.location", tls_file("ca.pem")}}},
      {"SASL_SSL SCRAM-SHA-512", listener("--sasl-ssl"),
       {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"}, {"sasl.username", "alice"},
        {"sasl.password", "alice-secret"}, {"ssl.ca.location", tls_file("ca.pem")}}},
  };
  for (const auto& b : bursts) {
    std::vector<std::unique_ptr<producer>> producers;
    for (int i = 0; i < 50; ++i) producers.push_back(make_tls_producer(b.servers, b.props));  // certificates read here
    lateness_probe probe(io);
    probe.start();
    const auto start = steady_clock::now();
    const auto first = sent.size();
    for (auto& p : producers) send(*p, {.topic = topic, .value = std::string(b.name) + "-" + std::to_string(sent.size())});
    ASSERT_TRUE(wait_all());
    const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
    probe.stop();
    std::cout << b.name << ": 50 producers connected and delivered in " << took.count()
              << " ms; 1 ms timer lateness over " << probe.samples() << " samples: p50 " << probe.quantile_us(0.5)
              << " us, p99 " << probe.quantile_us(0.99) << " us, worst " << probe.quantile_us(1.0) << " us\n";
    for (std::size_t i = first; i < sent.size(); ++i) EXPECT_FALSE(deliveries[i].ec) << deliveries[i].ec.message();
    producers.clear();
    run_until(io, [] { return false; }, milliseconds(200));  // let the closed producers' handlers finish
  }
  expect_all_delivered();
  EXPECT_TRUE(logged.empty()) << log_text();
  verify_read_back(topic, {.per_partition_order = false});  // 50 producers: no order between them
}

// Certificates are read when the producer is constructed; a bad one is a configuration error naming the property.
TEST_F(producer_tls_test, UnreadableCertificatesFailTheConstructor) {
  auto construct = [&](property_list props) -> std::string {
    props.insert(props.begin(), {"bootstrap.servers", "127.0.0.1:1"});
    try {
      producer p(io.get_executor(), producer_config::parse(props));
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), client_errc::invalid_config);
      return e.what();
    }
    return "constructed";
  };
  auto missing = construct({{"security.protocol", "SSL"}, {"ssl.ca.location", "/nonexistent/ca.pem"}});
  EXPECT_NE(missing.find("ssl.truststore.location '/nonexistent/ca.pem'"), std::string::npos) << missing;
  auto wrong_password = construct({{"security.protocol", "SSL"},
                                   {"ssl.ca.location", tls_file("ca.pem")},
                                   {"ssl.certificate.location", tls_file("client.pem")},
                                   {"ssl.key.location", tls_file("client-encrypted.key")},
                                   {"ssl.key.password", "wrong"}});
  EXPECT_NE(wrong_password.find("ssl.key.location"), std::string::npos) << wrong_password;
  EXPECT_NE(wrong_password.find("ssl.key.password is wrong"), std::string::npos) << wrong_password;
  auto mismatched = construct({{"security.protocol", "SSL"},
                               {"ssl.certificate.location", tls_file("client.pem")},
                               {"ssl.key.location", tls_file("broker.key")}});
  EXPECT_NE(mismatched.find("ssl.key.location"), std::string::npos) << mismatched;
  EXPECT_NE(mismatched.find("key values mismatch"), std::string::npos) << mismatched;  // OpenSSL's words
  EXPECT_EQ(construct({{"security.protocol", "SSL"}}), "constructed");  // the system's CA store
}

}  // namespace
}  // namespace kafkio::test
