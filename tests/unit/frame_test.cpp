// frame_reader: frames split at every possible boundary, limits, and malformed prefixes.
#include <kafkio/protocol/frame.hpp>

#include <gtest/gtest.h>

#include <random>

using namespace kafkio;
using namespace kafkio::protocol;

namespace {
byte_buffer make_stream(const std::vector<byte_buffer>& payloads) {
  byte_buffer out;
  writer w(out);
  for (const auto& p : payloads) w.bytes(p);  // int32 length + bytes is exactly a frame
  return out;
}

std::vector<byte_buffer> drain(frame_reader& r, std::error_code& ec) {
  std::vector<byte_buffer> got;
  bytes_view f;
  for (;;) {
    auto s = r.next(f, ec);
    if (s != frame_reader::status::frame) break;
    got.emplace_back(f.begin(), f.end());
  }
  return got;
}
}  // namespace

TEST(Frame, ArbitraryChunking) {
  std::mt19937 rng(7);
  std::vector<byte_buffer> payloads;
  for (int i = 0; i < 200; ++i) {
    byte_buffer p(rng() % 3000);
    for (auto& b : p) b = static_cast<std::uint8_t>(rng());
    payloads.push_back(std::move(p));
  }
  auto stream = make_stream(payloads);
  for (std::size_t max_chunk : {1u, 3u, 17u, 4096u, 100000u}) {
    frame_reader r(1 << 20);
    std::vector<byte_buffer> got;
    std::error_code ec;
    for (std::size_t pos = 0; pos < stream.size();) {
      std::size_t n = std::min<std::size_t>(stream.size() - pos, 1 + rng() % max_chunk);
      r.feed(bytes_view(stream).subspan(pos, n));
      pos += n;
      auto more = drain(r, ec);
      got.insert(got.end(), more.begin(), more.end());
    }
    EXPECT_FALSE(ec);
    EXPECT_EQ(got, payloads) << "max_chunk " << max_chunk;
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(Frame, PrepareCommitReadsInPlace) {
  auto stream = make_stream({byte_buffer(50000, 0xab)});
  frame_reader r(1 << 20);
  std::size_t pos = 0;
  std::error_code ec;
  bytes_view f;
  while (r.next(f, ec) == frame_reader::status::need_more) {
    auto space = r.prepare(1024);
    ASSERT_GE(space.size(), 1024u);
    std::size_t n = std::min(space.size(), stream.size() - pos);
    std::memcpy(space.data(), stream.data() + pos, n);
    r.commit(n);
    pos += n;
  }
  EXPECT_EQ(f.size(), 50000u);
  EXPECT_LE(r.capacity(), 50004u + 1024u + 16u * 1024u);
}

TEST(Frame, TooLargeRejectedBeforeBuffering) {
  frame_reader r(1000);
  r.feed(byte_buffer{0x00, 0x00, 0x03, 0xe9});  // 1001
  bytes_view f;
  std::error_code ec;
  EXPECT_EQ(r.next(f, ec), frame_reader::status::error);
  EXPECT_EQ(ec, client_errc::frame_too_large);
  EXPECT_LT(r.prepare(16).size() + r.buffered(), 20000u);  // did not grow toward the announced size
  EXPECT_EQ(r.next(f, ec), frame_reader::status::error);   // sticky
}

TEST(Frame, NegativeSizeRejected) {
  frame_reader r;
  r.feed(byte_buffer{0xff, 0xff, 0xff, 0xfe});
  bytes_view f;
  std::error_code ec;
  EXPECT_EQ(r.next(f, ec), frame_reader::status::error);
  EXPECT_EQ(ec, client_errc::malformed_length);
}

TEST(Frame, EmptyFrameAndExactMax) {
  frame_reader r(3);
  r.feed(make_stream({{}, {1, 2, 3}}));
  std::error_code ec;
  auto got = drain(r, ec);
  EXPECT_FALSE(ec);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].empty());
  EXPECT_EQ(got[1], (byte_buffer{1, 2, 3}));
}
