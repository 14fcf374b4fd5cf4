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
  if (ec == client_errc::authentication_failed || ec == kafka_errc::sasl_authentication_failed)
    return {40101, "Authentication failed: " + ec.message()};
  if (ec == kafka_errc::topic_authorization_failed || ec == kafka_errc::cluster_authorization_failed ||
      ec == kafka_errc::transactional_id_authorization_failed || ec == kafka_errc::group_authorization_failed)
    return {40301, "Not authorized: " + ec.message()};
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

v2_status v2_request_status(const std::vector<record_outcome>& outcomes) {
  v2_status out;
  bool all_topic = !outcomes.empty(), all_partition = !outcomes.empty(), authn = false, authz = false;
  for (const auto& o : outcomes) {
    const int code = o.ec ? classify(o.ec).error_code : 0;
    all_topic &= code == 40401;
    all_partition &= code == 40402;
    authn |= code == 40101;
    authz |= code == 40301;
  }
  if (authn) out.status = 401;
  else if (authz) out.status = 403;
  else if (all_topic) out = {404, record_error{40401, "Topic not found."}};
  else if (all_partition) out = {404, record_error{40402, "Partition not found."}};
  return out;
}

std::string error_body(int error_code, std::string_view message) {
  json::object body;
  body["error_code"] = error_code;
  body["message"] = message;
  return json::serialize(body);
}

}  // namespace kafkio_server
