// Compression: names and levels, round trips for every codec, the exact framings Kafka expects (docs/protocol.md,
// "Compression framings", and its golden vectors), the decompression cap (bombs), truncated and corrupted input.
#include <kafkio/protocol/compression.hpp>

#include <gtest/gtest.h>

#include <lz4frame.h>
#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <string_view>

#include "allocation_probe.hpp"
#include <thread>
#include <vector>

using namespace kafkio;
using namespace kafkio::protocol;

// Allocation tracking (allocation_probe.hpp): the largest single allocation (malloc family or operator new).
namespace probe = kafkio::test::allocation_probe;

namespace {

constexpr compression_codec all_codecs[] = {compression_codec::none, compression_codec::gzip,
                                            compression_codec::snappy, compression_codec::lz4,
                                            compression_codec::zstd};
constexpr compression_codec real_codecs[] = {compression_codec::gzip, compression_codec::snappy,
                                             compression_codec::lz4, compression_codec::zstd};

byte_buffer from_hex(std::string_view hex) {
  byte_buffer out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i < hex.size();) {
    if (hex[i] == ' ' || hex[i] == '|') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    i += 2;
  }
  return out;
}
std::string as_string(const byte_buffer& b) { return std::string(b.begin(), b.end()); }

// Half random, half repetitive text: compresses, but not trivially.
byte_buffer sample_data(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  byte_buffer b(size);
  static constexpr std::string_view words[] = {"kafka ", "record ", "batch ", "producer ", "zstd ", "offset "};
  for (std::size_t i = 0; i < size;) {
    if (rng() % 2) {
      b[i++] = static_cast<std::uint8_t>(rng());
    } else {
      for (char c : words[rng() % 6])
        if (i < size) b[i++] = static_cast<std::uint8_t>(c);
    }
  }
  return b;
}

byte_buffer compressed(compression_codec codec, const byte_buffer& in, int level = default_compression_level) {
  byte_buffer out;
  EXPECT_FALSE(compress(codec, in, out, level)) << to_string(codec);
  return out;
}

}  // namespace

TEST(Compression, CodecNames) {
  for (auto codec : all_codecs) {
    EXPECT_EQ(parse_compression_codec(to_string(codec)), codec);
    EXPECT_EQ(compression_codec_from_id(static_cast<int>(codec)), codec);
  }
  EXPECT_EQ(to_string(compression_codec::zstd), "zstd");
  EXPECT_EQ(parse_compression_codec("GZip"), compression_codec::gzip);
  EXPECT_EQ(parse_compression_codec("LZ4"), compression_codec::lz4);
  EXPECT_FALSE(parse_compression_codec("producer"));
  EXPECT_FALSE(parse_compression_codec("zstd "));
  EXPECT_FALSE(parse_compression_codec(""));
  EXPECT_FALSE(compression_codec_from_id(5));
  EXPECT_FALSE(compression_codec_from_id(-1));
}

TEST(Compression, LevelsAreValidated) {
  const auto data = sample_data(1000, 1);
  EXPECT_EQ(level_range(compression_codec::gzip).default_level, 6);
  EXPECT_EQ(level_range(compression_codec::zstd).default_level, 3);
  EXPECT_EQ(level_range(compression_codec::lz4).max, 17);
  for (auto codec : {compression_codec::gzip, compression_codec::lz4, compression_codec::zstd}) {
    const auto range = level_range(codec);
    byte_buffer out = {7};
    EXPECT_EQ(compress(codec, data, out, range.max + 1), client_errc::invalid_config) << to_string(codec);
    EXPECT_EQ(compress(codec, data, out, range.min - 1), client_errc::invalid_config) << to_string(codec);
    EXPECT_EQ(out, byte_buffer{7});
    for (int level : {range.min, range.default_level, range.max}) {
      if (codec == compression_codec::zstd && level == range.min) level = -5;  // the real minimum is glacial-free
      out.clear();
      ASSERT_FALSE(compress(codec, data, out, level)) << to_string(codec) << " " << level;
      byte_buffer back;
      ASSERT_FALSE(decompress(codec, out, back, data.size()));
      EXPECT_EQ(back, data) << to_string(codec) << " " << level;
    }
  }
  byte_buffer out;
  EXPECT_FALSE(compress(compression_codec::snappy, data, out, 12345));  // no levels: ignored
}

TEST(Compression, RoundTripsEverySizeAndCodec) {
  const std::size_t sizes[] = {0, 1, 2, 100, 32767, 32768, 32769, 65535, 65536, 65537, 200000, 1 << 20};
  for (auto codec : all_codecs) {
    for (std::size_t size : sizes) {
      for (std::uint32_t seed : {1u, 2u}) {
        auto data = sample_data(size, seed);
        if (seed == 2) std::fill(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(size / 2), 0);
        byte_buffer packed = compressed(codec, data);
        byte_buffer back;
        ASSERT_FALSE(decompress(codec, packed, back, size)) << to_string(codec) << " size " << size;
        EXPECT_EQ(back, data) << to_string(codec) << " size " << size;
      }
    }
  }
}

TEST(Compression, AppendsAndRestoresOnFailure) {
  const auto data = sample_data(5000, 3);
  for (auto codec : all_codecs) {
    byte_buffer out = {1, 2, 3};
    ASSERT_FALSE(compress(codec, data, out));
    EXPECT_EQ(byte_buffer(out.begin(), out.begin() + 3), (byte_buffer{1, 2, 3}));
    byte_buffer back = {9};
    ASSERT_FALSE(decompress(codec, bytes_view(out).subspan(3), back, data.size()));
    EXPECT_EQ(back.size(), data.size() + 1);
    EXPECT_EQ(back[0], 9);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), back.begin() + 1)) << to_string(codec);
    // A failure leaves the output as it was.
    byte_buffer kept = {9};
    EXPECT_EQ(decompress(codec, bytes_view(out).subspan(3), kept, data.size() - 1),
              client_errc::decompressed_too_large)
        << to_string(codec);
    EXPECT_EQ(kept, byte_buffer{9});
  }
}

TEST(Compression, GoldenLz4FrameDecodes) {
  const auto frame = from_hex("04224d18 60 40 82 | 0f000000 6868656c6c6f2006005068656c6c6f | 00000000");
  byte_buffer out;
  ASSERT_FALSE(decompress(compression_codec::lz4, frame, out, 1024));
  EXPECT_EQ(as_string(out), "hello hello hello hello");
}

TEST(Compression, OurLz4FrameHasKafkasDescriptor) {
  const auto data = sample_data(200000, 4);
  const auto frame = compressed(compression_codec::lz4, data);
  // Magic, FLG 0x60 (version 01, independent blocks, no checksums, no size), BD 0x40 (64 KiB), and the same header
  // checksum byte as the golden frame, since it covers the same descriptor.
  ASSERT_GE(frame.size(), 11u);
  EXPECT_EQ(byte_buffer(frame.begin(), frame.begin() + 7), from_hex("04224d18 60 40 82"));
  EXPECT_EQ(byte_buffer(frame.end() - 4, frame.end()), from_hex("00000000"));  // end mark, no content checksum
}

TEST(Compression, GoldenSnappyDecodes) {
  const auto xerial = from_hex("82534e4150505900 00000001 00000001 | 0000000b 171468656c6c6f20420600");
  const auto raw = from_hex("171468656c6c6f20420600");
  for (const auto& input : {xerial, raw}) {
    byte_buffer out;
    ASSERT_FALSE(decompress(compression_codec::snappy, input, out, 1024));
    EXPECT_EQ(as_string(out), "hello hello hello hello");
  }
  // Our own encoding of the same input is byte-for-byte the golden xerial stream (snappy is deterministic).
  const std::string_view hello = "hello hello hello hello";
  EXPECT_EQ(compressed(compression_codec::snappy, byte_buffer(hello.begin(), hello.end())), xerial);
}

TEST(Compression, SnappyXerialBlocksAreAtMost32KiB) {
  const auto data = sample_data(100 * 1024 + 17, 5);
  const auto stream = compressed(compression_codec::snappy, data);
  ASSERT_GE(stream.size(), 16u);
  EXPECT_EQ(byte_buffer(stream.begin(), stream.begin() + 16), from_hex("82534e4150505900 00000001 00000001"));
  std::size_t pos = 16, blocks = 0, total = 0;
  while (pos < stream.size()) {
    ASSERT_LE(pos + 4, stream.size());
    std::size_t len = std::size_t{stream[pos]} << 24 | std::size_t{stream[pos + 1]} << 16 |
                      std::size_t{stream[pos + 2]} << 8 | stream[pos + 3];
    ASSERT_LE(pos + 4 + len, stream.size());
    byte_buffer block;  // each block is a raw snappy block on its own
    ASSERT_FALSE(decompress(compression_codec::snappy, bytes_view(stream).subspan(pos + 4, len), block, 1 << 20));
    EXPECT_LE(block.size(), 32768u);
    total += block.size();
    pos += 4 + len;
    ++blocks;
  }
  EXPECT_EQ(blocks, 4u);
  EXPECT_EQ(total, data.size());
}

TEST(Compression, ConcatenatedStreamsDecode) {
  const auto a = sample_data(40000, 6), b = sample_data(70000, 7);
  byte_buffer expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  for (auto codec : real_codecs) {
    byte_buffer both = compressed(codec, a);
    auto second = compressed(codec, b);
    both.insert(both.end(), second.begin(), second.end());
    byte_buffer out;
    ASSERT_FALSE(decompress(codec, both, out, expected.size())) << to_string(codec);
    EXPECT_EQ(out, expected) << to_string(codec);
  }
}

TEST(Compression, Lz4ChecksumsAreAcceptedAndVerified) {
  // Other writers (librdkafka, python-lz4) may add block and content checksums and a content size.
  const auto data = sample_data(150000, 8);
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof prefs);
  prefs.frameInfo.blockSizeID = LZ4F_max256KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
  prefs.frameInfo.contentSize = data.size();
  byte_buffer frame(LZ4F_compressFrameBound(data.size(), &prefs));
  const std::size_t n = LZ4F_compressFrame(frame.data(), frame.size(), data.data(), data.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  frame.resize(n);
  byte_buffer out;
  ASSERT_FALSE(decompress(compression_codec::lz4, frame, out, data.size()));
  EXPECT_EQ(out, data);
  auto bad_content_checksum = frame;
  bad_content_checksum.back() ^= 1;
  out.clear();
  EXPECT_EQ(decompress(compression_codec::lz4, bad_content_checksum, out, data.size()),
            client_errc::decompression_failed);
  auto bad_block_checksum = frame;
  bad_block_checksum[bad_block_checksum.size() - 9] ^= 1;  // last block checksum: before end mark and content sum
  out.clear();
  EXPECT_EQ(decompress(compression_codec::lz4, bad_block_checksum, out, data.size()),
            client_errc::decompression_failed);
  // A failure mid-frame must not poison the next call (liblz4 1.9.4 keeps a stale size after a reset).
  const auto plain = compressed(compression_codec::lz4, data);
  out.clear();
  ASSERT_FALSE(decompress(compression_codec::lz4, plain, out, data.size()));
  EXPECT_EQ(out, data);
}

TEST(Compression, ExactlyAtTheCap) {
  const auto data = sample_data(100000, 9);
  for (auto codec : all_codecs) {
    const auto packed = compressed(codec, data);
    byte_buffer out;
    EXPECT_FALSE(decompress(codec, packed, out, data.size())) << to_string(codec);
    EXPECT_EQ(out, data);
    out.clear();
    EXPECT_EQ(decompress(codec, packed, out, data.size() - 1), client_errc::decompressed_too_large)
        << to_string(codec);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(decompress(codec, packed, out, 0), client_errc::decompressed_too_large) << to_string(codec);
  }
}

// The probe sees every allocation, the codec libraries' malloc included. No single one may exceed the cap, except
// zstd's window, which compression.hpp documents as limited to max(cap, 8 MiB) (zstd-jni announces windows of a
// few MiB even for small batches): the window buffer is that plus one block (ZSTD_BLOCKSIZE_MAX) and some slack.
TEST(Compression, BombsStopAtTheCapWithoutAllocatingMore) {
  const byte_buffer zeros(100 << 20, 0);
  const std::size_t cap = 1 << 20;
  const std::size_t zstd_window_bound = std::max<std::size_t>(cap, 8u << 20) + ZSTD_BLOCKSIZE_MAX + 4096;
  for (auto codec : real_codecs) {
    const auto bomb = compressed(codec, zeros, codec == compression_codec::gzip ? 1 : default_compression_level);
    ASSERT_LT(bomb.size(), 6u << 20) << to_string(codec);
    byte_buffer out;
    probe::start();
    const auto ec = decompress(codec, bomb, out, cap);
    probe::stop();
    EXPECT_EQ(ec, client_errc::decompressed_too_large) << to_string(codec);
    EXPECT_TRUE(out.empty());
    EXPECT_LE(probe::largest.load(), codec == compression_codec::zstd ? zstd_window_bound : cap) << to_string(codec);
  }
  // A zstd frame that asks for a 64 MiB window (above the limit) is refused without allocating it.
  {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ASSERT_TRUE(cctx);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 26);
    byte_buffer wide(ZSTD_compressBound(zeros.size()));
    const auto n = ZSTD_compress2(cctx, wide.data(), wide.size(), zeros.data(), zeros.size());
    ZSTD_freeCCtx(cctx);
    ASSERT_FALSE(ZSTD_isError(n));
    wide.resize(n);
    byte_buffer out;
    probe::start();
    const auto ec = decompress(compression_codec::zstd, wide, out, cap);
    probe::stop();
    EXPECT_EQ(ec, client_errc::decompressed_too_large);
    EXPECT_LE(probe::largest.load(), zstd_window_bound) << "the 64 MiB window was allocated";
  }
  // One raw snappy block of 100 MiB is refused from its length header, before anything is allocated.
  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(zeros.data()), zeros.size(), &raw);
  byte_buffer out;
  probe::start();
  const auto ec = decompress(compression_codec::snappy, bytes_view(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()), out, cap);
  probe::stop();
  EXPECT_EQ(ec, client_errc::decompressed_too_large);
  EXPECT_EQ(probe::largest.load(), 0u);
  // A block claiming more than snappy can expand to is corrupt whatever the cap.
  const byte_buffer liar = {0x80, 0x80, 0x80, 0x32, 0x00};  // varint 100 MiB, then one byte
  EXPECT_EQ(decompress(compression_codec::snappy, liar, out, 1u << 30), client_errc::decompression_failed);
  EXPECT_TRUE(out.empty());
}

TEST(Compression, TruncatedInputFails) {
  const auto data = sample_data(3000, 10);
  for (auto codec : real_codecs) {
    const auto packed = compressed(codec, data);
    for (std::size_t len = 0; len < packed.size(); ++len) {
      byte_buffer out;
      const auto ec = decompress(codec, bytes_view(packed).first(len), out, 1 << 20);
      if (codec == compression_codec::snappy && !ec) {
        // A xerial stream cut at a block boundary is a valid shorter stream (and an empty input is empty).
        EXPECT_LT(out.size(), data.size());
        EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin()));
        continue;
      }
      EXPECT_TRUE(ec) << to_string(codec) << " prefix " << len;
      EXPECT_TRUE(out.empty());
    }
  }
}

TEST(Compression, CorruptedInputNeverCrashes) {
  std::mt19937 rng(11);
  const auto data = sample_data(20000, 12);
  const std::size_t cap = 30000;
  for (auto codec : real_codecs) {
    const auto packed = compressed(codec, data);
    int failures = 0;
    for (int trial = 0; trial < 400; ++trial) {
      auto bad = packed;
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
        bad[rng() % bad.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
      byte_buffer out;
      if (decompress(codec, bad, out, cap)) {
        ++failures;
        EXPECT_TRUE(out.empty());
      } else {
        EXPECT_LE(out.size(), cap);
        // gzip carries a CRC-32 of the content: only flips in unchecked header fields (MTIME, OS) get through.
        if (codec == compression_codec::gzip) {
          EXPECT_EQ(out, data);
        }
      }
    }
    EXPECT_GT(failures, 0) << to_string(codec);
  }
  // Random garbage of every codec.
  for (int trial = 0; trial < 2000; ++trial) {
    byte_buffer junk(rng() % 64);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    for (auto codec : real_codecs) {
      byte_buffer out;
      (void)decompress(codec, junk, out, 4096);
      EXPECT_LE(out.size(), 4096u);
    }
  }
}

TEST(Compression, ContextsSurviveFailuresAndInterleaving) {
  // Thread-local contexts are reset between calls: a failed call in the middle of a stream must not leak state.
  const auto data = sample_data(50000, 13);
  for (auto codec : real_codecs) {
    const auto packed = compressed(codec, data);
    for (int round = 0; round < 3; ++round) {
      byte_buffer out;
      EXPECT_TRUE(decompress(codec, bytes_view(packed).first(packed.size() / 2), out, 1 << 20));
      out.clear();
      EXPECT_TRUE(decompress(codec, packed, out, 100));
      out.clear();
      ASSERT_FALSE(decompress(codec, packed, out, 1 << 20)) << to_string(codec);
      EXPECT_EQ(out, data);
      // Reused contexts are deterministic, also after switching level and back.
      const auto first = compressed(codec, data);
      if (codec != compression_codec::snappy) (void)compressed(codec, data, level_range(codec).min + 1);
      EXPECT_EQ(compressed(codec, data), first) << to_string(codec);
    }
  }
}

TEST(Compression, ThreadsUseTheirOwnContexts) {
  std::atomic<int> errors{0};
  auto work = [&](std::uint32_t seed) {
    for (int i = 0; i < 20; ++i) {
      for (auto codec : real_codecs) {
        const auto data = sample_data(10000 + i * 100, seed + static_cast<std::uint32_t>(i));
        byte_buffer packed, back;
        if (compress(codec, data, packed) || decompress(codec, packed, back, data.size()) || back != data) ++errors;
      }
    }
  };
  std::thread a(work, 100), b(work, 200);
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
}

TEST(Compression, FramingsStartWithTheirMagic) {
  const auto data = sample_data(1000, 14);
  const auto gz = compressed(compression_codec::gzip, data);
  EXPECT_EQ(byte_buffer(gz.begin(), gz.begin() + 3), from_hex("1f8b08"));  // gzip magic, deflate
  const auto z = compressed(compression_codec::zstd, data);
  EXPECT_EQ(byte_buffer(z.begin(), z.begin() + 4), from_hex("28b52ffd"));
  EXPECT_EQ(compressed(compression_codec::none, data), data);
}
