// JSON that keeps every number exactly as it was written. Boost.JSON 1.81 turns each number into an int64, uint64 or
// double, so 0.1 came back as 1E-1, 1.0 as 1E0, 123456789012345678901234567890 as 1.2345678901234568E29 and 1e400 as
// Infinity (not JSON at all). The json embedded format stores a key or value as JSON text; it must be the text the
// client meant.
//
// How: the parse builds an ordinary json::value in which each number is a json::string holding a marker byte
// 0xFF and the number's text. A parsed string can never start with 0xFF, because the parser refuses invalid UTF-8
// and 0xFF occurs in no UTF-8 sequence; so the marker cannot be confused with a real string. Only this file knows
// the marker: read numbers with number_text / to_integer and write documents with serialize.
#pragma once

#include <boost/json/basic_parser.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kafkio_server::json_exact {

namespace json = boost::json;

// The SAX handler behind both parsers below (public only because basic_parser needs its type).
struct exact_handler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::string number;       // the parts of a number split across input buffers
  bool non_finite = false;  // a number beyond double's range (1e400): no reader that uses doubles could read it

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) { return true; }
  bool on_object_end(std::size_t n, boost::system::error_code&) { return st.push_object(n), true; }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::system::error_code&) { return st.push_array(n), true; }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) { return st.push_chars(s), true; }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code&) { return st.push_key(s), true; }
  bool on_string_part(json::string_view s, std::size_t, boost::system::error_code&) { return st.push_chars(s), true; }
  bool on_string(json::string_view s, std::size_t, boost::system::error_code&) { return st.push_string(s), true; }
  bool on_number_part(json::string_view s, boost::system::error_code&) { return number.append(s.data(), s.size()), true; }
  bool on_int64(std::int64_t, json::string_view s, boost::system::error_code&) { return push_number(s), true; }
  bool on_uint64(std::uint64_t, json::string_view s, boost::system::error_code&) { return push_number(s), true; }
  bool on_double(double d, json::string_view s, boost::system::error_code& ec);
  bool on_bool(bool b, boost::system::error_code&) { return st.push_bool(b), true; }
  bool on_null(boost::system::error_code&) { return st.push_null(), true; }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

  void push_number(json::string_view last_part);
};

struct parse_result {
  json::value value;
  boost::system::error_code ec;  // syntax error (400), or exponent_overflow with non_finite set (422)
  bool non_finite = false;
};

// Parses one complete JSON text (trailing whitespace allowed, nothing else), nesting at most max_depth deep.
parse_result parse(std::string_view text, std::size_t max_depth);

// Parses a stream of concatenated JSON texts (REST Proxy v3's streaming mode: `{...}{...}`), fed piece by piece.
class stream_parser {
 public:
  explicit stream_parser(std::size_t max_depth);
  // Consumes input until one value is complete or the input is used up; returns the bytes used. done() then says
  // whether a value is complete (take it with release()).
  std::size_t write_some(std::string_view input, boost::system::error_code& ec);
  // The input ended: completes a value that the end delimits (a top-level number), or fails.
  void finish(boost::system::error_code& ec);
  bool done() const noexcept { return parser_.done(); }
  bool non_finite() const noexcept { return parser_.handler().non_finite; }
  bool in_progress() const noexcept { return started_; }  // bytes of a value have been consumed
  json::value release();  // the completed value; resets for the next one

 private:
  json::basic_parser<exact_handler> parser_;
  bool started_ = false;
};

bool is_number(const json::value& v) noexcept;
// The string `v` holds, or nullptr if it holds none (a number is not a string here, whatever its representation).
const json::string* if_string(const json::value& v) noexcept;
// A number's text as written, or nullopt if `v` is not a number.
std::optional<std::string_view> number_text(const json::value& v) noexcept;
// A number written as an integer (no fraction or exponent: 2, not 2.0 or 2e0) that fits Int, else nullopt.
template <class Int>
std::optional<Int> to_integer(const json::value& v) noexcept;
// Compact JSON text with every number as written (strings and keys re-escaped canonically by Boost.JSON).
std::string serialize(const json::value& v);

}  // namespace kafkio_server::json_exact
