// Compiled part of compression.hpp: built once, from <kafkio/protocol/src.hpp>. The codec libraries' headers stay
// in here so that users of the public header do not see them.
#pragma once

#ifndef KAFKIO_SOURCE
#error "impl/compression.ipp is compiled once via <kafkio/protocol/src.hpp>; include compression.hpp instead"
#endif

#include <kafkio/protocol/compression.hpp>

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace kafkio::protocol {

std::string_view to_string(compression_codec codec) noexcept {
  switch (codec) {
    case compression_codec::none: return "none";
    case compression_codec::gzip: return "gzip";
    case compression_codec::snappy: return "snappy";
    case compression_codec::lz4: return "lz4";
    case compression_codec::zstd: return "zstd";
  }
  return "unknown";
}

std::optional<compression_codec> parse_compression_codec(std::string_view name) noexcept {
  for (int id = 0; id <= 4; ++id) {
    auto codec = static_cast<compression_codec>(id);
    auto known = to_string(codec);
    if (name.size() == known.size() &&
        std::equal(name.begin(), name.end(), known.begin(), [](char a, char b) {
          return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
        }))
      return codec;
  }
  return std::nullopt;
}

std::optional<compression_codec> compression_codec_from_id(int id) noexcept {
  if (id < 0 || id > 4) return std::nullopt;
  return static_cast<compression_codec>(id);
}

compression_level_range level_range(compression_codec codec) noexcept {
  switch (codec) {
    case compression_codec::gzip: return {1, 9, 6};
    case compression_codec::lz4: return {0, 17, 0};
    case compression_codec::zstd: return {ZSTD_minCLevel(), ZSTD_maxCLevel(), ZSTD_CLEVEL_DEFAULT};
    case compression_codec::none:
    case compression_codec::snappy: break;
  }
  return {0, 0, 0};
}

namespace detail::compression_impl {

// Record batches are int32-sized; this also keeps every length inside zlib's 32-bit counters.
constexpr std::size_t max_input = 0x7fffffff;

// ---- Thread-local codec contexts (created on first use in a thread, freed at thread exit) ----------------------

struct deflate_context {
  z_stream stream{};
  int level = 0;
  bool initialised = false;
  ~deflate_context() {
    if (initialised) deflateEnd(&stream);
  }
  // Ready for a new gzip stream at `wanted_level`; false if zlib cannot allocate its state.
  bool start(int wanted_level) {
    if (initialised && level == wanted_level) return deflateReset(&stream) == Z_OK;
    if (initialised) deflateEnd(&stream);
    stream = z_stream{};
    // windowBits 15 + 16 selects the gzip wrapper; memLevel 8 is zlib's default.
    initialised = deflateInit2(&stream, wanted_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    level = wanted_level;
    return initialised;
  }
};

struct inflate_context {
  z_stream stream{};
  bool initialised = false;
  ~inflate_context() {
    if (initialised) inflateEnd(&stream);
  }
  bool start() {
    if (initialised) return inflateReset(&stream) == Z_OK;
    stream = z_stream{};
    initialised = inflateInit2(&stream, 15 + 16) == Z_OK;  // gzip only
    return initialised;
  }
};

struct lz4_contexts {
  LZ4F_cctx* cctx = nullptr;
  LZ4F_dctx* dctx = nullptr;
  ~lz4_contexts() {
    if (cctx) LZ4F_freeCompressionContext(cctx);
    if (dctx) LZ4F_freeDecompressionContext(dctx);
  }
};

struct zstd_contexts {
  ZSTD_CCtx* cctx = nullptr;
  ZSTD_DCtx* dctx = nullptr;
  ~zstd_contexts() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
};

inline deflate_context& thread_deflate() {
  thread_local deflate_context c;
  return c;
}
inline inflate_context& thread_inflate() {
  thread_local inflate_context c;
  return c;
}
inline lz4_contexts& thread_lz4() {
  thread_local lz4_contexts c;
  return c;
}
inline zstd_contexts& thread_zstd() {
  thread_local zstd_contexts c;
  return c;
}

// ---- Bounded output ----------------------------------------------------------------------------------------------

struct step_result {
  std::size_t produced = 0;
  bool progressed = false;  // consumed input or produced output
  bool finished = false;    // input fully consumed and every stream in it ended
  std::error_code error;
};

// Drives a streaming decoder. `step(dst, capacity)` decodes into dst. The output grows geometrically with what the
// decoder really produces, never past `cap` appended bytes; once `cap` is reached, a one-byte probe on the stack
// tells whether the stream has more to give (then it is too large) or just ends.
template <class Step>
std::error_code bounded_decode(byte_buffer& out, std::size_t cap, std::size_t input_size, Step&& step) {
  const std::size_t base = out.size();
  std::size_t written = 0;
  std::size_t room = std::min(cap, std::max<std::size_t>(4 * input_size, 4096));
  auto fail = [&](std::error_code ec) {
    out.resize(base);
    return ec;
  };
  out.reserve(base + room);  // exact: vector's own growth could overshoot the cap
  out.resize(base + room);
  for (;;) {
    step_result r;
    if (written < room) {
      r = step(out.data() + base + written, room - written);
      if (r.error) return fail(r.error);
      written += r.produced;
    } else if (room < cap) {
      room = std::min(cap, room * 2);
      out.reserve(base + room);
      out.resize(base + room);
      continue;
    } else {
      std::uint8_t probe;
      r = step(&probe, 1);
      if (r.error) return fail(r.error);
      if (r.produced != 0) return fail(client_errc::decompressed_too_large);
    }
    if (r.finished) {
      out.resize(base + written);
      return {};
    }
    if (!r.progressed) return fail(client_errc::decompression_failed);  // input ends inside a stream
  }
}

// ---- gzip ----------------------------------------------------------------------------------------------------------

inline std::error_code gzip_compress(bytes_view in, byte_buffer& out, int level) {
  auto& ctx = thread_deflate();
  if (!ctx.start(level)) return client_errc::compression_failed;
  z_stream& s = ctx.stream;
  const std::size_t base = out.size();
  const std::size_t bound = deflateBound(&s, static_cast<uLong>(in.size()));
  out.resize(base + bound);
  s.next_in = const_cast<Bytef*>(in.data());  // zlib's API is not const-correct; it does not write the input
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = out.data() + base;
  s.avail_out = static_cast<uInt>(bound);
  if (deflate(&s, Z_FINISH) != Z_STREAM_END) {
    out.resize(base);
    return client_errc::compression_failed;
  }
  out.resize(base + bound - s.avail_out);
  return {};
}

inline std::error_code gzip_decompress(bytes_view in, byte_buffer& out, std::size_t cap) {
  auto& ctx = thread_inflate();
  if (!ctx.start()) return client_errc::decompression_failed;
  z_stream& s = ctx.stream;
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(in.size());
  return bounded_decode(out, cap, in.size(), [&](std::uint8_t* dst, std::size_t n) {
    step_result r;
    s.next_out = dst;
    s.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 0x7fffffff));
    const uInt in_before = s.avail_in, out_before = s.avail_out;
    const int rc = inflate(&s, Z_NO_FLUSH);
    r.produced = out_before - s.avail_out;
    r.progressed = r.produced != 0 || s.avail_in != in_before;
    if (rc == Z_STREAM_END) {
      if (s.avail_in == 0) {
        r.finished = true;
      } else if (s.avail_in >= 2 && s.next_in[0] == 0x1f && s.next_in[1] == 0x8b && inflateReset(&s) == Z_OK) {
        r.progressed = true;  // another gzip member follows (GZIPInputStream reads concatenated members too)
      } else {
        r.error = client_errc::decompression_failed;  // trailing garbage
      }
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {  // Z_BUF_ERROR: no progress possible, caught by the driver
      r.error = client_errc::decompression_failed;
    }
    return r;
  });
}

// ---- snappy (xerial framing) -------------------------------------------------------------------------------------

constexpr std::array<std::uint8_t, 8> xerial_magic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t xerial_header_size = 16;
constexpr std::size_t xerial_block_size = 32 * 1024;  // SnappyOutputStream.DEFAULT_BLOCK_SIZE

inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

inline std::error_code snappy_compress(bytes_view in, byte_buffer& out) {
  const std::size_t base = out.size();
  const std::size_t blocks = (in.size() + xerial_block_size - 1) / xerial_block_size;
  // One resize to the worst case, then compact: each block is written right behind the previous one.
  out.resize(base + xerial_header_size + blocks * (4 + snappy::MaxCompressedLength(xerial_block_size)));
  std::uint8_t* header = out.data() + base;
  std::memcpy(header, xerial_magic.data(), xerial_magic.size());
  store_be32(header + 8, 1);   // version
  store_be32(header + 12, 1);  // minimum compatible version
  std::size_t at = base + xerial_header_size;
  for (std::size_t offset = 0; offset < in.size(); offset += xerial_block_size) {
    const std::size_t n = std::min(xerial_block_size, in.size() - offset);
    std::size_t compressed = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data() + offset), n,
                        reinterpret_cast<char*>(out.data() + at + 4), &compressed);
    store_be32(out.data() + at, static_cast<std::uint32_t>(compressed));
    at += 4 + compressed;
  }
  out.resize(at);
  return {};
}

// A snappy element emits at most 64 bytes per 3 input bytes (a 3-byte copy of length 64), so a block that claims
// more than this is corrupt, whatever the cap.
constexpr std::size_t snappy_max_expansion(std::size_t compressed) { return (compressed / 3 + 1) * 64; }

inline std::error_code snappy_raw_block(bytes_view block, byte_buffer& out, std::size_t base, std::size_t cap) {
  const char* p = reinterpret_cast<const char*>(block.data());
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(p, block.size(), &length) || length > snappy_max_expansion(block.size()))
    return client_errc::decompression_failed;
  const std::size_t written = out.size() - base;
  if (length > cap - written) return client_errc::decompressed_too_large;
  out.resize(out.size() + length);
  if (!snappy::RawUncompress(p, block.size(), reinterpret_cast<char*>(out.data() + base + written)))
    return client_errc::decompression_failed;
  return {};
}

inline bool starts_with_xerial_magic(bytes_view in) {
  return in.size() >= xerial_header_size && std::equal(xerial_magic.begin(), xerial_magic.end(), in.begin());
}

inline std::error_code snappy_decompress(bytes_view in, byte_buffer& out, std::size_t cap) {
  const std::size_t base = out.size();
  auto fail = [&](std::error_code ec) {
    out.resize(base);
    return ec;
  };
  if (in.empty()) return {};
  if (!starts_with_xerial_magic(in)) {  // SnappyInputStream falls back to one raw block
    if (auto ec = snappy_raw_block(in, out, base, cap)) return fail(ec);
    return {};
  }
  std::size_t pos = 0;
  while (pos < in.size()) {
    bytes_view rest = in.subspan(pos);
    if (starts_with_xerial_magic(rest)) {  // first header, or the header of a concatenated stream
      pos += xerial_header_size;
      continue;
    }
    if (rest.size() < 4) return fail(client_errc::decompression_failed);
    const std::uint32_t length = static_cast<std::uint32_t>(rest[0]) << 24 | static_cast<std::uint32_t>(rest[1]) << 16 |
                                 static_cast<std::uint32_t>(rest[2]) << 8 | rest[3];
    if (length > rest.size() - 4) return fail(client_errc::decompression_failed);
    if (auto ec = snappy_raw_block(rest.subspan(4, length), out, base, cap)) return fail(ec);
    pos += 4 + length;
  }
  return {};
}

// ---- lz4 (frame format) ------------------------------------------------------------------------------------------

inline std::error_code lz4_compress(bytes_view in, byte_buffer& out, int level) {
  auto& ctx = thread_lz4();
  if (!ctx.cctx && LZ4F_isError(LZ4F_createCompressionContext(&ctx.cctx, LZ4F_VERSION))) {
    ctx.cctx = nullptr;
    return client_errc::compression_failed;
  }
  // What Kafka's own writer emits (FLG 0x60, BD 0x40): independent 64 KiB blocks, no checksums, no content size.
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof prefs);
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = std::min(level, 12);
  // One-shot: the whole input goes in one compressUpdate. Without autoFlush liblz4 stages it in a block-sized
  // buffer, which LZ4F_compressBegin calloc'ed (64 KiB) anew for every batch (liblz4 1.9.4); with it, independent
  // blocks are compressed straight into `out` (the same bytes: one block per 64 KiB either way).
  prefs.autoFlush = 1;
  const std::size_t base = out.size();
  out.resize(base + LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(in.size(), &prefs));
  std::uint8_t* dst = out.data() + base;
  std::size_t capacity = out.size() - base, at = 0;
  auto advance = [&](std::size_t rc) {
    if (LZ4F_isError(rc)) return false;
    at += rc;
    return true;
  };
  if (!advance(LZ4F_compressBegin(ctx.cctx, dst, capacity, &prefs)) ||
      !advance(LZ4F_compressUpdate(ctx.cctx, dst + at, capacity - at, in.data(), in.size(), nullptr)) ||
      !advance(LZ4F_compressEnd(ctx.cctx, dst + at, capacity - at, nullptr))) {
    out.resize(base);
    return client_errc::compression_failed;
  }
  out.resize(base + at);
  return {};
}

inline std::error_code lz4_decompress(bytes_view in, byte_buffer& out, std::size_t cap) {
  auto& ctx = thread_lz4();
  if (!ctx.dctx && LZ4F_isError(LZ4F_createDecompressionContext(&ctx.dctx, LZ4F_VERSION))) {
    ctx.dctx = nullptr;
    return client_errc::decompression_failed;
  }
  std::size_t pos = 0;
  auto ec = bounded_decode(out, cap, in.size(), [&](std::uint8_t* dst, std::size_t n) {
    step_result r;
    std::size_t produced = n, consumed = in.size() - pos;
    const std::size_t rc = LZ4F_decompress(ctx.dctx, dst, &produced, in.data() + pos, &consumed, nullptr);
    if (LZ4F_isError(rc)) {
      r.error = client_errc::decompression_failed;
      return r;
    }
    pos += consumed;
    r.produced = produced;
    r.progressed = produced != 0 || consumed != 0;
    r.finished = rc == 0 && pos == in.size();  // 0: a frame ended and was fully flushed; more frames may follow
    return r;
  });
  if (ec) {
    // A context left mid-frame is not fully cleaned by LZ4F_resetDecompressionContext in liblz4 1.9.4 (a stale
    // remaining-content-size makes the next frame fail with frameSize_wrong), so start the next call afresh.
    LZ4F_freeDecompressionContext(ctx.dctx);
    ctx.dctx = nullptr;
  }
  return ec;
}

// ---- zstd --------------------------------------------------------------------------------------------------------

inline std::error_code zstd_compress(bytes_view in, byte_buffer& out, int level) {
  auto& ctx = thread_zstd();
  if (!ctx.cctx && !(ctx.cctx = ZSTD_createCCtx())) return client_errc::compression_failed;
  ZSTD_CCtx_reset(ctx.cctx, ZSTD_reset_session_and_parameters);  // keeps the workspace, forgets the settings
  if (ZSTD_isError(ZSTD_CCtx_setParameter(ctx.cctx, ZSTD_c_compressionLevel, level)))
    return client_errc::compression_failed;
  const std::size_t base = out.size();
  const std::size_t bound = ZSTD_compressBound(in.size());
  out.resize(base + bound);
  const std::size_t rc = ZSTD_compress2(ctx.cctx, out.data() + base, bound, in.data(), in.size());
  if (ZSTD_isError(rc)) {
    out.resize(base);
    return client_errc::compression_failed;
  }
  out.resize(base + rc);
  return {};
}

// log2 of the largest window a frame may ask for: enough for max(cap, 8 MiB). Producers that stream without
// announcing the content size (zstd-jni) declare windows of a few MiB even for small batches; a frame that needs
// more than this could not fit under the cap anyway unless it lies about its window.
inline int zstd_window_log_limit(std::size_t cap) {
  const auto bounds = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
  int log = 23;  // 8 MiB
  while (log < bounds.upperBound && (std::size_t{1} << log) < cap) ++log;
  return std::clamp(log, bounds.lowerBound, bounds.upperBound);
}

inline std::error_code zstd_decompress(bytes_view in, byte_buffer& out, std::size_t cap) {
  auto& ctx = thread_zstd();
  if (!ctx.dctx && !(ctx.dctx = ZSTD_createDCtx())) return client_errc::decompression_failed;
  ZSTD_DCtx_reset(ctx.dctx, ZSTD_reset_session_and_parameters);
  if (ZSTD_isError(ZSTD_DCtx_setParameter(ctx.dctx, ZSTD_d_windowLogMax, zstd_window_log_limit(cap))))
    return client_errc::decompression_failed;
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  return bounded_decode(out, cap, in.size(), [&](std::uint8_t* dst, std::size_t n) {
    step_result r;
    ZSTD_outBuffer output{dst, n, 0};
    const std::size_t in_before = input.pos;
    const std::size_t rc = ZSTD_decompressStream(ctx.dctx, &output, &input);
    if (ZSTD_isError(rc)) {
      r.error = ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge
                    ? client_errc::decompressed_too_large
                    : client_errc::decompression_failed;
      return r;
    }
    r.produced = output.pos;
    r.progressed = output.pos != 0 || input.pos != in_before;
    r.finished = rc == 0 && input.pos == input.size;  // 0: a frame ended and was fully flushed
    return r;
  });
}

}  // namespace detail::compression_impl

// ---- compression_stream ---------------------------------------------------------------------------------------

struct compression_stream::state {
  compression_codec codec = compression_codec::none;
  const void* owner = nullptr;
  std::size_t total = 0, fed = 0;
  std::size_t at = 0;  // where the next compressed byte goes in `out`
  int level = 0;
  detail::compression_impl::deflate_context deflate;
  LZ4F_cctx* lz4 = nullptr;
  ZSTD_CCtx* zstd = nullptr;
  ~state() {
    if (lz4) LZ4F_freeCompressionContext(lz4);
    ZSTD_freeCCtx(zstd);
  }
};

compression_stream::compression_stream() : s_(std::make_unique<state>()) {}
compression_stream::~compression_stream() = default;
const void* compression_stream::owner() const noexcept { return s_->owner; }
std::size_t compression_stream::consumed() const noexcept { return s_->fed; }
void compression_stream::release() noexcept { s_->owner = nullptr; }

namespace detail::compression_impl {

inline LZ4F_preferences_t lz4_stream_preferences(int level) {
  LZ4F_preferences_t prefs;  // as lz4_compress: Kafka's framing, autoFlush so no staging buffer is allocated
  std::memset(&prefs, 0, sizeof prefs);
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = std::min(level, 12);
  prefs.autoFlush = 1;
  return prefs;
}

}  // namespace detail::compression_impl

std::error_code compression_stream::begin(compression_codec codec, int level, std::size_t total, byte_buffer& out,
                                          const void* owner) {
  namespace impl = detail::compression_impl;
  auto& st = *s_;
  st.owner = nullptr;
  if (total > impl::max_input) return client_errc::compression_failed;
  const auto range = level_range(codec);
  if (level == default_compression_level) level = range.default_level;
  if (codec == compression_codec::none) return std::make_error_code(std::errc::invalid_argument);
  if (codec != compression_codec::snappy && (level < range.min || level > range.max)) return client_errc::invalid_config;
  const std::size_t base = out.size();
  std::size_t room = 0;
  switch (codec) {
    case compression_codec::gzip:
      if (!st.deflate.start(level)) return client_errc::compression_failed;
      room = deflateBound(&st.deflate.stream, static_cast<uLong>(total)) + 64;  // + a header per deflate call
      break;
    case compression_codec::snappy: {
      const std::size_t blocks = (total + impl::xerial_block_size - 1) / impl::xerial_block_size;
      room = impl::xerial_header_size + blocks * (4 + snappy::MaxCompressedLength(impl::xerial_block_size));
      break;
    }
    case compression_codec::lz4: {
      if (!st.lz4 && LZ4F_isError(LZ4F_createCompressionContext(&st.lz4, LZ4F_VERSION))) {
        st.lz4 = nullptr;
        return client_errc::compression_failed;
      }
      const auto prefs = impl::lz4_stream_preferences(level);
      room = LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(total, &prefs);
      break;
    }
    case compression_codec::zstd:
      if (!st.zstd && !(st.zstd = ZSTD_createCCtx())) return client_errc::compression_failed;
      ZSTD_CCtx_reset(st.zstd, ZSTD_reset_session_and_parameters);
      // The pledged size puts the content size in the frame header and sizes the window, as ZSTD_compress2 does.
      if (ZSTD_isError(ZSTD_CCtx_setParameter(st.zstd, ZSTD_c_compressionLevel, level)) ||
          ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(st.zstd, total)))
        return client_errc::compression_failed;
      room = ZSTD_compressBound(total) + ZSTD_CStreamOutSize();
      break;
    case compression_codec::none: break;
  }
  // Reserved, not resized: the pages of a fresh buffer are touched step by step as compressed bytes arrive, not
  // all at once here (zero-filling a 1 MB bound faulted in 256 pages in one call).
  out.reserve(base + room);
  out.resize(base + (codec == compression_codec::lz4 ? LZ4F_HEADER_SIZE_MAX : impl::xerial_header_size));
  st.level = level;
  st.codec = codec;
  st.total = total;
  st.fed = 0;
  st.at = base;
  if (codec == compression_codec::snappy) {
    std::uint8_t* header = out.data() + base;
    std::memcpy(header, impl::xerial_magic.data(), impl::xerial_magic.size());
    impl::store_be32(header + 8, 1);
    impl::store_be32(header + 12, 1);
    st.at += impl::xerial_header_size;
  } else if (codec == compression_codec::lz4) {
    const auto prefs = impl::lz4_stream_preferences(level);
    const std::size_t rc = LZ4F_compressBegin(st.lz4, out.data() + st.at, out.size() - st.at, &prefs);
    if (LZ4F_isError(rc)) {
      out.resize(base);
      return client_errc::compression_failed;
    }
    st.at += rc;
  }
  st.owner = owner;
  return {};
}

std::error_code compression_stream::update(bytes_view in, byte_buffer& out) {
  namespace impl = detail::compression_impl;
  auto& st = *s_;
  if (!st.owner || in.size() > st.total - st.fed) return std::make_error_code(std::errc::invalid_argument);
  const bool last = st.fed + in.size() == st.total;
  auto fail = [&] {
    st.owner = nullptr;
    return make_error_code(client_errc::compression_failed);
  };
  // Room for this step's worst case, inside what begin() reserved (so no reallocation).
  auto room_for = [&](std::size_t n) {
    if (out.size() < st.at + n) out.resize(st.at + n);
  };
  switch (st.codec) {
    case compression_codec::gzip: room_for(in.size() + in.size() / 16 + 1024); break;
    case compression_codec::snappy:
      room_for((in.size() / impl::xerial_block_size + 1) * (4 + snappy::MaxCompressedLength(impl::xerial_block_size)));
      break;
    case compression_codec::lz4: {
      const auto prefs = impl::lz4_stream_preferences(st.level);
      room_for(LZ4F_compressBound(in.size(), &prefs));
      break;
    }
    case compression_codec::zstd: room_for(ZSTD_compressBound(in.size()) + ZSTD_CStreamOutSize()); break;
    case compression_codec::none: break;
  }
  switch (st.codec) {
    case compression_codec::gzip: {
      z_stream& z = st.deflate.stream;
      z.next_in = const_cast<Bytef*>(in.data());
      z.avail_in = static_cast<uInt>(in.size());
      z.next_out = out.data() + st.at;
      z.avail_out = static_cast<uInt>(out.size() - st.at);
      for (;;) {
        const int rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
        st.at = out.size() - z.avail_out;
        if (last ? rc == Z_STREAM_END : (rc == Z_OK && z.avail_in == 0)) break;
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || z.avail_out != 0) return fail();
        out.resize(out.size() + 4096);  // deflate's pending output did not fit: more room, same stream
        z.next_out = out.data() + st.at;
        z.avail_out = static_cast<uInt>(out.size() - st.at);
      }
      break;
    }
    case compression_codec::snappy:
      for (std::size_t offset = 0; offset < in.size(); offset += impl::xerial_block_size) {
        const std::size_t n = std::min(impl::xerial_block_size, in.size() - offset);
        std::size_t compressed = 0;
        snappy::RawCompress(reinterpret_cast<const char*>(in.data() + offset), n,
                            reinterpret_cast<char*>(out.data() + st.at + 4), &compressed);
        impl::store_be32(out.data() + st.at, static_cast<std::uint32_t>(compressed));
        st.at += 4 + compressed;
      }
      break;
    case compression_codec::lz4: {
      std::size_t rc = LZ4F_compressUpdate(st.lz4, out.data() + st.at, out.size() - st.at, in.data(), in.size(), nullptr);
      if (LZ4F_isError(rc)) return fail();
      st.at += rc;
      if (last) {
        rc = LZ4F_compressEnd(st.lz4, out.data() + st.at, out.size() - st.at, nullptr);
        if (LZ4F_isError(rc)) return fail();
        st.at += rc;
      }
      break;
    }
    case compression_codec::zstd: {
      ZSTD_inBuffer input{in.data(), in.size(), 0};
      for (;;) {
        ZSTD_outBuffer output{out.data() + st.at, out.size() - st.at, 0};
        const std::size_t rc = ZSTD_compressStream2(st.zstd, &output, &input, last ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(rc)) return fail();
        st.at += output.pos;
        if (last ? rc == 0 : input.pos == input.size) break;
        if (st.at == out.size()) out.resize(out.size() + ZSTD_CStreamOutSize());  // not expected: room is the bound
      }
      break;
    }
    case compression_codec::none: return fail();
  }
  st.fed += in.size();
  if (last) {
    out.resize(st.at);
    st.owner = nullptr;
  }
  return {};
}

std::error_code compress(compression_codec codec, bytes_view in, byte_buffer& out, int level) {
  namespace impl = detail::compression_impl;
  if (in.size() > impl::max_input) return client_errc::compression_failed;
  const auto range = level_range(codec);
  if (level == default_compression_level) level = range.default_level;
  if (codec != compression_codec::none && codec != compression_codec::snappy &&
      (level < range.min || level > range.max))
    return client_errc::invalid_config;
  switch (codec) {
    case compression_codec::none: out.insert(out.end(), in.begin(), in.end()); return {};
    case compression_codec::gzip: return impl::gzip_compress(in, out, level);
    case compression_codec::snappy: return impl::snappy_compress(in, out);
    case compression_codec::lz4: return impl::lz4_compress(in, out, level);
    case compression_codec::zstd: return impl::zstd_compress(in, out, level);
  }
  return client_errc::unsupported_compression;
}

std::error_code decompress(compression_codec codec, bytes_view in, byte_buffer& out, std::size_t max_output) {
  namespace impl = detail::compression_impl;
  if (in.size() > impl::max_input) return client_errc::decompression_failed;
  switch (codec) {
    case compression_codec::none:
      if (in.size() > max_output) return client_errc::decompressed_too_large;
      out.insert(out.end(), in.begin(), in.end());
      return {};
    case compression_codec::gzip: return impl::gzip_decompress(in, out, max_output);
    case compression_codec::snappy: return impl::snappy_decompress(in, out, max_output);
    case compression_codec::lz4: return impl::lz4_decompress(in, out, max_output);
    case compression_codec::zstd: return impl::zstd_decompress(in, out, max_output);
  }
  return client_errc::unsupported_compression;
}

}  // namespace kafkio::protocol
