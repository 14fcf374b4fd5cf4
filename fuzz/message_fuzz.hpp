// Shared by the message fuzz targets: decode arbitrary bytes as message M at a fuzzer-chosen version; whatever
// decodes must re-encode, decode back to the same struct, and re-encode to the same bytes. Anything else aborts.
#pragma once

#include <kafkio/protocol/message.hpp>
#include <kafkio/protocol/messages/all.hpp>

#include <cstdlib>

namespace kafkio::fuzz {

using namespace kafkio::protocol;

template <class M>
void check_message(std::uint8_t version_selector, bytes_view body) {
  const auto span = M::max_version - M::min_version + 1;
  const auto version = static_cast<std::int16_t>(M::min_version + version_selector % span);
  M decoded;
  if (decode_message(body, decoded, version)) return;
  byte_buffer encoded;
  if (encode_message(encoded, decoded, version)) std::abort();
  M again;
  if (decode_message(encoded, again, version) || !(again == decoded)) std::abort();
  byte_buffer encoded_again;
  if (encode_message(encoded_again, again, version) || encoded_again != encoded) std::abort();
}

// The view twin V of a message on the same input: the view decoder fails exactly where the owning one does, with
// the same error, and what it decodes is the owning result without its unknown tags (same bytes when encoded, equal
// to a view of the owning result). One view is reused across inputs, as the producer reuses one per connection.
template <class V>
void check_view(std::uint8_t version_selector, bytes_view body) {
  using M = typename V::owning_type;
  const auto span = V::max_version - V::min_version + 1;
  const auto version = static_cast<std::int16_t>(V::min_version + version_selector % span);
  static V view;
  M owning;
  const auto owning_ec = decode_message(body, owning, version);
  const auto view_ec = decode_message(body, view, version);
  if (owning_ec != view_ec) std::abort();
  if (owning_ec) return;
  V of_owning;
  of_owning.assign(owning);
  if (!(of_owning == view)) std::abort();
  byte_buffer from_view, from_owning;
  if (encode_message(from_view, view, version) || encode_message(from_owning, of_owning, version)) std::abort();
  if (from_view != from_owning) std::abort();
  V again;
  if (decode_message(from_view, again, version) || !(again == view)) std::abort();
}

}  // namespace kafkio::fuzz

// One target per decoder (Boost.MySQL's convention): input byte 0 picks the version, the rest is the body.
#define KAFKIO_MESSAGE_FUZZ_TARGET(Message)                                                        \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {             \
    if (size < 1) return 0;                                                                        \
    kafkio::fuzz::check_message<kafkio::protocol::Message>(data[0], {data + 1, size - 1});         \
    return 0;                                                                                      \
  }
