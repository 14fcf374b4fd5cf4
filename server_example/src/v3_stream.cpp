#include "v3_stream.hpp"

#include "json_exact.hpp"
#include "v3_records.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <cctype>
#include <deque>
#include <memory>

namespace kafkio_server {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct report_slot {
  bool ready = false;
  std::string text;
};

// Shared by the reader (the session's coroutine), the writer (a coroutine of its own) and the producer's
// completions. All on the worker's thread.
struct stream_state {
  explicit stream_state(const asio::any_io_executor& ex)
      : wake(ex, clock::time_point::max()), room(ex, clock::time_point::max()),
        writer_finished(ex, clock::time_point::max()) {}

  std::deque<std::shared_ptr<report_slot>> pending;  // reports not yet written, in request order
  asio::steady_timer wake;             // the writer waits on it: cancelled when a report is ready or input ends
  asio::steady_timer room;             // the reader waits on it when too many reports are pending
  asio::steady_timer writer_finished;  // cancelled when the writer is done
  bool input_done = false, writer_done = false, write_failed = false, reading_cut = false;
  clock::time_point last_activity = clock::now();

  void ready(report_slot& slot, std::string text) {
    slot.text = std::move(text);
    slot.ready = true;
    wake.cancel();
  }
};

// Writes the reports in order as they become ready: the response header with the first one, then one chunk each,
// then the last chunk once the input ended and nothing is pending. While idle it also watches the stream: at
// shutdown, or after --body-timeout with neither a byte read nor a report written, it stops the reader.
asio::awaitable<void> write_reports(worker_context& ctx, std::shared_ptr<stream_state> st, beast::tcp_stream& stream,
                                    unsigned version) {
  const auto& o = ctx.options;
  http::response<http::empty_body> res{http::status::ok, version};
  res.set(http::field::content_type, "application/json");
  const bool chunked = version >= 11;
  if (chunked) res.chunked(true);
  if (!chunked || ctx.stopping) res.keep_alive(false);  // HTTP/1.0: the body ends with the connection
  http::response_serializer<http::empty_body> sr(res);
  bool header_sent = false;
  auto write = [&](auto buffers) -> asio::awaitable<bool> {
    stream.expires_after(std::chrono::duration_cast<clock::duration>(o.write_timeout));
    boost::system::error_code ec;
    if (!header_sent) {
      std::tie(ec, std::ignore) = co_await http::async_write_header(stream, sr, use_tuple);
      header_sent = !ec;
    }
    if (!ec) std::tie(ec, std::ignore) = co_await asio::async_write(stream, buffers, use_tuple);
    st->last_activity = clock::now();
    if (ec) st->write_failed = true;
    co_return !ec;
  };
  for (;;) {
    while (!st->pending.empty() && st->pending.front()->ready && !st->write_failed) {
      auto text = std::move(st->pending.front()->text);
      st->pending.pop_front();
      st->room.cancel();
      if (chunked) co_await write(http::make_chunk(asio::buffer(text)));
      else co_await write(asio::buffer(text));
    }
    if (st->write_failed) break;
    if (st->input_done && st->pending.empty()) {
      if (chunked) co_await write(http::make_chunk_last());
      else if (!header_sent) co_await write(asio::const_buffer());
      break;
    }
    if (!st->input_done && !st->reading_cut &&
        (ctx.stopping || (st->pending.empty() && clock::now() - st->last_activity >
                                                     std::chrono::duration_cast<clock::duration>(o.body_timeout)))) {
      st->reading_cut = true;
      stream.socket().cancel();  // only the reader's read is pending now: it ends with operation_aborted
    }
    st->wake.expires_after(std::chrono::seconds(1));  // (cancels nothing: the writer is its only waiter)
    boost::system::error_code ignored;
    co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  st->writer_done = true;
  st->writer_finished.cancel();
}

// One complete record: refused at once (a report ready now), or handed to the producer (ready on completion).
void produce_record(worker_context& ctx, const std::shared_ptr<stream_state>& st, const request_plan& plan,
                    const boost::json::value& v) {
  auto slot = std::make_shared<report_slot>();
  st->pending.push_back(slot);
  auto parsed = parse_v3_record(v);
  if (parsed.error) return st->ready(*slot, v3_error(parsed.error->error_code, parsed.error->message));
  const auto& r = parsed.record.record;
  const std::string& cluster = ctx.cluster_id;
  const std::string& topic = plan.target.topic;
  if (!legal_topic_name(topic)) {
    ctx.stats.records_failed.fetch_add(1, std::memory_order_relaxed);
    return st->ready(*slot, v3_report(parsed.record, {make_error_code(kafkio::client_errc::unknown_topic)}, cluster,
                                      topic));
  }
  const std::size_t c = record_charge(r);
  if (c > ctx.buffer_memory)
    return st->ready(*slot, v3_error(413, "the record needs more than the producer's buffer.memory"));
  if (ctx.inflight_charge + c > ctx.buffer_memory) {
    ctx.stats.records_rejected.fetch_add(1, std::memory_order_relaxed);
    return st->ready(*slot, v3_error(429, "the producer's buffer is full (buffer.memory): retry later"));
  }
  std::vector<kafkio::header> headers;
  for (const auto& h : r.headers)
    headers.push_back({h.name, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt});
  kafkio::producer_record pr;
  pr.topic = topic;
  pr.partition = r.partition;
  if (r.key) pr.key = *r.key;
  if (r.value) pr.value = *r.value;
  pr.headers = headers;
  pr.timestamp_ms = r.timestamp_ms;
  ctx.inflight_charge += c;
  // The report needs the record's types and sizes, not its bytes (the producer copied those).
  v3_record summary;
  summary.key_type = std::move(parsed.record.key_type);
  summary.value_type = std::move(parsed.record.value_type);
  summary.key_size = parsed.record.key_size;
  summary.value_size = parsed.record.value_size;
  ctx.producer.try_send(pr, [&ctx, st, slot, c, summary = std::move(summary), topic](std::error_code ec,
                                                                                     kafkio::record_metadata md) {
    ctx.inflight_charge -= c;
    (ec ? ctx.stats.records_failed : ctx.stats.records_produced).fetch_add(1, std::memory_order_relaxed);
    st->ready(*slot, v3_report(summary, {ec, md.partition, md.offset, md.timestamp_ms}, ctx.cluster_id, topic));
  });
}

}  // namespace

asio::awaitable<bool> serve_v3_records(worker_context& ctx, beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                       http::request_parser<http::string_body>& parser, const request_plan& plan,
                                       charge_function charge) {
  const auto& o = ctx.options;
  const unsigned version = parser.get().version();
  auto ex = co_await asio::this_coro::executor;
  auto st = std::make_shared<stream_state>(ex);
  asio::co_spawn(ex, write_reports(ctx, st, stream, version), asio::detached);

  // A stream may be longer than any one body: the limit is per record (below), and bytes are consumed as parsed.
  parser.body_limit(boost::none);
  json_exact::stream_parser records(64);
  std::size_t record_bytes = 0;  // of the record being parsed
  bool fatal = false;            // the stream cannot go on: stop reading, close after the reports
  auto fail = [&](int code, std::string message) {
    auto slot = std::make_shared<report_slot>();
    st->pending.push_back(slot);
    st->ready(*slot, v3_error(code, message));
    fatal = true;
  };
  stream.expires_never();  // idleness is watched by the writer (write_reports)
  for (;;) {
    std::string& body = parser.get().body();
    std::string_view in = body;
    while (!in.empty() && !fatal) {
      boost::system::error_code ec;
      const auto used = records.write_some(in, ec);
      in.remove_prefix(used);
      record_bytes += used;
      if (ec) {
        fail(records.non_finite() ? 422 : 400,
             records.non_finite() ? "a number is beyond the range of a double (such as 1e400)"
                                  : "malformed JSON: " + ec.message());
      } else if (records.done()) {
        record_bytes = 0;
        produce_record(ctx, st, plan, records.release());
      } else if (record_bytes > o.max_body_bytes) {
        fail(413, "a record is larger than --max-body-bytes " + std::to_string(o.max_body_bytes));
      }
    }
    body.clear();
    if (!fatal && !charge(record_bytes))
      fail(503, "the worker is reading too many request bodies (--max-body-memory): retry later");
    if (fatal || parser.is_done()) break;
    // Backpressure: a client that sends faster than Kafka acknowledges waits for reports to be written.
    while (st->pending.size() >= o.max_records_per_request && !st->write_failed) {
      boost::system::error_code ignored;
      co_await st->room.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (st->write_failed) break;
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
    st->last_activity = clock::now();
    if (ec) {
      // Cut by the writer (shutdown, idle), the client gone, or a malformed chunk: no more records either way.
      if (!st->reading_cut && ec != asio::error::eof && ec != asio::error::connection_reset &&
          ec != asio::error::operation_aborted)
        fail(400, "malformed request body: " + ec.message());
      fatal = true;
      break;
    }
  }
  if (!fatal && parser.is_done()) {
    boost::system::error_code ec;
    records.finish(ec);
    if (ec) fail(400, "the body ended inside a record: " + ec.message());
    else if (records.done()) produce_record(ctx, st, plan, records.release());
  }
  charge(0);
  st->input_done = true;
  st->wake.cancel();
  while (!st->writer_done) {
    boost::system::error_code ignored;
    co_await st->writer_finished.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return !fatal && !st->write_failed && version >= 11 && parser.get().keep_alive() && !ctx.stopping;
}

}  // namespace kafkio_server
