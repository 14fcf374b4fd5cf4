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

namespace kafkio::detail {

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

inline std::error_code decode_produce_response(protocol::bytes_view frame, std::int16_t version, produce_result& out) {
  protocol::produce_response m;
  if (auto ec = decode_body(frame, protocol::api_key::produce, version, m)) return ec;
  out.throttle_ms = m.throttle_time_ms;
  for (auto& t : m.responses) {
    for (auto& p : t.partition_responses) {
      auto& r = out.partitions.emplace_back();
      r.topic = t.name;
      r.partition = p.index;
      r.error = p.error_code;
      r.base_offset = p.base_offset;
      r.log_append_time_ms = p.log_append_time_ms;
      r.error_message = std::move(p.error_message);
      if (!r.error_message && !p.record_errors.empty() && p.record_errors.front().batch_index_error_message)
        r.error_message = p.record_errors.front().batch_index_error_message;
      r.leader_hint = p.current_leader.leader_id;
      r.leader_epoch_hint = p.current_leader.leader_epoch;
    }
  }
  return {};
}

}  // namespace kafkio::detail
