// The producer's response glue (client/include/kafkio/core/requests.hpp) on whole response frames: header +
// body for ApiVersions, Metadata, InitProducerId and Produce at every version the producer negotiates. It must never
// crash and never build a table bigger than the frame justifies.
#include <kafkio/core/requests.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kafkio::detail;
  if (size < 2) return 0;
  kafkio::protocol::bytes_view frame(data + 2, size - 2);
  const std::uint8_t v = data[1];
  switch (data[0] % 4) {
    case 0: {
      kafkio::protocol::api_versions_response r;
      (void)decode_api_versions_frame(frame, static_cast<std::int16_t>(v % 5), r);
      break;
    }
    case 1: {
      metadata_result r;
      if (!decode_metadata_response(frame, static_cast<std::int16_t>(1 + v % 12), r))
        for (const auto& [name, t] : r.topics)
          if (t.partitions.size() > size) std::abort();
      break;
    }
    case 2: {
      init_producer_id_result r;
      (void)decode_init_producer_id_response(frame, static_cast<std::int16_t>(v % 6), r);
      break;
    }
    case 3: {
      produce_result r;
      if (!decode_produce_response(frame, static_cast<std::int16_t>(3 + v % 10), r) && r.partitions.size() > size)
        std::abort();
      break;
    }
  }
  return 0;
}
