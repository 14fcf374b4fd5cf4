#include "json_exact.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>

namespace kafkio_server::json_exact {

namespace {

constexpr char number_marker = '\xFF';  // see the header: no parsed (valid UTF-8) string contains this byte

json::parse_options options_for(std::size_t max_depth) {
  json::parse_options o;
  o.max_depth = max_depth;
  return o;
}

// A JSON string literal, escaped as Boost.JSON escapes (quote, backslash, control characters); the text is valid
// UTF-8 (the parser checked), so every other byte is copied. Written here to append in place: json::serialize
// returns a new string per call.
void append_string(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void serialize_to(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::string:
      if (auto n = number_text(v)) out.append(n->data(), n->size());
      else append_string(v.get_string(), out);
      return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        serialize_to(e, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_string(kv.key(), out);
        out += ':';
        serialize_to(kv.value(), out);
      }
      out += '}';
      return;
    }
    default: out += json::serialize(v); return;  // null, bool (numbers never reach here from our parsers)
  }
}

}  // namespace

bool exact_handler::on_double(double d, json::string_view s, boost::system::error_code& ec) {
  if (!std::isfinite(d)) {
    non_finite = true;
    ec = json::error::exponent_overflow;
    return false;
  }
  push_number(s);
  return true;
}

void exact_handler::push_number(json::string_view last_part) {
  // Pushed as one string: the marker, the earlier parts of a split number, and its last part.
  st.push_chars(json::string_view(&number_marker, 1));
  if (!number.empty()) st.push_chars(number);
  st.push_string(last_part);
  number.clear();
}

parse_result parse(std::string_view text, std::size_t max_depth) {
  json::basic_parser<exact_handler> p(options_for(max_depth));
  p.handler().st.reset();
  parse_result r;
  const auto used = p.write_some(false, text.data(), text.size(), r.ec);
  r.non_finite = p.handler().non_finite;
  if (!r.ec && used != text.size()) r.ec = json::error::extra_data;
  if (!r.ec) r.value = p.handler().st.release();
  return r;
}

stream_parser::stream_parser(std::size_t max_depth) : parser_(options_for(max_depth)) { parser_.handler().st.reset(); }

std::size_t stream_parser::write_some(std::string_view input, boost::system::error_code& ec) {
  // Whitespace between values belongs to no value: skip it, so that in_progress() means "a value has begun".
  std::size_t skipped = 0;
  if (!started_) {
    while (skipped < input.size() && (input[skipped] == ' ' || input[skipped] == '\t' || input[skipped] == '\n' ||
                                      input[skipped] == '\r'))
      ++skipped;
    input.remove_prefix(skipped);
    if (input.empty()) return skipped;
  }
  started_ = true;
  return skipped + parser_.write_some(true, input.data(), input.size(), ec);
}

void stream_parser::finish(boost::system::error_code& ec) {
  if (!started_ || parser_.done()) return;
  parser_.write_some(false, nullptr, 0, ec);
}

json::value stream_parser::release() {
  auto v = parser_.handler().st.release();
  parser_.reset();
  parser_.handler().st.reset();
  parser_.handler().number.clear();
  parser_.handler().non_finite = false;
  started_ = false;
  return v;
}

bool is_number(const json::value& v) noexcept {
  const auto* s = v.if_string();
  return s && !s->empty() && (*s)[0] == number_marker;
}

const json::string* if_string(const json::value& v) noexcept { return is_number(v) ? nullptr : v.if_string(); }

std::optional<std::string_view> number_text(const json::value& v) noexcept {
  if (!is_number(v)) return std::nullopt;
  const auto& s = v.get_string();
  return std::string_view(s.data() + 1, s.size() - 1);
}

template <class Int>
std::optional<Int> to_integer(const json::value& v) noexcept {
  auto text = number_text(v);
  if (!text) return std::nullopt;
  Int out{};
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return out;
}
template std::optional<std::int32_t> to_integer<std::int32_t>(const json::value&) noexcept;
template std::optional<std::int64_t> to_integer<std::int64_t>(const json::value&) noexcept;

std::string serialize(const json::value& v) {
  std::string out;
  serialize_to(v, out);
  return out;
}

}  // namespace kafkio_server::json_exact
