// RecordBatch v2: the golden batches (docs/protocol.md) byte for byte, builder/reader round trips for every codec,
// re-stamping, and the reader's behaviour on truncated, corrupted and inconsistent input.
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>

#include "unit/record_batch_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <string_view>

#include "allocation_probe.hpp"
#include <vector>

using namespace kafkio;
using namespace kafkio::protocol;

// Counting operator new (allocation_probe.hpp), to show that appending allocates nothing once buffers have grown.
namespace probe = kafkio::test::allocation_probe;

using namespace record_batch_support;

TEST(RecordBatch, GoldenB1) {
  record_batch_builder b;
  b.reset(ts0);
  const record_header_view headers[] = {{"h", bv("v")}};
  ASSERT_FALSE(b.append(ts0, bv("key"), bv("value"), headers));
  std::error_code ec;
  const auto batch = b.seal({}, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(byte_buffer(batch.begin(), batch.end()), golden_b1);
  EXPECT_EQ(b.size_in_bytes(), 80u);

  record_batch_reader reader(golden_b1);
  ASSERT_TRUE(reader.next_batch());
  const auto& h = reader.header();
  EXPECT_EQ(h.base_offset, 0);
  EXPECT_EQ(h.batch_length, 0x44);
  EXPECT_EQ(h.partition_leader_epoch, -1);
  EXPECT_EQ(h.crc, 0x83794a1du);
  EXPECT_EQ(h.producer_id, -1);
  EXPECT_EQ(h.codec(), compression_codec::none);
  EXPECT_FALSE(h.is_transactional());
  record_view rec;
  ASSERT_TRUE(reader.next_record(rec));
  EXPECT_EQ(rec.timestamp, ts0);
  EXPECT_EQ(str(*rec.key), "key");
  EXPECT_EQ(str(*rec.value), "value");
  ASSERT_EQ(rec.headers().size(), 1);
  EXPECT_EQ(rec.headers().begin()->key, "h");
  EXPECT_EQ(str(*rec.headers().begin()->value), "v");
  EXPECT_FALSE(reader.next_record(rec));
}

TEST(RecordBatch, GoldenB2Idempotent) {
  record_batch_builder b;
  b.reset(ts0);
  ASSERT_FALSE(b.append(ts0, std::nullopt, bv("a")));
  ASSERT_FALSE(b.append(ts0 + 5, bv("k2"), bv("b")));
  std::error_code ec;
  const auto batch = b.seal({.producer_id = 1000, .producer_epoch = 0, .base_sequence = 0}, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(byte_buffer(batch.begin(), batch.end()), golden_b2);
  expect_records(golden_b2, {{ts0, std::nullopt, "a", {}}, {ts0 + 5, "k2", "b", {}}});
}

TEST(RecordBatch, PartitionLeaderEpochIsOutsideTheCrc) {
  auto b1 = golden_b1;  // kafka-python writes partitionLeaderEpoch 0: same CRC
  patch_be<std::int32_t>(b1, batch_layout::partition_leader_epoch, 0);
  patch_be<std::int64_t>(b1, batch_layout::base_offset, 41);
  EXPECT_FALSE(read_all(b1));
  record_batch_reader reader(b1);
  ASSERT_TRUE(reader.next_batch());
  record_view rec;
  ASSERT_TRUE(reader.next_record(rec));
  EXPECT_EQ(rec.offset, 41);
}

TEST(RecordBatch, RestampProducerFields) {
  record_batch_builder b;
  b.reset(ts0);
  ASSERT_FALSE(b.append(ts0, std::nullopt, bv("a")));
  ASSERT_FALSE(b.append(ts0 + 5, bv("k2"), bv("b")));
  std::error_code ec;
  auto sealed = b.seal({.producer_id = 77, .producer_epoch = 3, .base_sequence = 1234}, ec);
  byte_buffer batch(sealed.begin(), sealed.end());
  ASSERT_FALSE(restamp_producer_fields(batch, 1000, 0, 0));
  EXPECT_EQ(batch, golden_b2);

  // Compressed batches are re-stamped without touching the payload.
  b.reset(ts0);
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(b.append(ts0 + i, std::nullopt, bv("same value every time")));
  sealed = b.seal({.producer_id = 5, .producer_epoch = 1, .base_sequence = 10, .codec = compression_codec::zstd}, ec);
  batch.assign(sealed.begin(), sealed.end());
  ASSERT_FALSE(restamp_producer_fields(batch, 6, 2, 500));
  record_batch_reader reader(batch);
  ASSERT_TRUE(reader.next_batch()) << reader.error().message();
  EXPECT_EQ(reader.header().producer_id, 6);
  EXPECT_EQ(reader.header().producer_epoch, 2);
  EXPECT_EQ(reader.header().base_sequence, 500);
  EXPECT_EQ(reader.header().codec(), compression_codec::zstd);

  // Corruption is refused rather than given a fresh CRC; so are incomplete or foreign bytes.
  auto corrupt = batch;
  corrupt.back() ^= 1;
  EXPECT_EQ(restamp_producer_fields(corrupt, 1, 1, 1), client_errc::crc_mismatch);
  EXPECT_EQ(restamp_producer_fields(std::span(batch).first(batch.size() - 1), 1, 1, 1), client_errc::corrupt_batch);
  EXPECT_EQ(restamp_producer_fields(std::span(batch).first(60), 1, 1, 1), client_errc::truncated);
}

TEST(RecordBatch, SealOptionsReachTheHeader) {
  record_batch_builder b;
  b.reset(ts0);
  ASSERT_FALSE(b.append(ts0 + 100, bv("k"), bv("v")));
  ASSERT_FALSE(b.append(ts0 - 100, bv("k"), bv("v")));  // out of order: delta negative, max is the first
  std::error_code ec;
  const auto batch = b.seal({.producer_id = 9, .producer_epoch = 8, .base_sequence = 7, .is_transactional = true}, ec);
  ASSERT_FALSE(ec);
  record_batch_reader reader(batch);
  ASSERT_TRUE(reader.next_batch());
  EXPECT_TRUE(reader.header().is_transactional());
  EXPECT_FALSE(reader.header().is_control());
  EXPECT_EQ(reader.header().base_timestamp, ts0);
  EXPECT_EQ(reader.header().max_timestamp, ts0 + 100);
  EXPECT_EQ(reader.header().last_offset_delta, 1);
  record_view rec;
  ASSERT_TRUE(reader.next_record(rec));
  EXPECT_EQ(rec.timestamp, ts0 + 100);
  ASSERT_TRUE(reader.next_record(rec));
  EXPECT_EQ(rec.timestamp, ts0 - 100);
  EXPECT_EQ(rec.timestamp_delta, -100);
}

TEST(RecordBatch, EmptyBatchAndBadLevelCannotBeSealed) {
  record_batch_builder b;
  b.reset(ts0);
  std::error_code ec;
  EXPECT_TRUE(b.seal({}, ec).empty());
  EXPECT_EQ(ec, std::errc::invalid_argument);
  ASSERT_FALSE(b.append(ts0, std::nullopt, bv("v")));
  EXPECT_TRUE(b.seal({.codec = compression_codec::gzip, .level = 42}, ec).empty());
  EXPECT_EQ(ec, client_errc::invalid_config);
  EXPECT_FALSE(b.seal({}, ec).empty());
  EXPECT_FALSE(ec);
}

TEST(RecordBatch, LogAppendTimeUsesMaxTimestamp) {
  auto batch = golden_b2;
  patch_be<std::int16_t>(batch, batch_layout::attributes, batch_layout::log_append_time_flag);
  patch_be<std::int64_t>(batch, batch_layout::max_timestamp, 42);
  fix_crc(batch);
  record_batch_reader reader(batch);
  ASSERT_TRUE(reader.next_batch());
  record_view rec;
  while (reader.next_record(rec)) {
    EXPECT_EQ(rec.timestamp, 42);
  }
}

TEST(RecordBatch, RandomRecordsRoundTripWithEveryCodec) {
  std::mt19937 rng(2024);
  record_batch_builder b;
  for (auto codec : all_codecs) {
    for (int round = 0; round < 25; ++round) {
      // Mostly small batches; every fifth has values up to 100 KiB.
      const std::size_t max_value = round % 5 == 4 ? 100 * 1024 : 300;
      const auto records = random_records(rng, 1 + rng() % (round % 5 == 4 ? 12 : 200), max_value);
      append_all(b, records);
      std::error_code ec;
      const auto batch = b.seal({.producer_id = round, .producer_epoch = 1, .base_sequence = round * 1000,
                                 .codec = codec, .skip_compression_if_larger = false},
                                ec);
      ASSERT_FALSE(ec) << to_string(codec);
      expect_records(batch, records);
      record_batch_reader reader(batch);
      ASSERT_TRUE(reader.next_batch());
      EXPECT_EQ(reader.header().codec(), codec);
      EXPECT_EQ(reader.header().base_sequence, round * 1000);
      if (codec == compression_codec::none) {
        EXPECT_EQ(batch.size(), b.size_in_bytes());
      }
    }
  }
}

TEST(RecordBatch, IncompressibleBatchesFallBackToNone) {
  std::mt19937 rng(5);
  std::string noise(5000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  record_batch_builder b;
  b.reset(ts0);
  ASSERT_FALSE(b.append(ts0, std::nullopt, bv(noise)));
  std::error_code ec;
  for (auto codec : {compression_codec::gzip, compression_codec::snappy, compression_codec::lz4,
                     compression_codec::zstd}) {
    auto batch = b.seal({.codec = codec}, ec);
    ASSERT_FALSE(ec);
    record_batch_reader reader(batch);
    ASSERT_TRUE(reader.next_batch());
    EXPECT_EQ(reader.header().codec(), compression_codec::none) << to_string(codec);
    EXPECT_EQ(batch.size(), b.size_in_bytes());
  }
  b.reset(ts0);
  ASSERT_FALSE(b.append(ts0, std::nullopt, bv(std::string(5000, 'z'))));
  auto batch = b.seal({.codec = compression_codec::lz4}, ec);
  record_batch_reader reader(batch);
  ASSERT_TRUE(reader.next_batch());
  EXPECT_EQ(reader.header().codec(), compression_codec::lz4);
  EXPECT_LT(batch.size(), 200u);
}

TEST(RecordBatch, AppendAndSealAllocateNothingOnceGrown) {
  std::mt19937 rng(9);
  const auto records = random_records(rng, 300, 2000);
  std::vector<std::vector<record_header_view>> headers(records.size());
  for (std::size_t i = 0; i < records.size(); ++i)
    for (const auto& [k, v] : records[i].headers) headers[i].push_back({k, view_of(v)});
  record_batch_builder b;
  for (auto codec : all_codecs) {
    for (int round = 0; round < 3; ++round) {  // round 0 grows the buffers and creates codec contexts
      b.reset(ts0);
      probe::start();
      for (std::size_t i = 0; i < records.size(); ++i)
        ASSERT_FALSE(b.append(records[i].timestamp, view_of(records[i].key), view_of(records[i].value), headers[i]));
      const std::size_t appending = probe::count.exchange(0);
      std::error_code ec;
      (void)b.seal({.codec = codec}, ec);
      probe::stop();
      ASSERT_FALSE(ec);
      if (round == 0) continue;
      EXPECT_EQ(appending, 0u) << to_string(codec) << " round " << round;
      // libsnappy 1.1.9 allocates its working memory inside every RawCompress call (one per 32 KiB block); it
      // has no API to reuse it. Every other codec reuses a thread-local context.
      if (codec != compression_codec::snappy) {
        EXPECT_EQ(probe::count.load(), 0u) << to_string(codec) << " round " << round;
      }
    }
  }
}

TEST(RecordBatch, SwapSealedHandsOverTheBuffer) {
  record_batch_builder b;
  b.reset(ts0);
  ASSERT_FALSE(b.append(ts0, bv("key"), bv("value"), std::vector<record_header_view>{{"h", bv("v")}}));
  byte_buffer mine;
  EXPECT_FALSE(b.swap_sealed(mine));  // nothing sealed yet
  std::error_code ec;
  (void)b.seal({}, ec);
  ASSERT_TRUE(b.swap_sealed(mine));
  EXPECT_EQ(mine, golden_b1);
  EXPECT_FALSE(b.swap_sealed(mine));
  b.reset(ts0);
  ASSERT_FALSE(b.append(ts0, std::nullopt, bv("a")));
  ASSERT_FALSE(b.append(ts0 + 5, bv("k2"), bv("b")));
  EXPECT_EQ(byte_buffer(b.seal({.producer_id = 1000, .producer_epoch = 0, .base_sequence = 0}, ec).begin(),
                        b.seal({.producer_id = 1000, .producer_epoch = 0, .base_sequence = 0}, ec).end()),
            golden_b2);
}

TEST(RecordBatch, ConcatenatedBatchesReadInOrder) {
  std::mt19937 rng(3);
  record_batch_builder b;
  byte_buffer stream;
  std::vector<std::vector<test_record>> all;
  std::int64_t next_offset = 100;
  std::vector<std::int64_t> bases;
  for (auto codec : all_codecs) {
    all.push_back(random_records(rng, 1 + rng() % 20, 500));
    append_all(b, all.back());
    std::error_code ec;
    auto batch = b.seal({.codec = codec}, ec);
    const std::size_t at = stream.size();
    stream.insert(stream.end(), batch.begin(), batch.end());
    patch_be<std::int64_t>(stream, at, next_offset);  // brokers assign offsets; outside the CRC
    bases.push_back(next_offset);
    next_offset += static_cast<std::int64_t>(all.back().size());
  }
  record_batch_reader reader(stream);
  std::size_t batches = 0;
  while (reader.next_batch()) {
    ASSERT_LT(batches, all.size());
    EXPECT_EQ(reader.header().base_offset, bases[batches]);
    expect_records(reader.batch_bytes(), all[batches], bases[batches]);
    record_view rec;
    std::int64_t expected_offset = bases[batches];
    while (reader.next_record(rec)) {
      EXPECT_EQ(rec.offset, expected_offset++);
    }
    ++batches;
  }
  EXPECT_FALSE(reader.error());
  EXPECT_EQ(batches, all.size());
  EXPECT_EQ(reader.bytes_consumed(), stream.size());
}

TEST(RecordBatch, RecordTooLargeIsRefusedWithoutAppending) {
  record_batch_builder b;
  b.reset(ts0);
  // A value the int32 length fields cannot describe; the span is never read, so no such buffer is needed.
  static const std::uint8_t byte = 0;
  const bytes_view huge(&byte, std::size_t{0x80000000});
  EXPECT_EQ(b.append(ts0, std::nullopt, huge), client_errc::record_too_large);
  EXPECT_EQ(b.record_count(), 0);
  EXPECT_EQ(b.size_in_bytes(), batch_layout::header_size);
}
