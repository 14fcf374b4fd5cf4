// Requests and responses as they travel: the int32 size prefix, the request/response header, then the body. The
// one home of kafkio's framing: the producer frames every request and reads every response through this file.
//
// Which header goes with which body (Kafka's protocol guide, https://kafka.apache.org/protocol, "Headers"; the rule
// of Kafka's ApiMessageTypeGenerator): a flexible API version uses request header v2 and response header v1, a
// non-flexible one request header v1 and response header v0. The one exception is the ApiVersions response, which
// always has response header v0 (KIP-511): a client that does not know the broker's versions yet must still be
// able to read the correlation id. docs/protocol.md, "Headers", has the byte layouts.
#pragma once

#include <kafkio/protocol/message.hpp>
#include <kafkio/protocol/messages/all.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace kafkio::protocol {

// The APIs kafkio implements (Kafka's ApiKeys numbering).
enum class api_key : std::int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  find_coordinator = 10,
  sasl_handshake = 17,
  api_versions = 18,
  init_producer_id = 22,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  txn_offset_commit = 28,
  sasl_authenticate = 36,
};

// The request body type of each API, for generic code: request_of<api_key::produce> is produce_request.
template <api_key K> struct request_of;
template <> struct request_of<api_key::produce> { using type = produce_request; };
template <> struct request_of<api_key::fetch> { using type = fetch_request; };
template <> struct request_of<api_key::list_offsets> { using type = list_offsets_request; };
template <> struct request_of<api_key::metadata> { using type = metadata_request; };
template <> struct request_of<api_key::find_coordinator> { using type = find_coordinator_request; };
template <> struct request_of<api_key::sasl_handshake> { using type = sasl_handshake_request; };
template <> struct request_of<api_key::api_versions> { using type = api_versions_request; };
template <> struct request_of<api_key::init_producer_id> { using type = init_producer_id_request; };
template <> struct request_of<api_key::add_partitions_to_txn> { using type = add_partitions_to_txn_request; };
template <> struct request_of<api_key::add_offsets_to_txn> { using type = add_offsets_to_txn_request; };
template <> struct request_of<api_key::end_txn> { using type = end_txn_request; };
template <> struct request_of<api_key::txn_offset_commit> { using type = txn_offset_commit_request; };
template <> struct request_of<api_key::sasl_authenticate> { using type = sasl_authenticate_request; };
template <api_key K> using request_of_t = typename request_of<K>::type;

// First flexible version of `key` (INT16_MAX if it never is), or nullopt for a key kafkio does not implement.
constexpr std::optional<std::int16_t> first_flexible_version(api_key key) noexcept {
  switch (key) {
    case api_key::produce: return produce_request::first_flexible_version;
    case api_key::fetch: return fetch_request::first_flexible_version;
    case api_key::list_offsets: return list_offsets_request::first_flexible_version;
    case api_key::metadata: return metadata_request::first_flexible_version;
    case api_key::find_coordinator: return find_coordinator_request::first_flexible_version;
    case api_key::sasl_handshake: return sasl_handshake_request::first_flexible_version;
    case api_key::api_versions: return api_versions_request::first_flexible_version;
    case api_key::init_producer_id: return init_producer_id_request::first_flexible_version;
    case api_key::add_partitions_to_txn: return add_partitions_to_txn_request::first_flexible_version;
    case api_key::add_offsets_to_txn: return add_offsets_to_txn_request::first_flexible_version;
    case api_key::end_txn: return end_txn_request::first_flexible_version;
    case api_key::txn_offset_commit: return txn_offset_commit_request::first_flexible_version;
    case api_key::sasl_authenticate: return sasl_authenticate_request::first_flexible_version;
  }
  return std::nullopt;
}

// Header versions for `version` of `key`; nullopt for an unknown key.
constexpr std::optional<std::int16_t> request_header_version(api_key key, std::int16_t version) noexcept {
  auto first = first_flexible_version(key);
  if (!first) return std::nullopt;
  return static_cast<std::int16_t>(version >= *first ? 2 : 1);
}
constexpr std::optional<std::int16_t> response_header_version(api_key key, std::int16_t version) noexcept {
  auto first = first_flexible_version(key);
  if (!first) return std::nullopt;
  if (key == api_key::api_versions) return 0;  // always v0, even for flexible ApiVersions versions (KIP-511)
  return static_cast<std::int16_t>(version >= *first ? 1 : 0);
}

// Appends one complete request frame to `out`: int32 size, request header (v1 or v2), `body` at `version`. Body is
// a generated request type or its view (produce_request_view: the batches are copied once, straight from the
// caller's buffers into the frame). The client id is an int16-length nullable string in both header versions
// (RequestHeader's ClientId keeps the classic encoding in v2). Allocates nothing beyond `out`'s growth.
// client_errc::unsupported_version if `version` is outside what Body's codec implements; frame_too_large if the frame
// would not fit the int32 size. On error `out` is left as it was.
template <class Body>
std::error_code encode_request(byte_buffer& out, const Body& body, std::int16_t version, std::int32_t correlation_id,
                               std::optional<std::string_view> client_id) {
  static_assert(Body::api_key >= 0, "encode_request needs a request body type, not a header");
  if (!is_valid_version<Body>(version)) return make_error_code(client_errc::unsupported_version);
  const std::size_t start = out.size();
  writer w(out);
  w.int32(0);  // size, patched below
  request_header_view header;
  header.request_api_key = Body::api_key;
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = client_id;
  header.encode(w, is_flexible_version<Body>(version) ? 2 : 1);
  body.encode(w, version);
  const std::size_t size = out.size() - start - 4;
  if (size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    out.resize(start);
    return make_error_code(client_errc::frame_too_large);
  }
  w.patch_int32(start, static_cast<std::int32_t>(size));
  return {};
}

// Reads the response header for a response to `version` of `key` (the frame's size prefix already removed) and
// returns its correlation id; header tags are checked and skipped. Errors stay in `r`
// (client_errc::unsupported_version for an unknown key).
inline std::int32_t decode_response_header(reader& r, api_key key, std::int16_t version) {
  auto header_version = response_header_version(key, version);
  if (!header_version) {
    r.fail(client_errc::unsupported_version);
    return 0;
  }
  response_header_view header;
  header.decode(r, *header_version);
  return header.correlation_id;
}

// Decodes an ApiVersions response body (after its v0 header) to a request sent at `version_sent`, with Kafka's
// fallback (KIP-511; Kafka's ApiVersionsResponse.parse): a broker that does not support `version_sent` answers in
// the v0 format with error 35 (UNSUPPORTED_VERSION) and only its own ApiVersions range. So if the body does not
// parse at `version_sent`, or parses with error 35, parse it again as v0; the v0 result wins if it parses.
// One more case, seen from librdkafka 2.0.2's mock cluster: error 35 followed by a body in neither format. The
// error code leads the body in every version, so it is trusted: `out` is then error 35 with no ranges, and
// api_versions_retry_version() falls back to v0.
inline std::error_code decode_api_versions_response(bytes_view body, std::int16_t version_sent,
                                                    api_versions_response& out) {
  constexpr auto unsupported = static_cast<std::int16_t>(kafka_errc::unsupported_version);
  auto ec = decode_message(body, out, version_sent);
  if (version_sent == 0 || (!ec && out.error_code != unsupported)) return ec;
  api_versions_response v0;
  if (!decode_message(body, v0, 0)) {
    out = std::move(v0);
    return {};
  }
  if (!ec) return ec;  // parsed as sent (with error 35): keep that
  reader lead(body);
  if (lead.int16() == unsupported && lead.ok()) {
    out = api_versions_response{};
    out.error_code = unsupported;
    return {};
  }
  return ec;  // not v0 either: the as-sent error
}

namespace detail {
// The body after the response header: the ApiVersions fallback for ApiVersions, the plain codec otherwise; no
// trailing bytes.
template <class Response>
std::error_code decode_body(reader& r, std::int16_t version, Response& out) {
  if (!r.ok()) return r.error();
  if constexpr (std::is_same_v<Response, api_versions_response>) {
    return decode_api_versions_response(r.rest(), version, out);
  } else {
    return decode_message(r.rest(), out, version);
  }
}
}  // namespace detail

// Decodes a response frame (after the size prefix) whose correlation id the caller has already matched to its
// request, sent at `version`: skips the response header, then decodes the body into `out` (a generated response
// type, or its view: produce_response_view decodes in place and allocates nothing once reused). ApiVersions
// responses get the fallback of decode_api_versions_response().
template <class Response>
std::error_code decode_response_body(bytes_view frame, std::int16_t version, Response& out) {
  static_assert(Response::api_key >= 0, "decode_response_body needs a response type, not a header");
  reader r(frame);
  decode_response_header(r, static_cast<api_key>(Response::api_key), version);
  return detail::decode_body(r, version, out);
}

// The correlation id of a response frame (after the size prefix), for matching it to its request before the
// header version is known: it is the first field of every response header version. nullopt if the frame is
// shorter than that.
inline std::optional<std::int32_t> response_correlation_id(bytes_view frame) noexcept {
  reader r(frame);
  auto id = r.int32();
  if (!r.ok()) return std::nullopt;
  return id;
}

// decode_response_body() that also checks the correlation id against the request's (client_errc::correlation_mismatch).
template <class Request>
std::error_code decode_response(bytes_view frame, std::int16_t version, std::int32_t correlation_id,
                                typename Request::response_type& out) {
  reader r(frame);
  auto id = decode_response_header(r, static_cast<api_key>(Request::api_key), version);
  if (r.ok() && id != correlation_id) r.fail(client_errc::correlation_mismatch);
  return detail::decode_body(r, version, out);
}

}  // namespace kafkio::protocol
