// record_batch_reader on hostile input: every truncation, random corruption (with and without a CRC that still
// matches), inconsistent headers, compression bombs inside a batch, and Fetch-style truncated tails.
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>

#include "unit/record_batch_support.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace record_batch_support;

namespace {

byte_buffer sealed_batch(compression_codec codec, std::uint32_t seed, std::size_t count = 15) {
  std::mt19937 rng(seed);
  record_batch_builder b;
  append_all(b, random_records(rng, count, 120));
  std::error_code ec;
  auto batch = b.seal({.producer_id = 4, .producer_epoch = 0, .base_sequence = 0, .codec = codec,
                       .skip_compression_if_larger = false},
                      ec);
  EXPECT_FALSE(ec);
  return byte_buffer(batch.begin(), batch.end());
}

}  // namespace

TEST(RecordBatchReader, EveryTruncatedPrefixIsAnError) {
  for (auto codec : all_codecs) {
    const auto batch = sealed_batch(codec, 1);
    ASSERT_FALSE(read_all(batch));
    for (std::size_t len = 1; len < batch.size(); ++len) {
      const auto prefix = bytes_view(batch).first(len);
      EXPECT_EQ(read_all(prefix), client_errc::truncated) << to_string(codec) << " prefix " << len;
      // In Fetch mode the same prefix is a truncated tail: no batch, no error.
      record_batch_reader fetch(prefix, {.allow_truncated_tail = true});
      EXPECT_FALSE(fetch.next_batch());
      EXPECT_FALSE(fetch.error()) << to_string(codec) << " prefix " << len;
      EXPECT_TRUE(fetch.truncated_tail());
    }
  }
  EXPECT_FALSE(read_all(bytes_view{}));  // nothing at all is no batch, not an error
}

TEST(RecordBatchReader, FetchTailAfterCompleteBatches) {
  auto stream = sealed_batch(compression_codec::none, 2);
  const auto second = sealed_batch(compression_codec::zstd, 3);
  stream.insert(stream.end(), second.begin(), second.end());
  const auto third = sealed_batch(compression_codec::lz4, 4);
  stream.insert(stream.end(), third.begin(), third.begin() + 30);
  record_batch_reader reader(stream, {.allow_truncated_tail = true});
  int batches = 0;
  while (reader.next_batch()) ++batches;
  EXPECT_EQ(batches, 2);
  EXPECT_FALSE(reader.error());
  EXPECT_TRUE(reader.truncated_tail());
  EXPECT_EQ(reader.bytes_consumed(), stream.size() - 30);
  EXPECT_EQ(read_all(stream), client_errc::truncated);
}

TEST(RecordBatchReader, RandomCorruptionIsDetected) {
  std::mt19937 rng(77);
  for (auto codec : all_codecs) {
    const auto batch = sealed_batch(codec, 5);
    for (int trial = 0; trial < 300; ++trial) {
      auto bad = batch;
      const std::size_t at = rng() % bad.size();
      bad[at] ^= static_cast<std::uint8_t>(1 + rng() % 255);
      const auto ec = read_all(bad);
      const bool outside_crc = at < batch_layout::batch_length ||
                               (at >= batch_layout::partition_leader_epoch && at < batch_layout::magic);
      if (outside_crc) {
        EXPECT_FALSE(ec) << "baseOffset and partitionLeaderEpoch are not covered; byte " << at;
      } else {
        EXPECT_TRUE(ec) << to_string(codec) << " byte " << at;
      }
    }
  }
}

TEST(RecordBatchReader, CorruptionBehindAValidCrcNeverCrashes) {
  // Recomputing the CRC after corrupting lets the bytes reach decompression and record parsing; the reader must
  // reject them or read them, never crash or read outside its input (ASan/UBSan builds check that).
  std::mt19937 rng(99);
  int rejected = 0, total = 0;
  for (auto codec : all_codecs) {
    const auto batch = sealed_batch(codec, 6, 40);
    for (int trial = 0; trial < 1500; ++trial) {
      auto bad = batch;
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
        const std::size_t at = batch_layout::attributes + rng() % (bad.size() - batch_layout::attributes);
        bad[at] = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0xff : rng());
      }
      fix_crc(bad);
      for (bool strict : {true, false}) {
        ++total;
        if (read_all(bad, {.max_decompressed_bytes = 1 << 16, .require_contiguous_offsets = strict})) ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, total / 4);  // most structural damage is caught; the rest decodes to different records
}

TEST(RecordBatchReader, InconsistentHeadersAreCorrupt) {
  auto with = [](auto&& change) {
    auto b = golden_b2;
    change(b);
    fix_crc(b);
    return read_all(b);
  };
  EXPECT_FALSE(with([](byte_buffer&) {}));
  EXPECT_EQ(with([](byte_buffer& b) { patch_be<std::int32_t>(b, batch_layout::last_offset_delta, 2); }),
            client_errc::corrupt_batch);
  EXPECT_EQ(with([](byte_buffer& b) { patch_be<std::int32_t>(b, batch_layout::records_count, 3); }),
            client_errc::corrupt_batch);
  EXPECT_EQ(with([](byte_buffer& b) {
              patch_be<std::int32_t>(b, batch_layout::records_count, 1);
              patch_be<std::int32_t>(b, batch_layout::last_offset_delta, 0);
            }),
            client_errc::corrupt_batch);  // the second record becomes trailing bytes
  EXPECT_EQ(with([](byte_buffer& b) {
              patch_be<std::int32_t>(b, batch_layout::records_count, INT32_MAX);
              patch_be<std::int32_t>(b, batch_layout::last_offset_delta, INT32_MAX - 1);
            }),
            client_errc::corrupt_batch);  // rejected from the byte count, before any work
  EXPECT_EQ(with([](byte_buffer& b) { patch_be<std::int32_t>(b, batch_layout::records_count, -1); }),
            client_errc::corrupt_batch);
  EXPECT_EQ(with([](byte_buffer& b) { patch_be<std::int16_t>(b, batch_layout::attributes, 5); }),
            client_errc::unsupported_compression);
  EXPECT_EQ(with([](byte_buffer& b) { patch_be<std::int16_t>(b, batch_layout::attributes, 1); }),
            client_errc::decompression_failed);  // claims gzip, holds plain records
  EXPECT_EQ(with([](byte_buffer& b) { b[batch_layout::magic] = 1; }), client_errc::corrupt_batch);
  EXPECT_EQ(with([](byte_buffer& b) { patch_be<std::int32_t>(b, batch_layout::batch_length, 48); }),
            client_errc::corrupt_batch);
  EXPECT_EQ(with([](byte_buffer& b) { patch_be<std::int32_t>(b, batch_layout::batch_length, -5); }),
            client_errc::corrupt_batch);
  // First record's key length -2 (zigzag 0x03): neither null nor a length.
  EXPECT_EQ(with([](byte_buffer& b) { b[batch_layout::records + 4] = 0x03; }), client_errc::corrupt_batch);
  // Bad CRC.
  auto b = golden_b2;
  b[batch_layout::crc] ^= 1;
  EXPECT_EQ(read_all(b), client_errc::crc_mismatch);
  EXPECT_FALSE(read_all(b, {.verify_crc = false}));
  // Trailing garbage after a batch is the start of a (broken) next batch.
  b = golden_b2;
  b.push_back(0);
  EXPECT_EQ(read_all(b), client_errc::truncated);
}

TEST(RecordBatchReader, OffsetGapsNeedRelaxedMode) {
  // Like a compacted batch: records at deltas 0 and 2, lastOffsetDelta 2, count 2.
  auto b = golden_b2;
  const std::size_t second_record = batch_layout::records + 1 + 0x0e / 2;
  ASSERT_EQ(b[second_record + 3], 0x02);  // offsetDelta 1 (length, attributes, timestampDelta come first)
  b[second_record + 3] = 0x04;            // offsetDelta 2, same varint size
  patch_be<std::int32_t>(b, batch_layout::last_offset_delta, 2);
  fix_crc(b);
  EXPECT_EQ(read_all(b), client_errc::corrupt_batch);
  record_batch_reader reader(b, {.require_contiguous_offsets = false});
  ASSERT_TRUE(reader.next_batch()) << reader.error().message();
  record_view rec;
  ASSERT_TRUE(reader.next_record(rec));
  EXPECT_EQ(rec.offset, 0);
  ASSERT_TRUE(reader.next_record(rec));
  EXPECT_EQ(rec.offset, 2);
  // Deltas must still increase and stay within lastOffsetDelta.
  patch_be<std::int32_t>(b, batch_layout::last_offset_delta, 1);
  fix_crc(b);
  EXPECT_EQ(read_all(b, {.require_contiguous_offsets = false}), client_errc::corrupt_batch);
}

TEST(RecordBatchReader, CompressionBombInsideABatchHitsTheCap) {
  // A records section that claims one record but decompresses to 100 MiB of zeros.
  const byte_buffer zeros(100 << 20, 0);
  for (auto codec : {compression_codec::gzip, compression_codec::snappy, compression_codec::lz4,
                     compression_codec::zstd}) {
    byte_buffer batch = golden_b1;
    batch.resize(batch_layout::header_size);
    ASSERT_FALSE(compress(codec, zeros, batch));
    patch_be<std::int32_t>(batch, batch_layout::batch_length,
                           static_cast<std::int32_t>(batch.size() - batch_layout::log_overhead));
    patch_be<std::int16_t>(batch, batch_layout::attributes, static_cast<std::int16_t>(codec));
    fix_crc(batch);
    EXPECT_EQ(read_all(batch, {.max_decompressed_bytes = 1 << 20}), client_errc::decompressed_too_large)
        << to_string(codec);
  }
}

TEST(RecordBatchReader, RandomBytesNeverCrash) {
  std::mt19937 rng(123);
  for (int trial = 0; trial < 20000; ++trial) {
    byte_buffer junk(rng() % 200);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    const bool shaped = junk.size() > batch_layout::header_size && trial % 2 == 0;
    if (shaped) {  // make it look like a batch so that parsing gets past the framing and the CRC
      patch_be<std::int32_t>(junk, batch_layout::batch_length,
                             static_cast<std::int32_t>(junk.size() - batch_layout::log_overhead));
      junk[batch_layout::magic] = 2;
      junk[batch_layout::attributes] = 0;
      junk[batch_layout::attributes + 1] = static_cast<std::uint8_t>(junk[batch_layout::attributes + 1] % 5);
      fix_crc(junk);
    }
    const bool allow_tail = trial % 3 == 0;
    const auto ec = read_all(junk, {.max_decompressed_bytes = 1 << 16, .allow_truncated_tail = allow_tail,
                                    .require_contiguous_offsets = trial % 4 != 0});
    // Unshaped random bytes are never a valid batch (the odds of a matching CRC are 2^-32).
    if (!shaped && !allow_tail && !junk.empty()) {
      EXPECT_TRUE(ec) << "trial " << trial;
    }
  }
}

// What a producer reads back from its own builder to split a batch (record_batch_builder::records_section()).
TEST(RecordSectionReader, GivesBackEveryRecordOfABuilderWithDeltasAndHeaders) {
  std::mt19937 rng(7);
  const auto records = random_records(rng, 12, 200);
  record_batch_builder b;
  append_all(b, records);
  std::error_code ec;
  (void)b.seal({.codec = compression_codec::zstd}, ec);  // sealing leaves the section as appended
  ASSERT_FALSE(ec);
  record_section_reader rd(b.records_section(), b.record_count());
  record_view rv;
  std::size_t i = 0;
  for (; rd.next(rv); ++i) {
    ASSERT_LT(i, records.size());
    EXPECT_EQ(rv.offset_delta, static_cast<std::int32_t>(i));
    EXPECT_EQ(b.base_timestamp() + rv.timestamp_delta, records[i].timestamp);
    EXPECT_EQ(rv.key.has_value(), records[i].key.has_value());
    if (rv.key) {
      EXPECT_EQ(str(*rv.key), *records[i].key);
    }
    EXPECT_EQ(rv.value.has_value(), records[i].value.has_value());
    if (rv.value) {
      EXPECT_EQ(str(*rv.value), *records[i].value);
    }
    std::size_t h = 0;
    for (const auto& header : rv.headers()) {
      ASSERT_LT(h, records[i].headers.size());
      EXPECT_EQ(header.key, records[i].headers[h].first);
      ++h;
    }
    EXPECT_EQ(h, records[i].headers.size());
  }
  EXPECT_EQ(i, records.size());
  EXPECT_FALSE(rd.error());
}

TEST(RecordSectionReader, ACutOrOverlongSectionIsCorruptNotACrash) {
  std::mt19937 rng(8);
  record_batch_builder b;
  append_all(b, random_records(rng, 5, 80));
  const auto section = b.records_section();
  for (std::size_t cut = 0; cut < section.size(); ++cut) {
    record_section_reader rd(section.first(cut), b.record_count());
    record_view rv;
    int n = 0;
    while (rd.next(rv)) ++n;
    EXPECT_LT(n, b.record_count()) << "cut at " << cut;
    EXPECT_EQ(rd.error(), make_error_code(client_errc::corrupt_batch)) << "cut at " << cut;
  }
  record_section_reader fewer(section, b.record_count() - 1);  // bytes left after the last record it expects
  record_view rv;
  while (fewer.next(rv)) {
  }
  EXPECT_EQ(fewer.error(), make_error_code(client_errc::corrupt_batch));
}
