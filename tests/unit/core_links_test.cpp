// Connections and metadata on the core with a virtual clock: bootstrap, connect timeouts, reconnect backoff,
// broken streams, metadata refresh, leader moves, topics that do not exist.
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

bool logged(const core_harness& h, std::string_view text) {
  for (const auto& l : h.logs)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

TEST(CoreBootstrap, ApiVersionsThenMetadataThenInitProducerIdThenProduce) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const auto& log = h.cluster.request_log();
  ASSERT_GE(log.size(), 5u);
  EXPECT_EQ(log[0], (std::pair<api_key, std::int16_t>{api_key::api_versions, 4}));
  EXPECT_EQ(log[1].first, api_key::metadata);
  EXPECT_EQ(log[1].second, 12);
  EXPECT_EQ(log[2].first, api_key::init_producer_id);
  EXPECT_EQ(log[3], (std::pair<api_key, std::int16_t>{api_key::api_versions, 4}));  // the leader's own connection
  EXPECT_EQ(log[4].first, api_key::produce);
}

TEST(CoreBootstrap, ABrokerWithoutApiVersionsV4IsAskedAgainAtItsHighestVersion) {
  core_harness::options o;
  o.cluster.api_versions_max = 2;
  core_harness h(o, {{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  EXPECT_EQ(h.cluster.request_log()[0], (std::pair<api_key, std::int16_t>{api_key::api_versions, 4}));
  EXPECT_EQ(h.cluster.request_log()[1], (std::pair<api_key, std::int16_t>{api_key::api_versions, 2}));
}

TEST(CoreBootstrap, TheNextBootstrapAddressIsTriedWhenOneIsDown) {
  core_harness::options o;
  o.cluster.nodes = 2;
  core_harness h(o, {{"linger.ms", "0"}});
  h.refuse_connections(1);
  auto c = h.connect();
  ASSERT_TRUE(h.advance_until([&] { return h.done(c); }, 1s));
  EXPECT_FALSE(h.result(c).error);
  ASSERT_GE(h.connection_attempts().size(), 2u);
  EXPECT_EQ(h.connection_attempts()[0].second, 1);
  EXPECT_EQ(h.connection_attempts()[1].second, 2);
}

TEST(CoreConnectTimeout, AConnectionThatNeverCompletesIsGivenUpAfterSocketConnectionSetupTimeout) {
  core_harness::options o;
  o.cluster.nodes = 2;
  core_harness h(o, {{"socket.connection.setup.timeout.ms", "200"}});
  h.hang_connections(1);
  auto c = h.connect();
  h.advance(199ms);
  EXPECT_EQ(h.connection_attempts().size(), 1u) << "gave up before the setup timeout";
  ASSERT_TRUE(h.advance_until([&] { return h.done(c); }, 1s));
  EXPECT_FALSE(h.result(c).error);
  EXPECT_TRUE(logged(h, "connection setup timed out"));
  EXPECT_EQ(h.connection_attempts()[1].first - h.connection_attempts()[0].first, 200ms);
}

TEST(CoreReconnect, AttemptsToADeadBrokerBackOffExponentiallyUpToTheMaximum) {
  core_harness h({{"reconnect.backoff.ms", "50"}, {"reconnect.backoff.max.ms", "400"}, {"max.block.ms", "5000"}});
  h.refuse_connections(1);
  h.connect();
  h.advance(3s);
  const auto& at = h.connection_attempts();
  ASSERT_GE(at.size(), 6u);
  for (std::size_t n = 1; n < at.size(); ++n) {
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(at[n].first - at[n - 1].first).count();
    double base = std::min(400.0, 50.0 * (1 << std::min<std::size_t>(n - 1, 10)));
    EXPECT_GE(gap, 0.8 * base) << "attempt " << n;  // +1 ms: the refusal's way back
    EXPECT_LE(gap, 1.2 * base + 2) << "attempt " << n;
  }
}

// A certificate refused (TLS) is final for what waits, like wrong SASL credentials: the records and connect() fail
// at once with the stream's error, not after max.block.ms; reconnects still back off.
TEST(CoreReconnect, AFinalConnectionFailureFailsWhatWaitsAtOnceAndBacksOff) {
  core_harness h({{"max.block.ms", "60000"}, {"reconnect.backoff.ms", "50"}, {"reconnect.backoff.max.ms", "400"}});
  h.reject_handshakes(1);
  auto c = h.connect();
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(c) && h.done(id); }, 100ms));
  EXPECT_EQ(h.result(c).error, std::errc::permission_denied);
  EXPECT_EQ(h.result(id).error, std::errc::permission_denied);
  EXPECT_TRUE(logged(h, "TLS handshake with broker1 failed: certificate verify failed"));
  h.advance(3s);
  EXPECT_LE(h.connection_attempts().size(), 12u) << "reconnects must back off";
  EXPECT_GE(h.connection_attempts().size(), 3u);
}

TEST(CoreBrokenStream, AWrongCorrelationIdDropsTheConnectionAndTheBatchIsRetried) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.inject(api_key::produce, fake_fault::wrong_correlation);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_TRUE(logged(h, "correlation"));
  EXPECT_EQ(h.cluster.log("t", 0).size(), 2u) << "the retry was written twice";
}

TEST(CoreBrokenStream, AnAbsurdFrameSizeDropsTheConnectionBeforeAnythingIsBuffered) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.inject(api_key::produce, fake_fault::absurd_length);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_TRUE(logged(h, "lost"));
}

TEST(CoreBrokenStream, AnUndecodableResponseDropsTheConnection) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int connections = h.connections_opened();
  h.cluster.inject(api_key::produce, fake_fault::garbage_body);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_GT(h.connections_opened(), connections);
  EXPECT_TRUE(logged(h, "undecodable Produce response"));
}

TEST(CoreMetadata, RefreshedEveryMetadataMaxAgeMs) {
  core_harness h({{"linger.ms", "0"}, {"metadata.max.age.ms", "1000"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  const int before = h.cluster.requests(api_key::metadata);
  h.advance(990ms);
  EXPECT_EQ(h.cluster.requests(api_key::metadata), before);
  h.advance(20ms);
  EXPECT_EQ(h.cluster.requests(api_key::metadata), before + 1);
}

TEST(CoreMetadata, ALeaderMoveIsFollowedWithoutLosingTheRecord) {
  core_harness::options o;
  o.cluster.nodes = 2;
  core_harness h(o, {{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1, 1);
  warm_up(h, "t");
  h.cluster.set_leader("t", 0, 2);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_FALSE(h.result(id).error);
  const auto& a = h.cluster.produce_attempts();
  EXPECT_EQ(a[a.size() - 2].error, 6);  // NOT_LEADER_OR_FOLLOWER from the old leader
  EXPECT_EQ(a.back().node, 2);
  EXPECT_EQ(h.cluster.log("t", 0).size(), 2u);  // the warm-up and this record, each once
}

TEST(CoreMetadata, AnUnknownTopicWaitsMaxBlockMsThenFails) {
  core_harness::options o;
  o.cluster.auto_create = false;
  core_harness h(o, {{"max.block.ms", "500"}});
  auto id = h.send(rec("missing", 0, "v"));
  h.advance(499ms);
  EXPECT_FALSE(h.done(id));
  h.advance(1ms);
  ASSERT_TRUE(h.done(id));
  EXPECT_EQ(h.result(id).error, client_errc::unknown_topic);
}

TEST(CoreMetadata, AnUnauthorizedTopicFailsAtOnce) {
  core_harness h({{"max.block.ms", "60000"}});
  h.cluster.set_topic_error("secret", 29);  // TOPIC_AUTHORIZATION_FAILED
  auto id = h.send(rec("secret", 0, "v"));
  h.advance(10ms);
  ASSERT_TRUE(h.done(id));
  EXPECT_EQ(h.result(id).error, kafka_errc::topic_authorization_failed);
}

TEST(CoreAcksZero, RecordsCompleteOnceWrittenWithoutAnOffset) {
  core_harness h({{"linger.ms", "0"}, {"acks", "0"}, {"enable.idempotence", "false"}});
  h.cluster.create_topic("t", 1);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 1s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_EQ(h.result(id).metadata.offset, -1);
  EXPECT_EQ(h.cluster.log("t", 0).size(), 1u);
}

}  // namespace
}  // namespace kafkio::test
