// record_batch_reader and decompress() on arbitrary bytes. The first byte picks the reader options and a codec;
// the rest is the input. Invariants: no crash, no read outside the input, decompressed output within the cap and
// untouched on failure, and a batch read with CRC checking on can be re-stamped (restamp re-checks the CRC).
#include <kafkio/protocol/compression.hpp>
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kafkio::protocol;
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const bytes_view input(data + 1, size - 1);
  constexpr std::size_t cap = 1 << 16;

  byte_buffer out = {0xAA};  // decompress appends; on failure it must leave this byte alone
  const auto codec = static_cast<compression_codec>(mode % 5);
  const auto ec = decompress(codec, input, out, cap);
  if (out.empty() || out[0] != 0xAA || out.size() > 1 + cap || (ec && out.size() != 1)) std::abort();

  record_batch_reader reader(input, {.max_decompressed_bytes = cap,
                                     .allow_truncated_tail = (mode & 0x10) != 0,
                                     .require_contiguous_offsets = (mode & 0x20) == 0,
                                     .verify_crc = (mode & 0x40) == 0});
  while (reader.next_batch()) {
    if (reader.batch_bytes().size() != reader.header().total_size()) std::abort();
    record_view rec;
    std::int32_t n = 0;
    while (reader.next_record(rec)) {
      ++n;
      for (const auto& h : rec.headers()) (void)h.key.size();
    }
    if (n != reader.header().records_count) std::abort();
    if ((mode & 0x40) == 0) {  // CRC was verified: re-stamping must succeed
      byte_buffer copy(reader.batch_bytes().begin(), reader.batch_bytes().end());
      if (restamp_producer_fields(copy, 1, 2, 3)) std::abort();
    }
  }
  if (reader.bytes_consumed() > input.size()) std::abort();
  return 0;
}
