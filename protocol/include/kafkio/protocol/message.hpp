// Checked entry points for the generated message codecs (kafkio/protocol/messages/*.hpp).
//
// Every generated message type `M` has `M::encode(writer&, version)` and `M::decode(reader&, version)`. encode()
// trusts its caller: given a version outside [M::min_version, M::max_version] it writes nothing. These wrappers
// check the version first and report client_errc::unsupported_version, and decode_message() also insists that the
// message uses up its whole input.
#pragma once

#include <kafkio/protocol/wire.hpp>

#include <cstdint>
#include <system_error>

namespace kafkio::protocol {

template <class Message>
constexpr bool is_valid_version(std::int16_t version) noexcept {
  return version >= Message::min_version && version <= Message::max_version;
}

// True if `version` of `Message` uses the compact ("flexible") encoding with tagged fields.
template <class Message>
constexpr bool is_flexible_version(std::int16_t version) noexcept {
  return version >= Message::first_flexible_version;  // first_flexible_version is INT16_MAX for "never"
}

// Appends `message` encoded at `version` to `out`; on error `out` is unchanged.
template <class Message>
std::error_code encode_message(byte_buffer& out, const Message& message, std::int16_t version) {
  if (!is_valid_version<Message>(version)) return make_error_code(client_errc::unsupported_version);
  writer w(out);
  message.encode(w, version);
  return {};
}

// Decodes `input`, which must hold exactly one `Message` at `version` (client_errc::trailing_bytes otherwise).
template <class Message>
std::error_code decode_message(bytes_view input, Message& message, std::int16_t version) {
  reader r(input);
  message.decode(r, version);
  if (r.ok() && r.remaining() != 0) r.fail(client_errc::trailing_bytes);
  return r.error();
}

}  // namespace kafkio::protocol
