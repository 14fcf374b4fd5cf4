// The metadata GETs of REST Proxy v2 and v3, sans-io: a kafkio::cluster_metadata in, the JSON body REST Proxy
// answers with out. v2 bodies are plain lists and objects; v3 bodies are "resources" with a kind, a metadata.self
// link and links to related resources, all absolute URLs under `base` ("http://HOST" from the request's Host).
#pragma once

#include <kafkio/cluster_metadata.hpp>

#include <string>
#include <string_view>

namespace kafkio_server {

// v2 ---------------------------------------------------------------------------------------------------------
// GET /topics: ["a","b"] (internal topics left out, as REST Proxy's AdminClient listing does).
std::string v2_topic_names(const kafkio::cluster_metadata& md);
// GET /topics/{t}: {"name":..,"configs":{},"partitions":[...]}. Topic configs need DescribeConfigs, which
// kafkio does not speak: "configs" is always empty.
std::string v2_topic(const kafkio::topic_info& t);
// GET /topics/{t}/partitions: [{"partition":0,"leader":1,"replicas":[{"broker":1,"leader":true,"in_sync":true}]}]
std::string v2_partitions(const kafkio::topic_info& t);
// GET /topics/{t}/partitions/{p}
std::string v2_partition(const kafkio::partition_info& p);
// GET /brokers: {"brokers":[1,2,3]}
std::string v2_brokers(const kafkio::cluster_metadata& md);

// v3 ---------------------------------------------------------------------------------------------------------
std::string v3_cluster_list(const kafkio::cluster_metadata& md, std::string_view base);  // GET /v3/clusters
std::string v3_cluster(const kafkio::cluster_metadata& md, std::string_view base);       // GET /v3/clusters/{c}
std::string v3_broker_list(const kafkio::cluster_metadata& md, std::string_view base);   // .../brokers
std::string v3_topic_list(const kafkio::cluster_metadata& md, std::string_view base);    // .../topics
std::string v3_topic(const kafkio::cluster_metadata& md, const kafkio::topic_info& t, std::string_view base);
std::string v3_partition_list(const kafkio::cluster_metadata& md, const kafkio::topic_info& t, std::string_view base);
std::string v3_partition(const kafkio::cluster_metadata& md, const kafkio::topic_info& t,
                         const kafkio::partition_info& p, std::string_view base);

}  // namespace kafkio_server
