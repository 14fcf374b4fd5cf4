// Every primitive reader on arbitrary bytes, driven by an opcode stream: no crash, no read past the input, no
// allocation beyond what the input could justify, and a failed reader stays failed.
#include <kafkio/protocol/wire.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kafkio::protocol;
  if (size < 1) return 0;
  std::size_t ops = data[0] % 32 + 1;
  reader r(bytes_view(data + 1, size - 1));
  for (std::size_t i = 0; i < ops * 4 && r.ok(); ++i) {
    std::size_t before = r.remaining();
    switch ((data[0] + i) % 14) {
      case 0: r.uvarint(); break;
      case 1: r.varint(); break;
      case 2: r.varlong(); break;
      case 3: r.uvarlong(); break;
      case 4: r.string(); break;
      case 5: r.nullable_string(); break;
      case 6: r.compact_string(); break;
      case 7: r.compact_nullable_string(); break;
      case 8: r.bytes(); break;
      case 9: r.compact_nullable_bytes(); break;
      case 10: { auto n = r.array_length(4); if (n > 0 && static_cast<std::size_t>(n) * 4 > before) std::abort(); break; }
      case 11: { auto n = r.compact_array_length(2); if (n > 0 && static_cast<std::size_t>(n) * 2 > before) std::abort(); break; }
      case 12: { tagged_fields t; r.tagged(t); break; }
      case 13: r.uuid_(); r.int64(); break;
    }
    if (r.remaining() > before) std::abort();
  }
  if (!r.ok() && r.remaining() != 0) std::abort();
  return 0;
}
