// kafkio-fuzz-seeds DIR: writes the generated seeds of two fuzz targets into DIR/<target>/ (fuzz/corpus is the
// committed copy; rerun after a codec or format change: build-fuzz/bin/kafkio-fuzz-seeds fuzz/corpus).
//   producer_responses_fuzz: a whole Metadata response frame (header + body) at the lowest, the first flexible and
//     the highest version the target reaches, filled by the generated sample values
//     (tests/unit/messages_samples.hpp), in the target's input format: version byte, frame.
//   record_batch_fuzz: one batch per codec (none, gzip, snappy, lz4, zstd), with keys, null values and headers;
//     two batches back to back; a truncated tail; and each codec's raw compressed stream, which the target hands
//     to decompress() (input format: mode byte, bytes; mode % 5 picks the codec, 0x10 allows a truncated
//     tail).
#include "messages_samples.hpp"

#include <kafkio/core/metadata_cache.hpp>
#include <kafkio/protocol/compression.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/request.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <type_traits>

namespace {

using namespace kafkio::protocol;
namespace fs = std::filesystem;

void write_seed(const fs::path& dir, const std::string& name, std::uint8_t b0, std::optional<std::uint8_t> b1,
                bytes_view body) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.put(static_cast<char>(b0));
  if (b1) out.put(static_cast<char>(*b1));
  out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
}

// Response header (v0 or v1, as the API and version call for) + body filled with sample values.
template <class Response>
byte_buffer response_frame(api_key key, std::int16_t version, samples::sample_mode mode) {
  Response body;
  samples::sample_source source(mode);
  samples::fill_sample(body, version, source);
  if constexpr (std::is_same_v<Response, metadata_response>)  // read_metadata wants partitions 0..n-1
    for (auto& t : body.topics) {
      std::int32_t index = 0;
      for (auto& p : t.partitions) p.partition_index = index++;
    }
  byte_buffer frame;
  writer w(frame);
  response_header header;
  header.correlation_id = 7;
  header.encode(w, *response_header_version(key, version));
  body.encode(w, version);
  return frame;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "kafkio-fuzz-seeds: %s\n", what.c_str());
  std::exit(1);
}

// first + data[0] % span is the version the target decodes at. `decodes(frame, v)` is the target's decoder: a seed
// it refuses would only cover the first bytes of the decoder.
template <class Response, class Decodes>
void responses(const fs::path& dir, const char* name, api_key key, std::int16_t first, std::int16_t span,
               Decodes decodes) {
  const std::int16_t last = static_cast<std::int16_t>(first + span - 1);
  const std::int16_t flexible = std::max(first, std::min(last, Response::first_flexible_version));
  for (std::int16_t v : {first, flexible, last})
    for (auto mode : {samples::sample_mode::typical, samples::sample_mode::nulls}) {
      const auto frame = response_frame<Response>(key, v, mode);
      if (auto ec = decodes(frame, v)) fail(std::string(name) + " v" + std::to_string(v) + ": " + ec.message());
      write_seed(dir, std::string(name) + "_v" + std::to_string(v) +
                          (mode == samples::sample_mode::nulls ? "_nulls" : ""),
                 static_cast<std::uint8_t>(v - first), std::nullopt, frame);
    }
}

byte_buffer batch(compression_codec codec, int records, std::int64_t producer_id) {
  record_batch_builder b;
  const std::int64_t ts = 1'700'000'000'000;
  b.reset(ts);
  const std::string header_value = "header-value";
  for (int i = 0; i < records; ++i) {
    const std::string key = "key-" + std::to_string(i % 3);
    const std::string value = "value " + std::to_string(i) + " of a record that repeats itself a little";
    const record_header_view headers[] = {
        {"h1", bytes_view(reinterpret_cast<const std::uint8_t*>(header_value.data()), header_value.size())},
        {"null-header", std::nullopt}};
    auto as_bytes = [](const std::string& s) {
      return std::optional<bytes_view>(bytes_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    };
    const auto v = i % 4 == 3 ? std::nullopt : as_bytes(value);
    (void)b.append(ts + i, i % 5 == 4 ? std::nullopt : as_bytes(key), v,
                   i % 2 ? std::span<const record_header_view>(headers) : std::span<const record_header_view>());
  }
  std::error_code ec;
  const bool idempotent = producer_id >= 0;
  auto sealed = b.seal({.producer_id = producer_id,
                        .producer_epoch = static_cast<std::int16_t>(idempotent ? 0 : -1),
                        .base_sequence = idempotent ? 0 : -1,
                        .codec = codec,
                        .skip_compression_if_larger = false},
                       ec);
  if (ec) fail("seal " + std::string(to_string(codec)) + ": " + ec.message());
  byte_buffer out(sealed.begin(), sealed.end());
  record_batch_reader reader(out);
  record_view rec;
  int read = 0;
  while (reader.next_batch())
    while (reader.next_record(rec)) ++read;
  if (reader.error() || read != records) fail("batch " + std::string(to_string(codec)) + " does not read back");
  return out;
}

void record_batches(const fs::path& dir) {
  for (auto codec : {compression_codec::none, compression_codec::gzip, compression_codec::snappy,
                     compression_codec::lz4, compression_codec::zstd}) {
    const auto id = static_cast<std::uint8_t>(codec);
    const std::string name(to_string(codec));
    // Mode byte: codec in the low bits (decompress() tries it on the batch bytes too), CRC checked, contiguous.
    write_seed(dir, "batch_" + name, id, std::nullopt, batch(codec, 20, -1));
    write_seed(dir, "batch_" + name + "_idempotent", id, std::nullopt, batch(codec, 3, 1000));
    // The raw stream decompress() gets when the mode names this codec.
    std::string text;
    for (int i = 0; i < 50; ++i) text += "raw " + name + " stream, line " + std::to_string(i) + "\n";
    byte_buffer packed;
    if (codec != compression_codec::none) {
      if (auto ec = compress(codec, bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                             packed))
        fail("compress " + name + ": " + ec.message());
      write_seed(dir, "raw_" + name, id, std::nullopt, packed);
    }
  }
  auto two = batch(compression_codec::none, 2, -1);
  const auto second = batch(compression_codec::lz4, 5, -1);
  two.insert(two.end(), second.begin(), second.end());
  write_seed(dir, "two_batches_none_lz4", 0x20, std::nullopt, two);  // 0x20: offsets need not be contiguous
  auto cut = batch(compression_codec::zstd, 10, -1);
  auto tail = batch(compression_codec::gzip, 10, -1);
  cut.insert(cut.end(), tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(tail.size() / 2));
  write_seed(dir, "truncated_tail_zstd_gzip", 0x10 | 4, std::nullopt, cut);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kafkio-fuzz-seeds DIR (e.g. fuzz/corpus)\n");
    return 2;
  }
  const fs::path root = argv[1];
  const auto responses_dir = root / "producer_responses_fuzz";
  // The target's versions: Metadata 1 + v % 12.
  responses<metadata_response>(responses_dir, "metadata", api_key::metadata, 1, 12, [](bytes_view f, std::int16_t v) {
    metadata_response m;
    if (auto ec = decode_response_body(f, v, m)) return ec;
    kafkio::core::metadata_result r;
    return kafkio::core::read_metadata(m, r);
  });
  record_batches(root / "record_batch_fuzz");
  return 0;
}
