// Helpers the generated view codecs (`*_view` structs in kafkio/protocol/messages/*.hpp) call, beside
// message_support.hpp's. Reading: strings and bytes as views into the input, arrays decoded into view_vector slots
// (reused), unknown tags skipped. Writing: nullable views, and known tagged fields written in place (no buffer
// per tag). Converting: views of an owning message and owning copies of a view, for tests and slow paths.
// Not a public API: the generator is the only intended caller.
#pragma once

#include <kafkio/protocol/detail/message_support.hpp>
#include <kafkio/protocol/view_vector.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace kafkio::protocol::detail {

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_view_vector : std::false_type {};
template <class T> struct is_view_vector<view_vector<T>> : std::true_type {};

// ---- reading ------------------------------------------------------------------------------------------------------

inline std::string_view read_string_ref(reader& r, bool flexible) {
  return flexible ? r.compact_string_ref() : r.string_ref();
}
inline std::optional<std::string_view> read_nullable_string_ref(reader& r, bool flexible) {
  return flexible ? r.compact_nullable_string_ref() : r.nullable_string_ref();
}
inline bytes_view read_bytes_ref(reader& r, bool flexible) { return flexible ? r.compact_bytes_ref() : r.bytes_ref(); }
inline std::optional<bytes_view> read_nullable_bytes_ref(reader& r, bool flexible) {
  return flexible ? r.compact_nullable_bytes_ref() : r.nullable_bytes_ref();
}

// The value of an optional, engaging it only if it is not: an engaged one keeps its arrays' capacity.
template <class T>
T& engaged(std::optional<T>& v) {
  return v ? *v : v.emplace();
}

template <class T, class ReadElement>
void read_elements(reader& r, view_vector<T>& out, std::int32_t n, ReadElement& read_element) {
  out.clear();
  if (n == 0) return;  // the common case of the hot path (no record errors, ...): no call below
  out.reserve(static_cast<std::size_t>(n));  // bounded by the input: read_array_length checked n * min size
  for (std::int32_t i = 0; i < n && r.ok(); ++i) read_element(r, out.next_slot());
}
template <class T, class ReadElement>
void read_array(reader& r, view_vector<T>& out, bool flexible, std::size_t min_element_size,
                ReadElement&& read_element) {
  auto n = read_array_length(r, flexible, min_element_size);
  if (n < 0) return r.fail(client_errc::unexpected_null);
  read_elements(r, out, n, read_element);
}
template <class T, class ReadElement>
void read_nullable_array(reader& r, std::optional<view_vector<T>>& out, bool flexible, std::size_t min_element_size,
                         ReadElement&& read_element) {
  auto n = read_array_length(r, flexible, min_element_size);
  if (n < 0) return out.reset();
  read_elements(r, engaged(out), n, read_element);
}
template <class T>
void read_structs(reader& r, view_vector<T>& out, bool flexible, std::size_t min_element_size, std::int16_t version) {
  read_array(r, out, flexible, min_element_size, [version](reader& er, T& e) { e.decode(er, version); });
}
template <class T>
void read_nullable_structs(reader& r, std::optional<view_vector<T>>& out, bool flexible, std::size_t min_element_size,
                           std::int16_t version) {
  read_nullable_array(r, out, flexible, min_element_size, [version](reader& er, T& e) { e.decode(er, version); });
}
inline void read_strings(reader& r, view_vector<std::string_view>& out, bool flexible, std::size_t min_element_size) {
  read_array(r, out, flexible, min_element_size,
             [flexible](reader& er, std::string_view& e) { e = read_string_ref(er, flexible); });
}

// ---- writing ------------------------------------------------------------------------------------------------------

inline void write_nullable_string(writer& w, const std::optional<std::string_view>& s, bool flexible) {
  if (!s) return flexible ? w.uvarint(0) : w.int16(-1);
  write_string(w, *s, flexible);
}
inline void write_nullable_bytes(writer& w, const std::optional<bytes_view>& b, bool flexible) {
  if (!b) return flexible ? w.uvarint(0) : w.int32(-1);
  write_bytes(w, *b, flexible);
}

// One tagged field, written in place: tag, payload size, payload. The size comes first on the wire but is known
// only afterwards, so the payload is written, then its length varint is inserted before it (a few bytes moved;
// tagged payloads are small).
template <class WriteField>
void write_tag(writer& w, std::uint32_t tag, WriteField&& write_field) {
  w.uvarint(tag);
  auto& out = w.buffer();
  const std::size_t start = out.size();
  write_field(w);
  auto size = static_cast<std::uint32_t>(out.size() - start);
  std::uint8_t prefix[5];
  std::size_t n = 0;
  for (; size >= 0x80; size >>= 7) prefix[n++] = static_cast<std::uint8_t>(size | 0x80);
  prefix[n++] = static_cast<std::uint8_t>(size);
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(start), prefix, prefix + n);
}

// ---- comparing and converting -------------------------------------------------------------------------------------

// Equality for view fields: bytes by content (std::span has no ==), the rest element by element.
template <class T>
bool view_equal(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, bytes_view>) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  } else if constexpr (is_optional<T>::value) {
    return a.has_value() == b.has_value() && (!a || view_equal(*a, *b));
  } else if constexpr (is_view_vector<T>::value) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const auto& x, const auto& y) { return view_equal(x, y); });
  } else {
    return a == b;
  }
}

// The owning value of a view field: strings and bytes copied, view_vector -> std::vector, struct views through
// their to_owning().
template <class T>
auto owning_copy(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return std::string(v);
  } else if constexpr (std::is_same_v<T, bytes_view>) {
    return byte_buffer(v.begin(), v.end());
  } else if constexpr (is_optional<T>::value) {
    using owned = decltype(owning_copy(std::declval<const typename T::value_type&>()));
    return v ? std::optional<owned>(owning_copy(*v)) : std::optional<owned>();
  } else if constexpr (is_view_vector<T>::value) {
    std::vector<decltype(owning_copy(std::declval<const typename T::value_type&>()))> out;
    out.reserve(v.size());
    for (const auto& e : v) out.push_back(owning_copy(e));
    return out;
  } else if constexpr (requires { v.to_owning(); }) {
    return v.to_owning();
  } else {
    return v;
  }
}

// Points view field `view` at owning field `owned` (which must outlive it); arrays reuse their slots.
template <class V, class O>
void assign_view(V& view, const O& owned) {
  if constexpr (is_optional<V>::value) {
    if (!owned) return view.reset();
    assign_view(engaged(view), *owned);
  } else if constexpr (is_view_vector<V>::value) {
    view.clear();
    view.reserve(owned.size());
    for (const auto& e : owned) assign_view(view.next_slot(), e);
  } else if constexpr (requires { view.assign(owned); }) {
    view.assign(owned);
  } else {
    view = V(owned);
  }
}

}  // namespace kafkio::protocol::detail
