// Every version of every generated message: a filled message survives encode -> decode unchanged, re-encoding the
// decoded message gives the same bytes, and the byte stream is exactly as long as the decoder consumes.
#include "messages_samples.hpp"

#include <kafkio/protocol/message.hpp>

#include <gtest/gtest.h>

#include <type_traits>

using namespace kafkio;
using namespace kafkio::protocol;
using kafkio::protocol::samples::fill_sample;
using kafkio::protocol::samples::sample_mode;
using kafkio::protocol::samples::sample_source;

namespace {

template <class M>
class MessageRoundTrip : public ::testing::Test {};

template <class... Ts>
using gtest_types = ::testing::Types<Ts...>;
using all_types = all_message_types<gtest_types>;

struct type_names {
  template <class M>
  static std::string GetName(int) {
    return std::string(M::message_name);
  }
};
TYPED_TEST_SUITE(MessageRoundTrip, all_types, type_names);

constexpr sample_mode all_modes[] = {sample_mode::typical, sample_mode::nulls, sample_mode::large};

const char* mode_name(sample_mode m) {
  switch (m) {
    case sample_mode::typical: return "typical";
    case sample_mode::nulls: return "nulls";
    case sample_mode::large: return "large";
  }
  return "?";
}

}  // namespace

TYPED_TEST(MessageRoundTrip, EveryVersionEveryMode) {
  using M = TypeParam;
  int checked = 0;
  for (std::int16_t v = M::min_version; v <= M::max_version; ++v) {
    for (auto mode : all_modes) {
      SCOPED_TRACE(testing::Message() << M::message_name << " v" << v << " " << mode_name(mode));
      M original;
      sample_source source(mode);
      fill_sample(original, v, source);

      byte_buffer bytes;
      ASSERT_FALSE(encode_message(bytes, original, v));

      M decoded;
      ASSERT_FALSE(decode_message(bytes, decoded, v)) << "decode failed";
      EXPECT_TRUE(decoded == original) << "decoded message differs from the one encoded";

      byte_buffer again;
      ASSERT_FALSE(encode_message(again, decoded, v));
      EXPECT_EQ(again, bytes) << "re-encoding changed the bytes";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3 * (M::max_version - M::min_version + 1));
}

// The typical sample must differ from a default-constructed message in every version: otherwise the round trip
// above would prove nothing for that version. The only exception is a version with an empty body
// (ApiVersionsRequest v0-2).
TYPED_TEST(MessageRoundTrip, SamplesAreNotDefaults) {
  using M = TypeParam;
  for (std::int16_t v = M::min_version; v <= M::max_version; ++v) {
    SCOPED_TRACE(testing::Message() << M::message_name << " v" << v);
    M filled;
    sample_source source(sample_mode::typical);
    fill_sample(filled, v, source);
    byte_buffer a, b;
    writer wa(a), wb(b);
    filled.encode(wa, v);
    M{}.encode(wb, v);
    if (b.empty()) {
      EXPECT_TRUE((std::is_same_v<M, api_versions_request> && v < 3)) << "unexpected empty body";
      continue;
    }
    EXPECT_FALSE(filled == M{});
    EXPECT_NE(a, b);
  }
}

TYPED_TEST(MessageRoundTrip, VersionOutsideRangeIsRejected) {
  using M = TypeParam;
  M m;
  byte_buffer out;
  EXPECT_EQ(encode_message(out, m, static_cast<std::int16_t>(M::max_version + 1)), client_errc::unsupported_version);
  EXPECT_EQ(encode_message(out, m, static_cast<std::int16_t>(M::min_version - 1)), client_errc::unsupported_version);
  EXPECT_TRUE(out.empty());
  writer w(out);
  m.encode(w, static_cast<std::int16_t>(M::max_version + 1));  // the unchecked entry point writes nothing
  EXPECT_TRUE(out.empty());

  byte_buffer valid;
  ASSERT_FALSE(encode_message(valid, m, M::max_version));
  M decoded;
  EXPECT_EQ(decode_message(valid, decoded, static_cast<std::int16_t>(M::max_version + 1)),
            client_errc::unsupported_version);
}

TYPED_TEST(MessageRoundTrip, TrailingBytesAreReported) {
  using M = TypeParam;
  byte_buffer bytes;
  ASSERT_FALSE(encode_message(bytes, M{}, M::max_version));
  bytes.push_back(0);
  M decoded;
  EXPECT_EQ(decode_message(bytes, decoded, M::max_version), client_errc::trailing_bytes);
}
