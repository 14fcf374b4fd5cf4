// The producer's delivery contract against a real single-node Kafka (label kafka): acks and idempotence, errors
// that fail one record while its neighbours succeed (partition out of range, invalid topic, oversized records),
// flush, close, try_send, and destruction with records pending. Read back with Kafka's ConsoleConsumer.
#include "producer_fixture.hpp"

#include <boost/asio/post.hpp>

#include <functional>

namespace kafkio::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::string payload(std::size_t i, std::size_t size = 100) {
  std::string v = "record-" + std::to_string(i) + "-";
  v.resize(std::max(size, v.size()), '.');
  return v;
}

// Incompressible printable bytes.
std::string noise(std::size_t size, std::uint32_t seed) {
  std::string s;
  s.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    seed = seed * 1103515245u + 12345u;
    s.push_back(static_cast<char>('!' + (seed >> 16) % 90));
  }
  return s;
}

struct acks_case {
  const char* acks;
  const char* idempotence;
};

void PrintTo(const acks_case& c, std::ostream* os) { *os << "acks=" << c.acks << " idempotence=" << c.idempotence; }

class producer_acks_test : public producer_test, public ::testing::WithParamInterface<acks_case> {};

TEST_P(producer_acks_test, EveryRecordArrives) {
  const auto [acks, idempotence] = GetParam();
  const auto topic = unique_topic(std::string("acks-") + acks);
  create_topic(topic, 3);
  auto p = make_producer({{"acks", acks}, {"enable.idempotence", idempotence}});
  EXPECT_EQ(p->config().idempotence_enabled(), std::string_view(idempotence) == "true");
  for (std::size_t i = 0; i < 500; ++i)
    send(*p, {.topic = topic, .key = "k" + std::to_string(i % 10), .value = payload(i)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  const bool no_acks = std::string_view(acks) == "0";
  verify_read_back(topic, {.offsets_known = !no_acks, .per_partition_order = !no_acks});
}

INSTANTIATE_TEST_SUITE_P(Acks, producer_acks_test,
                         ::testing::Values(acks_case{"0", "false"}, acks_case{"1", "false"}, acks_case{"all", "false"},
                                           acks_case{"all", "true"}),
                         [](const auto& info) {
                           return std::string(info.param.acks) + "_idempotence_" + info.param.idempotence;
                         });

TEST_F(producer_test, IdempotenceNeedsAcksAll) {
  auto r = producer_config::parse({{"bootstrap.servers", bootstrap()}, {"acks", "1"}, {"enable.idempotence", "true"}});
  EXPECT_EQ(r.error, client_errc::invalid_config);
  EXPECT_NE(r.message.find("acks=all"), std::string::npos) << r.message;
}

// Topics that do not exist are created by the broker (auto.create.topics.enable=true, scripts/kafka's default).
TEST_F(producer_test, AutoCreatedTopic) {
  const auto topic = unique_topic("autocreate");
  auto p = make_producer();
  for (std::size_t i = 0; i < 20; ++i) send(*p, {.topic = topic, .value = payload(i)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  verify_read_back(topic);
}

TEST_F(producer_test, PartitionOutOfRangeFailsAlone) {
  const auto topic = unique_topic("range");
  create_topic(topic, 3);
  auto p = make_producer();
  // Twice: first while the topic's metadata is still unknown (the records wait for it), then with metadata known.
  for (int round = 0; round < 2; ++round) {
    const auto first = sent.size();
    for (std::int32_t partition : {0, 3, 2, -1, 1000, 1})
      send(*p, {.topic = topic, .partition = partition, .value = payload(sent.size())});
    ASSERT_TRUE(wait_all());
    for (std::size_t i = first; i < sent.size(); ++i) {
      const auto partition = *sent[i].partition;
      EXPECT_EQ(deliveries[i].completions, 1);
      if (partition >= 0 && partition < 3) {
        EXPECT_FALSE(deliveries[i].ec) << deliveries[i].ec.message();
      } else {
        EXPECT_EQ(deliveries[i].ec, client_errc::unknown_partition) << "partition " << partition << ": "
                                                                    << deliveries[i].ec.message();
      }
    }
  }
  verify_read_back(topic);
}

// An illegal topic name (Kafka's rule, kafkio/topic_name.hpp) is refused by async_send itself with
// invalid_topic_name: no Metadata request, no wait. max.block.ms is 10 s here, so a record that instead waited for
// metadata and timed out (the broker answers INVALID_TOPIC_EXCEPTION, or unknown_topic after max.block.ms) could
// not pass the 1 s bound nor the error check. A record for a valid topic sent between them is delivered.
TEST_F(producer_test, InvalidTopicNameRefusedAtOnce) {
  const auto good = unique_topic("valid-neighbour");
  create_topic(good, 1);
  auto p = make_producer({{"max.block.ms", "10000"}});
  const std::vector<std::string> illegal{"kafkio ptest: illegal/name!", std::string(250, 'x'), "", ".", "..",
                                         "kafkio-ptest-ünïcode"};
  std::vector<steady_clock::duration> took(illegal.size());
  for (std::size_t i = 0; i < illegal.size(); ++i) {
    const auto began = steady_clock::now();
    sent.push_back({.topic = illegal[i], .value = "never"});
    deliveries.emplace_back();
    record_view v(sent.back());
    p->async_send(v.get(), [&, i, began](std::error_code ec, record_metadata md) {
      took[i] = steady_clock::now() - began;
      deliveries[i] = {deliveries[i].completions + 1, ec, std::move(md)};
      ++completed;
    });
  }
  ASSERT_TRUE(wait_all(seconds(30)));
  EXPECT_EQ(p->metrics().metadata_requests, 0u) << "an illegal name went to the broker";
  for (std::size_t i = 0; i < illegal.size(); ++i) {
    EXPECT_EQ(deliveries[i].completions, 1);
    EXPECT_EQ(deliveries[i].ec, client_errc::invalid_topic_name)
        << "'" << illegal[i] << "': " << deliveries[i].ec.message();
    EXPECT_NE(deliveries[i].ec.message().find("invalid topic name"), std::string::npos) << deliveries[i].ec.message();
    EXPECT_LT(took[i], seconds(1)) << "'" << illegal[i] << "' waited instead of being refused at once";
  }
  std::cout << "illegal topic names refused with: " << deliveries[0].ec.message() << "\n";
  send(*p, {.topic = good, .value = "fine"});
  send(*p, {.topic = "kafkio ptest: after the good one", .value = "never"});
  ASSERT_TRUE(wait_all(seconds(30)));
  EXPECT_FALSE(deliveries[illegal.size()].ec) << deliveries[illegal.size()].ec.message();
  EXPECT_EQ(deliveries.back().ec, client_errc::invalid_topic_name) << deliveries.back().ec.message();
  verify_read_back(good);
}

// A record above max.request.size fails at once with record_too_large; the records around it are delivered.
TEST_F(producer_test, OversizedRecordFailsAloneClientSide) {
  const auto topic = unique_topic("oversized");
  create_topic(topic, 1);
  auto p = make_producer({{"max.request.size", "20000"}, {"compression.type", "lz4"}});
  for (std::size_t i = 0; i < 30; ++i)
    send(*p, {.topic = topic, .key = "k", .value = i == 10 ? noise(30000, 7) : payload(i)});
  ASSERT_TRUE(wait_all());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(deliveries[i].completions, 1);
    if (i == 10) {
      EXPECT_EQ(deliveries[i].ec, client_errc::record_too_large) << deliveries[i].ec.message();
    } else {
      EXPECT_FALSE(deliveries[i].ec) << "record " << i << ": " << deliveries[i].ec.message();
    }
  }
  verify_read_back(topic);
}

// A record under max.request.size but above the broker's message.max.bytes (1 MiB by default): the broker refuses
// its batch with MESSAGE_TOO_LARGE. Only that record fails, and the idempotent producer recovers for the rest of the
// partition (the failed batch leaves a hole in the sequence numbers).
TEST_F(producer_test, OversizedRecordRejectedByBrokerFailsAlone) {
  const auto topic = unique_topic("broker-too-large");
  create_topic(topic, 1);
  auto p = make_producer({{"max.request.size", "4000000"}, {"linger.ms", "0"}});
  for (std::size_t i = 0; i < 40; ++i)
    send(*p, {.topic = topic, .key = "k", .value = i == 15 ? noise(2'000'000, 9) : payload(i)});
  ASSERT_TRUE(wait_all());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(deliveries[i].completions, 1);
    if (i == 15) {
      EXPECT_TRUE(deliveries[i].ec == kafka_errc::message_too_large ||
                  deliveries[i].ec == kafka_errc::record_list_too_large)
          << deliveries[i].ec.message();
    } else {
      EXPECT_FALSE(deliveries[i].ec) << "record " << i << ": " << deliveries[i].ec.message();
    }
  }
  verify_read_back(topic);
}

// A topic whose max.message.bytes (4 KiB) is far below batch.size (64 KiB): the broker refuses the first batches
// with MESSAGE_TOO_LARGE and the producer splits them until they fit (docs/producer.md, "Batches too large for the
// topic"). Every record that fits on its own is written once, in order per partition; the one 6 KB record fails
// alone with the broker's error. With lz4 the parts are compressed again.
TEST_F(producer_test, BatchesTooLargeForTheTopicAreSplitAndOnlyTheOversizedRecordFails) {
  for (const char* codec : {"none", "lz4"}) {
    SCOPED_TRACE(codec);
    const auto topic = unique_topic(std::string("split-") + codec);
    create_topic(topic, 2, {.configs = {"max.message.bytes=4096"}});
    auto p = make_producer({{"batch.size", "65536"}, {"linger.ms", "200"}, {"compression.type", codec}});
    for (std::size_t i = 0; i < 400; ++i)
      send(*p, {.topic = topic, .key = "k" + std::to_string(i % 2), .value = i == 123 ? noise(6000, 3) : noise(100, static_cast<std::uint32_t>(i))});
    ASSERT_TRUE(wait_all());
    for (std::size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(deliveries[i].completions, 1);
      if (i == 123) {
        EXPECT_EQ(deliveries[i].ec, kafka_errc::message_too_large) << deliveries[i].ec.message();
      } else {
        EXPECT_FALSE(deliveries[i].ec) << "record " << i << ": " << deliveries[i].ec.message();
      }
    }
    EXPECT_GE(p->metrics().batches_split, 2u) << "400 records of 100 B in 4 KiB batches take splits";
    verify_read_back(topic);
    sent.clear();
    deliveries.clear();
    completed = 0;
  }
}

// A burst into a topic created a moment ago: the broker creates the partitions' logs one by one after TopicCommand
// returned, so the first batch of some partition gets NOT_LEADER_OR_FOLLOWER and is retried, while the partition's
// next batches (pipelined, up to 5 in flight) arrive once the log exists. A broker without state for a producer id
// accepts any first sequence number, so those later batches are written first.
TEST_F(producer_test, BurstIntoNewTopicKeepsEveryPartitionInOrder) {
  // Regression (fixed in e9eee8f: a partition's first batch under a producer id now goes alone): the first batch
  // (sequence 0) was refused with OUT_OF_ORDER_SEQUENCE_NUMBER on every retry, the broker's last sequence being past
  // it, until delivery.timeout.ms; the partition's queue behind it failed too, and what was written was out of send
  // order. It happened in about 1 round in 4 (broker log: "Out of order sequence number for producer 101 at offset
  // 684 ...: 0 (incoming seq. number), 1375 (current end sequence number)"), so 3 rounds catch it only 58% of the
  // time: the deterministic reproduction is ProducerFaults.FirstBatchRefusedWhileOthersWaitKeepsOrder (unit, fake
  // broker). This stays as the same scenario against the real broker.
  for (int round = 0; round < 3 && !HasFailure(); ++round) {
    sent.clear();
    deliveries.clear();
    completed = 0;
    const auto topic = unique_topic("burst-new-topic");
    create_topic(topic, 24, {.wait_until_ready = false});
    auto p = make_producer({{"compression.type", "lz4"}, {"request.timeout.ms", "5000"},
                            {"delivery.timeout.ms", "15000"}});
    // In posted chunks of 100, so that sending overlaps with the first requests and responses.
    constexpr std::size_t total = 100000;
    std::function<void()> chunk = [&] {
      for (std::size_t n = 0; n < 100 && sent.size() < total; ++n) {
        const auto i = sent.size();
        send(*p, {.topic = topic, .key = "k" + std::to_string(i % 64), .value = "burst-" + std::to_string(i)});
      }
      if (sent.size() < total) boost::asio::post(io, chunk);
    };
    boost::asio::post(io, chunk);
    ASSERT_TRUE(run_until(io, [&] { return sent.size() == total && completed == total; }, seconds(60)));
    expect_all_delivered();
    if (!HasFailure()) verify_read_back(topic);
  }
}

TEST_F(producer_test, FlushCompletesAfterEveryEarlierSend) {
  const auto topic = unique_topic("flush");
  create_topic(topic, 4);
  // A linger far longer than the test: only the flush makes these batches go.
  auto p = make_producer({{"linger.ms", "20000"}});
  for (std::size_t i = 0; i < 200; ++i) send(*p, {.topic = topic, .key = "k" + std::to_string(i), .value = payload(i)});
  std::optional<std::size_t> completed_at_flush;
  std::error_code flush_ec;
  const auto start = steady_clock::now();
  p->async_flush([&](std::error_code ec) {
    flush_ec = ec;
    completed_at_flush = completed;
  });
  // Sent after the flush call: the flush need not wait for it (it may or may not be done when the flush is).
  send(*p, {.topic = topic, .key = "after", .value = "after the flush"});
  ASSERT_TRUE(run_until(io, [&] { return completed_at_flush.has_value(); }, seconds(60)));
  const auto elapsed = steady_clock::now() - start;
  EXPECT_FALSE(flush_ec);
  EXPECT_GE(*completed_at_flush, 200u);
  for (std::size_t i = 0; i < 200; ++i) EXPECT_EQ(deliveries[i].completions, 1) << "record " << i;
  EXPECT_LT(elapsed, seconds(15)) << "flush waited for linger.ms (20 s)";
  ASSERT_TRUE(wait_all());
  expect_all_delivered();

  // Nothing pending: a flush completes at once.
  bool empty_flushed = false;
  p->async_flush([&](std::error_code ec) { empty_flushed = !ec; });
  ASSERT_TRUE(run_until(io, [&] { return empty_flushed; }, seconds(5)));
  verify_read_back(topic);
}

TEST_F(producer_test, CloseDeliversThenRefusesSends) {
  const auto topic = unique_topic("close");
  create_topic(topic, 2);
  auto p = make_producer({{"linger.ms", "20000"}});
  for (std::size_t i = 0; i < 50; ++i) send(*p, {.topic = topic, .value = payload(i)});
  std::optional<std::size_t> completed_at_close;
  p->async_close([&](std::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    completed_at_close = completed;
  });
  const auto during_close = send(*p, {.topic = topic, .value = "during close"});
  ASSERT_TRUE(run_until(io, [&] { return completed_at_close.has_value(); }, seconds(60)));
  EXPECT_GE(*completed_at_close, 50u);
  const auto after_close = send(*p, {.topic = topic, .value = "after close"});
  ASSERT_TRUE(wait_all());
  for (std::size_t i = 0; i < 50; ++i) EXPECT_FALSE(deliveries[i].ec) << "record " << i;
  EXPECT_EQ(deliveries[during_close].ec, client_errc::producer_closed) << deliveries[during_close].ec.message();
  EXPECT_EQ(deliveries[after_close].ec, client_errc::producer_closed) << deliveries[after_close].ec.message();
  verify_read_back(topic);
}

TEST_F(producer_test, TrySendRefusesWhenBufferIsFull) {
  const auto topic = unique_topic("trysend");
  create_topic(topic, 1);
  auto p = make_producer({{"buffer.memory", "20000"}, {"linger.ms", "500"}});
  std::vector<std::optional<std::error_code>> results(60);
  std::vector<test_record> records;
  for (std::size_t i = 0; i < results.size(); ++i) records.push_back({.topic = topic, .value = payload(i, 1000)});
  for (std::size_t i = 0; i < results.size(); ++i)
    with_view(records[i], [&](const producer_record& r) {
      p->try_send(r, [&results, i](std::error_code ec, record_metadata) { results[i] = ec; });
    });
  ASSERT_TRUE(run_until(io, [&] { return std::all_of(results.begin(), results.end(), [](auto& r) { return r.has_value(); }); },
                        seconds(60)));
  std::size_t accepted = 0, refused = 0;
  for (const auto& r : results) {
    if (!*r) ++accepted;
    else if (*r == client_errc::queue_full) ++refused;
    else ADD_FAILURE() << r->message();
  }
  std::cout << "try_send: " << accepted << " delivered, " << refused << " refused with queue_full\n";
  EXPECT_GT(accepted, 5u);
  EXPECT_GT(refused, 20u) << "60 KB offered to a 20 KB buffer";
  auto got = consume(topic, accepted);
  EXPECT_EQ(got.size(), accepted);
  // async_send waits for room instead (up to another buffer.memory's worth waiting): everything is delivered.
  for (std::size_t i = 0; i < 30; ++i) send(*p, {.topic = topic, .value = payload(1000 + i, 1000)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
}

// Destroying the producer completes every pending record with operation_aborted, exactly once, whether it waited
// for metadata or lingered in a batch; nothing of it reaches the broker.
TEST_F(producer_test, DestroyCompletesPendingWithOperationAborted) {
  const auto topic = unique_topic("destroy");
  create_topic(topic, 2);
  auto p = make_producer({{"linger.ms", "30000"}});
  send(*p, {.topic = topic, .value = "first"});  // delivered by the flush: metadata known afterwards
  bool flushed = false;
  p->async_flush([&](std::error_code) { flushed = true; });
  ASSERT_TRUE(run_until(io, [&] { return flushed; }, seconds(60)));
  ASSERT_TRUE(p->has_metadata());
  for (std::size_t i = 0; i < 100; ++i) send(*p, {.topic = topic, .value = payload(i)});  // lingering in batches
  const auto other = unique_topic("destroy-unknown");
  for (std::size_t i = 0; i < 10; ++i) send(*p, {.topic = other, .value = payload(i)});  // waiting for metadata
  p.reset();
  ASSERT_TRUE(wait_all(seconds(10)));
  EXPECT_FALSE(deliveries[0].ec);
  for (std::size_t i = 1; i < sent.size(); ++i) {
    EXPECT_EQ(deliveries[i].completions, 1);
    EXPECT_EQ(deliveries[i].ec, std::errc::operation_canceled) << "record " << i << ": " << deliveries[i].ec.message();
  }
  std::int64_t total = 0;
  for (auto [partition, end] : end_offsets(topic)) total += end;
  EXPECT_EQ(total, 1);
}

// Destroyed with requests in flight: each record completes exactly once, either acknowledged (and then really in
// the log at the offset reported) or aborted.
TEST_F(producer_test, DestroyWhileInFlightCompletesEachRecordOnce) {
  const auto topic = unique_topic("destroy-inflight");
  create_topic(topic, 1);
  auto p = make_producer({{"linger.ms", "0"}, {"batch.size", "4096"}});
  for (std::size_t i = 0; i < 20000; ++i) send(*p, {.topic = topic, .value = payload(i)});
  ASSERT_TRUE(run_until(io, [&] { return completed >= 500; }, seconds(60)));
  p.reset();
  ASSERT_TRUE(wait_all(seconds(30))) << completed << " of " << sent.size();
  std::size_t acked = 0, aborted = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(deliveries[i].completions, 1) << "record " << i;
    if (!deliveries[i].ec) ++acked;
    else if (deliveries[i].ec == std::errc::operation_canceled) ++aborted;
    else ADD_FAILURE() << "record " << i << ": " << deliveries[i].ec.message();
  }
  std::cout << acked << " acknowledged, " << aborted << " aborted\n";
  EXPECT_GE(acked, 500u);
  EXPECT_GT(aborted, 0u);
  // In flight when aborted, a batch may still have been written: the log holds at least the acknowledged records.
  EXPECT_GE(end_offsets(topic)[0], static_cast<std::int64_t>(acked));
  verify_read_back(topic, {.nothing_else = false});
}

}  // namespace
}  // namespace kafkio::test
