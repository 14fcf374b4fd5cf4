// Every generated message decoder on arbitrary bytes. Input: byte 0 picks the message type (all_message_types
// order), byte 1 the version within its range, the rest is the body. Whatever decodes must re-encode, decode back
// to the same struct, and re-encode to the same bytes; anything else aborts.
#include "message_fuzz.hpp"

namespace {

using namespace kafkio::protocol;

template <class... Messages>
struct dispatch {
  static constexpr std::size_t count = sizeof...(Messages);
  static void run(std::size_t index, std::uint8_t version_selector, bytes_view body) {
    std::size_t i = 0;
    ((i++ == index ? kafkio::fuzz::check_message<Messages>(version_selector, body) : void()), ...);
  }
};
using all = all_message_types<dispatch>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  all::run(data[0] % all::count, data[1], bytes_view(data + 2, size - 2));
  return 0;
}
