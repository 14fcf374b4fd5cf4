// RecordBatch v2 (magic 2), the unit a producer sends per partition (docs/protocol.md, "Layout"): layout constants, the
// builder, and re-stamping the producer fields of a sealed batch. Reading batches is in record_batch_reader.hpp.
//
// Builder use:
//   record_batch_builder b;
//   b.reset(first_timestamp);
//   if (b.estimated_size_after_append(ts, key, value, headers) > batch_size) -> start another batch
//   if (auto ec = b.append(ts, key, value, headers)) -> record too large
//   std::error_code ec;
//   bytes_view batch = b.seal({.producer_id = pid, .producer_epoch = epoch, .base_sequence = seq,
//                              .codec = compression_codec::lz4}, ec);
//
// Records are encoded straight into one buffer that lives as long as the builder: reset() keeps its capacity, so
// once it has grown to the usual batch size, appending allocates nothing. Compression goes into a second buffer
// that is reused the same way.
#pragma once

#include <kafkio/protocol/compression.hpp>
#include <kafkio/protocol/crc32c.hpp>
#include <kafkio/protocol/wire.hpp>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace kafkio::protocol {

// Byte offsets of the RecordBatch v2 header fields (Kafka's DefaultRecordBatch constants).
namespace batch_layout {
inline constexpr std::size_t base_offset = 0;
inline constexpr std::size_t batch_length = 8;
inline constexpr std::size_t partition_leader_epoch = 12;
inline constexpr std::size_t magic = 16;
inline constexpr std::size_t crc = 17;
inline constexpr std::size_t attributes = 21;  // the CRC covers [attributes, end)
inline constexpr std::size_t last_offset_delta = 23;
inline constexpr std::size_t base_timestamp = 27;
inline constexpr std::size_t max_timestamp = 35;
inline constexpr std::size_t producer_id = 43;
inline constexpr std::size_t producer_epoch = 51;
inline constexpr std::size_t base_sequence = 53;
inline constexpr std::size_t records_count = 57;
inline constexpr std::size_t records = 61;

inline constexpr std::size_t header_size = 61;  // RECORD_BATCH_OVERHEAD
inline constexpr std::size_t log_overhead = 12;  // baseOffset + batchLength: batchLength counts what follows
inline constexpr std::int8_t current_magic = 2;

// attributes bits
inline constexpr std::int16_t codec_mask = 0x07;
inline constexpr std::int16_t log_append_time_flag = 0x08;
inline constexpr std::int16_t transactional_flag = 0x10;
inline constexpr std::int16_t control_flag = 0x20;
inline constexpr std::int16_t delete_horizon_flag = 0x40;
}  // namespace batch_layout

// A record header as the producer hands it over. Header keys are strings and never null; values may be null.
struct record_header_view {
  std::string_view key;
  std::optional<bytes_view> value;
};

namespace detail {

// Bytes of a zigzag varint / varlong, the way writer::varint / varlong encode them.
constexpr std::size_t unsigned_varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
constexpr std::size_t varint_size(std::int64_t v) noexcept {
  return unsigned_varint_size((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
constexpr std::size_t nullable_bytes_size(const std::optional<bytes_view>& b) noexcept {
  return b ? varint_size(static_cast<std::int64_t>(b->size())) + b->size() : 1;
}

// Writes into memory already sized for what is written: record_batch_builder::append knows a record's size before
// encoding it, so it grows the buffer once and writes without a capacity check per byte. Varints are zigzag, as
// writer::varint / varlong write them (for an int32 the 64-bit zigzag gives the same bytes).
struct presized_writer {
  std::uint8_t* at;
  void byte(std::uint8_t b) noexcept { *at++ = b; }
  void varlong(std::int64_t v) noexcept {
    auto u = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
    for (; u >= 0x80; u >>= 7) *at++ = static_cast<std::uint8_t>(u | 0x80);
    *at++ = static_cast<std::uint8_t>(u);
  }
  void raw(const void* data, std::size_t n) noexcept {
    if (n) std::memcpy(at, data, n);
    at += n;
  }
  void nullable(const std::optional<bytes_view>& b) noexcept {
    if (!b) return varlong(-1);
    varlong(static_cast<std::int64_t>(b->size()));
    raw(b->data(), b->size());
  }
};

template <class T>
void store_be(std::uint8_t* p, T value) noexcept {
  auto u = static_cast<std::make_unsigned_t<T>>(value);
  for (std::size_t i = sizeof(T); i-- > 0; u = static_cast<decltype(u)>(u >> 8)) p[i] = static_cast<std::uint8_t>(u);
}
template <class T>
T load_be(const std::uint8_t* p) noexcept {
  std::make_unsigned_t<T> u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) u = static_cast<decltype(u)>((u << 8) | p[i]);
  return static_cast<T>(u);
}

// Record timestamps are stored as deltas from the batch's base; wrapping arithmetic keeps any pair representable.
constexpr std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
constexpr std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace detail

// Bytes of one record after its length varint.
constexpr std::size_t encoded_record_body_size(std::int64_t timestamp_delta, std::int32_t offset_delta,
                                               const std::optional<bytes_view>& key,
                                               const std::optional<bytes_view>& value,
                                               std::span<const record_header_view> headers = {}) noexcept {
  std::size_t body = 1 /* attributes */ + detail::varint_size(timestamp_delta) + detail::varint_size(offset_delta) +
                     detail::nullable_bytes_size(key) + detail::nullable_bytes_size(value) +
                     detail::varint_size(static_cast<std::int64_t>(headers.size()));
  for (const auto& h : headers)
    body += detail::varint_size(static_cast<std::int64_t>(h.key.size())) + h.key.size() +
            detail::nullable_bytes_size(h.value);
  return body;
}

// Bytes one record takes in the records section, its length varint included.
constexpr std::size_t encoded_record_size(std::int64_t timestamp_delta, std::int32_t offset_delta,
                                          const std::optional<bytes_view>& key,
                                          const std::optional<bytes_view>& value,
                                          std::span<const record_header_view> headers = {}) noexcept {
  const std::size_t body = encoded_record_body_size(timestamp_delta, offset_delta, key, value, headers);
  return detail::varint_size(static_cast<std::int64_t>(body)) + body;
}

struct seal_options {
  std::int64_t producer_id = -1;  // -1, -1, -1: not idempotent
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  compression_codec codec = compression_codec::none;
  int level = default_compression_level;
  bool is_transactional = false;
  // If the compressed records section is not smaller than the plain one, send it uncompressed (attributes codec
  // none) as librdkafka does; brokers accept either. Set false to always use `codec`.
  bool skip_compression_if_larger = true;
};

class record_batch_builder {
 public:
  // Largest batch the wire format can describe (batchLength is an int32).
  static constexpr std::size_t max_batch_size = 0x7fffffff;

  record_batch_builder() { reset(0); }

  // Starts an empty batch whose record timestamps are stored relative to `base_timestamp` (Kafka uses the first
  // record's timestamp). Keeps both buffers' capacity. Invalidates any view returned by seal().
  void reset(std::int64_t base_timestamp) {
    records_.clear();
    records_.resize(batch_layout::header_size);  // header placeholder, filled in by seal()
    base_timestamp_ = base_timestamp;
    max_timestamp_ = INT64_MIN;
    count_ = 0;
    sealed_ = nullptr;
    drop_stream();
  }

  // Room for `bytes` of batch without the buffer ever growing (a growing vector copies what it holds into fresh
  // memory and faults in every page of it at once: ~0.5 ms for a 1 MB batch). Reserved pages are touched only as
  // records are written, one page per few records.
  void reserve(std::size_t bytes) { records_.reserve(bytes); }

  // Bytes the batch has now, uncompressed (header included): what seal() returns without compression.
  std::size_t size_in_bytes() const noexcept { return records_.size(); }
  std::size_t estimated_size_after_append(std::int64_t timestamp, const std::optional<bytes_view>& key,
                                          const std::optional<bytes_view>& value,
                                          std::span<const record_header_view> headers = {}) const noexcept {
    return size_in_bytes() +
           encoded_record_size(detail::wrapping_sub(timestamp, base_timestamp_), count_, key, value, headers);
  }
  std::int32_t record_count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  std::int64_t base_timestamp() const noexcept { return base_timestamp_; }
  // The records as appended, uncompressed, without the header (record_section_reader walks them). Valid until the
  // next append() or reset(); seal() leaves it as it is.
  bytes_view records_section() const noexcept { return bytes_view(records_).subspan(batch_layout::records); }

  // Appends one record. Fails with record_too_large (and appends nothing) if the record or the batch would exceed
  // what the format can describe.
  [[nodiscard]] std::error_code append(std::int64_t timestamp, const std::optional<bytes_view>& key,
                                       const std::optional<bytes_view>& value,
                                       std::span<const record_header_view> headers = {}) {
    const std::int64_t timestamp_delta = detail::wrapping_sub(timestamp, base_timestamp_);
    const std::size_t body = encoded_record_body_size(timestamp_delta, count_, key, value, headers);
    const std::size_t total = detail::varint_size(static_cast<std::int64_t>(body)) + body;
    if (count_ == INT32_MAX || total > max_batch_size - records_.size()) return client_errc::record_too_large;
    sealed_ = nullptr;
    drop_stream();
    const std::size_t start = records_.size();
    records_.resize(start + total);
    detail::presized_writer w{records_.data() + start};
    w.varlong(static_cast<std::int64_t>(body));  // written once: the body size is known before encoding
    w.byte(0);                                   // record attributes: unused
    w.varlong(timestamp_delta);
    w.varlong(count_);  // offset delta
    w.nullable(key);
    w.nullable(value);
    w.varlong(static_cast<std::int64_t>(headers.size()));
    for (const auto& h : headers) {
      w.varlong(static_cast<std::int64_t>(h.key.size()));
      w.raw(h.key.data(), h.key.size());
      w.nullable(h.value);
    }
    assert(w.at == records_.data() + records_.size() && "encoded_record_body_size disagrees with the encoding");
    ++count_;
    if (timestamp > max_timestamp_) max_timestamp_ = timestamp;
    return {};
  }

  // Incremental sealing: compresses at most `budget` more bytes of the records section with `stream`, so that a
  // large batch is compressed over several calls instead of inside seal(). True once the whole section is
  // compressed; seal() with the same codec and level then only writes the header (else it compresses afresh).
  // The stream serves one builder at a time: if another took it meanwhile, this one starts over. An append() or
  // reset() drops what was compressed. Steps that are multiples of 64 KiB give the same bytes as seal() alone.
  bool compress_step(compression_stream& stream, compression_codec codec, int level, std::size_t budget,
                     std::error_code& ec) {
    ec = {};
    if (stream_done_ && stream_codec_ == codec && stream_level_ == level) return true;
    const bytes_view section = bytes_view(records_).subspan(batch_layout::records);
    if (stream_ != &stream || stream.owner() != this || stream_codec_ != codec || stream_level_ != level) {
      drop_stream();
      compressed_.clear();
      compressed_.resize(batch_layout::header_size);
      if ((ec = stream.begin(codec, level, section.size(), compressed_, this))) return false;
      stream_ = &stream;
      stream_codec_ = codec;
      stream_level_ = level;
    }
    const std::size_t fed = stream.consumed();
    const std::size_t n = std::min(budget, section.size() - fed);
    if ((ec = stream.update(section.subspan(fed, n), compressed_))) {
      drop_stream();
      return false;
    }
    if (fed + n == section.size()) {  // the stream ended (and let go of us): compressed_ is complete
      stream_ = nullptr;
      stream_done_ = true;
    }
    return stream_done_;
  }
  // Uncompressed bytes of the records section that compress_step has not yet taken.
  std::size_t left_to_compress(const compression_stream& stream) const noexcept {
    const std::size_t section = records_.size() - batch_layout::records;
    if (stream_done_) return 0;
    return stream_ == &stream && stream.owner() == this ? section - stream.consumed() : section;
  }

  // Writes the header, compresses the records section if asked, computes the CRC, and returns the whole batch.
  // The view stays valid until the next reset() / append() / seal(). Errors: invalid_argument for an empty batch
  // (brokers reject them), compression errors (e.g. invalid_config for a bad level), record_too_large.
  bytes_view seal(const seal_options& options, std::error_code& ec) {
    ec = {};
    if (count_ == 0) {
      ec = std::make_error_code(std::errc::invalid_argument);
      return {};
    }
    byte_buffer* batch = &records_;
    std::int16_t attributes = options.is_transactional ? batch_layout::transactional_flag : 0;
    if (options.codec != compression_codec::none) {
      if (!(stream_done_ && stream_codec_ == options.codec && stream_level_ == options.level)) {
        if (stream_ && stream_->owner() == this) stream_->release();  // finished in one go below instead
        drop_stream();
        compressed_.clear();
        compressed_.resize(batch_layout::header_size);
        ec = compress(options.codec, bytes_view(records_).subspan(batch_layout::records), compressed_, options.level);
        if (ec) return {};
      }
      if (!options.skip_compression_if_larger || compressed_.size() < records_.size()) {
        batch = &compressed_;
        attributes = static_cast<std::int16_t>(attributes | static_cast<std::int16_t>(options.codec));
      }
    }
    if (batch->size() > max_batch_size) {
      ec = client_errc::record_too_large;
      return {};
    }
    namespace L = batch_layout;
    std::uint8_t* h = batch->data();
    detail::store_be<std::int64_t>(h + L::base_offset, 0);
    detail::store_be<std::int32_t>(h + L::batch_length, static_cast<std::int32_t>(batch->size() - L::log_overhead));
    detail::store_be<std::int32_t>(h + L::partition_leader_epoch, -1);
    h[L::magic] = static_cast<std::uint8_t>(L::current_magic);
    detail::store_be<std::int16_t>(h + L::attributes, attributes);
    detail::store_be<std::int32_t>(h + L::last_offset_delta, count_ - 1);
    detail::store_be<std::int64_t>(h + L::base_timestamp, base_timestamp_);
    detail::store_be<std::int64_t>(h + L::max_timestamp, max_timestamp_);
    detail::store_be<std::int64_t>(h + L::producer_id, options.producer_id);
    detail::store_be<std::int16_t>(h + L::producer_epoch, options.producer_epoch);
    detail::store_be<std::int32_t>(h + L::base_sequence, options.base_sequence);
    detail::store_be<std::int32_t>(h + L::records_count, count_);
    detail::store_be<std::uint32_t>(h + L::crc, crc32c(bytes_view(*batch).subspan(L::attributes)));
    sealed_ = batch;
    return *batch;
  }

  // Hands the buffer holding the sealed batch to the caller by swapping it with `other`, whose capacity the
  // builder keeps for later batches; no copy. Call reset() before building again. False if nothing is sealed.
  // The sealed batch, writable (for restamp_producer_fields); empty unless sealed since the last append/reset.
  std::span<std::uint8_t> sealed_bytes() noexcept {
    return sealed_ ? std::span<std::uint8_t>(*sealed_) : std::span<std::uint8_t>{};
  }

  bool swap_sealed(byte_buffer& other) noexcept {
    if (!sealed_) return false;
    sealed_->swap(other);
    sealed_ = nullptr;
    return true;
  }

 private:
  byte_buffer records_;     // header placeholder + records, uncompressed
  byte_buffer compressed_;  // header + compressed records, when a codec is used
  byte_buffer* sealed_ = nullptr;
  // compress_step(): the stream compressing records_ into compressed_ (ours while its owner() is this), and
  // whether compressed_ holds the whole section compressed with stream_codec_ at stream_level_.
  void drop_stream() noexcept {
    if (stream_ && stream_->owner() == this) stream_->release();
    stream_ = nullptr;
    stream_done_ = false;
  }
  compression_stream* stream_ = nullptr;
  bool stream_done_ = false;
  compression_codec stream_codec_ = compression_codec::none;
  int stream_level_ = 0;
  std::int64_t base_timestamp_ = 0;
  std::int64_t max_timestamp_ = INT64_MIN;
  std::int32_t count_ = 0;
};

// Re-stamps the producer id, epoch and base sequence of a sealed batch and recomputes its CRC, without touching
// the (possibly compressed) records. The idempotent producer needs this when it renumbers in-flight batches after
// an epoch bump. The batch must be complete and its CRC valid beforehand (crc_mismatch otherwise), so corruption
// is never blessed with a fresh checksum.
[[nodiscard]] inline std::error_code restamp_producer_fields(std::span<std::uint8_t> batch, std::int64_t producer_id,
                                                             std::int16_t producer_epoch,
                                                             std::int32_t base_sequence) noexcept {
  namespace L = batch_layout;
  if (batch.size() < L::header_size) return client_errc::truncated;
  if (static_cast<std::int8_t>(batch[L::magic]) != L::current_magic) return client_errc::corrupt_batch;
  const auto length = detail::load_be<std::int32_t>(batch.data() + L::batch_length);
  if (length < 0 || static_cast<std::size_t>(length) + L::log_overhead != batch.size())
    return client_errc::corrupt_batch;
  const bytes_view covered = bytes_view(batch).subspan(L::attributes);
  if (crc32c(covered) != detail::load_be<std::uint32_t>(batch.data() + L::crc)) return client_errc::crc_mismatch;
  detail::store_be(batch.data() + L::producer_id, producer_id);
  detail::store_be(batch.data() + L::producer_epoch, producer_epoch);
  detail::store_be(batch.data() + L::base_sequence, base_sequence);
  detail::store_be(batch.data() + L::crc, crc32c(covered));
  return {};
}

}  // namespace kafkio::protocol
