// The produce API's output side, sans-io: REST Proxy's JSON bodies and how a producer completion maps to a
// per-record error_code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kafkio_server {

inline constexpr std::string_view rest_content_type = "application/vnd.kafka.v2+json";

// The outcome of one record, as the "offsets" array reports it.
struct record_outcome {
  std::error_code ec;          // empty: delivered
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;
};

// REST Proxy's classification of a failed record (its KafkaExceptionMapper / Errors codes):
//   40101 authentication failed (SASL), 40301 not authorized (topic, cluster, ...),
//   40401 topic not found, 40402 partition not found,
//   50003 retriable Kafka error (retrying the request may succeed: timeouts, lost brokers, a full buffer,
//         retriable broker errors), 50002 any other Kafka error.
// REST Proxy's documentation describes the per-record codes as 1 (non-retriable) and 2 (retriable), but its code
// sends 50002/50003 (Errors.codeFromProducerException); clients see the latter, so we send those.
struct record_error {
  int error_code = 0;
  std::string message;
};
record_error classify(std::error_code ec);

// {"key_schema_id":null,"value_schema_id":null,"offsets":[{"partition":p,"offset":o,"error_code":null,"error":null},...]}
std::string offsets_body(const std::vector<record_outcome>& outcomes);

// The status of a v2 produce answer, from its records' outcomes, as REST Proxy decides it: 401 if a record failed
// authentication, else 403 if one was not authorized (ProduceResponse.getRequestStatus); 404 when every record
// failed because the topic (40401) or the partition (40402) does not exist (REST Proxy checks that before
// producing and answers with an error body, given in `error`); else 200 with per-record errors.
struct v2_status {
  unsigned status = 200;
  std::optional<record_error> error;  // 404: answer with this error body instead of the offsets
};
v2_status v2_request_status(const std::vector<record_outcome>& outcomes);

// {"error_code":code,"message":"..."}
std::string error_body(int error_code, std::string_view message);

}  // namespace kafkio_server
