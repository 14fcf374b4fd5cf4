// Kafka primitive types on the wire: big-endian fixed-width integers, varints, (compact)(nullable) strings and
// bytes, arrays, UUIDs and tagged fields. No I/O: a `writer` appends to a byte vector, a `reader` walks a span.
//
// The reader never throws and never reads past its span. The first failure is sticky: every later read
// returns a zero value and `error()` keeps the first code, so a decoder can read a whole message and check
// once at the end (the Boost.MySQL deserialization style). Lengths are validated against the remaining input
// before anything is allocated, so a hostile length field cannot make a decoder allocate more than the input.
#pragma once

#include <kafkio/error.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kafkio::protocol {

using byte_buffer = std::vector<std::uint8_t>;
using bytes_view = std::span<const std::uint8_t>;

using uuid = std::array<std::uint8_t, 16>;  // most significant byte first; all zero means "no id"

// A tagged field a decoder did not recognise. Kept so that re-encoding preserves it.
struct unknown_tagged_field {
  std::uint32_t tag = 0;
  byte_buffer data;
  friend bool operator==(const unknown_tagged_field&, const unknown_tagged_field&) = default;
};
using tagged_fields = std::vector<unknown_tagged_field>;

class writer {
 public:
  explicit writer(byte_buffer& out) noexcept : out_(&out) {}

  byte_buffer& buffer() noexcept { return *out_; }
  std::size_t size() const noexcept { return out_->size(); }

  void int8(std::int8_t v) { out_->push_back(static_cast<std::uint8_t>(v)); }
  void boolean(bool v) { int8(v ? 1 : 0); }
  void int16(std::int16_t v) { put_be(static_cast<std::uint16_t>(v)); }
  void uint16(std::uint16_t v) { put_be(v); }
  void int32(std::int32_t v) { put_be(static_cast<std::uint32_t>(v)); }
  void uint32(std::uint32_t v) { put_be(v); }
  void int64(std::int64_t v) { put_be(static_cast<std::uint64_t>(v)); }
  void float64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    put_be(bits);
  }
  void uuid_(const uuid& v) { raw(v.data(), v.size()); }

  // Varints: one byte (the common case: lengths and deltas under 128) is a single push_back; longer ones are
  // encoded on the stack and appended with one insert, not one capacity check per byte.
  void uvarint(std::uint32_t v) {
    if (v < 0x80) return out_->push_back(static_cast<std::uint8_t>(v));
    put_varint(v);
  }
  void uvarlong(std::uint64_t v) {
    if (v < 0x80) return out_->push_back(static_cast<std::uint8_t>(v));
    put_varint(v);
  }
  void varint(std::int32_t v) {
    uvarint((static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31));
  }
  void varlong(std::int64_t v) {
    uvarlong((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }

  void string(std::string_view s) {
    int16(static_cast<std::int16_t>(s.size()));
    raw(s.data(), s.size());
  }
  void nullable_string(const std::optional<std::string>& s) {
    if (!s) return int16(-1);
    string(*s);
  }
  void compact_string(std::string_view s) {
    uvarint(static_cast<std::uint32_t>(s.size() + 1));
    raw(s.data(), s.size());
  }
  void compact_nullable_string(const std::optional<std::string>& s) {
    if (!s) return uvarint(0);
    compact_string(*s);
  }
  void bytes(bytes_view b) {
    int32(static_cast<std::int32_t>(b.size()));
    raw(b.data(), b.size());
  }
  void nullable_bytes(const std::optional<byte_buffer>& b) {
    if (!b) return int32(-1);
    bytes(*b);
  }
  void compact_bytes(bytes_view b) {
    uvarint(static_cast<std::uint32_t>(b.size() + 1));
    raw(b.data(), b.size());
  }
  void compact_nullable_bytes(const std::optional<byte_buffer>& b) {
    if (!b) return uvarint(0);
    compact_bytes(*b);
  }
  // Array length prefixes; the caller writes the elements.
  void array_length(std::int32_t n) { int32(n); }
  void compact_array_length(std::int32_t n) { uvarint(static_cast<std::uint32_t>(n + 1)); }  // -1 -> 0 (null)

  void tagged(const tagged_fields& fields) {
    uvarint(static_cast<std::uint32_t>(fields.size()));
    for (const auto& f : fields) {
      uvarint(f.tag);
      uvarint(static_cast<std::uint32_t>(f.data.size()));
      raw(f.data.data(), f.data.size());
    }
  }

  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_->insert(out_->end(), b, b + n);
  }
  void raw(bytes_view b) { raw(b.data(), b.size()); }

  // Overwrite a big-endian int32 at `pos` (used for size prefixes written after the payload).
  void patch_int32(std::size_t pos, std::int32_t v) {
    auto u = static_cast<std::uint32_t>(v);
    for (int i = 3; i >= 0; --i, u >>= 8) (*out_)[pos + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(u);
  }

 private:
  template <class U>
  void put_be(U v) {
    std::uint8_t b[sizeof(U)];
    for (std::size_t i = sizeof(U); i-- > 0; v = static_cast<U>(v >> 8)) b[i] = static_cast<std::uint8_t>(v);
    out_->insert(out_->end(), b, b + sizeof(U));
  }
  template <class U>
  void put_varint(U v) {
    std::uint8_t b[(sizeof(U) * 8 + 6) / 7];
    std::size_t n = 0;
    for (; v >= 0x80; v = static_cast<U>(v >> 7)) b[n++] = static_cast<std::uint8_t>(v | 0x80);
    b[n++] = static_cast<std::uint8_t>(v);
    out_->insert(out_->end(), b, b + n);
  }
  byte_buffer* out_;
};

class reader {
 public:
  explicit reader(bytes_view data) noexcept : data_(data) {}

  std::error_code error() const noexcept { return ec_; }
  bool ok() const noexcept { return !ec_; }
  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bytes_view rest() const noexcept { return data_.subspan(pos_); }
  void fail(std::error_code ec) noexcept {
    if (!ec_) ec_ = ec;
    pos_ = data_.size();
  }
  void fail(client_errc e) noexcept { fail(make_error_code(e)); }

  std::int8_t int8() noexcept { return static_cast<std::int8_t>(get_be<std::uint8_t>()); }
  bool boolean() noexcept { return int8() != 0; }
  std::int16_t int16() noexcept { return static_cast<std::int16_t>(get_be<std::uint16_t>()); }
  std::uint16_t uint16() noexcept { return get_be<std::uint16_t>(); }
  std::int32_t int32() noexcept { return static_cast<std::int32_t>(get_be<std::uint32_t>()); }
  std::uint32_t uint32() noexcept { return get_be<std::uint32_t>(); }
  std::int64_t int64() noexcept { return static_cast<std::int64_t>(get_be<std::uint64_t>()); }
  double float64() noexcept {
    auto bits = get_be<std::uint64_t>();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  uuid uuid_() noexcept {
    uuid u{};
    if (take(16)) std::memcpy(u.data(), data_.data() + pos_ - 16, 16);
    return u;
  }

  std::uint32_t uvarint() noexcept {
    std::uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (!take(1)) return 0;
      std::uint8_t b = data_[pos_ - 1];
      if (shift == 28 && (b & 0xf0) != 0) return fail(client_errc::malformed_varint), 0;
      v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail(client_errc::malformed_varint), 0;
  }
  std::uint64_t uvarlong() noexcept {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (!take(1)) return 0;
      std::uint8_t b = data_[pos_ - 1];
      if (shift == 63 && (b & 0xfe) != 0) return fail(client_errc::malformed_varint), 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail(client_errc::malformed_varint), 0;
  }
  std::int32_t varint() noexcept {
    auto u = uvarint();
    return static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::int64_t varlong() noexcept {
    auto u = uvarlong();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }

  std::string string() { return take_string(int16()); }
  std::optional<std::string> nullable_string() {
    auto n = int16();
    if (n == -1) return std::nullopt;
    return take_string(n);
  }
  std::string compact_string() {
    auto n = uvarint();
    if (n == 0) return fail(client_errc::unexpected_null), std::string{};
    return take_string(static_cast<std::int64_t>(n) - 1);
  }
  std::optional<std::string> compact_nullable_string() {
    auto n = uvarint();
    if (n == 0) return std::nullopt;
    return take_string(static_cast<std::int64_t>(n) - 1);
  }
  byte_buffer bytes() { return take_bytes(int32()); }
  std::optional<byte_buffer> nullable_bytes() {
    auto n = int32();
    if (n == -1) return std::nullopt;
    return take_bytes(n);
  }
  byte_buffer compact_bytes() {
    auto n = uvarint();
    if (n == 0) return fail(client_errc::unexpected_null), byte_buffer{};
    return take_bytes(static_cast<std::int64_t>(n) - 1);
  }
  std::optional<byte_buffer> compact_nullable_bytes() {
    auto n = uvarint();
    if (n == 0) return std::nullopt;
    return take_bytes(static_cast<std::int64_t>(n) - 1);
  }
  // The same four string and four bytes forms as views into the input (valid while the input is), with the same
  // checks: what the copying readers above fail on, these fail on too.
  std::string_view string_ref() noexcept { return take_string_ref(int16()); }
  std::optional<std::string_view> nullable_string_ref() noexcept {
    auto n = int16();
    if (n == -1) return std::nullopt;
    return take_string_ref(n);
  }
  std::string_view compact_string_ref() noexcept {
    auto n = uvarint();
    if (n == 0) return fail(client_errc::unexpected_null), std::string_view{};
    return take_string_ref(static_cast<std::int64_t>(n) - 1);
  }
  std::optional<std::string_view> compact_nullable_string_ref() noexcept {
    auto n = uvarint();
    if (n == 0) return std::nullopt;
    return take_string_ref(static_cast<std::int64_t>(n) - 1);
  }
  bytes_view bytes_ref() noexcept { return take_bytes_ref(int32()); }
  std::optional<bytes_view> nullable_bytes_ref() noexcept {
    auto n = int32();
    if (n == -1) return std::nullopt;
    return take_bytes_ref(n);
  }
  bytes_view compact_bytes_ref() noexcept {
    auto n = uvarint();
    if (n == 0) return fail(client_errc::unexpected_null), bytes_view{};
    return take_bytes_ref(static_cast<std::int64_t>(n) - 1);
  }
  std::optional<bytes_view> compact_nullable_bytes_ref() noexcept {
    auto n = uvarint();
    if (n == 0) return std::nullopt;
    return take_bytes_ref(static_cast<std::int64_t>(n) - 1);
  }

  // Zero-copy views into the input (valid while the input is).
  bytes_view bytes_view_(std::int64_t n) noexcept {
    if (n < 0 || static_cast<std::uint64_t>(n) > remaining()) return fail(client_errc::truncated), bytes_view{};
    auto v = data_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return v;
  }

  // Array lengths: -1 means null. A count is checked against the remaining bytes (every element takes at least
  // `min_element_size` bytes) so that `reserve(count)` can never exceed what the input justifies.
  std::int32_t array_length(std::size_t min_element_size = 1) noexcept {
    return checked_count(int32(), min_element_size);
  }
  std::int32_t compact_array_length(std::size_t min_element_size = 1) noexcept {
    auto n = uvarint();
    return checked_count(static_cast<std::int64_t>(n) - 1, min_element_size);
  }

  // Reads a tagged-field section. Known tags are handed to `on_known(tag, sub_reader)`, which returns false for
  // tags it does not know; those are kept in `unknown`.
  template <class OnKnown>
  void tagged(tagged_fields& unknown, OnKnown&& on_known) {
    read_tags(on_known, [&](std::uint32_t tag, bytes_view payload) {
      unknown.push_back({tag, byte_buffer(payload.begin(), payload.end())});
    });
  }
  void tagged(tagged_fields& unknown) {
    tagged(unknown, [](std::uint32_t, reader&) { return false; });
  }
  // The same checks, but tags `on_known` does not know are skipped, not kept (the view codecs: no allocation).
  template <class OnKnown>
  void tagged_skipping_unknown(OnKnown&& on_known) {
    read_tags(on_known, [](std::uint32_t, bytes_view) {});
  }
  void skip_tagged() {
    tagged_skipping_unknown([](std::uint32_t, reader&) { return false; });
  }

  bool take(std::size_t n) noexcept {
    if (n > remaining()) {
      fail(client_errc::truncated);
      return false;
    }
    pos_ += n;
    return true;
  }

 private:
  template <class U>
  U get_be() noexcept {
    if (!take(sizeof(U))) return 0;
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | data_[pos_ - sizeof(U) + i]);
    return v;
  }
  // Tag numbers strictly ascending, each payload within the section; a known tag's sub-reader error is ours.
  template <class OnKnown, class OnUnknown>
  void read_tags(OnKnown& on_known, OnUnknown&& on_unknown) {
    auto count = uvarint();
    if (count > remaining()) return fail(client_errc::truncated);
    std::uint32_t last_tag = 0;
    for (std::uint32_t i = 0; i < count && ok(); ++i) {
      auto tag = uvarint();
      auto size = uvarint();
      if (!ok()) return;
      if (i > 0 && tag <= last_tag) return fail(client_errc::malformed_tagged_fields);
      last_tag = tag;
      auto payload = bytes_view_(size);
      if (!ok()) return;
      reader sub(payload);
      if (on_known(tag, sub)) {
        if (!sub.ok()) return fail(sub.error());
      } else {
        on_unknown(tag, payload);
      }
    }
  }
  std::string_view take_string_ref(std::int64_t n) noexcept {
    auto v = take_bytes_ref(n);
    return {reinterpret_cast<const char*>(v.data()), v.size()};
  }
  bytes_view take_bytes_ref(std::int64_t n) noexcept {
    if (n < 0) return fail(client_errc::malformed_length), bytes_view{};
    return bytes_view_(n);
  }
  std::string take_string(std::int64_t n) { return std::string(take_string_ref(n)); }
  byte_buffer take_bytes(std::int64_t n) {
    auto v = take_bytes_ref(n);
    return byte_buffer(v.begin(), v.end());
  }
  std::int32_t checked_count(std::int64_t n, std::size_t min_element_size) noexcept {
    if (!ok()) return 0;
    if (n < -1) return fail(client_errc::malformed_length), 0;
    if (n > 0 && static_cast<std::uint64_t>(n) * (min_element_size ? min_element_size : 1) > remaining())
      return fail(client_errc::truncated), 0;
    return static_cast<std::int32_t>(n);
  }

  bytes_view data_;
  std::size_t pos_ = 0;
  std::error_code ec_;
};

}  // namespace kafkio::protocol
