// REST Proxy v3 produce, sans-io: one record of POST /v3/clusters/{c}/topics/{t}/records and its delivery report.
//
//   {"partition_id": 1, "headers": [{"name": "h", "value": "<base64>"}],
//    "key": {"type": "STRING", "data": "k"}, "value": {"type": "JSON", "data": {"any": "json"}},
//    "timestamp": "2024-01-02T03:04:05.678Z"}
//
// Every field is optional. type is BINARY (data: base64), JSON (data: any JSON, stored as its text with numbers as
// written) or STRING (data: a string); a key or value without data, or with data null, is null. Schema Registry
// types (AVRO, PROTOBUF, JSONSCHEMA) and schema fields are refused. timestamp is ISO-8601 (what REST Proxy's
// Jackson reads), or a number of seconds since 1970 (Jackson's reading of a number).
#pragma once

#include "produce_request.hpp"
#include "rest_response.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kafkio_server {

struct v3_record {
  owned_record record;
  std::optional<std::string> key_type, value_type;  // "BINARY", "JSON", "STRING" (for the report)
  std::size_t key_size = 0, value_size = 0;          // bytes stored (the record's bytes go to the producer)
};

struct v3_parsed {
  v3_record record;
  std::optional<request_error> error;  // 400 as REST Proxy gives it for a record it cannot read
};
v3_parsed parse_v3_record(const boost::json::value& v);

// Milliseconds since 1970 of an ISO-8601 date-time with a zone (Z or +hh:mm), fractions of a second allowed;
// nullopt if it is not one.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);
// 2024-01-02T03:04:05.678Z
std::string format_iso8601_ms(std::int64_t ms);

// A delivery report: {"error_code":200,"cluster_id":..,"topic_name":..,"partition_id":..,"offset":..,
// "timestamp":"..","key":{"type":..,"size":..},"value":{..}}, or for a failed record REST Proxy's error object
// {"error_code":<code>,"message":".."} (codes as in classify(): 40401, 50003, ...).
std::string v3_report(const v3_record& r, const record_outcome& outcome, std::string_view cluster_id,
                      std::string_view topic);
// {"error_code":code,"message":".."}: a record refused before producing (400, 413, 429) or an error of the stream.
std::string v3_error(int error_code, std::string_view message);

}  // namespace kafkio_server
