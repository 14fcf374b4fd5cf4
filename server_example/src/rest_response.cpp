#include "rest_response.hpp"

#include <kafkio/error.hpp>

#include <boost/json.hpp>

namespace kafkio_server {

namespace json = boost::json;

record_error classify(std::error_code ec) {
  using kafkio::client_errc;
  using kafkio::kafka_errc;
  if (ec == client_errc::unknown_topic || ec == client_errc::invalid_topic_name ||
      ec == kafka_errc::unknown_topic_or_partition || ec == kafka_errc::invalid_topic_exception)
    return {40401, "Topic not found: " + ec.message()};
  if (ec == client_errc::unknown_partition) return {40402, "Partition not found: " + ec.message()};
  const bool retriable = kafkio::is_retriable(ec) || ec == client_errc::delivery_timeout ||
                         ec == client_errc::queue_full || ec == client_errc::producer_closed ||
                         ec == std::errc::operation_canceled;
  if (retriable) return {50003, "Retriable Kafka error: " + ec.message()};
  return {50002, "Kafka error: " + ec.message()};
}

std::string offsets_body(const std::vector<record_outcome>& outcomes) {
  json::array offsets;
  offsets.reserve(outcomes.size());
  for (const auto& o : outcomes) {
    json::object entry;
    if (!o.ec) {
      entry["partition"] = o.partition;
      entry["offset"] = o.offset;
      entry["error_code"] = nullptr;
      entry["error"] = nullptr;
    } else {
      auto e = classify(o.ec);
      entry["partition"] = nullptr;
      entry["offset"] = nullptr;
      entry["error_code"] = e.error_code;
      entry["error"] = e.message;
    }
    offsets.emplace_back(std::move(entry));
  }
  json::object body;
  body["key_schema_id"] = nullptr;
  body["value_schema_id"] = nullptr;
  body["offsets"] = std::move(offsets);
  return json::serialize(body);
}

std::string error_body(int error_code, std::string_view message) {
  json::object body;
  body["error_code"] = error_code;
  body["message"] = message;
  return json::serialize(body);
}

}  // namespace kafkio_server
