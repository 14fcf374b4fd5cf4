// Reading RecordBatch v2 bytes: one batch (a Produce request seen by a broker or a test), or several concatenated
// batches whose last one may be cut short (a Fetch response).
//
//   record_batch_reader r(bytes, {.max_decompressed_bytes = 8 << 20});
//   while (r.next_batch()) {
//     record_view rec;
//     while (r.next_record(rec)) use(rec.offset, rec.key, rec.value, rec.headers());
//   }
//   if (r.error()) ...
//
// next_batch() checks everything before it returns true: lengths, magic, CRC-32C, the codec, decompression (with
// a cap), the record count against the bytes present, and every record's structure. next_record() then cannot
// fail. Nothing is ever allocated per record; the only allocation is the decompression buffer, bounded by
// max_decompressed_bytes and reused across batches. Views stay valid until the next next_batch() (decompressed
// data) or as long as the input (uncompressed data).
#pragma once

#include <kafkio/protocol/compression.hpp>
#include <kafkio/protocol/crc32c.hpp>
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/wire.hpp>

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <system_error>

namespace kafkio::protocol {

struct record_batch_header {
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;
  std::int32_t partition_leader_epoch = -1;
  std::int8_t magic = 0;
  std::uint32_t crc = 0;
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t records_count = 0;

  int codec_id() const noexcept { return attributes & batch_layout::codec_mask; }
  compression_codec codec() const noexcept { return static_cast<compression_codec>(codec_id()); }  // if valid
  bool is_transactional() const noexcept { return (attributes & batch_layout::transactional_flag) != 0; }
  bool is_control() const noexcept { return (attributes & batch_layout::control_flag) != 0; }
  bool log_append_time() const noexcept { return (attributes & batch_layout::log_append_time_flag) != 0; }
  std::size_t total_size() const noexcept { return static_cast<std::size_t>(batch_length) + batch_layout::log_overhead; }
};

// Decodes the fixed 61-byte header (no CRC check, no validation beyond the size).
inline std::error_code parse_record_batch_header(bytes_view data, record_batch_header& h) noexcept {
  if (data.size() < batch_layout::header_size) return client_errc::truncated;
  reader r(data);
  h.base_offset = r.int64();
  h.batch_length = r.int32();
  h.partition_leader_epoch = r.int32();
  h.magic = r.int8();
  h.crc = r.uint32();
  h.attributes = r.int16();
  h.last_offset_delta = r.int32();
  h.base_timestamp = r.int64();
  h.max_timestamp = r.int64();
  h.producer_id = r.int64();
  h.producer_epoch = r.int16();
  h.base_sequence = r.int32();
  h.records_count = r.int32();
  return r.error();
}

// The headers of one record: a forward range of record_header_view over already validated bytes.
class record_headers {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = record_header_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const record_header_view*;
    using reference = const record_header_view&;

    iterator() = default;
    iterator(bytes_view data, std::int32_t left) : reader_(data), left_(left) { load(); }
    reference operator*() const noexcept { return current_; }
    pointer operator->() const noexcept { return &current_; }
    iterator& operator++() {
      --left_;
      load();
      return *this;
    }
    iterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.left_ == b.left_; }

   private:
    void load() {
      if (left_ <= 0) return;
      auto key = reader_.bytes_view_(reader_.varint());
      current_.key = std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
      auto length = reader_.varint();
      current_.value = length < 0 ? std::nullopt : std::optional<bytes_view>(reader_.bytes_view_(length));
      if (!reader_.ok()) left_ = 0;  // cannot happen for validated records; ends the range safely if it did
    }
    reader reader_{bytes_view{}};
    std::int32_t left_ = 0;
    record_header_view current_;
  };

  record_headers() = default;
  record_headers(bytes_view data, std::int32_t count) noexcept : data_(data), count_(count) {}
  iterator begin() const { return iterator(data_, count_); }
  iterator end() const { return iterator(); }
  std::int32_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }

 private:
  bytes_view data_;
  std::int32_t count_ = 0;
};

struct record_view {
  std::int64_t offset = 0;     // base offset + offset delta
  std::int64_t timestamp = 0;  // base timestamp + delta, or the batch's max timestamp under LogAppendTime
  std::int32_t offset_delta = 0;
  std::int64_t timestamp_delta = 0;
  std::optional<bytes_view> key;
  std::optional<bytes_view> value;
  record_headers header_list;
  const record_headers& headers() const noexcept { return header_list; }
};

struct record_batch_reader_options {
  // Cap on one batch's decompressed records section (client_errc::decompressed_too_large beyond it).
  std::size_t max_decompressed_bytes = 64u << 20;
  // Fetch responses may end in the middle of a batch; with this set, such a tail ends the iteration without an
  // error (see truncated_tail()). Otherwise it is client_errc::truncated.
  bool allow_truncated_tail = false;
  // Producer batches have offset deltas 0..count-1 and lastOffsetDelta == count-1 (what brokers require of a
  // Produce). Compacted batches in a Fetch may have gaps: clear this to accept increasing deltas up to
  // lastOffsetDelta, and empty batches.
  bool require_contiguous_offsets = true;
  bool verify_crc = true;
};

class record_batch_reader {
 public:
  explicit record_batch_reader(bytes_view input, record_batch_reader_options options = {})
      : input_(input), options_(options) {}

  // Moves to the next batch and validates it completely. False at the end of the input, at a truncated tail
  // (allowed), or on error; error() tells which.
  bool next_batch() {
    records_left_ = 0;
    if (ec_ || truncated_tail_ || pos_ == input_.size()) return false;
    const bytes_view rest = input_.subspan(pos_);
    if (rest.size() > batch_layout::magic && static_cast<std::int8_t>(rest[batch_layout::magic]) != 2)
      return fail(client_errc::corrupt_batch);  // magic 0/1 message sets, or garbage
    if (rest.size() >= batch_layout::log_overhead) {
      const auto length = detail::load_be<std::int32_t>(rest.data() + batch_layout::batch_length);
      if (length < static_cast<std::int32_t>(batch_layout::header_size - batch_layout::log_overhead))
        return fail(client_errc::corrupt_batch);
      if (static_cast<std::size_t>(length) + batch_layout::log_overhead <= rest.size())
        return read_batch(rest.first(static_cast<std::size_t>(length) + batch_layout::log_overhead));
    }
    if (!options_.allow_truncated_tail) return fail(client_errc::truncated);
    truncated_tail_ = true;  // bytes_consumed() stays at the start of the partial batch
    return false;
  }

  const record_batch_header& header() const noexcept { return header_; }
  bytes_view batch_bytes() const noexcept { return batch_; }  // the current batch as it is on the wire
  bytes_view records_bytes() const noexcept { return records_; }  // its records section, decompressed

  // The next record of the current batch; false after the last one.
  bool next_record(record_view& out) {
    if (records_left_ <= 0) return false;
    --records_left_;
    parse_record(records_reader_, out, false);
    out.offset = detail::wrapping_add(header_.base_offset, out.offset_delta);
    out.timestamp = header_.log_append_time() ? header_.max_timestamp
                                              : detail::wrapping_add(header_.base_timestamp, out.timestamp_delta);
    return true;
  }

  std::error_code error() const noexcept { return ec_; }
  bool truncated_tail() const noexcept { return truncated_tail_; }
  std::size_t bytes_consumed() const noexcept { return pos_; }  // complete batches read so far

 private:
  bool fail(std::error_code ec) {
    ec_ = ec;
    batch_ = records_ = {};
    return false;
  }

  bool read_batch(bytes_view batch) {
    namespace L = batch_layout;
    (void)parse_record_batch_header(batch, header_);  // cannot fail: batch holds at least a header
    if (options_.verify_crc && crc32c(batch.subspan(L::attributes)) != header_.crc)
      return fail(client_errc::crc_mismatch);
    const auto codec = compression_codec_from_id(header_.codec_id());
    if (!codec) return fail(client_errc::unsupported_compression);
    const std::int32_t count = header_.records_count;
    const bool count_ok = options_.require_contiguous_offsets
                              ? count > 0 && header_.last_offset_delta == count - 1
                              : count >= 0 && header_.last_offset_delta >= count - 1;
    if (!count_ok) return fail(client_errc::corrupt_batch);
    bytes_view records = batch.subspan(L::records);
    if (*codec != compression_codec::none) {
      decompressed_.clear();
      if (auto ec = decompress(*codec, records, decompressed_, options_.max_decompressed_bytes)) return fail(ec);
      records = decompressed_;
    }
    // Every record takes at least 7 bytes, so a count the bytes cannot hold is rejected before any work.
    if (static_cast<std::size_t>(count) > records.size() / min_record_size) return fail(client_errc::corrupt_batch);
    if (!validate_records(records, count)) return fail(client_errc::corrupt_batch);
    batch_ = batch;
    records_ = records;
    records_reader_ = reader(records);
    records_left_ = count;
    pos_ += batch.size();
    return true;
  }

  bool validate_records(bytes_view records, std::int32_t count) const {
    reader r(records);
    record_view rec;
    std::int64_t previous_delta = -1;
    for (std::int32_t i = 0; i < count; ++i) {
      if (!parse_record(r, rec, true)) return false;
      const bool delta_ok = options_.require_contiguous_offsets
                                ? rec.offset_delta == i
                                : rec.offset_delta > previous_delta && rec.offset_delta <= header_.last_offset_delta;
      if (!delta_ok) return false;
      previous_delta = rec.offset_delta;
    }
    return r.remaining() == 0;  // nothing may follow the last record
  }

  static std::optional<bytes_view> nullable_bytes(reader& r) {
    const std::int32_t n = r.varint();
    if (n == -1) return std::nullopt;
    return r.bytes_view_(n);  // fails (sticky) on n < -1 or past the end
  }

  // One record from `r`. With `validate`, also walks the headers; otherwise they were validated before.
  static bool parse_record(reader& r, record_view& out, bool validate) {
    const std::int32_t length = r.varint();
    const bytes_view body_bytes = r.bytes_view_(length);
    if (!r.ok()) return false;
    reader body(body_bytes);
    (void)body.int8();  // attributes: unused
    out.timestamp_delta = body.varlong();
    out.offset_delta = body.varint();
    out.key = nullable_bytes(body);
    out.value = nullable_bytes(body);
    const std::int32_t header_count = body.varint();
    if (!body.ok() || header_count < 0 || static_cast<std::size_t>(header_count) > body.remaining() / 2) {
      r.fail(client_errc::corrupt_batch);  // a header takes at least 2 bytes
      return false;
    }
    const bytes_view header_bytes = body.rest();
    out.header_list = record_headers(header_bytes, header_count);
    if (!validate) return true;
    for (std::int32_t i = 0; i < header_count; ++i) {
      const std::int32_t key_length = body.varint();
      (void)body.bytes_view_(key_length);  // header keys are never null
      (void)nullable_bytes(body);
    }
    if (!body.ok() || body.remaining() != 0) {
      r.fail(client_errc::corrupt_batch);
      return false;
    }
    return true;
  }

  friend class record_section_reader;

  static constexpr std::size_t min_record_size = 7;  // length, attributes, 2 deltas, key, value, header count

  bytes_view input_;
  record_batch_reader_options options_;
  std::size_t pos_ = 0;
  std::error_code ec_;
  bool truncated_tail_ = false;
  record_batch_header header_;
  bytes_view batch_;
  bytes_view records_;
  reader records_reader_{bytes_view{}};
  std::int32_t records_left_ = 0;
  byte_buffer decompressed_;
};

// The records of one uncompressed records section, e.g. record_batch_builder::records_section() when a producer
// splits a batch the broker found too large. Every record is checked as it is read; a malformed one ends the walk
// with error() set (corrupt_batch), as does anything left after `count` records.
class record_section_reader {
 public:
  record_section_reader(bytes_view section, std::int32_t count) : reader_(section), left_(count) {}

  // The next record (offset and timestamp are the deltas: the section has no base); false after the last one.
  bool next(record_view& out) {
    if (ec_ || left_ <= 0) return false;
    if (!record_batch_reader::parse_record(reader_, out, true)) return fail();
    out.offset = out.offset_delta;
    out.timestamp = out.timestamp_delta;
    if (--left_ == 0 && reader_.remaining() != 0) return fail();
    return true;
  }
  std::error_code error() const noexcept { return ec_; }

 private:
  bool fail() {
    ec_ = make_error_code(client_errc::corrupt_batch);
    left_ = 0;
    return false;
  }
  reader reader_;
  std::int32_t left_;
  std::error_code ec_;
};

}  // namespace kafkio::protocol
