// Values for the generated fill_sample() functions (messages_samples.hpp). Every call returns a fresh value, so
// fields that are swapped or dropped by a codec show up as a mismatch after a round trip.
#pragma once

#include <kafkio/protocol/wire.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace kafkio::protocol::samples {

enum class sample_mode {
  typical,  // short non-default values, two elements per array, unknown tagged fields in flexible versions
  nulls,    // null wherever the version allows it, empty arrays, no unknown tags
  large,    // strings and byte fields longer than 127 bytes and long primitive arrays (multi-byte length varints)
};

class sample_source {
 public:
  explicit sample_source(sample_mode mode) : mode_(mode) {}

  // Integers stay clear of every schema default (0, -1, INT32_MIN, INT64_MAX...).
  std::int8_t int8() { return static_cast<std::int8_t>(1 + next() % 100); }
  std::int16_t int16() { return static_cast<std::int16_t>(1000 + next() % 20000); }
  std::uint16_t uint16() { return static_cast<std::uint16_t>(1000 + next() % 60000); }
  std::int32_t int32() { return static_cast<std::int32_t>(100000 + next()); }
  std::uint32_t uint32() { return 3000000000u + next(); }
  std::int64_t int64() { return 10000000000LL + next(); }
  double float64() { return 0.5 + next(); }
  uuid uuid_() {
    uuid u{};
    auto n = next();
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::uint8_t>(n * 7 + i + 1);
    return u;
  }
  std::string string() {
    auto n = next();
    if (mode_ == sample_mode::large) return std::string(150 + n % 50, static_cast<char>('a' + n % 26));
    return "s" + std::to_string(n);
  }
  byte_buffer bytes() { return byte_buffer(mode_ == sample_mode::large ? 200 : 3, static_cast<std::uint8_t>(next())); }
  byte_buffer records() { return byte_buffer(mode_ == sample_mode::large ? 300 : 12, static_cast<std::uint8_t>(next())); }

  template <class T>
  std::optional<T> maybe_null(bool nullable_here, T value) {
    if (nullable_here && mode_ == sample_mode::nulls) return std::nullopt;
    return value;
  }

  template <class T, class Fill>
  void fill_array(std::vector<T>& v, Fill&& fill) {
    v.resize(count<T>());
    for (auto& e : v) fill(e);
  }
  template <class T, class Fill>
  void fill_array(std::optional<std::vector<T>>& v, bool nullable_here, Fill&& fill) {
    if (nullable_here && mode_ == sample_mode::nulls) return v.reset();
    fill_array(v.emplace(), fill);
  }
  template <class T, class Fill>
  void fill_optional(std::optional<T>& v, bool nullable_here, Fill&& fill) {
    if (nullable_here && mode_ == sample_mode::nulls) return v.reset();
    fill(v.emplace());
  }

  // Tags far above any tag the schemas define, one with a two-byte tag number.
  tagged_fields unknown_tags() {
    if (mode_ == sample_mode::nulls) return {};
    return {{77, {0x01, 0x02, static_cast<std::uint8_t>(next())}}, {300, {}}};
  }

 private:
  template <class T>
  std::size_t count() const {
    constexpr bool primitive = std::is_arithmetic_v<T> || std::is_same_v<T, std::string> || std::is_same_v<T, uuid>;
    switch (mode_) {
      case sample_mode::nulls: return 0;
      case sample_mode::large: return primitive ? 140 : 1;
      case sample_mode::typical: break;
    }
    return 2;
  }
  std::uint32_t next() { return counter_++; }

  sample_mode mode_;
  std::uint32_t counter_ = 1;
};

}  // namespace kafkio::protocol::samples
