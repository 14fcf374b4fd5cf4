// Transactions on the core (core/transaction_manager.hpp), against the fake cluster's coordinator model: init,
// commit and abort as a read_committed reader sees them, transactions v1 (AddPartitionsToTxn) and v2 (KIP-890:
// implicit partitions, an epoch per transaction), offsets in a transaction, and the error split (retried,
// abortable, fatal) of docs/producer.md, "Transactions".
#include "core_test_support.hpp"

namespace kafkio::test {
namespace {

using core_harness_options = core_harness::options;

core_harness::options with_transaction_version(std::int16_t v, int nodes = 1) {
  core_harness::options o;
  o.cluster.transaction_version = v;
  o.cluster.nodes = nodes;
  return o;
}

property_list txn_props(std::initializer_list<std::pair<std::string, std::string>> extra = {}) {
  property_list p{{"transactional.id", "tx"}, {"linger.ms", "0"}};
  p.insert(p.end(), extra.begin(), extra.end());
  return p;
}

// Runs until `id` completed (or 10 s of virtual time) and returns its error.
std::error_code finish(core_harness& h, completion_id id, std::chrono::milliseconds limit = 10s) {
  EXPECT_TRUE(h.advance_until([&] { return h.done(id); }, limit)) << "operation " << id << " never completed";
  return h.done(id) ? h.result(id).error : make_error_code(client_errc::request_timeout);
}

void initialized(core_harness& h) {
  ASSERT_EQ(finish(h, h.init_transactions()), std::error_code{});
}

TEST(CoreTransactions, InitFindsTheCoordinatorAndTakesTheTransactionalIdsProducerId) {
  core_harness h(with_transaction_version(2), txn_props());
  initialized(h);
  EXPECT_EQ(h.cluster.requests(api_key::find_coordinator), 1);
  EXPECT_EQ(h.cluster.requests(api_key::init_producer_id), 1);
  const auto* t = h.cluster.transaction("tx");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->epoch, 0);
  EXPECT_EQ(h.result(h.init_transactions()).error, client_errc::transaction_state) << "a second init is refused";
}

TEST(CoreTransactions, RecordsOutsideATransactionAreRefused) {
  core_harness h(with_transaction_version(2), txn_props());
  h.cluster.create_topic("t", 1);
  auto before_init = h.send(rec("t", 0, "a"));
  EXPECT_EQ(h.result(before_init).error, client_errc::transaction_state);
  initialized(h);
  auto before_begin = h.send(rec("t", 0, "b"));
  EXPECT_EQ(h.result(before_begin).error, client_errc::transaction_state);
  EXPECT_EQ(h.result(h.commit_transaction()).error, client_errc::transaction_state);
  EXPECT_EQ(h.result(h.abort_transaction()).error, client_errc::transaction_state);
  EXPECT_TRUE(h.cluster.log("t", 0).empty());
}

TEST(CoreTransactions, V2CommitMakesEveryRecordVisibleAndTheNextTransactionHasTheNextEpoch) {
  core_harness h(with_transaction_version(2), txn_props());
  h.cluster.create_topic("t", 2);
  initialized(h);
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  auto a = h.send(rec("t", 0, "a")), b = h.send(rec("t", 1, "b")), c = h.send(rec("t", 0, "c"));
  auto commit = h.commit_transaction();
  ASSERT_EQ(finish(h, commit), std::error_code{});
  for (auto id : {a, b, c}) EXPECT_EQ(h.result(id).error, std::error_code{});
  EXPECT_EQ(h.cluster.committed_values("t", 0), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(h.cluster.committed_values("t", 1), (std::vector<std::string>{"b"}));
  EXPECT_EQ(h.cluster.requests(api_key::add_partitions_to_txn), 0) << "v2: the Produce request adds the partition";
  EXPECT_EQ(h.cluster.transactions_committed(), 1);
  for (const auto& [key, version] : h.cluster.request_log()) {
    if (key == api_key::produce) {
      EXPECT_EQ(version, 12);
    }
    if (key == api_key::end_txn) {
      EXPECT_EQ(version, 5);
    }
  }
  // The next transaction: EndTxn v5 bumped the epoch; sequences restart at 0.
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  auto d = h.send(rec("t", 0, "d"));
  ASSERT_EQ(finish(h, h.commit_transaction()), std::error_code{});
  EXPECT_EQ(h.result(d).error, std::error_code{});
  const auto& last = h.cluster.produce_attempts().back();
  EXPECT_EQ(last.producer_epoch, 1);
  EXPECT_EQ(last.base_sequence, 0);
  EXPECT_EQ(h.cluster.committed_values("t", 0), (std::vector<std::string>{"a", "c", "d"}));
}

TEST(CoreTransactions, V1AddsEachPartitionBeforeItsFirstBatch) {
  core_harness h(with_transaction_version(1), txn_props());
  h.cluster.create_topic("t", 2);
  initialized(h);
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
    auto a = h.send(rec("t", 0, "a")), b = h.send(rec("t", 1, "b"));
    ASSERT_EQ(finish(h, h.commit_transaction()), std::error_code{});
    EXPECT_EQ(h.result(a).error, std::error_code{});
    EXPECT_EQ(h.result(b).error, std::error_code{});
  }
  for (const auto& at : h.cluster.produce_attempts()) EXPECT_EQ(at.error, 0) << "a batch before its partition was added";
  EXPECT_GE(h.cluster.requests(api_key::add_partitions_to_txn), 2);
  EXPECT_EQ(h.cluster.committed_values("t", 0), (std::vector<std::string>{"a", "a"}));
  EXPECT_EQ(h.cluster.committed_values("t", 1), (std::vector<std::string>{"b", "b"}));
  for (const auto& [key, version] : h.cluster.request_log()) {
    if (key == api_key::produce) {
      EXPECT_LE(version, 11);
    }
    if (key == api_key::end_txn) {
      EXPECT_LE(version, 4);
    }
  }
  EXPECT_EQ(h.cluster.transaction("tx")->epoch, 0) << "v1 keeps the epoch across transactions";
}

TEST(CoreTransactions, AbortedRecordsAreNeverVisibleAndUnsentOnesFailAsAborted) {
  core_harness h(with_transaction_version(2), txn_props({{"linger.ms", "60000"}, {"batch.size", "1000000"}}));
  h.cluster.create_topic("t", 1);
  initialized(h);
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  auto written = h.send(rec("t", 0, "written"));
  ASSERT_EQ(finish(h, h.flush()), std::error_code{});
  EXPECT_EQ(h.result(written).error, std::error_code{});
  auto unsent = h.send(rec("t", 0, "unsent"));  // lingers: still queued when the abort comes
  ASSERT_EQ(finish(h, h.abort_transaction()), std::error_code{});
  EXPECT_EQ(h.result(unsent).error, client_errc::transaction_aborted);
  EXPECT_TRUE(h.cluster.committed_values("t", 0).empty());
  EXPECT_EQ(h.cluster.transactions_aborted(), 1);
  // The producer goes on with a new transaction.
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  auto next = h.send(rec("t", 0, "next"));
  ASSERT_EQ(finish(h, h.commit_transaction()), std::error_code{});
  EXPECT_EQ(h.result(next).error, std::error_code{});
  EXPECT_EQ(h.cluster.committed_values("t", 0), (std::vector<std::string>{"next"}));
  h.check_all_completed();
  EXPECT_TRUE(h.violations.empty());
}

TEST(CoreTransactions, CommitWaitsForEveryRecordOfTheTransaction) {
  core_harness h(with_transaction_version(2), txn_props());
  h.cluster.create_topic("t", 1);
  initialized(h);
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  h.cluster.hold_produce_responses();
  auto r = h.send(rec("t", 0, "v"));
  auto commit = h.commit_transaction();
  h.advance(500ms);
  EXPECT_FALSE(h.done(commit));
  EXPECT_EQ(h.cluster.requests(api_key::end_txn), 0) << "EndTxn before the record was acknowledged";
  h.cluster.release_produce_responses();
  ASSERT_EQ(finish(h, commit), std::error_code{});
  EXPECT_TRUE(h.done(r));
  EXPECT_LT(std::find(h.completion_order().begin(), h.completion_order().end(), r),
            std::find(h.completion_order().begin(), h.completion_order().end(), commit));
}

TEST(CoreTransactions, AFailedRecordMakesTheTransactionAbortableOnly) {
  core_harness h(with_transaction_version(2), txn_props());
  h.cluster.create_topic("t", 1);
  initialized(h);
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  h.cluster.fail_produce({29});  // TOPIC_AUTHORIZATION_FAILED: not retriable
  auto r = h.send(rec("t", 0, "v"));
  auto commit = h.commit_transaction();
  EXPECT_EQ(finish(h, commit), kafka_errc::topic_authorization_failed);
  EXPECT_EQ(h.result(r).error, kafka_errc::topic_authorization_failed);
  EXPECT_EQ(h.result(h.send(rec("t", 0, "w"))).error, kafka_errc::topic_authorization_failed)
      << "an abortable transaction takes no more records";
  ASSERT_EQ(finish(h, h.abort_transaction()), std::error_code{});
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  auto again = h.send(rec("t", 0, "again"));
  ASSERT_EQ(finish(h, h.commit_transaction()), std::error_code{});
  EXPECT_EQ(h.result(again).error, std::error_code{});
  EXPECT_EQ(h.cluster.committed_values("t", 0), (std::vector<std::string>{"again"}));
}

TEST(CoreTransactions, AFencedProducerFailsFatally) {
  core_harness h(with_transaction_version(2), txn_props());
  h.cluster.create_topic("t", 1);
  initialized(h);
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  auto first = h.send(rec("t", 0, "first"));
  ASSERT_EQ(finish(h, h.flush()), std::error_code{});
  h.cluster.fence("tx");  // another producer with the same transactional.id initialized
  auto second = h.send(rec("t", 0, "second"));
  auto commit = h.commit_transaction();
  EXPECT_EQ(finish(h, commit), kafka_errc::producer_fenced);
  EXPECT_EQ(h.result(first).error, std::error_code{});
  EXPECT_EQ(h.result(second).error, kafka_errc::producer_fenced);
  EXPECT_EQ(h.result(h.abort_transaction()).error, kafka_errc::producer_fenced) << "fatal: not even abort";
  EXPECT_EQ(h.result(h.begin_transaction()).error, kafka_errc::producer_fenced);
  EXPECT_TRUE(h.cluster.committed_values("t", 0).empty());
}

TEST(CoreTransactions, ConcurrentTransactionsAndACoordinatorMoveAreRetried) {
  core_harness h(with_transaction_version(2, 2), txn_props());
  h.cluster.create_topic("t", 1);
  h.cluster.fail_transactional(api_key::init_producer_id, {51, 14});  // CONCURRENT_TRANSACTIONS, LOAD_IN_PROGRESS
  initialized(h);
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  auto r = h.send(rec("t", 0, "v"));
  ASSERT_EQ(finish(h, h.flush()), std::error_code{});
  h.cluster.move_coordinator(2);
  h.cluster.fail_transactional(api_key::end_txn, {51});
  ASSERT_EQ(finish(h, h.commit_transaction()), std::error_code{});
  EXPECT_EQ(h.result(r).error, std::error_code{});
  EXPECT_EQ(h.cluster.requests(api_key::find_coordinator), 2) << "NOT_COORDINATOR: looked up again";
  EXPECT_EQ(h.cluster.committed_values("t", 0), (std::vector<std::string>{"v"}));
}

TEST(CoreTransactions, OffsetsCommitWithTheTransactionOnly) {
  core_harness h(with_transaction_version(2), txn_props());
  h.cluster.create_topic("t", 1);
  initialized(h);
  consumer_group_metadata group{"g", 3, "member-1", std::nullopt};
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  ASSERT_EQ(finish(h, h.send_offsets_to_transaction({{"in", 0, 42, std::nullopt, -1}}, group)), std::error_code{});
  ASSERT_EQ(finish(h, h.abort_transaction()), std::error_code{});
  EXPECT_FALSE(h.cluster.committed_offset("g", "in", 0)) << "aborted with its transaction";
  ASSERT_EQ(finish(h, h.begin_transaction()), std::error_code{});
  h.send(rec("t", 0, "out"));
  ASSERT_EQ(finish(h, h.send_offsets_to_transaction({{"in", 0, 43, std::nullopt, -1}}, group)), std::error_code{});
  ASSERT_EQ(finish(h, h.commit_transaction()), std::error_code{});
  EXPECT_EQ(h.cluster.committed_offset("g", "in", 0), 43);
  EXPECT_EQ(h.cluster.requests(api_key::add_offsets_to_txn), 2);
  EXPECT_EQ(h.cluster.requests(api_key::txn_offset_commit), 2);
}

TEST(CoreTransactions, InitGivesUpAfterMaxBlockAndASecondCallWaitsForTheSameWork) {
  core_harness h(with_transaction_version(2), txn_props({{"max.block.ms", "1000"}, {"retry.backoff.ms", "100"}}));
  h.cluster.fail_transactional(api_key::find_coordinator, {15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15});
  auto first = h.init_transactions();
  EXPECT_EQ(finish(h, first), client_errc::transaction_timeout);
  auto second = h.init_transactions();
  EXPECT_EQ(finish(h, second), std::error_code{});
  EXPECT_EQ(h.cluster.requests(api_key::init_producer_id), 1);
}

TEST(CoreTransactions, AProducerWithoutTransactionalIdRefusesTransactionalCalls) {
  core_harness h({{"linger.ms", "0"}});
  EXPECT_EQ(h.result(h.init_transactions()).error, client_errc::transaction_state);
  EXPECT_EQ(h.result(h.begin_transaction()).error, client_errc::transaction_state);
}

TEST(CoreTransactions, ConfigRequiresIdempotence) {
  auto r = producer_config::parse({{"bootstrap.servers", "b:9092"}, {"transactional.id", "tx"}, {"acks", "1"}});
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("transactional.id"), std::string::npos) << r.message;
  auto ok = producer_config::parse({{"bootstrap.servers", "b:9092"}, {"transactional.id", "tx"},
                                    {"transaction.timeout.ms", "5000"}});
  ASSERT_TRUE(ok) << ok.message;
  EXPECT_EQ(ok.config.transaction_timeout, std::chrono::milliseconds(5000));
  EXPECT_TRUE(ok.config.idempotence_enabled());
}

}  // namespace
}  // namespace kafkio::test
