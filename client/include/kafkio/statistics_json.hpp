// statistics_json(): a metrics() snapshot as librdkafka's statistics JSON (its STATISTICS.md), for the dashboards
// and parsers that users of statistics.interval.ms / stats_cb already have. Fields that mean the same in kafkio are
// given under librdkafka's names; the rest of kafkio's counters are in a "kafkio" object under their C++ names
// (docs/producer.md, "Statistics", has the mapping). Fields kafkio does not measure are left out, never zero-filled.
#pragma once

#include <kafkio/metrics.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace kafkio {

// What the snapshot does not know about its producer.
struct statistics_context {
  std::string_view client_id;         // client.id
  std::chrono::microseconds age{0};   // since the producer was made ("age")
  std::int64_t replyq = -1;           // completions waiting for the application to serve them; < 0: left out
  std::int64_t msg_max = -1;          // a limit on the records waiting (Python: queue.buffering.max.messages)
  std::int64_t msg_size_max = -1;     // a limit on their bytes (buffer.memory)
};

namespace detail {

inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += ch;  // UTF-8 passes through
    }
  }
  out += '"';
}

// Appends "name":value, with a comma unless it opens an object.
class json_object_writer {
 public:
  explicit json_object_writer(std::string& out) : out_(out) { out_ += '{'; }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    append_json_string(out_, k);
    out_ += ':';
  }
  void field(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  template <class Integer>
  void number(std::string_view k, Integer v) {
    key(k);
    out_ += std::to_string(v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace detail

inline std::string statistics_json(const producer_metrics& m, const statistics_context& c = {}) {
  using namespace std::chrono;
  std::string out;
  out.reserve(1024 + 256 * m.brokers.size());
  detail::json_object_writer top(out);
  std::uint64_t tx = 0, rx = 0;
  for (const auto& b : m.brokers) tx += b.requests_sent, rx += b.responses_received;

  top.field("name", std::string(c.client_id) + "#producer");
  top.field("client_id", c.client_id);
  top.field("type", "producer");
  top.number("ts", duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
  top.number("time", duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
  top.number("age", c.age.count());
  if (c.replyq >= 0) top.number("replyq", c.replyq);
  top.number("msg_cnt", m.records_pending);
  top.number("msg_size", m.buffered_bytes);
  if (c.msg_max >= 0) top.number("msg_max", c.msg_max);
  if (c.msg_size_max >= 0) top.number("msg_size_max", c.msg_size_max);
  top.number("tx", tx);
  top.number("rx", rx);
  // librdkafka counts records handed to a broker; kafkio counts those the broker acknowledged (never one twice).
  top.number("txmsgs", m.records_acked);
  top.number("txmsg_bytes", m.record_bytes_acked);

  top.key("brokers");
  detail::json_object_writer brokers(out);
  for (const auto& b : m.brokers) {
    // librdkafka's key is "host:port/id", "host:port/bootstrap" for a bootstrap address.
    const std::string name = b.address + "/" + (b.node_id < 0 ? std::string("bootstrap") : std::to_string(b.node_id));
    brokers.key(name);
    detail::json_object_writer broker(out);
    broker.field("name", name);
    broker.number("nodeid", b.node_id);
    broker.field("nodename", b.address);
    broker.field("source", b.node_id < 0 ? "configured" : "learned");
    broker.field("state", b.connected ? "UP" : "DOWN");
    broker.number("waitresp_cnt", b.requests_in_flight);
    broker.number("tx", b.requests_sent);
    broker.number("rx", b.responses_received);
    broker.key("rtt");
    detail::json_object_writer rtt(out);
    rtt.number("avg", b.average_round_trip.count());  // microseconds, as librdkafka's window stats
    rtt.close();
    broker.close();
  }
  brokers.close();

  top.key("kafkio");
  detail::json_object_writer own(out);
  own.number("records_accepted", m.records_accepted);
  own.number("records_acked", m.records_acked);
  own.number("records_failed", m.records_failed);
  own.number("records_pending", m.records_pending);
  own.number("record_bytes_acked", m.record_bytes_acked);
  own.number("batches_sent", m.batches_sent);
  own.number("produce_requests", m.produce_requests);
  own.number("retries", m.retries);
  own.number("batches_split", m.batches_split);
  own.number("metadata_requests", m.metadata_requests);
  own.number("rebootstraps", m.rebootstraps);
  own.number("producer_id_resets", m.producer_id_resets);
  own.number("transaction_protocol", m.transaction_protocol);
  own.number("requests_in_flight", m.requests_in_flight);
  own.number("buffered_bytes", m.buffered_bytes);
  own.number("records_waiting_for_room", m.records_waiting_for_room);
  own.key("brokers");
  out += '[';
  bool first = true;
  for (const auto& b : m.brokers) {
    if (!first) out += ',';
    first = false;
    detail::json_object_writer broker(out);
    broker.number("node_id", b.node_id);
    broker.field("address", b.address);
    broker.boolean("connected", b.connected);
    broker.number("requests_sent", b.requests_sent);
    broker.number("responses_received", b.responses_received);
    broker.number("requests_in_flight", b.requests_in_flight);
    broker.number("last_round_trip_us", b.last_round_trip.count());
    broker.number("average_round_trip_us", b.average_round_trip.count());
    broker.close();
  }
  out += ']';
  own.close();
  top.close();
  return out;
}

}  // namespace kafkio
