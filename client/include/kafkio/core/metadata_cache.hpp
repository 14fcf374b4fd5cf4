// What the producer knows about the cluster: brokers and, per topic, each partition's leader. Sans-io: it is
// updated from decoded Metadata responses and queried by the engine; timing decisions take `now` as an argument.
#pragma once

#include <kafkio/error.hpp>
#include <kafkio/protocol/messages/metadata_response.hpp>
#include <kafkio/protocol/wire.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace kafkio::core {

struct broker_endpoint {
  std::int32_t node_id = -1;
  std::string host;
  std::int32_t port = 0;
};

struct partition_leader {
  std::int32_t leader = -1;        // -1: no leader right now
  std::int32_t leader_epoch = -1;
  std::int16_t error = 0;
};

struct topic_metadata {
  std::int16_t error = 0;          // e.g. UNKNOWN_TOPIC_OR_PARTITION
  protocol::uuid topic_id{};
  std::vector<partition_leader> partitions;
};

// What the producer takes from a Metadata response.
struct metadata_result {
  std::map<std::int32_t, broker_endpoint> brokers;
  std::vector<std::pair<std::string, topic_metadata>> topics;
};

// Partitions are numbered 0..n-1: an index outside what the response itself carries is a broken response
// (client_errc::malformed_length), and refusing it keeps the table no larger than the response.
inline std::error_code read_metadata(protocol::metadata_response& m, metadata_result& out) {
  for (const auto& b : m.brokers) out.brokers[b.node_id] = {b.node_id, b.host, b.port};
  for (auto& t : m.topics) {
    if (!t.name) continue;  // v10+ may identify topics by id only; the producer always asks by name
    topic_metadata tm;
    tm.error = t.error_code;
    tm.topic_id = t.topic_id;
    std::size_t count = 0;  // highest index + 1; compared before adding, as an index may be INT32_MAX
    for (const auto& p : t.partitions) {
      if (p.partition_index < 0) continue;
      if (static_cast<std::size_t>(p.partition_index) >= t.partitions.size())
        return make_error_code(client_errc::malformed_length);
      count = std::max(count, static_cast<std::size_t>(p.partition_index) + 1);
    }
    tm.partitions.resize(count);
    for (const auto& p : t.partitions)
      if (p.partition_index >= 0)
        tm.partitions[static_cast<std::size_t>(p.partition_index)] = {p.leader_id, p.leader_epoch, p.error_code};
    out.topics.emplace_back(std::move(*t.name), std::move(tm));
  }
  return {};
}

class metadata_cache {
 public:
  using clock = std::chrono::steady_clock;

  const broker_endpoint* broker(std::int32_t node_id) const {
    auto it = brokers_.find(node_id);
    return it == brokers_.end() ? nullptr : &it->second;
  }
  const std::map<std::int32_t, broker_endpoint>& brokers() const noexcept { return brokers_; }

  // nullptr when the topic was never seen in a response.
  const topic_metadata* topic(const std::string& name) const {
    auto it = topics_.find(name);
    return it == topics_.end() ? nullptr : &it->second;
  }
  // A usable topic: present, no topic-level error, at least one partition.
  const topic_metadata* usable_topic(const std::string& name) const {
    const auto* t = topic(name);
    return t && t->error == 0 && !t->partitions.empty() ? t : nullptr;
  }
  std::int32_t leader_for(const std::string& topic, std::int32_t partition) const {
    const auto* t = topic_ptr(topic);
    if (!t || partition < 0 || static_cast<std::size_t>(partition) >= t->partitions.size()) return -1;
    return t->partitions[static_cast<std::size_t>(partition)].leader;
  }

  void set_brokers(std::map<std::int32_t, broker_endpoint> brokers) { brokers_ = std::move(brokers); }
  // One broker learned outside Metadata (a Produce response's NodeEndpoints, KIP-951); the next Metadata response
  // replaces the whole list as usual.
  void set_broker(broker_endpoint b) { brokers_[b.node_id] = std::move(b); }
  void set_topic(const std::string& name, topic_metadata t) { topics_[name] = std::move(t); }
  void forget_topic(const std::string& name) { topics_.erase(name); }
  void set_controller(std::int32_t id) noexcept { controller_ = id; }
  void mark_updated(clock::time_point now) noexcept { updated_ = now; }
  // A leader hint from a produce response (NOT_LEADER_OR_FOLLOWER with CurrentLeader, Produce v10+).
  void set_leader(const std::string& topic, std::int32_t partition, std::int32_t leader, std::int32_t epoch) {
    auto it = topics_.find(topic);
    if (it == topics_.end() || partition < 0 || static_cast<std::size_t>(partition) >= it->second.partitions.size())
      return;
    auto& p = it->second.partitions[static_cast<std::size_t>(partition)];
    if (epoch >= p.leader_epoch) p = {leader, epoch, 0};
  }

  clock::time_point updated() const noexcept { return updated_; }
  bool ever_updated() const noexcept { return updated_ != clock::time_point{}; }

 private:
  const topic_metadata* topic_ptr(const std::string& name) const { return topic(name); }

  std::map<std::int32_t, broker_endpoint> brokers_;
  std::unordered_map<std::string, topic_metadata> topics_;
  std::int32_t controller_ = -1;
  clock::time_point updated_{};
};

}  // namespace kafkio::core
