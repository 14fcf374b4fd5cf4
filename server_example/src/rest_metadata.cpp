#include "rest_metadata.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace kafkio_server {

namespace json = boost::json;

namespace {

// v2 -----------------------------------------------------------------------------------------------------------

json::object v2_partition_object(const kafkio::partition_info& p) {
  json::array replicas;
  for (auto node : p.replicas) {
    json::object r;
    r["broker"] = node;
    r["leader"] = node == p.leader;
    r["in_sync"] = std::find(p.isr.begin(), p.isr.end(), node) != p.isr.end();
    replicas.emplace_back(std::move(r));
  }
  json::object o;
  o["partition"] = p.id;
  o["leader"] = p.leader;
  o["replicas"] = std::move(replicas);
  return o;
}

json::array v2_partition_array(const kafkio::topic_info& t) {
  json::array a;
  for (const auto& p : t.partitions) a.emplace_back(v2_partition_object(p));
  return a;
}

// v3 -----------------------------------------------------------------------------------------------------------

json::object related(std::string url) {
  json::object o;
  o["related"] = std::move(url);
  return o;
}

json::object resource_metadata(std::string self, std::string crn) {
  json::object o;
  o["self"] = std::move(self);
  o["resource_name"] = std::move(crn);
  return o;
}

json::object list(std::string_view kind, std::string self, json::array data) {
  json::object meta;
  meta["self"] = std::move(self);
  meta["next"] = nullptr;
  json::object o;
  o["kind"] = kind;
  o["metadata"] = std::move(meta);
  o["data"] = std::move(data);
  return o;
}

struct v3_paths {
  std::string cluster, crn;
  v3_paths(const kafkio::cluster_metadata& md, std::string_view base)
      : cluster(std::string(base) + "/v3/clusters/" + md.cluster_id), crn("crn:///kafka=" + md.cluster_id) {}
  std::string topic(const std::string& t) const { return cluster + "/topics/" + t; }
  std::string partition(const std::string& t, std::int32_t p) const {
    return topic(t) + "/partitions/" + std::to_string(p);
  }
};

json::object cluster_object(const kafkio::cluster_metadata& md, const v3_paths& u) {
  json::object o;
  o["kind"] = "KafkaCluster";
  o["metadata"] = resource_metadata(u.cluster, u.crn);
  o["cluster_id"] = md.cluster_id;
  if (md.controller_id >= 0) o["controller"] = related(u.cluster + "/brokers/" + std::to_string(md.controller_id));
  else o["controller"] = nullptr;
  o["acls"] = related(u.cluster + "/acls");
  o["brokers"] = related(u.cluster + "/brokers");
  o["broker_configs"] = related(u.cluster + "/broker-configs");
  o["consumer_groups"] = related(u.cluster + "/consumer-groups");
  o["topics"] = related(u.cluster + "/topics");
  o["partition_reassignments"] = related(u.cluster + "/topics/-/partitions/-/reassignment");
  return o;
}

json::object broker_object(const kafkio::cluster_metadata& md, const kafkio::broker_info& b, const v3_paths& u) {
  const auto self = u.cluster + "/brokers/" + std::to_string(b.node_id);
  json::object o;
  o["kind"] = "KafkaBroker";
  o["metadata"] = resource_metadata(self, u.crn + "/broker=" + std::to_string(b.node_id));
  o["cluster_id"] = md.cluster_id;
  o["broker_id"] = b.node_id;
  o["host"] = b.host;
  o["port"] = b.port;
  if (b.rack) o["rack"] = *b.rack;
  else o["rack"] = nullptr;
  o["configs"] = related(self + "/configs");
  o["partition_replicas"] = related(self + "/partition-replicas");
  return o;
}

json::object topic_object(const kafkio::cluster_metadata& md, const kafkio::topic_info& t, const v3_paths& u) {
  const auto self = u.topic(t.name);
  json::object o;
  o["kind"] = "KafkaTopic";
  o["metadata"] = resource_metadata(self, u.crn + "/topic=" + t.name);
  o["cluster_id"] = md.cluster_id;
  o["topic_name"] = t.name;
  o["is_internal"] = t.is_internal;
  o["replication_factor"] = t.partitions.empty() ? 0 : static_cast<std::int64_t>(t.partitions.front().replicas.size());
  o["partitions_count"] = static_cast<std::int64_t>(t.partitions.size());
  o["partitions"] = related(self + "/partitions");
  o["configs"] = related(self + "/configs");
  o["partition_reassignments"] = related(self + "/partitions/-/reassignment");
  o["authorized_operations"] = json::array();
  return o;
}

json::object partition_object(const kafkio::cluster_metadata& md, const kafkio::topic_info& t,
                              const kafkio::partition_info& p, const v3_paths& u) {
  const auto self = u.partition(t.name, p.id);
  json::object o;
  o["kind"] = "KafkaPartition";
  o["metadata"] = resource_metadata(self, u.crn + "/topic=" + t.name + "/partition=" + std::to_string(p.id));
  o["cluster_id"] = md.cluster_id;
  o["topic_name"] = t.name;
  o["partition_id"] = p.id;
  if (p.leader >= 0) o["leader"] = related(self + "/replicas/" + std::to_string(p.leader));
  else o["leader"] = nullptr;
  o["replicas"] = related(self + "/replicas");
  o["reassignment"] = related(self + "/reassignment");
  return o;
}

}  // namespace

std::string v2_topic_names(const kafkio::cluster_metadata& md) {
  json::array names;
  for (const auto& t : md.topics)
    if (!t.is_internal && !t.error) names.emplace_back(t.name);
  return json::serialize(names);
}

std::string v2_topic(const kafkio::topic_info& t) {
  json::object o;
  o["name"] = t.name;
  o["configs"] = json::object();
  o["partitions"] = v2_partition_array(t);
  return json::serialize(o);
}

std::string v2_partitions(const kafkio::topic_info& t) { return json::serialize(v2_partition_array(t)); }

std::string v2_partition(const kafkio::partition_info& p) { return json::serialize(v2_partition_object(p)); }

std::string v2_brokers(const kafkio::cluster_metadata& md) {
  json::array ids;
  for (const auto& b : md.brokers) ids.emplace_back(b.node_id);
  json::object o;
  o["brokers"] = std::move(ids);
  return json::serialize(o);
}

std::string v3_cluster_list(const kafkio::cluster_metadata& md, std::string_view base) {
  json::array data;
  data.emplace_back(cluster_object(md, v3_paths(md, base)));
  return json::serialize(list("KafkaClusterList", std::string(base) + "/v3/clusters", std::move(data)));
}

std::string v3_cluster(const kafkio::cluster_metadata& md, std::string_view base) {
  return json::serialize(cluster_object(md, v3_paths(md, base)));
}

std::string v3_broker_list(const kafkio::cluster_metadata& md, std::string_view base) {
  const v3_paths u(md, base);
  json::array data;
  for (const auto& b : md.brokers) data.emplace_back(broker_object(md, b, u));
  return json::serialize(list("KafkaBrokerList", u.cluster + "/brokers", std::move(data)));
}

std::string v3_topic_list(const kafkio::cluster_metadata& md, std::string_view base) {
  const v3_paths u(md, base);
  json::array data;
  for (const auto& t : md.topics)
    if (!t.error) data.emplace_back(topic_object(md, t, u));
  return json::serialize(list("KafkaTopicList", u.cluster + "/topics", std::move(data)));
}

std::string v3_topic(const kafkio::cluster_metadata& md, const kafkio::topic_info& t, std::string_view base) {
  return json::serialize(topic_object(md, t, v3_paths(md, base)));
}

std::string v3_partition_list(const kafkio::cluster_metadata& md, const kafkio::topic_info& t, std::string_view base) {
  const v3_paths u(md, base);
  json::array data;
  for (const auto& p : t.partitions) data.emplace_back(partition_object(md, t, p, u));
  return json::serialize(list("KafkaPartitionList", u.topic(t.name) + "/partitions", std::move(data)));
}

std::string v3_partition(const kafkio::cluster_metadata& md, const kafkio::topic_info& t,
                         const kafkio::partition_info& p, std::string_view base) {
  return json::serialize(partition_object(md, t, p, v3_paths(md, base)));
}

}  // namespace kafkio_server
