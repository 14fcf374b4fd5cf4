// What the producer's core does with a Metadata response frame at every version it negotiates: the protocol decoder
// (response_frames_fuzz covers it alone), then read_metadata's leader table. It must never crash and never build a
// table bigger than the frame justifies.
#include <kafkio/core/metadata_cache.hpp>
#include <kafkio/protocol/request.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  kafkio::protocol::bytes_view frame(data + 1, size - 1);
  kafkio::protocol::metadata_response m;
  if (kafkio::protocol::decode_response_body(frame, static_cast<std::int16_t>(1 + data[0] % 12), m)) return 0;
  kafkio::core::metadata_result r;
  if (!kafkio::core::read_metadata(m, r))
    for (const auto& [name, t] : r.topics)
      if (t.partitions.size() > size) std::abort();
  return 0;
}
