// frame_reader fed hostile bytes in hostile chunk sizes: never crashes, never buffers beyond the limit.
#include <kafkio/protocol/frame.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kafkio::protocol;
  if (size < 2) return 0;
  const std::size_t max_frame = 1 + data[0] * 64;  // first byte: frame limit; second: chunk size
  const std::size_t chunk = 1 + data[1] % 64;
  frame_reader r(max_frame);
  bytes_view in(data + 2, size - 2);
  std::error_code ec;
  for (std::size_t pos = 0; pos < in.size() && !ec; pos += chunk) {
    r.feed(in.subspan(pos, std::min(chunk, in.size() - pos)));
    bytes_view f;
    while (r.next(f, ec) == frame_reader::status::frame)
      if (f.size() > max_frame) std::abort();
    if (r.capacity() > max_frame + 4 + 64 + 16 * 1024) std::abort();
  }
  return 0;
}
