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

}  // namespace kafkio::fuzz

// One target per decoder (Boost.MySQL's convention): input byte 0 picks the version, the rest is the body.
#define KAFKIO_MESSAGE_FUZZ_TARGET(Message)                                                        \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {             \
    if (size < 1) return 0;                                                                        \
    kafkio::fuzz::check_message<kafkio::protocol::Message>(data[0], {data + 1, size - 1});         \
    return 0;                                                                                      \
  }
