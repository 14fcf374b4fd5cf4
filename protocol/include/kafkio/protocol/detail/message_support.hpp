// Helpers the generated message codecs (kafkio/protocol/messages/*.hpp) call. They pick the classic or the compact
// ("flexible") wire form of a field at run time, so each generated encode()/decode() is one function for every
// version instead of one per version. Not a public API: the generator is the only intended caller.
#pragma once

#include <kafkio/protocol/wire.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace kafkio::protocol::detail {

// A present-but-null value written in a version where the field is not nullable goes out as empty: Kafka's Java
// code throws here instead, but a codec that cannot fail is simpler to use and the empty value is what a receiver
// of such a version would assume anyway.
template <class T>
const T& value_or_empty(const std::optional<T>& v) {
  static const T empty{};
  return v ? *v : empty;
}

inline void write_string(writer& w, std::string_view s, bool flexible) {
  if (flexible) w.compact_string(s);
  else w.string(s);
}
inline void write_nullable_string(writer& w, const std::optional<std::string>& s, bool flexible) {
  if (flexible) w.compact_nullable_string(s);
  else w.nullable_string(s);
}
inline std::string read_string(reader& r, bool flexible) { return flexible ? r.compact_string() : r.string(); }
inline std::optional<std::string> read_nullable_string(reader& r, bool flexible) {
  return flexible ? r.compact_nullable_string() : r.nullable_string();
}

inline void write_bytes(writer& w, bytes_view b, bool flexible) {
  if (flexible) w.compact_bytes(b);
  else w.bytes(b);
}
inline void write_nullable_bytes(writer& w, const std::optional<byte_buffer>& b, bool flexible) {
  if (flexible) w.compact_nullable_bytes(b);
  else w.nullable_bytes(b);
}
inline byte_buffer read_bytes(reader& r, bool flexible) { return flexible ? r.compact_bytes() : r.bytes(); }
inline std::optional<byte_buffer> read_nullable_bytes(reader& r, bool flexible) {
  return flexible ? r.compact_nullable_bytes() : r.nullable_bytes();
}

inline void write_array_length(writer& w, std::int32_t n, bool flexible) {
  if (flexible) w.compact_array_length(n);
  else w.array_length(n);
}
// `min_element_size` is a lower bound on one element's encoded size, so that a count the remaining input cannot
// hold fails at once instead of driving a long loop or a large reserve().
inline std::int32_t read_array_length(reader& r, bool flexible, std::size_t min_element_size) {
  return flexible ? r.compact_array_length(min_element_size) : r.array_length(min_element_size);
}

// Writers take any sized range (std::vector for the owning codecs, view_vector for the view codecs).
template <class Range, class WriteElement>
void write_array(writer& w, const Range& v, bool flexible, WriteElement&& write_element) {
  write_array_length(w, static_cast<std::int32_t>(v.size()), flexible);
  for (const auto& e : v) write_element(w, e);
}
template <class Range, class WriteElement>
void write_nullable_array(writer& w, const std::optional<Range>& v, bool flexible, WriteElement&& write_element) {
  if (!v) return write_array_length(w, -1, flexible);
  write_array(w, *v, flexible, write_element);
}

template <class T, class ReadElement>
void read_elements(reader& r, std::vector<T>& out, std::int32_t n, ReadElement& read_element) {
  out.clear();
  out.reserve(static_cast<std::size_t>(n));  // bounded by the input: read_array_length checked n * min size
  for (std::int32_t i = 0; i < n && r.ok(); ++i) read_element(r, out.emplace_back());
}
template <class T, class ReadElement>
void read_array(reader& r, std::vector<T>& out, bool flexible, std::size_t min_element_size,
                ReadElement&& read_element) {
  auto n = read_array_length(r, flexible, min_element_size);
  if (n < 0) return r.fail(client_errc::unexpected_null);
  read_elements(r, out, n, read_element);
}
template <class T, class ReadElement>
void read_nullable_array(reader& r, std::optional<std::vector<T>>& out, bool flexible, std::size_t min_element_size,
                         ReadElement&& read_element) {
  auto n = read_array_length(r, flexible, min_element_size);
  if (n < 0) return out.reset();
  read_elements(r, out.emplace(), n, read_element);
}

// Arrays of structs: each element encodes itself at the message version.
template <class Range>
void write_structs(writer& w, const Range& v, bool flexible, std::int16_t version) {
  write_array(w, v, flexible, [version](writer& ew, const auto& e) { e.encode(ew, version); });
}
template <class Range>
void write_nullable_structs(writer& w, const std::optional<Range>& v, bool flexible, std::int16_t version) {
  write_nullable_array(w, v, flexible, [version](writer& ew, const auto& e) { e.encode(ew, version); });
}
template <class T>
void read_structs(reader& r, std::vector<T>& out, bool flexible, std::size_t min_element_size, std::int16_t version) {
  read_array(r, out, flexible, min_element_size, [version](reader& er, T& e) { e.decode(er, version); });
}
template <class T>
void read_nullable_structs(reader& r, std::optional<std::vector<T>>& out, bool flexible, std::size_t min_element_size,
                           std::int16_t version) {
  read_nullable_array(r, out, flexible, min_element_size, [version](reader& er, T& e) { e.decode(er, version); });
}

// Arrays of strings ([]string in the schema; the elements themselves are never null).
template <class Range>
void write_strings(writer& w, const Range& v, bool flexible) {
  write_array(w, v, flexible, [flexible](writer& ew, std::string_view e) { write_string(ew, e, flexible); });
}
inline void read_strings(reader& r, std::vector<std::string>& out, bool flexible, std::size_t min_element_size) {
  read_array(r, out, flexible, min_element_size,
             [flexible](reader& er, std::string& e) { e = read_string(er, flexible); });
}

// Nullable struct fields: int8 -1 for null, 1 followed by the struct otherwise (any negative marker reads as null,
// like Kafka's generated Java).
template <class T>
void write_nullable_struct(writer& w, const std::optional<T>& v, std::int16_t version) {
  if (!v) return w.int8(-1);
  w.int8(1);
  v->encode(w, version);
}
template <class T>
void read_nullable_struct(reader& r, std::optional<T>& out, std::int16_t version) {
  if (r.int8() < 0) return out.reset();
  out.emplace().decode(r, version);
}

// Encodes one known tagged field into `tags`.
template <class WriteField>
void put_tag(tagged_fields& tags, std::uint32_t tag, WriteField&& write_field) {
  auto& f = tags.emplace_back();
  f.tag = tag;
  writer tw(f.data);
  write_field(tw);
}

// Writes a tagged-field section: the known fields that differ from their defaults plus the unknown ones kept from
// decoding, in ascending tag order. A kept unknown tag that is now also known (decoded at a version that did not
// know it, re-encoded at one that does) is dropped in favour of the known field.
inline void write_tags(writer& w, tagged_fields known, const tagged_fields& unknown) {
  if (known.empty()) return w.tagged(unknown);
  const std::size_t known_count = known.size();
  for (const auto& u : unknown) {
    auto same_tag = [&](const unknown_tagged_field& k) { return k.tag == u.tag; };
    if (std::none_of(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(known_count), same_tag))
      known.push_back(u);
  }
  std::stable_sort(known.begin(), known.end(), [](const auto& a, const auto& b) { return a.tag < b.tag; });
  w.tagged(known);
}

// A known tagged field must fill its payload exactly; leftover bytes mean we disagree with the sender about the
// field's type, so the decoded value cannot be trusted.
inline bool finish_known_tag(reader& tr) {
  if (tr.ok() && tr.remaining() != 0) tr.fail(client_errc::malformed_tagged_fields);
  return true;
}

}  // namespace kafkio::protocol::detail
