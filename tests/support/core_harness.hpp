// Drives core::producer_core by hand, against fake_cluster over a simulated network, on a virtual clock: no
// sockets, no threads, no sleeps. Time moves only when a test says so (advance), and then events happen in time
// order: the network's (a connection established, bytes arriving after the configured latency) and the core's own
// wakeup. So a test of "retry after the backoff" sets the time to just before and just after, and a failing test
// is the same run every time.
//
//   kafkio::test::core_harness h({{"linger.ms", "5"}});
//   h.cluster.create_topic("t", 2);
//   auto id = h.send({.topic = "t", .value = "v"});
//   h.advance(10ms);
//   EXPECT_EQ(h.result(id).error, std::error_code{});
//
// It also checks what must hold in any run: every completion id completes at most once (exactly once by the end),
// and nothing connects or writes after a close completed (violations(), checked by the tests).
#pragma once

#include "fake_cluster.hpp"

#include <kafkio/core/producer_core.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

namespace kafkio::test {

using namespace std::chrono_literals;
using core::completion_id;
using core::connection_id;
using core::time_point;

class core_harness {
 public:
  struct options {
    fake_cluster::options cluster{};
    std::chrono::milliseconds latency{1};  // one way, every connection
    std::uint64_t seed = 1;
  };

  // (initializer_list overloads: a braced list of one pair would otherwise also read as a vector's iterator range)
  using property_init = std::initializer_list<std::pair<std::string, std::string>>;
  explicit core_harness(property_init props) : core_harness(options{}, property_list(props)) {}
  core_harness(options o, property_init props) : core_harness(o, property_list(props)) {}
  core_harness(options o, const property_list& props)
      : cluster(o.cluster, [](int node) { return std::pair<std::string, std::uint16_t>("broker" + std::to_string(node), 9092); }),
        core(configure(props, o.cluster.nodes), core::time_source{&steady_now, &wall_now, this}, o.seed),
        opts_(o) {  // declared last (with the harness's other state)
    core.set_logger([this](log_level, std::string_view m) { logs.emplace_back(m); });
  }

  fake_cluster cluster;
  core::producer_core core;
  std::vector<std::string> logs;

  // ---- the application ------------------------------------------------------------------------------------------
  struct owned {
    std::string topic;
    std::optional<std::int32_t> partition;
    std::optional<std::string> key, value;
    std::vector<std::pair<std::string, std::optional<std::string>>> headers{};
  };
  // The record the core is given for `r` (views into `r`; the headers' views live in `header_views`).
  static producer_record view_of(const owned& r, std::vector<header>& header_views) {
    header_views.clear();
    for (const auto& [k, v] : r.headers)
      header_views.push_back({k, v ? std::optional<std::string_view>(*v) : std::nullopt});
    return {r.topic, r.partition, r.key ? std::optional<std::string_view>(*r.key) : std::nullopt,
            r.value ? std::optional<std::string_view>(*r.value) : std::nullopt, header_views, std::nullopt};
  }
  completion_id send(const owned& r, bool wait_for_room = true) {
    auto id = next_id();
    records_[id] = r;
    std::vector<header> hv;
    auto pr = view_of(r, hv);
    last_send_result = core.send(pr, id, wait_for_room);
    settle();
    return id;
  }
  core::producer_core::send_result last_send_result{};
  // A send without the passes after it: for tests that run the sender's passes one at a time (run_pass).
  completion_id send_without_pass(const owned& r) {
    auto id = next_id();
    records_[id] = r;
    std::vector<header> hv;
    auto pr = view_of(r, hv);
    last_send_result = core.send(pr, id, true);
    return id;
  }
  // One pass of the sender, as the driver runs one per turn of its loop, and the writes it asked for (they reach
  // the broker only when time passes). False if the core wanted no pass.
  bool run_pass() {
    if (!core.wants_run()) return false;
    core.run();
    core::io_request r;
    while (core.take_io_request(r)) carry_out(r);
    return true;
  }
  // Several sends in one turn of the loop (the driver runs one pass after them, not one per send).
  std::vector<completion_id> send_burst(const std::vector<owned>& rs) {
    std::vector<completion_id> ids;
    for (const auto& r : rs) {
      auto id = next_id();
      records_[id] = r;
      std::vector<header> hv;
      auto pr = view_of(r, hv);
      last_send_result = core.send(pr, id, true);
      ids.push_back(id);
    }
    settle();
    return ids;
  }
  completion_id flush() { return operation([&](completion_id id) { core.flush(id); }); }
  completion_id close() {
    return operation([&](completion_id id) {
      close_ids_.push_back(id);
      core.close(id);
    });
  }
  completion_id connect() { return operation([&](completion_id id) { core.connect(id); }); }
  // Transactions.
  completion_id init_transactions() { return operation([&](completion_id id) { core.init_transactions(id); }); }
  completion_id begin_transaction() { return operation([&](completion_id id) { core.begin_transaction(id); }); }
  completion_id commit_transaction() { return operation([&](completion_id id) { core.commit_transaction(id); }); }
  completion_id abort_transaction() { return operation([&](completion_id id) { core.abort_transaction(id); }); }
  completion_id send_offsets_to_transaction(std::vector<offset_to_commit> offsets, consumer_group_metadata group) {
    return operation([&](completion_id id) { core.send_offsets_to_transaction(std::move(offsets), std::move(group), id); });
  }
  void cancel(completion_id id) {
    core.cancel(id);
    settle();
  }
  void abort() {
    core.abort();
    settle();
  }

  bool done(completion_id id) const { return results_.count(id) != 0; }
  const core::completion& result(completion_id id) const { return results_.at(id); }
  std::size_t completed() const { return results_.size(); }
  std::size_t issued() const { return next_id_ - 1; }
  const std::map<completion_id, owned>& records() const { return records_; }
  const std::map<completion_id, core::completion>& results() const { return results_; }

  // ---- time -------------------------------------------------------------------------------------------------------
  time_point now() const { return now_; }
  // Moves the clock forward by `d`, letting everything due on the way happen in time order.
  void advance(std::chrono::milliseconds d) { advance_to(now_ + d); }
  void advance_to(time_point target) {
    settle();
    for (;;) {
      auto t = std::min(next_event_time(), core.wakeup());
      if (t > target) break;
      now_ = std::max(now_, t);
      wall_ms_ = base_wall_ms + std::chrono::duration_cast<std::chrono::milliseconds>(now_ - start).count();
      fire_due();
      settle();
    }
    now_ = target;
    wall_ms_ = base_wall_ms + std::chrono::duration_cast<std::chrono::milliseconds>(now_ - start).count();
    settle();
  }
  // Advances in small steps until `pred()` or `limit` of virtual time passed; returns pred().
  template <class Pred>
  bool advance_until(Pred pred, std::chrono::milliseconds limit, std::chrono::milliseconds step = 1ms) {
    auto end = now_ + limit;
    while (!pred() && now_ < end) advance(step);
    return pred();
  }

  // ---- the network ------------------------------------------------------------------------------------------------
  // Connection attempts to `node` fail (connection refused) while set; `hang` makes them never complete instead.
  void refuse_connections(int node, bool refuse = true) { refused_[node] = refuse; }
  void hang_connections(int node, bool hang = true) { hung_[node] = hang; }
  // Connections to `node` fail as a refused certificate does: final, with the reason a TLS stream gives.
  void reject_handshakes(int node, bool reject = true) { rejected_[node] = reject; }
  // The network drops every open connection (both ends see it).
  void drop_all_connections() {
    for (auto& [id, c] : conns_)
      if (c.open) {
        c.open = false;
        push_event(now_, id, event::kind::disconnected, {});
      }
    settle();
  }
  int connections_opened() const { return connections_opened_; }
  // When each connection attempt started, and to which node.
  const std::vector<std::pair<time_point, int>>& connection_attempts() const { return connection_attempts_; }
  // Completion ids in the order the core completed them.
  const std::vector<completion_id>& completion_order() const { return order_; }
  int writes() const { return writes_; }

  // Invariants broken so far (empty in a correct run).
  std::vector<std::string> violations;

  // Every completion came exactly once, and buffer.memory is back to zero: call at the end of a run.
  void check_all_completed() {
    for (completion_id id = 1; id < next_id_; ++id)
      if (!done(id)) violations.push_back("operation " + std::to_string(id) + " never completed");
    if (core.metrics().buffered_bytes != 0)
      violations.push_back("buffered_bytes is " + std::to_string(core.metrics().buffered_bytes) + " at the end");
  }

  static constexpr std::int64_t base_wall_ms = 1'700'000'000'000;
  const time_point start = time_point(std::chrono::hours(1));  // not time_point{}: that means "never"

 private:
  struct event {
    enum class kind { connected, bytes, disconnected, refused, rejected } what;
    connection_id conn;
    byte_buffer data;
  };
  struct scheduled {
    time_point at;
    std::uint64_t seq;
    event ev;
    bool operator>(const scheduled& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct sim_connection {
    int node = 0;
    bool open = false;  // established and not closed/dropped
    std::shared_ptr<fake_session> session;
    protocol::frame_reader broker_side{64u << 20};  // requests as the broker receives them
  };

  static producer_config configure(property_list props, int nodes) {
    bool has_bootstrap = false;
    for (auto& [k, v] : props) has_bootstrap |= k == "bootstrap.servers";
    if (!has_bootstrap) {
      std::string b;
      for (int n = 1; n <= nodes; ++n) b += (b.empty() ? "" : ",") + ("broker" + std::to_string(n) + ":9092");
      props.emplace_back("bootstrap.servers", b);
    }
    auto r = producer_config::parse(props);
    if (!r) throw std::runtime_error(r.message);
    return r.config;
  }
  static time_point steady_now(void* self) { return static_cast<core_harness*>(self)->now_; }
  static std::int64_t wall_now(void* self) { return static_cast<core_harness*>(self)->wall_ms_; }

  completion_id next_id() { return next_id_++; }
  template <class F>
  completion_id operation(F&& f) {
    auto id = next_id();
    f(id);
    settle();
    return id;
  }

  time_point next_event_time() const { return events_.empty() ? time_point::max() : events_.top().at; }
  void push_event(time_point at, connection_id c, event::kind k, byte_buffer data) {
    events_.push({at, ++seq_, {k, c, std::move(data)}});
  }

  // Everything that happens at the current time, until nothing more does.
  void settle() {
    for (int guard = 0; guard < 1'000'000; ++guard) {
      bool busy = false;
      core::io_request r;
      while (core.take_io_request(r)) {
        carry_out(r);
        busy = true;
      }
      if (core.wants_run()) {
        core.run();
        busy = true;
      }
      if (next_event_time() <= now_) {
        fire_events();
        busy = true;
      }
      if (core.wakeup() <= now_) {
        core.on_timer();
        busy = true;
      }
      busy |= collect();
      if (!busy) return;
    }
    violations.push_back("the core never settled (a loop without time passing)");
  }

  void fire_due() {
    if (next_event_time() <= now_) fire_events();
    if (core.wakeup() <= now_) core.on_timer();
  }

  void fire_events() {
    while (!events_.empty() && events_.top().at <= now_) {
      auto s = events_.top();
      events_.pop();
      auto it = conns_.find(s.ev.conn);
      if (it == conns_.end()) continue;
      auto& c = it->second;
      switch (s.ev.what) {
        case event::kind::connected:
          if (c.session && !c.session->closed) {
            c.open = true;
            core.on_connected(s.ev.conn, {});
          }
          break;
        case event::kind::refused:
          core.on_connected(s.ev.conn, std::make_error_code(std::errc::connection_refused));
          break;
        case event::kind::rejected:
          core.on_connected(s.ev.conn, std::make_error_code(std::errc::permission_denied),
                            "TLS handshake with broker" + std::to_string(c.node) + " failed: certificate verify failed",
                            true);
          break;
        case event::kind::bytes:
          if (c.open) core.on_bytes(s.ev.conn, s.ev.data);
          break;
        case event::kind::disconnected:
          core.on_disconnected(s.ev.conn, std::make_error_code(std::errc::connection_reset));
          break;
      }
    }
  }

  bool collect() {
    auto& q = core.completions();
    bool any = false;
    while (!q.empty()) {
      core::completion c(std::move(q.front()));
      q.pop_front();
      any = true;
      if (results_.count(c.id)) violations.push_back("operation " + std::to_string(c.id) + " completed twice");
      else if (c.id == 0 || c.id >= next_id_) violations.push_back("completion for unknown id " + std::to_string(c.id));
      if (std::find(close_ids_.begin(), close_ids_.end(), c.id) != close_ids_.end() && !closed_at_) closed_at_ = now_;
      order_.push_back(c.id);
      results_.emplace(c.id, std::move(c));
    }
    return any;
  }

  void carry_out(const core::io_request& r) {
    if (closed_at_ && r.what != core::io_request::kind::close)
      violations.push_back("connect/write after close completed");
    switch (r.what) {
      case core::io_request::kind::connect: {
        ++connections_opened_;
        auto ep = core.connection_endpoint(r.connection);
        int node = std::stoi(ep.host.substr(6));  // "brokerN"
        connection_attempts_.emplace_back(now_, node);
        auto& c = conns_[r.connection];
        c.node = node;
        if (hung_[node]) return;  // never answers: the core's connect deadline must end it
        if (refused_[node]) return push_event(now_ + opts_.latency, r.connection, event::kind::refused, {});
        if (rejected_[node]) return push_event(now_ + opts_.latency, r.connection, event::kind::rejected, {});
        c.session = cluster.open_session(node);
        c.session->wake = [this, id = r.connection] { deliver_output(id); };
        push_event(now_ + opts_.latency, r.connection, event::kind::connected, {});
        return;
      }
      case core::io_request::kind::write: {
        auto it = conns_.find(r.connection);
        auto* pipe = core.pipeline(r.connection);
        if (it == conns_.end() || !pipe || !it->second.open) return;
        ++writes_;
        std::vector<byte_buffer> frames;
        pipe->begin_write(frames);
        auto& c = it->second;
        for (auto& f : frames) {
          bytes_view frame;
          std::error_code ec;
          c.broker_side.feed(f);
          while (c.broker_side.next(frame, ec) == protocol::frame_reader::status::frame)
            cluster.on_request(*c.session, frame);
        }
        deliver_output(r.connection);
        core.on_written(r.connection, frames);  // the socket took the bytes
        return;
      }
      case core::io_request::kind::close: {
        auto it = conns_.find(r.connection);
        if (it == conns_.end()) return;
        if (it->second.session) it->second.session->closed = true;
        conns_.erase(it);
        return;
      }
    }
  }

  // What the broker end wrote goes to the client after the latency; a close follows the bytes.
  void deliver_output(connection_id id) {
    auto it = conns_.find(id);
    if (it == conns_.end() || !it->second.session) return;
    auto& s = *it->second.session;
    while (!s.outbox.empty() && !s.closed) {
      push_event(now_ + opts_.latency, id, event::kind::bytes, std::move(s.outbox.front()));
      s.outbox.pop_front();
    }
    if ((s.closed || s.close_after_write) && it->second.open) {
      it->second.open = false;
      push_event(now_ + opts_.latency, id, event::kind::disconnected, {});
    }
  }

  options opts_;
  time_point now_ = start;
  std::int64_t wall_ms_ = base_wall_ms;
  std::optional<time_point> closed_at_;  // when a close() completed
  std::vector<completion_id> close_ids_;
  completion_id next_id_ = 1;
  std::map<completion_id, owned> records_;
  std::map<completion_id, core::completion> results_;
  std::priority_queue<scheduled, std::vector<scheduled>, std::greater<>> events_;
  std::uint64_t seq_ = 0;
  std::map<connection_id, sim_connection> conns_;
  std::map<int, bool> refused_, hung_, rejected_;
  int connections_opened_ = 0, writes_ = 0;
  std::vector<std::pair<time_point, int>> connection_attempts_;
  std::vector<completion_id> order_;
};

}  // namespace kafkio::test
