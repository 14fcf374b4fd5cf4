#include "rest_handlers.hpp"

#include "openapi.hpp"
#include "rest_response.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <memory>

namespace kafkio_server {

namespace {

constexpr std::string_view accepted_types =
    "application/vnd.kafka.json.v2+json, application/vnd.kafka.binary.v2+json, application/vnd.kafka.text.v2+json, "
    "application/vnd.kafka.v2+json (binary) or application/octet-stream";

// The records of one request on their way through the producer. Completions arrive on the worker's thread;
// the last one wakes the handler waiting in wait().
struct produce_state {
  explicit produce_state(asio::any_io_executor ex, std::size_t n)
      : outcomes(n), remaining(n), done(std::move(ex), asio::steady_timer::time_point::max()) {}

  asio::awaitable<void> wait() {
    while (remaining > 0) {
      boost::system::error_code ec;
      co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  std::vector<record_outcome> outcomes;
  std::size_t remaining;
  asio::steady_timer done;
};

http_response too_busy(worker_context& ctx, unsigned version, std::size_t records) {
  ctx.stats.records_rejected.fetch_add(records, std::memory_order_relaxed);
  auto res = error_response(version, http::status::too_many_requests, 429,
                            "the producer's buffer is full (buffer.memory): retry later");
  res.set(http::field::retry_after, std::to_string(ctx.options.retry_after_seconds));
  return res;
}

std::size_t request_charge(const std::vector<owned_record>& records) {
  std::size_t charge = 0;
  for (const auto& r : records) charge += record_charge(r);
  return charge;
}

// A request that could never fit, however long it waited.
http_response too_large(unsigned version, std::size_t buffer_memory, std::string_view type) {
  return error_response(version, http::status::payload_too_large, 413,
                        "the request's records need more than the producer's buffer.memory (" +
                            std::to_string(buffer_memory) + " bytes)",
                        type);
}

// The answer once every record completed (REST Proxy's status rules: v2_request_status).
http_response answer(worker_context& ctx, unsigned version, const std::vector<record_outcome>& outcomes,
                     std::string_view type) {
  bool all_full = true;
  for (const auto& o : outcomes) all_full &= o.ec == kafkio::client_errc::queue_full;
  if (all_full) return too_busy(ctx, version, 0);
  const auto st = v2_request_status(outcomes);
  if (st.error)
    return error_response(version, static_cast<http::status>(st.status), st.error->error_code, st.error->message, type);
  return make_response(version, static_cast<http::status>(st.status), offsets_body(outcomes), type);
}

// ?atomic=true: the records in one transaction of the worker's atomic producer, all visible or none.
asio::awaitable<http_response> produce_atomic(worker_context& ctx, unsigned version,
                                              const std::vector<owned_record>& records, const request_plan& plan) {
  auto& writer = *ctx.atomic;
  if (!writer.available())
    co_return error_response(version, http::status::bad_request, 400,
                             "atomic=true is unavailable: the server's producer properties allow no transactional "
                             "producer (" + writer.unavailable_reason() + ")",
                             plan.response_type);
  if (request_charge(records) > writer.buffer_memory())
    co_return too_large(version, writer.buffer_memory(), plan.response_type);
  auto out = co_await writer.write(records, plan.target.topic);
  if (!out.committed) {
    ctx.stats.records_failed.fetch_add(records.size(), std::memory_order_relaxed);
    ctx.stats.transactions_aborted.fetch_add(1, std::memory_order_relaxed);
    co_return error_response(version, static_cast<http::status>(out.status), out.error_code, out.message,
                             plan.response_type);
  }
  ctx.stats.records_produced.fetch_add(records.size(), std::memory_order_relaxed);
  ctx.stats.transactions_committed.fetch_add(1, std::memory_order_relaxed);
  co_return make_response(version, http::status::ok, offsets_body(out.records), plan.response_type);
}

asio::awaitable<http_response> produce(worker_context& ctx, const http_request& req, const request_plan& plan) {
  const unsigned version = req.version();
  std::vector<owned_record> records;
  if (*plan.format == embedded_format::raw) {
    owned_record r;
    r.key = plan.query.key;
    r.value = req.body();
    r.partition = plan.query.partition;
    records.push_back(std::move(r));
  } else {
    auto parsed = parse_records(req.body(), *plan.format, {ctx.options.max_records_per_request});
    if (parsed.error)
      co_return error_response(version, static_cast<http::status>(parsed.error->status), parsed.error->error_code,
                               parsed.error->message, plan.response_type);
    records = std::move(parsed.records);
  }
  if (plan.target.partition)
    for (auto& r : records) r.partition = plan.target.partition;
  if (!legal_topic_name(plan.target.topic)) {
    // The broker would refuse it only after the producer waited max.block.ms for metadata: answer now.
    ctx.stats.records_failed.fetch_add(records.size(), std::memory_order_relaxed);
    co_return error_response(version, http::status::not_found, 40401, "Topic not found: an illegal topic name",
                             plan.response_type);
  }

  if (plan.query.atomic) co_return co_await produce_atomic(ctx, version, records, plan);

  // Admission: all records of the request or none. Half-accepting would leave the client unsure what to resend.
  const std::size_t charge = request_charge(records);
  if (charge > ctx.buffer_memory) co_return too_large(version, ctx.buffer_memory, plan.response_type);
  if (ctx.inflight_charge + charge > ctx.buffer_memory) co_return too_busy(ctx, version, records.size());

  auto state = std::make_shared<produce_state>(co_await asio::this_coro::executor, records.size());
  std::vector<kafkio::header> headers;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::size_t c = record_charge(records[i]);
    ctx.inflight_charge += c;
    // try_send: if buffer.memory is used up anyway (our estimate is only an estimate), fail at once instead of
    // letting records queue without bound.
    ctx.producer.try_send(as_producer_record(records[i], plan.target.topic, headers), [state, i, c, &ctx](std::error_code ec, kafkio::record_metadata md) {
      ctx.inflight_charge -= c;
      (ec ? ctx.stats.records_failed : ctx.stats.records_produced).fetch_add(1, std::memory_order_relaxed);
      state->outcomes[i] = record_outcome{ec, md.partition, md.offset, md.timestamp_ms};
      if (--state->remaining == 0) state->done.cancel();
    });
  }
  records.clear();  // the producer copied the bytes

  if (plan.query.async) {
    http_response res{http::status::no_content, version};
    co_return res;
  }
  co_await state->wait();
  co_return answer(ctx, version, state->outcomes, plan.response_type);
}

}  // namespace

http_response make_response(unsigned version, http::status status, std::string body, std::string_view content_type) {
  http_response res{status, version};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

http_response error_response(unsigned version, http::status status, int error_code, std::string_view message,
                             std::string_view content_type) {
  return make_response(version, status, error_body(error_code, message), content_type);
}

std::optional<http_response> inspect(worker_context& ctx, const http_request& h, request_plan& plan) {
  const unsigned version = h.version();
  std::string_view target = h.target();
  auto qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  plan.target = match_route(path);
  const auto& r = plan.target;
  const auto method = h.method();
  if (r.what == route::kind::not_found)
    return error_response(version, http::status::not_found, 404, "HTTP 404 Not Found");
  const auto allowed = allowed_methods(r);
  const bool get = method == http::verb::get || method == http::verb::head;
  if (!(get && allowed.find("GET") != std::string_view::npos) &&
      !(method == http::verb::post && allowed.find("POST") != std::string_view::npos)) {
    auto res = error_response(version, http::status::method_not_allowed, 405, "HTTP 405 Method Not Allowed");
    res.set(http::field::allow, allowed);
    return res;
  }
  plan.produce = is_produce(r, method == http::verb::post);

  // Content negotiation, for the API's JSON answers (REST Proxy's @Produces).
  const bool api = r.what != route::kind::healthz && r.what != route::kind::readyz &&
                   r.what != route::kind::metrics && r.what != route::kind::openapi;
  if (api) {
    static const std::vector<std::string_view> v2_types = {rest_content_type, "application/vnd.kafka+json",
                                                           "application/json"};
    static const std::vector<std::string_view> v3_types = {"application/json"};
    auto chosen = negotiate(h[http::field::accept], r.v3 ? v3_types : v2_types);
    if (!chosen)
      return error_response(version, http::status::not_acceptable, 406,
                            std::string("HTTP 406 Not Acceptable: this resource answers with ") +
                                (r.v3 ? "application/json" : "application/vnd.kafka.v2+json, application/vnd.kafka+json "
                                                             "or application/json"));
    plan.response_type = *chosen;
    if (r.v3) plan.base_url = "http://" + std::string(h[http::field::host]);  // (v2 needs no links)
  }
  const auto type = plan.response_type;
  if (r.bad_partition)
    return r.v3 ? error_response(version, http::status::not_found, 40403, "This server does not host this partition.",
                                 type)
                : error_response(version, http::status::not_found, 40402, "Partition not found: not a partition number",
                                 type);
  if (!plan.produce) return std::nullopt;

  if (r.what == route::kind::records) {  // v3: JSON records, streamed (REST Proxy's @Consumes(APPLICATION_JSON))
    auto ct = h[http::field::content_type];
    auto semi = ct.find(';');
    if (!boost::beast::iequals(boost::beast::string_view(ct.data(), semi == std::string_view::npos ? ct.size() : semi),
                               "application/json"))
      return error_response(version, http::status::unsupported_media_type, 415,
                            "HTTP 415 Unsupported Media Type: v3 records are application/json", type);
    return std::nullopt;
  }
  if (qmark != std::string_view::npos)
    if (auto err = parse_query(target.substr(qmark + 1), plan.query))
      return error_response(version, static_cast<http::status>(err->status), err->error_code, err->message, type);
  plan.format = format_for_content_type(h[http::field::content_type]);
  if (!plan.format)
    return error_response(version, http::status::unsupported_media_type, 415,
                          "HTTP 415 Unsupported Media Type: use " + std::string(accepted_types), type);
  if (auto len = h.payload_size(); len && *len > ctx.options.max_body_bytes)
    return error_response(version, http::status::payload_too_large, 413,
                          "the request body is " + std::to_string(*len) + " bytes, more than --max-body-bytes " +
                              std::to_string(ctx.options.max_body_bytes),
                          type);
  return std::nullopt;
}

asio::awaitable<http_response> handle(worker_context& ctx, const http_request& req, const request_plan& plan) {
  const unsigned version = req.version();
  switch (plan.target.what) {
    case route::kind::healthz: co_return make_response(version, http::status::ok, "ok\n", "text/plain");
    case route::kind::readyz:
      if (ctx.ready()) co_return make_response(version, http::status::ok, "ready\n", "text/plain");
      co_return make_response(version, http::status::service_unavailable,
                              ctx.producer.has_metadata()
                                  ? "not ready: no connection to any broker for --unready-after (the worker keeps "
                                    "connecting)\n"
                                  : "not ready: no metadata from Kafka yet (the worker keeps connecting)\n",
                              "text/plain");
    case route::kind::metrics:
      ctx.publish_producer_metrics();
      co_return make_response(version, http::status::ok, render_prometheus(ctx.all_stats),
                              "text/plain; version=0.0.4; charset=utf-8");
    case route::kind::openapi:
      co_return make_response(version, http::status::ok, std::string(openapi_document()), "application/json");
    case route::kind::not_found: break;
    default:
      if (plan.produce && !plan.target.v3) co_return co_await produce(ctx, req, plan);
      co_return co_await handle_metadata(ctx, version, plan);
  }
  co_return error_response(version, http::status::not_found, 404, "HTTP 404 Not Found");
}

}  // namespace kafkio_server
