// Batch splitting on the core: a batch the broker refuses as too large (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE)
// is split and resent instead of failing records that each fit (docs/producer.md, "Batches too large for the
// topic"). The fake cluster plays a topic whose max.message.bytes is below batch.size.
#include "core_test_support.hpp"

#include <set>

namespace kafkio::test {
namespace {

constexpr std::int16_t message_too_large = 10;
constexpr std::int16_t record_list_too_large = 18;

// The broker of a topic that takes at most `limit` bytes of values per batch.
void refuse_batches_over(core_harness& h, std::size_t limit, std::int16_t error = message_too_large) {
  h.cluster.produce_hook = [limit, error](const fake_produce_attempt& a) -> std::int16_t {
    std::size_t bytes = 0;
    for (const auto& r : a.records) bytes += r.value ? r.value->size() : 0;
    return bytes > limit ? error : 0;
  };
}

std::vector<std::string> values_of(const std::vector<fake_stored_record>& log) {
  std::vector<std::string> out;
  for (const auto& r : log) out.push_back(r.record.value.value_or("<null>"));
  return out;
}

TEST(CoreBatchSplit, ABatchTooLargeForTheTopicIsSplitUntilEachPartFitsAndKeepsItsSequences) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  refuse_batches_over(h, 200);  // 4 records of 50 B
  std::vector<core_harness::owned> burst;
  std::vector<std::string> sent;
  for (int i = 0; i < 16; ++i) {
    sent.push_back(std::string(49, 'a') + char('a' + i));
    burst.push_back(rec("t", 0, sent.back()));
  }
  auto ids = h.send_burst(burst);  // one turn: one batch of 16
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 5s));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_FALSE(h.result(ids[i]).error) << "record " << i << ": " << h.result(ids[i]).error.message();
    EXPECT_EQ(h.result(ids[i]).metadata.offset, static_cast<std::int64_t>(i + 1)) << "record " << i;
  }
  auto log = values_of(h.cluster.log("t", 0));
  ASSERT_EQ(log.size(), 17u) << "each record once (warm-up first)";
  EXPECT_EQ(std::vector<std::string>(log.begin() + 1, log.end()), sent) << "in the order sent";
  // 16 -> 8 + 8 -> 4 + 4 + 4 + 4: three splits, and every accepted part carries the sequences the refused batch had.
  EXPECT_EQ(h.core.metrics().batches_split, 3u);
  EXPECT_EQ(h.core.metrics().producer_id_resets, 0u) << "a split leaves no hole in the sequence";
  std::int32_t expected_sequence = 1;  // after the warm-up's 0
  std::set<std::int64_t> producer_ids;
  for (const auto& a : h.cluster.produce_attempts()) {
    producer_ids.insert(a.producer_id);
    if (a.error || a.base_sequence == 0) continue;
    EXPECT_EQ(a.base_sequence, expected_sequence);
    EXPECT_EQ(a.records.size(), 4u);
    expected_sequence += static_cast<std::int32_t>(a.records.size());
  }
  EXPECT_EQ(expected_sequence, 17);
  EXPECT_EQ(producer_ids.size(), 1u);
  bool logged = false;
  for (const auto& line : h.logs) logged = logged || line.find("split into batches of 8 and 8") != std::string::npos;
  EXPECT_TRUE(logged) << "the split is in the log";
}

TEST(CoreBatchSplit, OnlyTheRecordTooLargeOnItsOwnFailsAndTheOthersAreWritten) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  refuse_batches_over(h, 300, record_list_too_large);
  std::vector<core_harness::owned> burst;
  for (int i = 0; i < 7; ++i) burst.push_back(rec("t", 0, std::string(i == 3 ? 400 : 60, char('a' + i))));
  auto ids = h.send_burst(burst);
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 5s));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(h.done(ids[i]));
    if (i == 3) {
      EXPECT_EQ(h.result(ids[i]).error, make_error_code(kafka_errc::record_list_too_large));
    } else {
      EXPECT_FALSE(h.result(ids[i]).error) << "record " << i << ": " << h.result(ids[i]).error.message();
    }
  }
  auto log = values_of(h.cluster.log("t", 0));
  ASSERT_EQ(log.size(), 7u);  // warm-up + the six that fit, each once, in order
  for (std::size_t i = 1; i < log.size(); ++i) {
    const int sent_index = i <= 3 ? static_cast<int>(i) - 1 : static_cast<int>(i);
    EXPECT_EQ(log[i], std::string(60, char('a' + sent_index))) << "log entry " << i;
  }
  EXPECT_GE(h.core.metrics().batches_split, 2u);
  EXPECT_EQ(h.core.metrics().records_failed, 1u);
}

TEST(CoreBatchSplit, ASingleRecordTooLargeFailsWithTheBrokersErrorAndNothingIsSplit) {
  core_harness h({{"linger.ms", "0"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  refuse_batches_over(h, 100);
  auto id = h.send(rec("t", 0, std::string(500, 'x')));
  ASSERT_TRUE(h.advance_until([&] { return h.done(id); }, 2s));
  EXPECT_EQ(h.result(id).error, make_error_code(kafka_errc::message_too_large));
  EXPECT_EQ(h.core.metrics().batches_split, 0u);
}

TEST(CoreBatchSplit, WithoutIdempotenceASplitKeepsTheOrderToo) {
  core_harness h({{"linger.ms", "0"}, {"enable.idempotence", "false"}, {"acks", "1"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  refuse_batches_over(h, 100);
  std::vector<core_harness::owned> burst;
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(std::string(40, char('a' + i)));
    burst.push_back(rec("t", 0, sent.back()));
  }
  auto ids = h.send_burst(burst);
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 5s));
  for (auto id : ids) EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  auto log = values_of(h.cluster.log("t", 0));
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(log.begin() + 1, log.end()), sent);
  for (const auto& a : h.cluster.produce_attempts()) EXPECT_EQ(a.base_sequence, -1);
}

TEST(CoreBatchSplit, SplitPartsStillCompressAndKeepKeysHeadersAndTimestamps) {
  core_harness h({{"linger.ms", "0"}, {"compression.type", "lz4"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  refuse_batches_over(h, 100);
  std::vector<core_harness::owned> burst;
  for (int i = 0; i < 4; ++i)
    burst.push_back({"t", 0, "key-" + std::to_string(i), std::string(60, char('k' + i)),
                     {{"h", "v" + std::to_string(i)}, {"null", std::nullopt}}});
  auto ids = h.send_burst(burst);
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 5s));
  for (auto id : ids) ASSERT_FALSE(h.result(id).error) << h.result(id).error.message();
  const auto& log = h.cluster.log("t", 0);
  ASSERT_EQ(log.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    const auto& r = log[static_cast<std::size_t>(i) + 1].record;
    EXPECT_EQ(r.key, "key-" + std::to_string(i));
    EXPECT_EQ(r.value, std::string(60, char('k' + i)));
    EXPECT_EQ(r.timestamp, h.result(ids[static_cast<std::size_t>(i)]).metadata.timestamp_ms);
    using header_list = std::vector<std::pair<std::string, std::optional<std::string>>>;
    EXPECT_EQ(r.headers, (header_list{{"h", "v" + std::to_string(i)}, {"null", std::nullopt}}));
  }
  int written_parts = 0;
  for (const auto& a : h.cluster.produce_attempts()) {
    if (a.error || a.base_sequence == 0) continue;
    ++written_parts;
    EXPECT_EQ(a.codec, 3) << "a part of the split batch went uncompressed";
  }
  EXPECT_EQ(written_parts, 4);
}

// The batch behind the refused one was already in flight: the broker refuses it as out of order (the refused one
// was not written) and it is retried after the halves, in sequence order; nothing fails, nothing is written twice.
void split_with_the_next_batch_in_flight(core_harness& h, bool transactional) {
  h.cluster.create_topic("t", 1);
  if (transactional) {
    auto init = h.init_transactions();
    ASSERT_TRUE(h.advance_until([&] { return h.done(init); }, 5s));
    ASSERT_FALSE(h.result(init).error) << h.result(init).error.message();
    auto begin = h.begin_transaction();
    ASSERT_TRUE(h.advance_until([&] { return h.done(begin); }, 5s));
  }
  warm_up(h, "t");
  // Only the first batch after the warm-up is too large: the broker's limit sits between the two batches' sizes.
  h.cluster.produce_hook = [](const fake_produce_attempt& a) -> std::int16_t {
    return a.base_sequence == 1 && a.records.size() > 1 ? message_too_large : 0;
  };
  std::vector<core_harness::owned> burst;
  std::vector<std::string> sent;
  for (int i = 0; i < 7; ++i) {  // batch.size 300: batches of 3, 3 and 1 record(s) of 60 B
    sent.push_back(std::string(59, 'a') + char('a' + i));
    burst.push_back(rec("t", 0, sent.back()));
  }
  auto ids = h.send_burst(burst);
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 5s));
  for (std::size_t i = 0; i < ids.size(); ++i)
    EXPECT_FALSE(h.result(ids[i]).error) << "record " << i << ": " << h.result(ids[i]).error.message();
  bool next_refused_out_of_order = false;
  for (const auto& a : h.cluster.produce_attempts()) next_refused_out_of_order |= a.base_sequence > 1 && a.error == 45;
  EXPECT_TRUE(next_refused_out_of_order) << "the second batch was not in flight behind the first";
  if (transactional) {
    auto commit = h.commit_transaction();
    ASSERT_TRUE(h.advance_until([&] { return h.done(commit); }, 5s));
    EXPECT_FALSE(h.result(commit).error) << h.result(commit).error.message();
  }
  auto log = values_of(h.cluster.log("t", 0));
  ASSERT_EQ(log.size(), 8u);
  EXPECT_EQ(std::vector<std::string>(log.begin() + 1, log.end()), sent);
  EXPECT_EQ(h.core.metrics().batches_split, 1u);
  EXPECT_EQ(h.cluster.produce_attempts().back().producer_id, h.cluster.produce_attempts().front().producer_id)
      << "the split left no hole that a new producer id would have to mend";
}

TEST(CoreBatchSplit, TheNextBatchInFlightIsRetriedBehindTheHalves) {
  core_harness h({{"linger.ms", "0"}, {"batch.size", "300"}});
  split_with_the_next_batch_in_flight(h, false);
}

TEST(CoreBatchSplit, InATransactionTheNextBatchInFlightIsRetriedTooAndTheTransactionCommits) {
  core_harness h({{"linger.ms", "0"}, {"batch.size", "300"}, {"transactional.id", "tx"}});
  split_with_the_next_batch_in_flight(h, true);
}

TEST(CoreBatchSplit, ASplitDoesNotCountTowardRetries) {
  // 16 -> 8 -> 4 -> 2 -> 1: four splits deep, then one retriable refusal, with retries=1.
  core_harness h({{"linger.ms", "0"}, {"retries", "1"}});
  h.cluster.create_topic("t", 1);
  warm_up(h, "t");
  bool refused_once = false;
  h.cluster.produce_hook = [&refused_once](const fake_produce_attempt& a) -> std::int16_t {
    if (a.records.size() > 1) return message_too_large;
    if (!refused_once) return refused_once = true, std::int16_t{6};  // NOT_LEADER_OR_FOLLOWER
    return 0;
  };
  std::vector<core_harness::owned> burst;
  for (int i = 0; i < 16; ++i) burst.push_back(rec("t", 0, "r" + std::to_string(i)));
  auto ids = h.send_burst(burst);
  ASSERT_TRUE(h.advance_until([&] { return h.done(ids.back()); }, 10s));
  for (std::size_t i = 0; i < ids.size(); ++i)
    EXPECT_FALSE(h.result(ids[i]).error) << "record " << i << ": " << h.result(ids[i]).error.message();
  EXPECT_EQ(h.core.metrics().batches_split, 15u);
  EXPECT_EQ(h.cluster.log("t", 0).size(), 17u);
}

}  // namespace
}  // namespace kafkio::test
