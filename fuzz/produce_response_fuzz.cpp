// ProduceResponse decoders at every version: the owning one (see message_fuzz.hpp), and its view twin, which must
// reach the same verdict on the same bytes and hold the same content, decoding into one reused view as the
// producer does (message_fuzz.hpp, check_view).
#include "message_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const kafkio::protocol::bytes_view body(data + 1, size - 1);
  kafkio::fuzz::check_message<kafkio::protocol::produce_response>(data[0], body);
  kafkio::fuzz::check_view<kafkio::protocol::produce_response_view>(data[0], body);
  return 0;
}
