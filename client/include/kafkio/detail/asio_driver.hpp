// The Asio driver of the sans-io core: the only part of the producer with sockets, timers and handlers.
//
// It moves bytes and time, and nothing else. Each input (a call from kafkio::producer, a socket event, the timer)
// goes to core::producer_core, and pump() then carries out what the core asked for: connect, write or close a
// connection, run a pass (posted: at most one per turn of the loop, so a burst of sends costs one pass), re-arm the
// single timer, and deliver completions, at most 64 per turn so that a response finishing thousands of records is
// not one long CPU burst.
//
// Handlers: the core knows operations by completion_id; the driver keeps their handlers in slabs (handler_slab.hpp)
// and invokes them when the core reports the operation done. Delivery is what dispatch would do: on this thread
// when the handler's associated executor is ours or it names none, else on its own executor (a strand).
//
// Lifetime: owned by kafkio::producer through a shared_ptr, and kept alive by its own posted handlers, so that
// completions still queued when the producer is destroyed (with operation_aborted) are delivered.
//
// Included only where the driver is compiled: by <kafkio/producer.hpp> in the header-only mode, by <kafkio/src.hpp>
// when the library is compiled separately (docs/architecture.md, "Header-only or compiled").
#pragma once

#include <kafkio/core/producer_core.hpp>
#include <kafkio/detail/handler_pool.hpp>
#include <kafkio/detail/handler_slab.hpp>
#include <kafkio/detail/oidc_token_client.hpp>
#include <kafkio/detail/producer_driver.hpp>
#include <kafkio/detail/stream_connection.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_executor.hpp>

#include <memory>
#include <unordered_map>

namespace kafkio::detail {

class asio_driver final : public producer_driver,
                          public connection_events,
                          public std::enable_shared_from_this<asio_driver> {
 public:
  static constexpr std::size_t completions_per_turn = 64;
  using clock = asio::steady_timer::clock_type;

  // With security.protocol SSL or SASL_SSL, or an https OIDC token endpoint, this reads the certificates and keys
  // (tls_context.hpp, oidc_token_client.hpp), and throws std::system_error(client_errc::invalid_config) if they are
  // unusable.
  asio_driver(asio::any_io_executor ex, producer_config cfg)
      : ex_(std::move(ex)), core_(std::move(cfg)), timer_(ex_), statistics_timer_(ex_),
        tls_(core_.config().uses_tls() ? make_tls_settings(core_.config()) : nullptr),
        oidc_(oidc::make_token_client(ex_, core_.config())) {}

  asio::any_io_executor get_executor() const override { return ex_; }
  const producer_config& config() const noexcept override { return core_.config(); }
  void set_logger(log_function f) override { core_.set_logger(std::move(f)); }
  void set_partitioner(partitioner_function f) override { core_.set_partitioner(std::move(f)); }
  void set_statistics_callback(statistics_function f) override {
    statistics_ = std::move(f);
    ++statistics_generation_;  // a wait already armed finds itself stale
    statistics_timer_.cancel();
    if (statistics_ && core_.config().statistics_interval.count() > 0) arm_statistics(clock::now());
  }
  void set_oauthbearer_token_refresh_callback(oauthbearer_refresh_function f) override {
    oauth_refresh_ = std::move(f);
  }
  std::string set_oauthbearer_token(oauthbearer_token t) override {
    const auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(t.expiry - std::chrono::system_clock::now());
    detail::sasl_extensions extensions(t.extensions.begin(), t.extensions.end());
    auto why = core_.set_oauthbearer_token(std::move(t.value), lifetime, std::move(t.principal), std::move(extensions));
    pump();
    return why;
  }
  void set_oauthbearer_token_failure(std::string_view why) override {
    core_.set_oauthbearer_token_failure(why);
    pump();
  }
  producer_metrics metrics() const override { return core_.metrics(); }
  bool has_metadata() const noexcept override { return core_.has_metadata(); }
  handler_pool* handler_storage() const noexcept override { return pool_.get(); }

  // ---- from kafkio::producer -------------------------------------------------------------------------------------
  void send(const producer_record& r, send_completion done, bool wait_for_room) override {
    auto id = sends_.insert(std::move(done));
    if (core_.send(r, id, wait_for_room) == core::producer_core::send_result::waiting_for_room) {
      // Waiting for room is the one stage a send can be cancelled in (per-operation cancellation, any type).
      auto slot = asio::get_associated_cancellation_slot(*sends_.find(id));
      if (slot.is_connected())
        slot.assign([weak = weak_from_this(), id](asio::cancellation_type) {
          if (auto self = weak.lock()) {
            self->core_.cancel(id);
            self->pump();
          }
        });
    }
    pump();
  }
  void flush(void_completion done) override {
    core_.flush(operations_.insert(std::move(done)));
    pump();
  }
  void connect(void_completion done) override {
    core_.connect(operations_.insert(std::move(done)));
    pump();
  }
  void close(void_completion done) override {
    core_.close(operations_.insert(std::move(done)));
    pump();
  }
  void fetch_metadata(std::vector<std::string> topics, metadata_completion done) override {
    core_.fetch_metadata(std::move(topics), fetches_.insert(std::move(done)));
    pump();
  }
  void init_transactions(void_completion done) override {
    core_.init_transactions(operations_.insert(std::move(done)));
    pump();
  }
  void begin_transaction(void_completion done) override {
    core_.begin_transaction(operations_.insert(std::move(done)));
    pump();
  }
  void commit_transaction(void_completion done) override {
    core_.commit_transaction(operations_.insert(std::move(done)));
    pump();
  }
  void abort_transaction(void_completion done) override {
    core_.abort_transaction(operations_.insert(std::move(done)));
    pump();
  }
  void send_offsets_to_transaction(std::vector<offset_to_commit> offsets, consumer_group_metadata group,
                                   void_completion done) override {
    core_.send_offsets_to_transaction(std::move(offsets), std::move(group), operations_.insert(std::move(done)));
    pump();
  }
  // Destruction of the producer: fail everything pending with operation_aborted, close connections. Never blocks.
  void abort() override {
    core_.abort();
    pump();
    timer_.cancel();
    if (oidc_) oidc_->cancel();
    oauth_refresh_ = nullptr;
    statistics_ = nullptr;
    ++statistics_generation_;
    statistics_timer_.cancel();
  }

  // ---- from connections ------------------------------------------------------------------------------------------
  void on_connected(core::connection_id c, std::error_code ec, std::string_view why, bool final) override {
    core_.on_connected(c, ec, why, final);
    pump();
  }
  void on_bytes(core::connection_id c, protocol::bytes_view data) override {
    core_.on_bytes(c, data);
    pump();
  }
  void on_written(core::connection_id c, std::vector<protocol::byte_buffer>& frames) override {
    core_.on_written(c, frames);
    pump();
  }
  void on_disconnected(core::connection_id c, std::error_code ec, std::string_view why, bool final) override {
    core_.on_disconnected(c, ec, why, final);
    pump();
  }

 private:
  // Carries out what the last input asked for.
  void pump() {
    core::io_request r;
    while (core_.take_io_request(r)) carry_out(r);
    if (core_.take_oauthbearer_token_request()) request_oauthbearer_token();
    if (core_.wants_run() && !run_posted_) {
      run_posted_ = true;
      post_pooled(ex_, pool_, [self = shared_from_this()] {
        self->run_posted_ = false;
        self->core_.run();
        self->pump();
      });
    }
    if (auto when = core_.wakeup(); when != timer_at_) arm_timer(when);
    if (!core_.completions().empty() && !drain_posted_) {
      drain_posted_ = true;
      post_pooled(ex_, pool_, [self = shared_from_this()] { self->drain(); });
    }
  }

  void carry_out(const core::io_request& r) {
    switch (r.what) {
      case core::io_request::kind::connect: {
        std::shared_ptr<connection_io> conn;
        if (tls_) conn = std::make_shared<tls_connection>(ex_, r.connection, weak_from_this(), pool_, tls_);
        else conn = std::make_shared<tcp_connection>(ex_, r.connection, weak_from_this(), pool_, nullptr);
        connections_[r.connection] = conn;
        conn->start(core_.connection_endpoint(r.connection));
        return;
      }
      case core::io_request::kind::write: {
        auto it = connections_.find(r.connection);
        auto* pipe = core_.pipeline(r.connection);
        if (it != connections_.end() && pipe) it->second->write(*pipe);
        return;
      }
      case core::io_request::kind::close: {
        auto it = connections_.find(r.connection);
        if (it == connections_.end()) return;
        it->second->close();
        connections_.erase(it);
        return;
      }
    }
  }

  void arm_timer(core::time_point when) {
    timer_at_ = when;
    if (when == core::time_point::max()) {
      // Nothing timed (a closed producer, say): cancel the wait, or it would keep the io_context's run() from
      // returning until a deadline that no longer matters.
      timer_.cancel();
      return;
    }
    timer_.expires_at(when);
    timer_.async_wait(pooled(pool_, [self = shared_from_this(), when](boost::system::error_code ec) {
      if (ec || self->timer_at_ != when) return;
      self->timer_at_ = core::time_point::max();
      self->core_.on_timer();
      self->pump();
    }));
  }

  // statistics.interval.ms: a timer of its own, apart from the core's (the statistics are an observation of the
  // core, not one of its decisions), and the callback runs from this handler, outside any core pass. Each due time
  // is the previous one plus the interval, so they do not drift; a loop that stalled past a due time gets one
  // callback at once, not one per interval missed. The first due time after close finished is the last.
  void arm_statistics(clock::time_point previous) {
    const auto interval = core_.config().statistics_interval;
    auto due = previous + interval;
    if (auto now = clock::now(); due + interval <= now) due = now;
    statistics_timer_.expires_at(due);
    statistics_timer_.async_wait([self = shared_from_this(), due, g = statistics_generation_](boost::system::error_code ec) {
      if (ec || g != self->statistics_generation_ || !self->statistics_) return;
      // A copy: the callback may replace itself or destroy the producer (abort() clears statistics_) while it runs.
      auto callback = self->statistics_;
      callback(self->core_.metrics());
      // After async_close finished this was the last one: a timer of ours must not keep io_context::run() going.
      if (g == self->statistics_generation_ && self->statistics_ && !self->core_.is_finished())
        self->arm_statistics(due);
    });
  }

  // The core wants an OAUTHBEARER token (it makes the unsecured JWT itself). The answer always comes from a posted
  // handler or a completion, never inside this pump.
  void request_oauthbearer_token() {
    post_pooled(ex_, pool_, [self = shared_from_this()] {
      if (self->core_.is_finished()) return;
      if (auto callback = self->oauth_refresh_) {  // a copy: it may replace itself or destroy the producer
        callback(self->core_.config().sasl_oauthbearer_config);
        return;
      }
      if (self->oidc_) return self->fetch_oidc_token();
      self->core_.set_oauthbearer_token_failure(
          "no token source: set producer::set_oauthbearer_token_refresh_callback, sasl.oauthbearer.method=oidc with "
          "sasl.oauthbearer.token.endpoint.url, or enable.sasl.oauthbearer.unsecure.jwt");
      self->pump();
    });
  }

  // KIP-768: a token from the OIDC endpoint; the core refreshes it at 80 % of its lifetime and backs off after a
  // failure (reconnect.backoff.ms), as with any token source.
  void fetch_oidc_token() {
    oidc_->fetch([weak = weak_from_this()](oidc::token_result r) {
      auto self = weak.lock();
      if (!self || self->core_.is_finished()) return;
      if (r.error.empty())
        self->core_.set_oauthbearer_token(std::move(r.token), r.lifetime, std::move(r.principal), {});
      else
        self->core_.set_oauthbearer_token_failure(r.error);
      self->pump();
    });
  }

  static boost::system::error_code to_boost(std::error_code ec) {
    return ec ? boost::system::error_code(ec) : boost::system::error_code{};
  }

  // What dispatch would do: run the handler here when its associated executor is ours or it has none, else hand
  // it to its own executor (a strand). The common cases call it directly: dispatch goes through the type-erased
  // any_completion_executor, which wraps the call in a function object from Asio's recycling allocator, and that
  // missed its two-block cache once per drain.
  template <class Handler, class... Args>
  void deliver(Handler& h, Args&&... args) {
    auto target = asio::get_associated_executor(h);  // system_executor when the handler names none
    const auto* ours = ex_.target<asio::io_context::executor_type>();
    const auto* theirs = target.template target<asio::io_context::executor_type>();
    if (target.template target<asio::system_executor>() || (ours && theirs && *ours == *theirs))
      std::move(h)(std::forward<Args>(args)...);
    else
      asio::dispatch(asio::append(std::move(h), std::forward<Args>(args)...));
  }

  void drain() {
    drain_posted_ = false;
    auto& done = core_.completions();
    for (std::size_t n = 0; n < completions_per_turn && !done.empty(); ++n) {
      core::completion c(std::move(done.front()));
      done.pop_front();
      switch (c.what) {
        case core::completion::kind::record: {
          if (!sends_.find(c.id)) continue;
          auto h = sends_.take(c.id);
          asio::get_associated_cancellation_slot(h).clear();
          deliver(h, to_boost(c.error), std::move(c.metadata));
          break;
        }
        case core::completion::kind::operation:
          if (operations_.find(c.id)) {
            auto h = operations_.take(c.id);
            deliver(h, to_boost(c.error));
          }
          break;
        case core::completion::kind::cluster:
          if (fetches_.find(c.id)) {
            auto h = fetches_.take(c.id);
            deliver(h, to_boost(c.error), c.cluster ? std::move(*c.cluster) : cluster_metadata{});
          }
          break;
      }
    }
    pump();  // posts the next drain if more are left (behind whatever else is ready)
  }

  handler_pool_ref pool_;  // outlives us while handlers stored in it are alive (refcounted by its blocks)
  asio::any_io_executor ex_;
  core::producer_core core_;
  handler_slab<send_completion> sends_;
  handler_slab<void_completion> operations_;
  handler_slab<metadata_completion> fetches_;
  std::unordered_map<core::connection_id, std::shared_ptr<connection_io>> connections_;
  asio::steady_timer timer_;
  core::time_point timer_at_ = core::time_point::max();
  asio::steady_timer statistics_timer_;
  statistics_function statistics_;
  std::uint64_t statistics_generation_ = 0;
  oauthbearer_refresh_function oauth_refresh_;
  bool run_posted_ = false, drain_posted_ = false;
  std::shared_ptr<tls_settings> tls_;  // security.protocol SSL / SASL_SSL; shared with each TLS connection
  std::shared_ptr<oidc::token_client> oidc_;  // sasl.oauthbearer.method=oidc
};

}  // namespace kafkio::detail
