// What the producer knows about the cluster: brokers and, per topic, each partition's leader. Sans-io: it is
// updated from decoded Metadata responses and queried by the engine; timing decisions take `now` as an argument.
#pragma once

#include <kafkio/protocol/wire.hpp>

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
  void set_topic(const std::string& name, topic_metadata t) { topics_[name] = std::move(t); }
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
