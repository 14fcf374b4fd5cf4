// Base64 (RFC 4648, standard alphabet), kafkio's one copy: SCRAM messages (RFC 5802) and kafkio-server's binary
// embedded format (REST Proxy clients send keys, values and header values base64-encoded). Decoding is strict about
// the alphabet and the length, so a corrupted payload is refused instead of silently turned into other bytes; the
// padding may be required (SCRAM) or optional (as Java's decoder, which REST Proxy uses, allows).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kafkio::protocol {

namespace detail {
inline constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < base64_alphabet.size(); ++i)
    t[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
inline constexpr auto base64_table = make_base64_table();
}  // namespace detail

enum class base64_padding : std::uint8_t { required, optional };

// nullopt if `in` is not base64: a character outside the alphabet, '=' anywhere but at the end, a length that no
// encoding produces (4n+1, or not 4n with padding required), or non-zero bits left over in the last character.
inline std::optional<std::string> base64_decode(std::string_view in, base64_padding padding = base64_padding::required) {
  if (padding == base64_padding::required && in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && !in.empty() && in.back() == '=') {
    in.remove_suffix(1);
    ++pad;
  }
  if (pad && (in.size() + pad) % 4 != 0) return std::nullopt;
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const auto v = detail::base64_table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  return out;
}

// Always padded.
inline std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t n = (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i + 1])) << 8) |
                            static_cast<std::uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(detail::base64_alphabet[(n >> s) & 63]);
  }
  if (i < in.size()) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i + 1])) << 8;
    out.push_back(detail::base64_alphabet[(n >> 18) & 63]);
    out.push_back(detail::base64_alphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? detail::base64_alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace kafkio::protocol
