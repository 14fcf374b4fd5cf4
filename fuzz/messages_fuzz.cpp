// Every generated message decoder on arbitrary bytes. Input: byte 0 picks the message type (all_message_types
// order), byte 1 the version within its range, the rest is the body. Whatever decodes must re-encode, decode back
// to the same struct, and re-encode to the same bytes; anything else aborts.
#include <kafkio/protocol/message.hpp>
#include <kafkio/protocol/messages/all.hpp>

#include <cstdlib>

namespace {

using namespace kafkio::protocol;

template <class M>
void check(std::uint8_t version_selector, bytes_view body) {
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

template <class... Messages>
struct dispatch {
  static constexpr std::size_t count = sizeof...(Messages);
  static void run(std::size_t index, std::uint8_t version_selector, bytes_view body) {
    std::size_t i = 0;
    ((i++ == index ? check<Messages>(version_selector, body) : void()), ...);
  }
};
using all = all_message_types<dispatch>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  all::run(data[0] % all::count, data[1], bytes_view(data + 2, size - 2));
  return 0;
}
