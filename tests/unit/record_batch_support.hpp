// Shared helpers for the RecordBatch tests: golden batches (docs/protocol.md, "Golden vectors"), random records,
// round-trip checks.
#pragma once

#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace record_batch_support {

using namespace kafkio;
using namespace kafkio::protocol;

constexpr compression_codec all_codecs[] = {compression_codec::none, compression_codec::gzip,
                                            compression_codec::snappy, compression_codec::lz4,
                                            compression_codec::zstd};
constexpr std::int64_t ts0 = 1700000000000;

inline byte_buffer from_hex(std::string_view hex) {
  byte_buffer out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i < hex.size();) {
    if (hex[i] == ' ' || hex[i] == '|' || hex[i] == '\n') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    i += 2;
  }
  return out;
}
inline bytes_view bv(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
inline std::string str(bytes_view b) { return std::string(b.begin(), b.end()); }

inline const byte_buffer golden_b1 = from_hex(
    "00000000 00000000 | 00000044 | ffffffff | 02 | 83794a1d | 0000 | 00000000 |"
    "0000018bcfe56800 | 0000018bcfe56800 | ffffffffffffffff | ffff | ffffffff | 00000001 |"
    "24 00 00 00 06 6b6579 0a 76616c7565 02 02 68 02 76");
inline const byte_buffer golden_b2 = from_hex(
    "0000000000000000 00000043 ffffffff 02 a219c97d 0000 00000001 0000018bcfe56800 0000018bcfe56805"
    "00000000000003e8 0000 00000000 00000002"
    "0e 00 00 00 01 02 61 00      12 00 0a 02 04 6b32 02 62 00");

// Overwrites a big-endian field of a batch in place.
template <class T>
void patch_be(byte_buffer& batch, std::size_t offset, T value) {
  auto u = static_cast<std::make_unsigned_t<T>>(value);
  for (std::size_t i = sizeof(T); i-- > 0; u = static_cast<decltype(u)>(u >> 8))
    batch[offset + i] = static_cast<std::uint8_t>(u);
}

inline void fix_crc(byte_buffer& batch) {
  patch_be<std::uint32_t>(batch, batch_layout::crc, crc32c(bytes_view(batch).subspan(batch_layout::attributes)));
}

// A record as the tests generate it, owning its bytes.
struct test_record {
  std::int64_t timestamp = 0;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

inline std::vector<test_record> random_records(std::mt19937& rng, std::size_t count, std::size_t max_value) {
  std::vector<test_record> out(count);
  const std::int64_t base = ts0 + static_cast<std::int64_t>(rng() % 1000);
  for (auto& r : out) {
    r.timestamp = base + static_cast<std::int64_t>(rng() % 20000) - 5000;
    if (rng() % 4) r.key = std::string(rng() % 40, static_cast<char>('a' + rng() % 26));
    if (rng() % 8) {
      r.value = std::string(rng() % (max_value + 1), '\0');
      const bool compressible = rng() % 2;
      for (auto& c : *r.value) c = static_cast<char>(compressible ? 'x' + rng() % 3 : rng());
    }
    for (std::size_t h = rng() % 4; h > 0; --h)
      r.headers.emplace_back(std::string(rng() % 10, 'h'),
                             rng() % 3 ? std::optional<std::string>(std::string(rng() % 20, 'v')) : std::nullopt);
  }
  return out;
}

inline std::optional<bytes_view> view_of(const std::optional<std::string>& s) {
  return s ? std::optional<bytes_view>(bv(*s)) : std::nullopt;
}

inline void append_all(record_batch_builder& b, const std::vector<test_record>& records) {
  b.reset(records.empty() ? ts0 : records.front().timestamp);
  std::vector<record_header_view> headers;
  for (const auto& r : records) {
    headers.clear();
    for (const auto& [k, v] : r.headers) headers.push_back({k, view_of(v)});
    const auto expected = b.estimated_size_after_append(r.timestamp, view_of(r.key), view_of(r.value), headers);
    ASSERT_FALSE(b.append(r.timestamp, view_of(r.key), view_of(r.value), headers));
    ASSERT_EQ(b.size_in_bytes(), expected);
  }
}

inline void expect_records(bytes_view batch, const std::vector<test_record>& expected,
                           std::int64_t base_offset = 0) {
  record_batch_reader reader(batch);
  ASSERT_TRUE(reader.next_batch()) << reader.error().message();
  EXPECT_EQ(reader.header().records_count, static_cast<std::int32_t>(expected.size()));
  record_view rec;
  std::size_t i = 0;
  for (; reader.next_record(rec); ++i) {
    ASSERT_LT(i, expected.size());
    const auto& want = expected[i];
    EXPECT_EQ(rec.offset, base_offset + static_cast<std::int64_t>(i));
    EXPECT_EQ(rec.timestamp, want.timestamp);
    ASSERT_EQ(rec.key.has_value(), want.key.has_value());
    if (rec.key) {
      EXPECT_EQ(str(*rec.key), *want.key);
    }
    ASSERT_EQ(rec.value.has_value(), want.value.has_value());
    if (rec.value) {
      EXPECT_EQ(str(*rec.value), *want.value);
    }
    ASSERT_EQ(rec.headers().size(), static_cast<std::int32_t>(want.headers.size()));
    std::size_t h = 0;
    for (const auto& header : rec.headers()) {
      EXPECT_EQ(header.key, want.headers[h].first);
      ASSERT_EQ(header.value.has_value(), want.headers[h].second.has_value());
      if (header.value) {
        EXPECT_EQ(str(*header.value), *want.headers[h].second);
      }
      ++h;
    }
    EXPECT_EQ(h, want.headers.size());
  }
  EXPECT_EQ(i, expected.size());
  EXPECT_FALSE(reader.next_batch());
  EXPECT_FALSE(reader.error());
}

// Reads everything and returns the first error (or none); never asserts on content.
inline std::error_code read_all(bytes_view data, record_batch_reader_options options = {}) {
  record_batch_reader reader(data, options);
  while (reader.next_batch()) {
    record_view rec;
    while (reader.next_record(rec))
      for (const auto& h : rec.headers()) (void)h.key.size();
  }
  return reader.error();
}

}  // namespace record_batch_support
