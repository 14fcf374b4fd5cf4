// Primitive types: byte layouts of docs/protocol.md, "Primitive types", and the reader's failure rules.
#include "allocation_probe.hpp"

#include <kafkio/protocol/message.hpp>
#include <kafkio/protocol/messages/api_versions_response.hpp>
#include <kafkio/protocol/messages/metadata_response.hpp>
#include <kafkio/protocol/wire.hpp>

#include <gtest/gtest.h>

#include <random>

using namespace kafkio;
using namespace kafkio::protocol;

namespace {
byte_buffer enc(auto&& f) {
  byte_buffer b;
  writer w(b);
  f(w);
  return b;
}
}  // namespace

TEST(Wire, VarintVectors) {
  struct { std::int32_t v; byte_buffer bytes; } cases[] = {
      {0, {0x00}}, {1, {0x02}}, {-1, {0x01}}, {63, {0x7e}}, {-64, {0x7f}}, {64, {0x80, 0x01}}, {300, {0xd8, 0x04}}};
  for (const auto& c : cases) {
    EXPECT_EQ(enc([&](writer& w) { w.varint(c.v); }), c.bytes) << c.v;
    reader r(c.bytes);
    EXPECT_EQ(r.varint(), c.v);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
  }
  EXPECT_EQ(enc([](writer& w) { w.uvarint(300); }), (byte_buffer{0xac, 0x02}));
}

TEST(Wire, VarintExtremesRoundTrip) {
  std::mt19937_64 rng(42);
  std::vector<std::int64_t> values = {INT64_MIN, INT64_MAX, INT32_MIN, INT32_MAX, 0, -1, 1};
  for (int i = 0; i < 10000; ++i) values.push_back(static_cast<std::int64_t>(rng()) >> (rng() % 64));
  for (auto v : values) {
    auto b = enc([&](writer& w) {
      w.varlong(v);
      w.varint(static_cast<std::int32_t>(v));
    });
    reader r(b);
    EXPECT_EQ(r.varlong(), v);
    EXPECT_EQ(r.varint(), static_cast<std::int32_t>(v));
    EXPECT_TRUE(r.ok());
  }
}

TEST(Wire, OverlongVarintRejected) {
  byte_buffer b{0xff, 0xff, 0xff, 0xff, 0x7f};  // 5th byte has more than 4 significant bits
  reader r(b);
  r.uvarint();
  EXPECT_EQ(r.error(), client_errc::malformed_varint);
  byte_buffer c(11, 0x80);
  reader r2(c);
  r2.uvarlong();
  EXPECT_FALSE(r2.ok());
}

TEST(Wire, FixedWidthBigEndian) {
  auto b = enc([](writer& w) {
    w.int16(0x0102);
    w.int32(-2);
    w.int64(0x0102030405060708);
  });
  EXPECT_EQ(b, (byte_buffer{1, 2, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8}));
  reader r(b);
  EXPECT_EQ(r.int16(), 0x0102);
  EXPECT_EQ(r.int32(), -2);
  EXPECT_EQ(r.int64(), 0x0102030405060708);
  EXPECT_TRUE(r.ok());
}

TEST(Wire, StringsAndNulls) {
  auto b = enc([](writer& w) {
    w.nullable_string(std::nullopt);
    w.string("cpp");
    w.compact_nullable_string(std::nullopt);
    w.compact_string("ab");
    w.nullable_bytes(std::nullopt);
    w.compact_bytes(byte_buffer{9});
  });
  EXPECT_EQ(b, (byte_buffer{0xff, 0xff, 0, 3, 'c', 'p', 'p', 0, 3, 'a', 'b', 0xff, 0xff, 0xff, 0xff, 2, 9}));
  reader r(b);
  EXPECT_FALSE(r.nullable_string());
  EXPECT_EQ(r.string(), "cpp");
  EXPECT_FALSE(r.compact_nullable_string());
  EXPECT_EQ(r.compact_string(), "ab");
  EXPECT_FALSE(r.nullable_bytes());
  EXPECT_EQ(r.compact_bytes(), byte_buffer{9});
  EXPECT_TRUE(r.ok());
}

TEST(Wire, TruncationIsStickyAndSafe) {
  byte_buffer b{0x00, 0x10, 'a'};  // string of 16 bytes, only 1 present
  reader r(b);
  EXPECT_EQ(r.string(), "");
  EXPECT_EQ(r.error(), client_errc::truncated);
  EXPECT_EQ(r.int32(), 0);  // later reads return zero, error stays the first one
  EXPECT_EQ(r.error(), client_errc::truncated);
}

// An array count of 2^31-1 in a few bytes of input must not make a decoder reserve memory for it: the count is
// checked against the bytes left (each element takes at least `min_element_size`) before anything is allocated.
// Measured with the allocation probe (allocation_probe.hpp; inactive under AddressSanitizer).
TEST(Wire, HugeArrayCountDoesNotAllocate) {
  namespace probe = kafkio::test::allocation_probe;
  byte_buffer b{0x7f, 0xff, 0xff, 0xff, 0, 0};
  reader r(b);
  probe::start();
  EXPECT_EQ(r.array_length(4), 0);
  probe::stop();
  EXPECT_EQ(r.error(), client_errc::truncated);
  EXPECT_EQ(probe::count.load(), 0u);
  // Whole messages: ApiVersions v0 (error code, then the api_keys count) and Metadata v12 (throttle, then a
  // compact brokers count of 2^31-2) claim huge arrays in 6 bytes.
  api_versions_response versions;
  const byte_buffer huge_versions{0, 0, 0x7f, 0xff, 0xff, 0xff};
  metadata_response metadata;
  const byte_buffer huge_metadata{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07};
  probe::start();
  const auto versions_ec = decode_message(huge_versions, versions, 0);
  const auto metadata_ec = decode_message(huge_metadata, metadata, 12);
  probe::stop();
  EXPECT_EQ(versions_ec, client_errc::truncated);
  EXPECT_TRUE(metadata_ec) << "decoded a metadata response from 9 bytes";
  EXPECT_LT(probe::largest.load(), 1024u) << "a decoder reserved memory for a claimed array";
}

TEST(Wire, TaggedFieldsPreserveUnknown) {
  tagged_fields in{{1, {0xaa}}, {5, {0x01, 0x02}}};
  auto b = enc([&](writer& w) { w.tagged(in); });
  reader r(b);
  tagged_fields out;
  r.tagged(out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(out, in);
}

TEST(Wire, TaggedFieldsOutOfOrderRejected) {
  byte_buffer b{2, 5, 0, 1, 0};
  reader r(b);
  tagged_fields out;
  r.tagged(out);
  EXPECT_EQ(r.error(), client_errc::malformed_tagged_fields);
}

TEST(Errors, CategoriesNameThings) {
  std::error_code ec = kafka_errc::not_leader_or_follower;
  EXPECT_EQ(ec.category().name(), std::string("kafka"));
  EXPECT_NE(ec.message().find("NOT_LEADER_OR_FOLLOWER"), std::string::npos);
  EXPECT_TRUE(is_retriable(ec));
  EXPECT_FALSE(is_retriable(kafka_errc::unknown_server_error));
  EXPECT_EQ(std::error_code(client_errc::crc_mismatch).message(), "record batch CRC-32C mismatch");
  EXPECT_FALSE(kafka_error(0));
}
