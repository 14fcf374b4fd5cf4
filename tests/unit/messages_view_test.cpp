// The generated view codecs (`*_view`, manifest `view`) against the owning codecs they twin, for every version and
// sample mode: the view decodes what the owning decoder decodes (less the unknown tags it skips), fails where it
// fails with the same error, encodes the same bytes, and decoding into the same view again allocates nothing.
#include "allocation_probe.hpp"
#include "messages_samples.hpp"

#include <kafkio/protocol/message.hpp>

#include <gtest/gtest.h>

#include <random>

using namespace kafkio;
using namespace kafkio::protocol;
using kafkio::protocol::samples::clear_unknown_tags;
using kafkio::protocol::samples::fill_sample;
using kafkio::protocol::samples::sample_mode;
using kafkio::protocol::samples::sample_source;
namespace probe = kafkio::test::allocation_probe;

namespace {

template <class V>
class MessageView : public ::testing::Test {};

template <class... Ts>
using gtest_types = ::testing::Types<Ts...>;
struct type_names {
  template <class V>
  static std::string GetName(int) {
    return std::string(V::message_name) + "View";
  }
};
TYPED_TEST_SUITE(MessageView, all_view_types<gtest_types>, type_names);

constexpr sample_mode all_modes[] = {sample_mode::typical, sample_mode::nulls, sample_mode::large};

template <class M>
M sample(std::int16_t version, sample_mode mode) {
  M m;
  sample_source source(mode);
  fill_sample(m, version, source);
  return m;
}

template <class M>
byte_buffer encoded(const M& m, std::int16_t version) {
  byte_buffer out;
  EXPECT_FALSE(encode_message(out, m, version));
  return out;
}

}  // namespace

TYPED_TEST(MessageView, DecodesWhatTheOwningDecoderDecodes) {
  using V = TypeParam;
  using M = typename V::owning_type;
  int checked = 0;
  for (std::int16_t v = V::min_version; v <= V::max_version; ++v) {
    for (auto mode : all_modes) {
      SCOPED_TRACE(testing::Message() << V::message_name << " v" << v << " mode " << static_cast<int>(mode));
      const M original = sample<M>(v, mode);  // with unknown tags in flexible versions (typical, large)
      const auto bytes = encoded(original, v);

      M owning;
      ASSERT_FALSE(decode_message(bytes, owning, v));
      clear_unknown_tags(owning);
      V view;
      ASSERT_FALSE(decode_message(bytes, view, v));
      EXPECT_TRUE(view.to_owning() == owning);

      M stripped = original;
      clear_unknown_tags(stripped);
      EXPECT_TRUE(view.to_owning() == stripped);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3 * (V::max_version - V::min_version + 1));
}

TYPED_TEST(MessageView, EncodesTheOwningEncodersBytes) {
  using V = TypeParam;
  using M = typename V::owning_type;
  for (std::int16_t v = V::min_version; v <= V::max_version; ++v) {
    for (auto mode : all_modes) {
      SCOPED_TRACE(testing::Message() << V::message_name << " v" << v << " mode " << static_cast<int>(mode));
      M m = sample<M>(v, mode);
      clear_unknown_tags(m);
      const auto want = encoded(m, v);

      V view;
      view.assign(m);
      EXPECT_TRUE(view.to_owning() == m);
      byte_buffer got;
      ASSERT_FALSE(encode_message(got, view, v));
      EXPECT_EQ(got, want);

      // A decoded view re-encodes to the same bytes, even when the input carried unknown tags it skipped.
      const auto with_tags = encoded(sample<M>(v, mode), v);  // the decoded view points into it
      V decoded;
      ASSERT_FALSE(decode_message(with_tags, decoded, v));
      byte_buffer again;
      ASSERT_FALSE(encode_message(again, decoded, v));
      EXPECT_EQ(again, want);
      EXPECT_TRUE(decoded == view);
    }
  }
}

TYPED_TEST(MessageView, VersionOutsideRangeAndTrailingBytes) {
  using V = TypeParam;
  V view;
  byte_buffer out;
  EXPECT_EQ(encode_message(out, view, static_cast<std::int16_t>(V::max_version + 1)),
            client_errc::unsupported_version);
  EXPECT_TRUE(out.empty());
  ASSERT_FALSE(encode_message(out, view, V::max_version));
  EXPECT_EQ(decode_message(out, view, static_cast<std::int16_t>(V::max_version + 1)),
            client_errc::unsupported_version);
  out.push_back(0);
  EXPECT_EQ(decode_message(out, view, V::max_version), client_errc::trailing_bytes);
}

// Same verdict on bad input: every truncated prefix and random byte changes give the owning decoder's error, and
// what decodes is what the owning decoder decodes.
TYPED_TEST(MessageView, FailsWhereTheOwningDecoderFails) {
  using V = TypeParam;
  using M = typename V::owning_type;
  std::mt19937 rng(1234);
  std::size_t inputs = 0;
  V view;  // reused throughout, as the producer reuses one
  for (std::int16_t v = V::min_version; v <= V::max_version; ++v) {
    for (auto mode : {sample_mode::typical, sample_mode::nulls}) {
      const auto bytes = encoded(sample<M>(v, mode), v);
      auto compare = [&](bytes_view input) {
        M owning;
        auto owning_ec = decode_message(input, owning, v);
        auto view_ec = decode_message(input, view, v);
        ASSERT_EQ(view_ec, owning_ec) << V::message_name << " v" << v << ", " << input.size() << " bytes";
        if (!owning_ec) {
          clear_unknown_tags(owning);
          ASSERT_TRUE(view.to_owning() == owning) << V::message_name << " v" << v;
        }
        ++inputs;
      };
      for (std::size_t n = 0; n < bytes.size(); ++n) compare(bytes_view(bytes.data(), n));
      for (int round = 0; round < 200; ++round) {
        auto changed = bytes;
        for (int k = 0; k < 1 + round % 3; ++k)
          changed[rng() % changed.size()] = static_cast<std::uint8_t>(rng());
        compare(changed);
      }
    }
  }
  EXPECT_GT(inputs, 0u);
}

// Decoding into the same view again allocates nothing, whatever the order of shapes it sees once it has held the
// largest: arrays keep their elements, strings and bytes are views. (The probe is inert under ASan.)
TYPED_TEST(MessageView, ReusedViewDecodesWithoutAllocating) {
  using V = TypeParam;
  using M = typename V::owning_type;
  for (std::int16_t v = V::min_version; v <= V::max_version; ++v) {
    SCOPED_TRACE(testing::Message() << V::message_name << " v" << v);
    const auto typical = encoded(sample<M>(v, sample_mode::typical), v);
    const auto large = encoded(sample<M>(v, sample_mode::large), v);
    const auto nulls = encoded(sample<M>(v, sample_mode::nulls), v);
    V view;
    ASSERT_FALSE(decode_message(typical, view, v));
    ASSERT_FALSE(decode_message(large, view, v));
    probe::start();
    for (int i = 0; i < 3; ++i) {
      EXPECT_FALSE(decode_message(nulls, view, v));
      EXPECT_FALSE(decode_message(large, view, v));
      EXPECT_FALSE(decode_message(typical, view, v));
    }
    probe::stop();
    EXPECT_EQ(probe::count.load(), 0u);
  }
}

// view_vector keeps its elements: clear() and a smaller decode do not destroy the inner arrays' capacity.
TEST(ViewVector, ReusesElementsAndTheirArrays) {
  view_vector<view_vector<int>> outer;
  outer.emplace_back().push_back(1);
  outer.emplace_back().push_back(2);
  outer.back().push_back(3);
  EXPECT_EQ(outer.size(), 2u);
  EXPECT_EQ(outer[1].size(), 2u);
  outer.clear();
  EXPECT_TRUE(outer.empty());
  auto& again = outer.emplace_back();  // the kept element, emptied
  EXPECT_TRUE(again.empty());
  probe::start();
  again.push_back(7);  // its storage from before: no allocation
  auto& second = outer.next_slot();
  second.clear();
  second.push_back(8);
  second.push_back(9);
  probe::stop();
  EXPECT_EQ(probe::count.load(), 0u);
  EXPECT_EQ(outer.size(), 2u);
  EXPECT_EQ(outer[0][0], 7);
  EXPECT_EQ(outer[1][1], 9);
  view_vector<view_vector<int>> copy = outer;
  EXPECT_TRUE(copy == outer);
  copy[1][1] = 10;
  EXPECT_FALSE(copy == outer);
}
