// Compression of a RecordBatch records section, in the framings Kafka brokers and the Java client accept
// (docs/protocol.md, "Compression framings"):
//  - gzip:   an RFC 1952 gzip stream (zlib). Concatenated members are accepted on read.
//  - snappy: xerial snappy-java stream framing on write (16-byte header, then int32 BE length + raw snappy block for
//            every <= 32 KiB of input). On read: xerial framing, concatenated xerial streams, or one raw snappy block.
//  - lz4:    an LZ4 frame with independent 64 KiB blocks and no checksums on write (what Kafka's reader requires).
//            On read, any LZ4 frame liblz4 accepts, including block and content checksums (both verified).
//  - zstd:   a standard zstd frame. Concatenated frames are accepted on read.
//
// Both functions APPEND to `out` and leave what was in it untouched, so the batch builder can compress straight
// behind a header it has already written. On failure, `out` is restored to its size at the call.
//
// Decompression never writes more than `max_output` bytes and never grows `out` by more than `max_output`: the
// output grows geometrically as the decoder actually produces bytes (starting from a small multiple of the input),
// and the call fails with client_errc::decompressed_too_large as soon as one byte beyond the cap would be produced.
// A small input that claims a huge size therefore costs nothing. zstd's window is limited to
// max(max_output, 8 MiB) rounded up to a power of two, so a frame header cannot make the decoder allocate a huge
// window either.
//
// Reuse: every codec context (zlib deflate/inflate streams, LZ4F contexts, zstd CCtx/DCtx) is created once per
// thread (thread_local) and reset between calls, so steady-state compression allocates nothing beyond growing the
// caller's buffer. The exception is snappy: libsnappy 1.1.9 allocates its small working memory inside every
// RawCompress call (one per 32 KiB block) and offers no way to reuse it.
#pragma once

#include <kafkio/protocol/wire.hpp>

#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

namespace kafkio::protocol {

// Attribute bits 0-2 of a RecordBatch.
enum class compression_codec : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// Kafka's names, as in compression.type: "none", "gzip", "snappy", "lz4", "zstd".
std::string_view to_string(compression_codec codec) noexcept;
// Accepts Kafka's names in any letter case; nullopt for anything else.
std::optional<compression_codec> parse_compression_codec(std::string_view name) noexcept;
// The codec of a RecordBatch attributes id (0..4); nullopt for 5..7.
std::optional<compression_codec> compression_codec_from_id(int id) noexcept;

// "Use the codec's default level."
inline constexpr int default_compression_level = INT_MIN;

struct compression_level_range {
  int min;
  int max;
  int default_level;  // what default_compression_level means
};
// Valid levels per codec:
//   gzip   1..9, default 6 (zlib's default, what Java's Deflater uses)
//   lz4    0..17, default 0: 0-2 are LZ4's fast mode, 3-12 LZ4 HC; 13-17 (Java's lz4 accepts up to 17) act as
//          12, liblz4's maximum. The default is the fast mode, like librdkafka; Java's default is 9 (HC).
//   zstd   ZSTD_minCLevel()..ZSTD_maxCLevel() (negative = faster), default 3
//   none, snappy: no levels; 0..0, and any level passed is ignored.
compression_level_range level_range(compression_codec codec) noexcept;

// Compresses `in` with `codec` and appends the result to `out`. `level` must be default_compression_level or in
// level_range(codec) (else client_errc::invalid_config). codec none appends `in` unchanged.
std::error_code compress(compression_codec codec, bytes_view in, byte_buffer& out,
                         int level = default_compression_level);

// Compresses one records section in steps, in the same framing as compress(), so that a large batch can be
// compressed over several turns of an event loop instead of in one long call. It owns its codec contexts (not the
// thread's), so compress() calls for other batches in between do not disturb it. For lz4 and snappy the bytes
// equal compress()'s when every step but the last is a multiple of 64 KiB (their blocks are 64 and 32 KiB).
// One stream at a time: begin() takes it over for a new owner, whatever it was doing.
class compression_stream {
 public:
  compression_stream();
  ~compression_stream();
  compression_stream(const compression_stream&) = delete;
  compression_stream& operator=(const compression_stream&) = delete;

  // Starts compressing `total` input bytes for `owner` (an identity, never dereferenced), appending to `out`.
  // Levels as compress() (client_errc::invalid_config outside level_range). codec none is not a stream.
  std::error_code begin(compression_codec codec, int level, std::size_t total, byte_buffer& out, const void* owner);
  // Compresses the next input bytes into `out` (the buffer begin() was given). The call whose input reaches
  // `total` ends the stream; `out` then holds exactly the compressed bytes behind what it held at begin().
  // Until then `out` is larger (room for what is still to come). An error ends the stream.
  std::error_code update(bytes_view in, byte_buffer& out);
  const void* owner() const noexcept;
  std::size_t consumed() const noexcept;  // input bytes taken so far
  void release() noexcept;                // no owner any more (the next begin() need not take it over)

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// Decompresses `in` and appends the result to `out`, producing at most `max_output` bytes.
// Errors: decompression_failed (malformed or truncated input, trailing garbage), decompressed_too_large,
// unsupported_compression (codec id not known).
std::error_code decompress(compression_codec codec, bytes_view in, byte_buffer& out, std::size_t max_output);

}  // namespace kafkio::protocol
