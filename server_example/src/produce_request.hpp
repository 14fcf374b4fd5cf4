// The produce API's input side, sans-io: which route a target names, which embedded format a Content-Type asks for,
// the query string, and a request body turned into records the server owns. Nothing here throws on bad input:
// every failure is a request_error with the HTTP status and REST Proxy error code to answer with.
#pragma once

#include <kafkio/record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafkio_server {

// How keys and values are embedded in a JSON body (the middle of application/vnd.kafka.<format>.v2+json), or raw:
// application/octet-stream, where the body is one record's value.
enum class embedded_format { json, binary, text, raw };

// nullopt for a Content-Type we do not accept (the caller answers 415). Parameters (charset) and case are ignored.
// application/vnd.kafka.v2+json without an embedded format is binary, as REST Proxy takes it.
std::optional<embedded_format> format_for_content_type(std::string_view content_type);

// The response type an Accept header allows (RFC 9110 §12.5.1: media ranges with q-values, q=0 excluded), chosen
// among `offered` in order of the client's preference, then of ours; nullopt if it allows none (406). A missing or
// empty Accept allows anything.
std::optional<std::string_view> negotiate(std::string_view accept, const std::vector<std::string_view>& offered);

struct request_error {
  unsigned status = 400;   // HTTP status
  int error_code = 400;    // REST Proxy's error_code in the JSON body
  std::string message;
};

// A route of the API, from the request target's path (each segment percent-decoded).
//   v2 (REST Proxy v2):  /topics  /topics/{t}  /topics/{t}/partitions  /topics/{t}/partitions/{p}  /brokers
//   v3 (REST Proxy v3):  /v3/clusters  /v3/clusters/{c}  /v3/clusters/{c}/brokers  /v3/clusters/{c}/topics
//                        /v3/clusters/{c}/topics/{t}  .../topics/{t}/partitions  .../partitions/{p}
//                        .../topics/{t}/records
//   and /healthz /readyz /metrics /openapi.json
struct route {
  enum class kind {
    not_found, healthz, readyz, metrics, openapi,
    topics, topic, partitions, partition,  // v2 topic and partition also take POST: produce
    records,                               // v3 POST: produce
    clusters, cluster,                     // v3 only
    brokers,
  } what = kind::not_found;
  bool v3 = false;
  std::string cluster_id;                   // v3
  std::string topic;
  std::optional<std::int32_t> partition;    // .../partitions/{p}
  bool bad_partition = false;               // .../partitions/{p} with p not a non-negative int32
};
route match_route(std::string_view path);

// The methods a route answers (GET routes answer HEAD too); the first one is what Allow lists first.
std::string_view allowed_methods(const route& r);
// POST /topics/{t}, POST /topics/{t}/partitions/{p} (v2) and POST .../records (v3).
bool is_produce(const route& r, bool is_post);

// Kafka's rule (org.apache.kafka.common.internals.Topic): 1 to 249 of [a-zA-Z0-9._-], not "." or "..". The broker
// would refuse another name only after the producer waited max.block.ms for its metadata; the server answers now.
bool legal_topic_name(std::string_view topic) noexcept;

// Percent-decoding (and '+' as space in query strings). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

// The query parameters the produce endpoints use.
struct produce_query {
  bool async = false;                  // ?async=true: answer 204 before Kafka acknowledged
  bool atomic = false;                 // ?atomic=true: the request's records in one transaction (kafkio's own)
  std::optional<std::string> key;      // ?key= for application/octet-stream
  std::optional<std::int32_t> partition;  // ?partition= for application/octet-stream
};
// Splits "path?query"; unknown parameters are ignored. An error for a malformed value, and for async with atomic.
std::optional<request_error> parse_query(std::string_view query, produce_query& out);

struct owned_header {
  std::string name;
  std::optional<std::string> value;
};

// One record to produce, with its own bytes.
struct owned_record {
  std::optional<std::int32_t> partition;
  std::optional<std::string> key, value;
  std::vector<owned_header> headers;
  std::optional<std::int64_t> timestamp_ms;
};

struct parse_limits {
  std::size_t max_records = 10000;
};

struct parsed_records {
  std::vector<owned_record> records;
  std::optional<request_error> error;
};

// Parses {"records":[{"key":..,"value":..,"partition":..,"headers":[{"name":..,"value":base64}],"timestamp":..}]}.
// json: key and value are any JSON, stored as their compact serialisation; binary: base64 strings; text: strings.
// Malformed JSON is 400; well-formed JSON of the wrong shape (no records, a bad field, bad base64) is 422.
parsed_records parse_records(std::string_view body, embedded_format format, const parse_limits& limits);

// The record as the producer takes it: views of `r`'s bytes, its headers in `headers` (reused by the caller).
kafkio::producer_record as_producer_record(const owned_record& r, std::string_view topic,
                                           std::vector<kafkio::header>& headers);

// What the producer charges against buffer.memory for the record (kafkio::buffer_charge); the server uses it to
// refuse a request up front (429) rather than half-accept it.
std::size_t record_charge(const owned_record& r) noexcept;

}  // namespace kafkio_server
