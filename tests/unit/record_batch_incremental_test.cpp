// Incremental sealing (record_batch_builder::compress_step with a compression_stream): a large batch compressed in
// bounded steps reads back exactly, for every codec; lz4 and snappy steps of 64 KiB multiples give the bytes of a
// one-shot seal; a stream taken over by another builder, or an append after a step, starts that batch over.
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>

#include "unit/record_batch_support.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace kafkio;
using namespace kafkio::protocol;
using namespace record_batch_support;

namespace {

constexpr compression_codec codecs[] = {compression_codec::gzip, compression_codec::snappy, compression_codec::lz4,
                                        compression_codec::zstd};

std::vector<test_record> large_batch(std::mt19937& rng, std::size_t count) {
  auto records = random_records(rng, count, 2000);  // ~0.5-1 MiB: several 128 KiB steps
  return records;
}

// Compresses in steps of `step` bytes; returns how many steps it took.
int compress_in_steps(record_batch_builder& b, compression_stream& s, compression_codec codec, std::size_t step) {
  std::error_code ec;
  int steps = 0;
  while (b.left_to_compress(s) > 0) {
    const auto before = b.left_to_compress(s);
    b.compress_step(s, codec, default_compression_level, step, ec);
    EXPECT_FALSE(ec) << to_string(codec) << ": " << ec.message();
    EXPECT_EQ(b.left_to_compress(s), before - std::min(step, before));
    if (++steps > 1000) break;
  }
  return steps;
}

}  // namespace

TEST(RecordBatchIncremental, StepsReadBackForEveryCodec) {
  std::mt19937 rng(14);
  compression_stream stream;
  record_batch_builder b;
  for (auto codec : codecs) {
    for (std::size_t step : {std::size_t{64 * 1024}, std::size_t{128 * 1024}, std::size_t{100 * 1000}}) {
      const auto records = large_batch(rng, 900);
      append_all(b, records);
      const auto section = b.size_in_bytes() - batch_layout::records;
      const int steps = compress_in_steps(b, stream, codec, step);
      EXPECT_EQ(steps, static_cast<int>((section + step - 1) / step)) << to_string(codec);
      std::error_code ec;
      const auto batch = b.seal({.producer_id = 7, .producer_epoch = 1, .base_sequence = 40, .codec = codec,
                                 .skip_compression_if_larger = false},
                                ec);
      ASSERT_FALSE(ec) << to_string(codec);
      expect_records(batch, records);
      record_batch_reader reader(batch);
      ASSERT_TRUE(reader.next_batch()) << reader.error().message();
      EXPECT_EQ(reader.header().codec(), codec);
      EXPECT_EQ(reader.header().base_sequence, 40);
    }
  }
}

TEST(RecordBatchIncremental, BlockAlignedStepsGiveTheOneShotBytesForLz4AndSnappy) {
  std::mt19937 rng(15);
  const auto records = large_batch(rng, 700);
  compression_stream stream;
  for (auto codec : {compression_codec::lz4, compression_codec::snappy}) {
    record_batch_builder one_shot, stepped;
    append_all(one_shot, records);
    append_all(stepped, records);
    std::error_code ec;
    const seal_options o{.codec = codec, .skip_compression_if_larger = false};
    const auto expected = one_shot.seal(o, ec);
    ASSERT_FALSE(ec);
    compress_in_steps(stepped, stream, codec, 128 * 1024);
    const auto got = stepped.seal(o, ec);
    ASSERT_FALSE(ec);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), got.begin(), got.end())) << to_string(codec);
  }
}

TEST(RecordBatchIncremental, TakenOverStreamAndLateAppendStartOver) {
  std::mt19937 rng(16);
  const auto first = large_batch(rng, 600), second = large_batch(rng, 600);
  compression_stream stream;
  record_batch_builder a, b;
  append_all(a, first);
  append_all(b, second);
  std::error_code ec;
  const auto codec = compression_codec::zstd;
  const auto a_section = a.size_in_bytes() - batch_layout::records;
  EXPECT_FALSE(a.compress_step(stream, codec, default_compression_level, 64 * 1024, ec));
  EXPECT_EQ(a.left_to_compress(stream), a_section - 64 * 1024);
  // b takes the stream: a has nothing compressed any more, and seals correctly all the same.
  EXPECT_FALSE(b.compress_step(stream, codec, default_compression_level, 64 * 1024, ec));
  EXPECT_EQ(a.left_to_compress(stream), a_section);
  compress_in_steps(a, stream, codec, 128 * 1024);
  expect_records(a.seal({.codec = codec}, ec), first);
  ASSERT_FALSE(ec);
  // b lost the stream to a, so it starts over; an append after a step drops what was compressed too.
  compress_in_steps(b, stream, codec, 128 * 1024);
  test_record extra;
  extra.timestamp = second.front().timestamp;
  extra.value = std::string(300, 'q');
  ASSERT_FALSE(b.append(extra.timestamp, std::nullopt, view_of(extra.value)));
  EXPECT_GT(b.left_to_compress(stream), 0u);
  auto with_extra = second;
  with_extra.push_back(extra);
  const auto batch = b.seal({.codec = codec}, ec);
  ASSERT_FALSE(ec);
  expect_records(batch, with_extra);
}
