// The producer against a real single-node Kafka (label kafka): what it writes is read back with Kafka's own
// ConsoleConsumer and compared record by record — every codec, keys and the partitioner, null keys/values, headers,
// explicit timestamps, many partitions and explicit partition numbers.
#include "producer_fixture.hpp"

namespace kafkio::test {
namespace {

// Values that compress (repeated text) but still differ per record, so a mix-up is visible.
std::string value_for(std::size_t i, std::size_t size = 120) {
  std::string v = "value-" + std::to_string(i) + "-";
  while (v.size() < size) v += "abcdefgh";
  v.resize(size);
  return v;
}

struct codec_case {
  const char* codec;
  std::size_t records;
};

// Readable test parameters in ctest's test names (gtest_discover_tests prints them).
void PrintTo(const codec_case& c, std::ostream* os) { *os << c.codec << " x" << c.records; }

class producer_codec_test : public producer_test, public ::testing::WithParamInterface<codec_case> {};

TEST_P(producer_codec_test, RecordsReadBackByConsoleConsumer) {
  const auto [codec, count] = GetParam();
  const auto topic = unique_topic(std::string("codec-") + codec);
  create_topic(topic, 3);
  // Long linger and large batches: the many-records cases go out as a few batches of hundreds of records.
  auto p = make_producer({{"compression.type", codec}, {"linger.ms", "50"}, {"batch.size", "262144"}});
  for (std::size_t i = 0; i < count; ++i) {
    test_record r{.topic = topic, .key = "key-" + std::to_string(i % 7), .value = value_for(i)};
    if (i % 5 == 0) r.headers = {{"h", "header-" + std::to_string(i)}};
    send(*p, std::move(r));
  }
  ASSERT_TRUE(wait_all()) << completed << " of " << count << " completed";
  expect_all_delivered();
  if (count > 1) {
    // 7 keys over 3 partitions: at most 3 partitions, so batching means far fewer batches than records.
    EXPECT_LE(p->metrics().batches_sent, count / 50) << "records were not batched";
  }
  verify_read_back(topic);
}

INSTANTIATE_TEST_SUITE_P(Codecs, producer_codec_test,
                         ::testing::Values(codec_case{"none", 1}, codec_case{"none", 3000}, codec_case{"gzip", 1},
                                           codec_case{"gzip", 3000}, codec_case{"snappy", 1},
                                           codec_case{"snappy", 3000}, codec_case{"lz4", 1}, codec_case{"lz4", 3000},
                                           codec_case{"zstd", 1}, codec_case{"zstd", 3000}),
                         [](const auto& info) {
                           return std::string(info.param.codec) + "_" + std::to_string(info.param.records);
                         });

// A large, barely compressible record in a compressed batch with small neighbours (the batch grows past batch.size).
TEST_F(producer_test, LargeRecordsWithEveryCodec) {
  const auto topic = unique_topic("large");
  create_topic(topic, 1);
  for (const char* codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    auto p = make_producer({{"compression.type", codec}, {"batch.size", "1024"}});
    std::string big;
    std::uint32_t x = 12345;
    for (int i = 0; i < 300000; ++i) {  // printable pseudo-random bytes
      x = x * 1103515245u + 12345u;
      big.push_back(static_cast<char>('A' + (x >> 16) % 26));
    }
    send(*p, {.topic = topic, .key = std::string("small-before-") + codec, .value = "s"});
    send(*p, {.topic = topic, .key = std::string("big-") + codec, .value = big});
    send(*p, {.topic = topic, .key = std::string("small-after-") + codec, .value = "s"});
    ASSERT_TRUE(wait_all());
  }
  expect_all_delivered();
  verify_read_back(topic);
}

TEST_F(producer_test, SameKeyGoesToMurmur2Partition) {
  const auto topic = unique_topic("keys");
  constexpr int partitions = 6;
  create_topic(topic, partitions);
  auto p = make_producer();
  for (int round = 0; round < 5; ++round)
    for (int k = 0; k < 40; ++k)
      send(*p, {.topic = topic, .key = "user-" + std::to_string(k), .value = value_for(round * 40 + k, 20)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  std::map<std::string, std::set<std::int32_t>> partitions_of_key;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(deliveries[i].md.partition, key_partition(*sent[i].key, partitions)) << "key " << *sent[i].key;
    partitions_of_key[*sent[i].key].insert(deliveries[i].md.partition);
  }
  std::set<std::int32_t> used;
  for (const auto& [key, ps] : partitions_of_key) {
    EXPECT_EQ(ps.size(), 1u) << "key " << key << " spread over partitions";
    used.insert(ps.begin(), ps.end());
  }
  EXPECT_GT(used.size(), 3u) << "40 keys should cover most of 6 partitions";
  verify_read_back(topic);

  // An independent implementation places the same keys: librdkafka's murmur2_random (the Java client's rule),
  // through kcat into a second topic, read back with ConsoleConsumer.
  const auto java_topic = unique_topic("keys-kcat");
  create_topic(java_topic, partitions);
  std::string lines;
  for (int k = 0; k < 40; ++k) lines += "user-" + std::to_string(k) + ":x\n";
  auto kcat = run_command({"sh", "-c", "printf '" + lines + "' | kcat -b " + bootstrap() + " -P -t " + java_topic +
                                           " -K : -X partitioner=murmur2_random"});
  ASSERT_EQ(kcat.exit_code, 0) << kcat.err;
  auto placed = consume(java_topic, 40);
  ASSERT_EQ(placed.size(), 40u);
  for (const auto& c : placed) {
    ASSERT_TRUE(c.key);
    EXPECT_EQ(partitions_of_key[*c.key], std::set<std::int32_t>{c.partition}) << "key " << *c.key;
  }
}

TEST_F(producer_test, NullAndEmptyKeysValuesAndHeaders) {
  const auto topic = unique_topic("nulls");
  create_topic(topic, 1);
  auto p = make_producer();
  send(*p, {.topic = topic, .key = std::nullopt, .value = "null-key"});
  send(*p, {.topic = topic, .key = "null-value", .value = std::nullopt});
  send(*p, {.topic = topic, .key = std::nullopt, .value = std::nullopt, .headers = {{"only", "headers"}}});
  send(*p, {.topic = topic, .key = "", .value = ""});
  send(*p, {.topic = topic, .key = "k", .value = "v", .headers = {{"a", "1"}, {"b", std::nullopt}, {"c", ""}}});
  send(*p, {.topic = topic, .key = "dup", .value = "v", .headers = {{"same", "1"}, {"same", "2"}}});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  verify_read_back(topic);
}

TEST_F(producer_test, ExplicitTimestampsAreKept) {
  const auto topic = unique_topic("timestamps");
  create_topic(topic, 2);
  auto p = make_producer({{"compression.type", "lz4"}});
  const std::int64_t base = 1600000000000;  // 2020-09-13, far from "now": a broker-assigned time would differ
  for (int i = 0; i < 50; ++i)
    send(*p, {.topic = topic, .partition = i % 2, .value = value_for(static_cast<std::size_t>(i), 16),
              .timestamp_ms = base + (i % 2 ? i * 1000 : -i * 1000)});  // not monotonic within a batch
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  verify_read_back(topic, {.timestamps = true});
}

// Without a timestamp the record gets "now" (CreateTime), reported in the completion.
TEST_F(producer_test, DefaultTimestampIsNow) {
  const auto topic = unique_topic("now");
  create_topic(topic, 1);
  auto p = make_producer();
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  send(*p, {.topic = topic, .value = "now"});
  ASSERT_TRUE(wait_all());
  auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  expect_all_delivered();
  EXPECT_GE(deliveries[0].md.timestamp_ms, before);
  EXPECT_LE(deliveries[0].md.timestamp_ms, after);
  auto got = consume(topic, 1, {.timestamps = true});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].timestamp_type, "CreateTime");
  EXPECT_EQ(got[0].timestamp, deliveries[0].md.timestamp_ms);
}

TEST_F(producer_test, ExplicitPartitionsOfTwelve) {
  const auto topic = unique_topic("twelve");
  constexpr int partitions = 12;
  create_topic(topic, partitions);
  auto p = make_producer({{"compression.type", "zstd"}});
  for (int i = 0; i < 1200; ++i)
    send(*p, {.topic = topic, .partition = (i * 5) % partitions, .key = "k" + std::to_string(i),
              .value = value_for(static_cast<std::size_t>(i), 40)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  auto ends = end_offsets(topic);
  ASSERT_EQ(ends.size(), static_cast<std::size_t>(partitions));
  for (auto [partition, end] : ends) EXPECT_EQ(end, 100) << "partition " << partition;
  verify_read_back(topic);
}

// Unkeyed records spread over the partitions (sticky per batch, then another partition) and all arrive.
TEST_F(producer_test, UnkeyedRecordsSpreadOverTwelvePartitions) {
  const auto topic = unique_topic("unkeyed");
  create_topic(topic, 12);
  auto p = make_producer({{"batch.size", "2048"}});
  for (int i = 0; i < 3000; ++i) send(*p, {.topic = topic, .value = value_for(static_cast<std::size_t>(i), 100)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  std::set<std::int32_t> used;
  for (const auto& d : deliveries) used.insert(d.md.partition);
  EXPECT_GE(used.size(), 6u) << "300 KB in 2 KB batches should reach most of 12 partitions";
  verify_read_back(topic);
}

TEST_F(producer_test, RoundRobinPartitioner) {
  const auto topic = unique_topic("roundrobin");
  create_topic(topic, 4);
  auto p = make_producer({{"partitioner", "round_robin"}});
  for (int i = 0; i < 40; ++i) send(*p, {.topic = topic, .key = "same", .value = value_for(static_cast<std::size_t>(i), 10)});
  ASSERT_TRUE(wait_all());
  expect_all_delivered();
  for (std::int32_t part = 0; part < 4; ++part) {
    auto n = std::count_if(deliveries.begin(), deliveries.end(), [&](auto& d) { return d.md.partition == part; });
    EXPECT_EQ(n, 10) << "partition " << part;
  }
  verify_read_back(topic);
}

}  // namespace
}  // namespace kafkio::test
