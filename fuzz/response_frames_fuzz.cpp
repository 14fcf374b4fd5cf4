// Response frames as the producer receives them (size prefix removed, correlation id matched) through
// protocol::decode_response_body(): ApiVersions with its fallbacks, Metadata, InitProducerId and Produce (owning
// and view, which must agree) at every version the producer negotiates. Byte 0 picks the API, byte 1 the version,
// the rest is the frame. It must never crash, and the two Produce decoders must give the same verdict and content.
#include <kafkio/protocol/request.hpp>
#include <kafkio/protocol/version_negotiation.hpp>

#include <cstdlib>

namespace {

using namespace kafkio::protocol;

void produce(std::int16_t version, bytes_view frame) {
  static produce_response_view view;  // reused across inputs, as the producer reuses one
  produce_response owning;
  const auto owning_ec = decode_response_body(frame, version, owning);
  const auto view_ec = decode_response_body(frame, version, view);
  if (owning_ec != view_ec) std::abort();
  if (owning_ec) return;
  produce_response_view expected;
  expected.assign(owning);
  if (!(expected == view)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bytes_view frame(data + 2, size - 2);
  const std::uint8_t v = data[1];
  switch (data[0] % 4) {
    case 0: {
      api_versions_response r;
      const auto version = static_cast<std::int16_t>(v % 5);
      if (!decode_response_body(frame, version, r)) (void)api_versions_retry_version(r, version);
      break;
    }
    case 1: {
      metadata_response r;
      (void)decode_response_body(frame, static_cast<std::int16_t>(1 + v % 12), r);
      break;
    }
    case 2: {
      init_producer_id_response r;
      (void)decode_response_body(frame, static_cast<std::int16_t>(v % 6), r);
      break;
    }
    case 3:
      produce(static_cast<std::int16_t>(3 + v % 11), frame);
      break;
  }
  return 0;
}
