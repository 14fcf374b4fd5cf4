// Encoders and decoders behind detail/requests.hpp. Generated message codecs do the work, except for the
// Produce request, which is written by hand so that sealed batches are copied once, straight into the frame.
#pragma once

#include <kafkio/protocol/messages/api_versions_request.hpp>
#include <kafkio/protocol/messages/api_versions_response.hpp>
#include <kafkio/protocol/messages/init_producer_id_request.hpp>
#include <kafkio/protocol/messages/init_producer_id_response.hpp>
#include <kafkio/protocol/messages/metadata_request.hpp>
#include <kafkio/protocol/messages/metadata_response.hpp>
#include <kafkio/protocol/messages/produce_response.hpp>

namespace kafkio::core {

// Writes the size placeholder and the request header; returns the writer positioned for the body.
inline protocol::writer begin_request(protocol::byte_buffer& out, protocol::api_key key, std::int16_t version,
                                      const request_context& ctx) {
  out.clear();
  protocol::writer w(out);
  w.int32(0);  // size, patched by end_request
  w.int16(static_cast<std::int16_t>(key));
  w.int16(version);
  w.int32(ctx.correlation_id);
  w.string(*ctx.client_id);  // client_id stays an int16-length string even in header v2
  if (protocol::request_header_version(key, version) == 2) w.uvarint(0);  // header tagged fields
  return w;
}
inline void end_request(protocol::writer& w) { w.patch_int32(0, static_cast<std::int32_t>(w.size() - 4)); }

// Skips the response header (correlation id already checked by the connection) and decodes the body.
template <class Message>
std::error_code decode_body(protocol::bytes_view frame, protocol::api_key key, std::int16_t version, Message& m) {
  protocol::reader r(frame);
  protocol::decode_response_header(r, key, version);  // ApiVersions: always header v0 (KIP-511)
  if (!r.ok()) return r.error();
  return protocol::decode_message(r.rest(), m, version);
}

inline void encode_api_versions_request(protocol::byte_buffer& out, std::int16_t version, const request_context& ctx) {
  auto w = begin_request(out, protocol::api_key::api_versions, version, ctx);
  protocol::api_versions_request req;
  req.client_software_name = "kafkio";
  req.client_software_version = "0.1.0";
  req.encode(w, version);
  end_request(w);
}

inline std::error_code decode_api_versions_frame(protocol::bytes_view frame, std::int16_t version,
                                                    protocol::api_versions_response& out) {
  protocol::reader r(frame);
  protocol::decode_response_header(r, protocol::api_key::api_versions, version);
  if (!r.ok()) return r.error();
  auto ec = protocol::decode_api_versions_response(r.rest(), version, out);
  if (ec && version > 0) {
    // Some brokers (librdkafka's mock, older Kafka) answer an ApiVersions version they do not support with error
    // 35 but a body in neither format. The error code comes first in every version: trust it, and let the caller
    // retry with v0.
    protocol::reader body(r.rest());
    if (body.int16() == static_cast<std::int16_t>(kafka_errc::unsupported_version) && body.ok()) {
      out = {};
      out.error_code = static_cast<std::int16_t>(kafka_errc::unsupported_version);
      return {};
    }
  }
  return ec;
}

inline void encode_metadata_request(protocol::byte_buffer& out, std::int16_t version, const request_context& ctx,
                                    const std::vector<std::string>& topics) {
  auto w = begin_request(out, protocol::api_key::metadata, version, ctx);
  protocol::metadata_request req;
  req.topics.emplace();
  for (const auto& t : topics) {
    auto& e = req.topics->emplace_back();
    e.name = t;
  }
  req.allow_auto_topic_creation = true;  // like the Java producer; the broker decides (auto.create.topics.enable)
  req.encode(w, version);
  end_request(w);
}

inline std::error_code decode_metadata_response(protocol::bytes_view frame, std::int16_t version, metadata_result& out) {
  protocol::metadata_response m;
  if (auto ec = decode_body(frame, protocol::api_key::metadata, version, m)) return ec;
  for (const auto& b : m.brokers) out.brokers[b.node_id] = {b.node_id, b.host, b.port};
  for (auto& t : m.topics) {
    if (!t.name) continue;  // v10+ may identify topics by id only; we always ask by name
    topic_metadata tm;
    tm.error = t.error_code;
    tm.topic_id = t.topic_id;
    // Partitions are numbered 0..n-1; an index outside that range is a broken response, and refusing it keeps
    // the table no larger than what the response itself carried.
    std::int32_t count = 0;
    for (const auto& p : t.partitions) count = std::max(count, p.partition_index + 1);
    if (static_cast<std::size_t>(count) > t.partitions.size()) return make_error_code(client_errc::malformed_length);
    tm.partitions.resize(static_cast<std::size_t>(count));
    for (const auto& p : t.partitions)
      if (p.partition_index >= 0)
        tm.partitions[static_cast<std::size_t>(p.partition_index)] = {p.leader_id, p.leader_epoch, p.error_code};
    out.topics.emplace_back(std::move(*t.name), std::move(tm));
  }
  return {};
}

// Written by hand (a few fields) rather than through the generated struct: GCC 12 misreports its
// std::optional<std::string> member as maybe-uninitialized. tests/unit/client_requests_test.cpp decodes these bytes
// with the generated decoder for every version.
inline void encode_init_producer_id_request(protocol::byte_buffer& out, std::int16_t version,
                                            const request_context& ctx) {
  auto w = begin_request(out, protocol::api_key::init_producer_id, version, ctx);
  const bool flexible = version >= 2;
  if (flexible) w.compact_nullable_string(std::nullopt);  // transactional_id: idempotent only, any broker answers
  else w.nullable_string(std::nullopt);
  w.int32(INT32_MAX);  // transaction_timeout_ms, as the Java client sends without transactions
  if (version >= 3) {
    w.int64(-1);  // producer_id: no previous id to resume
    w.int16(-1);  // producer_epoch
  }
  if (flexible) w.uvarint(0);  // tagged fields
  end_request(w);
}

inline std::error_code decode_init_producer_id_response(protocol::bytes_view frame, std::int16_t version,
                                                        init_producer_id_result& out) {
  protocol::init_producer_id_response m;
  if (auto ec = decode_body(frame, protocol::api_key::init_producer_id, version, m)) return ec;
  out = {m.error_code, m.producer_id, m.producer_epoch, m.throttle_time_ms};
  return {};
}

inline void encode_produce_request(protocol::byte_buffer& out, std::int16_t version, const request_context& ctx,
                                   std::int16_t acks, std::int32_t timeout_ms,
                                   const std::vector<produce_partition_data>& partitions) {
  std::size_t size = 64;
  for (const auto& p : partitions) size += p.batch.size() + p.topic->size() + 16;
  out.reserve(size);
  auto w = begin_request(out, protocol::api_key::produce, version, ctx);
  const bool flexible = version >= 9;
  if (flexible) w.compact_nullable_string(std::nullopt);  // transactional_id
  else w.nullable_string(std::nullopt);
  w.int16(acks);
  w.int32(timeout_ms);
  std::int32_t topics = 0;
  for (std::size_t i = 0; i < partitions.size(); ++i) topics += i == 0 || *partitions[i].topic != *partitions[i - 1].topic;
  flexible ? w.compact_array_length(topics) : w.array_length(topics);
  for (std::size_t i = 0; i < partitions.size();) {
    std::size_t j = i;
    while (j < partitions.size() && *partitions[j].topic == *partitions[i].topic) ++j;
    flexible ? w.compact_string(*partitions[i].topic) : w.string(*partitions[i].topic);
    auto n = static_cast<std::int32_t>(j - i);
    flexible ? w.compact_array_length(n) : w.array_length(n);
    for (; i < j; ++i) {
      w.int32(partitions[i].partition);
      flexible ? w.compact_bytes(partitions[i].batch) : w.bytes(partitions[i].batch);
      if (flexible) w.uvarint(0);  // partition tagged fields
    }
    if (flexible) w.uvarint(0);  // topic tagged fields
  }
  if (flexible) w.uvarint(0);  // body tagged fields
  end_request(w);
}

// The Produce response is decoded by hand, straight into views of the frame, rather than through the generated
// struct: that one builds a vector per topic, a string per name and a vector of kept unknown tags per partition,
// several allocations per request on the producer's hottest path. Same checks as the generated decoder (array
// lengths against the remaining input, nulls where the schema forbids them, tag order, trailing bytes);
// tests/unit/client_requests_test.cpp compares the two for every version.
namespace produce_decoding {

inline std::string_view string_view_of(protocol::bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline std::string_view read_string(protocol::reader& r, bool flexible) {
  std::int64_t n = flexible ? static_cast<std::int64_t>(r.uvarint()) - 1 : r.int16();
  if (!r.ok()) return {};
  if (flexible && n == -1) return r.fail(client_errc::unexpected_null), std::string_view{};
  if (n < 0) return r.fail(client_errc::malformed_length), std::string_view{};
  return string_view_of(r.bytes_view_(n));
}
inline std::optional<std::string_view> read_nullable_string(protocol::reader& r, bool flexible) {
  std::int64_t n = flexible ? static_cast<std::int64_t>(r.uvarint()) - 1 : r.int16();
  if (!r.ok() || n == -1) return std::nullopt;
  if (n < 0) return r.fail(client_errc::malformed_length), std::nullopt;
  return string_view_of(r.bytes_view_(n));
}
inline std::int32_t read_array_length(protocol::reader& r, bool flexible, std::size_t min_element_size) {
  auto n = flexible ? r.compact_array_length(min_element_size) : r.array_length(min_element_size);
  if (n < 0) r.fail(client_errc::unexpected_null);
  return r.ok() ? n : 0;
}
// A tagged-field section: `on_known(tag, sub_reader)` reads the tags it knows (returns false for the others,
// which are skipped, not kept).
template <class OnKnown>
void read_tags(protocol::reader& r, OnKnown&& on_known) {
  auto count = r.uvarint();
  if (count > r.remaining()) return r.fail(client_errc::truncated);
  std::uint32_t last_tag = 0;
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    auto tag = r.uvarint();
    auto size = r.uvarint();
    if (!r.ok()) return;
    if (i > 0 && tag <= last_tag) return r.fail(client_errc::malformed_tagged_fields);
    last_tag = tag;
    auto payload = r.bytes_view_(size);
    if (!r.ok()) return;
    protocol::reader sub(payload);
    if (on_known(tag, sub)) {
      if (sub.ok() && sub.remaining() != 0) sub.fail(client_errc::malformed_tagged_fields);
      if (!sub.ok()) return r.fail(sub.error());
    }
  }
}
inline void skip_tags(protocol::reader& r) {
  read_tags(r, [](std::uint32_t, protocol::reader&) { return false; });
}

inline void read_partition(protocol::reader& r, std::int16_t version, std::string_view topic,
                           produce_partition_result& p) {
  const bool flexible = version >= 9;
  p = {};
  p.topic = topic;
  p.partition = r.int32();
  p.error = r.int16();
  p.base_offset = r.int64();
  p.log_append_time_ms = r.int64();
  if (version >= 5) r.int64();  // log_start_offset
  if (version >= 8) {
    auto errors = read_array_length(r, flexible, 6);
    for (std::int32_t i = 0; i < errors && r.ok(); ++i) {
      r.int32();  // batch_index
      auto message = read_nullable_string(r, flexible);
      if (i == 0 && message) p.error_message = message;  // used when the partition has no message of its own
      if (flexible) skip_tags(r);
    }
    if (auto message = read_nullable_string(r, flexible)) p.error_message = message;
  }
  if (flexible) {
    read_tags(r, [&](std::uint32_t tag, protocol::reader& tr) {
      if (tag != 0 || version < 10) return false;
      p.leader_hint = tr.int32();  // current_leader
      p.leader_epoch_hint = tr.int32();
      skip_tags(tr);
      return true;
    });
  }
}

}  // namespace produce_decoding

inline std::error_code decode_produce_response(protocol::bytes_view frame, std::int16_t version, produce_result& out) {
  namespace pd = produce_decoding;
  out.partitions.clear();
  out.throttle_ms = 0;
  protocol::reader r(frame);
  protocol::decode_response_header(r, protocol::api_key::produce, version);
  if (!r.ok()) return r.error();
  if (version < protocol::produce_response::min_version || version > protocol::produce_response::max_version)
    return make_error_code(client_errc::unsupported_version);
  const bool flexible = version >= 9;
  auto topics = pd::read_array_length(r, flexible, 3);
  for (std::int32_t t = 0; t < topics && r.ok(); ++t) {
    std::string_view name;
    if (version <= 12) name = pd::read_string(r, flexible);
    else r.uuid_();  // topic_id (v13+): no name to match; the engine reports such partitions as missing
    auto partitions = pd::read_array_length(r, flexible, 22);
    for (std::int32_t i = 0; i < partitions && r.ok(); ++i)
      pd::read_partition(r, version, name, out.partitions.emplace_back());
    if (flexible) pd::skip_tags(r);
  }
  out.throttle_ms = r.int32();
  if (flexible) pd::skip_tags(r);  // node_endpoints (v10+, tag 0): the producer learns leaders from Metadata
  if (r.ok() && r.remaining() != 0) r.fail(client_errc::trailing_bytes);
  if (!r.ok()) out.partitions.clear();
  return r.error();
}

}  // namespace kafkio::core
