// Errors that say why (docs/producer.md, "Delivery semantics"): a record that gives up because its broker kept
// failing it names that failure, not "could not connect to any broker", and the log names the broker's address.
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

TEST(CoreErrors, RecordsWaitingForMetadataFromAMisbehavingBrokerSayHowItMisbehaved) {
  core_harness h({{"max.block.ms", "2000"}, {"delivery.timeout.ms", "2000"}, {"request.timeout.ms", "500"},
                  {"linger.ms", "0"}});
  h.cluster.inject(api_key::metadata, fake_fault::wrong_correlation, 1000);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 5s));
  const auto ec = h.result(id).error;
  EXPECT_NE(ec, client_errc::broker_connection_failed) << ec.message();
  EXPECT_TRUE(ec == client_errc::correlation_mismatch || ec == client_errc::delivery_timeout) << ec.message();
  if (ec == client_errc::correlation_mismatch) {  // no connection was up when the record gave up
    bool named = false;
    for (const auto& l : h.logs) named |= l.find("last broker failure broker1:9092") != std::string::npos;
    EXPECT_TRUE(named) << "no log line names the broker and the failure";
  }
}

TEST(CoreErrors, AnUnreachableBrokerStillSaysCouldNotConnect) {
  core_harness h({{"max.block.ms", "500"}, {"linger.ms", "0"}});
  h.refuse_connections(1);
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 5s));
  EXPECT_EQ(h.result(id).error, client_errc::broker_connection_failed);
}

TEST(CoreErrors, PartitionErrorsWithoutABrokerMessageAreLoggedAndCountedAsRetries) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  h.cluster.fail_produce({6, 6});  // NOT_LEADER_OR_FOLLOWER, no error_message
  const auto logs_before = h.logs.size();
  auto id = h.send(rec("t", 0, "v"));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 5s));
  EXPECT_FALSE(h.result(id).error);
  EXPECT_EQ(h.core.metrics().retries, 2u);
  int logged = 0;
  for (std::size_t i = logs_before; i < h.logs.size(); ++i)
    logged += h.logs[i].find("t-0: ") == 0 && h.logs[i].find("NOT_LEADER_OR_FOLLOWER") != std::string::npos;
  EXPECT_EQ(logged, 2);
}

}  // namespace
}  // namespace kafkio::test
