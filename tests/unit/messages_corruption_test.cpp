// Decoders on bad input: every truncated prefix of a valid encoding fails with an error, random byte changes never
// crash (run under ASan/UBSan in CI) and whatever still decodes is stable, and absurd counts fail before anything
// large is allocated.
#include "messages_samples.hpp"

#include <kafkio/protocol/message.hpp>

#include <gtest/gtest.h>

#include <random>
#include <type_traits>

using namespace kafkio;
using namespace kafkio::protocol;
using kafkio::protocol::samples::fill_sample;
using kafkio::protocol::samples::sample_mode;
using kafkio::protocol::samples::sample_source;

namespace {

template <class M>
class MessageCorruption : public ::testing::Test {};

template <class... Ts>
using gtest_types = ::testing::Types<Ts...>;
struct type_names {
  template <class M>
  static std::string GetName(int) {
    return std::string(M::message_name);
  }
};
TYPED_TEST_SUITE(MessageCorruption, all_message_types<gtest_types>, type_names);

template <class M>
byte_buffer sample_bytes(std::int16_t version, sample_mode mode) {
  M m;
  sample_source source(mode);
  fill_sample(m, version, source);
  byte_buffer out;
  EXPECT_FALSE(encode_message(out, m, version));
  return out;
}

}  // namespace

TYPED_TEST(MessageCorruption, EveryTruncatedPrefixFails) {
  using M = TypeParam;
  std::size_t prefixes = 0;
  for (std::int16_t v = M::min_version; v <= M::max_version; ++v) {
    for (auto mode : {sample_mode::typical, sample_mode::nulls}) {
      auto bytes = sample_bytes<M>(v, mode);
      for (std::size_t n = 0; n < bytes.size(); ++n) {
        M decoded;
        reader r(bytes_view(bytes.data(), n));
        auto ec = decoded.decode(r, v);
        ASSERT_TRUE(ec) << M::message_name << " v" << v << ": prefix of " << n << "/" << bytes.size() << " decoded";
        EXPECT_EQ(ec, r.error());
        ++prefixes;
      }
    }
  }
  // ApiVersionsRequest v0-2 have empty bodies; every other message has prefixes to check.
  if constexpr (!std::is_same_v<M, api_versions_request>) {
    EXPECT_GT(prefixes, 0u);
  }
}

// Random single- and multi-byte corruption. A decoder may accept changed bytes (most fields hold any value), but
// then what it decoded must itself round-trip: encoding it and decoding again gives the same message.
TYPED_TEST(MessageCorruption, RandomByteChangesNeverCrash) {
  using M = TypeParam;
  std::mt19937 rng(12345);
  int accepted = 0, rejected = 0;
  for (std::int16_t v = M::min_version; v <= M::max_version; ++v) {
    for (auto mode : {sample_mode::typical, sample_mode::large}) {
      const auto original = sample_bytes<M>(v, mode);
      if (original.empty()) continue;
      for (int round = 0; round < 150; ++round) {
        auto bytes = original;
        int changes = 1 + static_cast<int>(rng() % 4);
        for (int c = 0; c < changes; ++c) {
          auto& b = bytes[rng() % bytes.size()];
          b = (rng() % 2) ? static_cast<std::uint8_t>(rng()) : static_cast<std::uint8_t>(b ^ (1u << (rng() % 8)));
        }
        M decoded;
        if (decode_message(bytes, decoded, v)) {
          ++rejected;
          continue;
        }
        ++accepted;
        byte_buffer again;
        ASSERT_FALSE(encode_message(again, decoded, v));
        M twice;
        ASSERT_FALSE(decode_message(again, twice, v)) << M::message_name << " v" << v;
        ASSERT_TRUE(twice == decoded) << M::message_name << " v" << v;
      }
    }
  }
  EXPECT_GT(accepted + rejected, 0);
}

// A count field claiming 2^31-1 elements (or a string/bytes length far beyond the input) is rejected at once.
TEST(MessageCorruptionLimits, HugeCountsFailFast) {
  {
    // ProduceRequest v3: null transactional id, acks, timeout, then a topic count of INT32_MAX.
    byte_buffer bytes = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x75, 0x30, 0x7f, 0xff, 0xff, 0xff};
    produce_request m;
    EXPECT_EQ(decode_message(bytes, m, 3), client_errc::truncated);
    EXPECT_EQ(m.topic_data.capacity(), 0u);
  }
  {
    // ProduceRequest v9: the same as a compact array length varint (0xffffffff would overflow; use 2^31).
    byte_buffer bytes = {0x00, 0xff, 0xff, 0x00, 0x00, 0x75, 0x30, 0x80, 0x80, 0x80, 0x80, 0x08};
    produce_request m;
    EXPECT_FALSE(decode_message(bytes, m, 9) == std::error_code{});
    EXPECT_EQ(m.topic_data.capacity(), 0u);
  }
  {
    // MetadataResponse v1: 4 brokers claimed, but only room for part of one.
    byte_buffer bytes = {0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'h'};
    metadata_response m;
    EXPECT_EQ(decode_message(bytes, m, 1), client_errc::truncated);
  }
  {
    // SaslAuthenticateRequest v0: bytes length 0x7fffffff with 2 bytes of input.
    byte_buffer bytes = {0x7f, 0xff, 0xff, 0xff, 0x01, 0x02};
    sasl_authenticate_request m;
    EXPECT_EQ(decode_message(bytes, m, 0), client_errc::truncated);
    EXPECT_TRUE(m.auth_bytes.empty());
  }
  {
    // A non-nullable array sent as null (-1) is an error, not an empty array.
    byte_buffer bytes = {0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
    sasl_handshake_response m;
    EXPECT_EQ(decode_message(bytes, m, 1), client_errc::unexpected_null);
  }
  {
    // A known tagged field whose payload is longer than its type: ApiVersionsResponse v3, tag 1 (int64) with 9
    // bytes of payload.
    byte_buffer bytes = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x09, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa};
    api_versions_response m;
    EXPECT_EQ(decode_message(bytes, m, 3), client_errc::malformed_tagged_fields);
  }
}
