// The metadata GETs of REST Proxy v2 and v3 (clients use them to discover topics, partitions and the cluster id):
// each asks Kafka with producer::async_fetch_metadata, bounded by max.block.ms, and renders with rest_metadata.
#include "rest_handlers.hpp"
#include "rest_metadata.hpp"

#include <kafkio/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kafkio_server {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct fetched {
  std::optional<kafkio::cluster_metadata> md;
  std::optional<http_response> failure;
};

asio::awaitable<fetched> fetch(worker_context& ctx, unsigned version, const request_plan& plan,
                               std::vector<std::string> topics) {
  auto [ec, md] = co_await ctx.producer.async_fetch_metadata(std::move(topics), use_tuple);
  fetched out;
  if (ec) {
    // REST Proxy answers a Kafka failure of this kind (a timeout) with 500 and its retriable code.
    auto e = classify(ec);
    out.failure = error_response(version, http::status::internal_server_error, e.error_code, e.message,
                                 plan.response_type);
    co_return out;
  }
  if (!md.cluster_id.empty()) ctx.cluster_id = md.cluster_id;
  out.md = std::move(md);
  co_return out;
}

// The topic's entry, or the answer for a topic that is missing or refused to us.
const kafkio::topic_info* find_topic(const kafkio::cluster_metadata& md, const request_plan& plan, unsigned version,
                                     std::optional<http_response>& failure) {
  for (const auto& t : md.topics) {
    if (t.name != plan.target.topic) continue;
    if (!t.error) return &t;
    auto e = classify(t.error);
    if (e.error_code == 40301)
      failure = error_response(version, http::status::forbidden, 40301, e.message, plan.response_type);
    else
      break;
    return nullptr;
  }
  failure = plan.target.v3 ? error_response(version, http::status::not_found, 40403,
                                            "This server does not host this topic-partition.", plan.response_type)
                           : error_response(version, http::status::not_found, 40401, "Topic not found.",
                                            plan.response_type);
  return nullptr;
}

const kafkio::partition_info* find_partition(const kafkio::topic_info& t, const request_plan& plan, unsigned version,
                                             std::optional<http_response>& failure) {
  for (const auto& p : t.partitions)
    if (p.id == plan.target.partition) return &p;
  failure = plan.target.v3 ? error_response(version, http::status::not_found, 40403,
                                            "This server does not host this topic-partition.", plan.response_type)
                           : error_response(version, http::status::not_found, 40402, "Partition not found.",
                                            plan.response_type);
  return nullptr;
}

http_response cluster_not_found(unsigned version, const request_plan& plan) {
  return error_response(version, http::status::not_found, 404,
                        "Cluster " + plan.target.cluster_id + " cannot be found.", plan.response_type);
}

}  // namespace

asio::awaitable<std::optional<http_response>> check_cluster(worker_context& ctx, unsigned version,
                                                            const request_plan& plan) {
  if (ctx.cluster_id.empty()) {
    auto f = co_await fetch(ctx, version, plan, {});
    if (f.failure) co_return std::move(f.failure);
  }
  if (plan.target.cluster_id != ctx.cluster_id) co_return cluster_not_found(version, plan);
  co_return std::nullopt;
}

asio::awaitable<http_response> handle_metadata(worker_context& ctx, unsigned version, const request_plan& plan) {
  using kind = route::kind;
  const auto& r = plan.target;
  std::vector<std::string> topics;
  if (!r.topic.empty()) topics.push_back(r.topic);
  auto f = co_await fetch(ctx, version, plan, std::move(topics));
  if (f.failure) co_return std::move(*f.failure);
  const auto& md = *f.md;
  if (r.v3 && r.what != kind::clusters && r.cluster_id != md.cluster_id) co_return cluster_not_found(version, plan);
  auto ok = [&](std::string body) { return make_response(version, http::status::ok, std::move(body), plan.response_type); };
  const auto& base = plan.base_url;

  if (r.what == kind::clusters) co_return ok(v3_cluster_list(md, base));
  if (r.what == kind::cluster) co_return ok(v3_cluster(md, base));
  if (r.what == kind::brokers) co_return ok(r.v3 ? v3_broker_list(md, base) : v2_brokers(md));
  if (r.what == kind::topics) co_return ok(r.v3 ? v3_topic_list(md, base) : v2_topic_names(md));
  std::optional<http_response> failure;
  const auto* t = find_topic(md, plan, version, failure);
  if (!t) co_return std::move(*failure);
  if (r.what == kind::topic) co_return ok(r.v3 ? v3_topic(md, *t, base) : v2_topic(*t));
  if (r.what == kind::partitions) co_return ok(r.v3 ? v3_partition_list(md, *t, base) : v2_partitions(*t));
  const auto* p = find_partition(*t, plan, version, failure);
  if (!p) co_return std::move(*failure);
  co_return ok(r.v3 ? v3_partition(md, *t, *p, base) : v2_partition(*p));
}

}  // namespace kafkio_server
