// producer_core: broker connections (connect, set up, lose), metadata, and the idempotent producer id.
#pragma once

namespace kafkio::core {

inline producer_core::link& producer_core::link_for(std::int32_t node_id) {
  auto& l = links_[node_id];
  if (l.host.empty()) {
    l.node_id = node_id;
    l.ready_at = l.drained_at = clock_.now();
    if (const auto* b = metadata_.broker(node_id)) {
      l.host = b->host;
      l.port = std::to_string(b->port);
    }
  }
  return l;
}

inline producer_core::link* producer_core::link_of(connection_id c) {
  auto it = connections_.find(c);
  if (it == connections_.end()) return nullptr;
  auto l = links_.find(it->second);
  return l != links_.end() && l->second.conn == c ? &l->second : nullptr;
}

inline request_pipeline* producer_core::pipeline(connection_id c) {
  auto* l = link_of(c);
  return l ? l->pipe.get() : nullptr;
}

inline endpoint producer_core::connection_endpoint(connection_id c) const {
  auto it = connections_.find(c);
  if (it == connections_.end()) return {};
  const auto& l = links_.at(it->second);
  return {l.host, l.port};
}

inline producer_core::link* producer_core::any_ready_link() {
  link* best = nullptr;
  for (auto& [id, l] : links_)  // the least loaded ready connection, like the Java client's leastLoadedNode
    if (l.st == link::state::ready && (!best || l.pipe->awaiting_response() < best->pipe->awaiting_response()))
      best = &l;
  return best;
}

// Starts a connection attempt: the driver resolves and connects, and reports on_connected.
inline void producer_core::ensure_connected(link& l, time_point now) {
  if (l.st != link::state::down || finished() || l.host.empty()) return;
  if (now < l.reconnect_at) return schedule(l.reconnect_at);
  if (cfg_.uses_oauthbearer() && !oauthbearer_token_usable(now)) {
    want_oauthbearer_token(now);  // the token may come at once (the unsecured JWT), else later with a wake()
    if (!oauthbearer_token_usable(now)) return;
  }
  l.st = link::state::connecting;
  l.conn = ++last_connection_;
  connections_[l.conn] = l.node_id;
  l.pipe = std::make_unique<request_pipeline>(cfg_.max_frame_size);
  l.socket_open = false;
  l.connect_deadline = now + cfg_.socket_connection_setup_timeout;
  schedule(l.connect_deadline);
  io_requests_.push_back({io_request::kind::connect, l.conn});
}

inline void producer_core::on_connected(connection_id c, std::error_code ec, std::string_view why, bool final) {
  auto* l = link_of(c);
  if (!l || l->st != link::state::connecting) return;  // an attempt we gave up on
  if (ec) return on_connection_failed(*l, ec, why, final);
  l->socket_open = true;
  l->st = link::state::setting_up;
  l->setup = std::make_unique<connection_setup>(cfg_, l->address(), &scram_keys_, &oauth_token_);
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  auto step = l->setup->start(frame, corr);
  advance_setup(*l, step, frame, corr);
}

inline void producer_core::advance_setup(link& l, const connection_setup::step& s, protocol::byte_buffer& frame,
                                         std::int32_t corr) {
  switch (s.what) {
    case connection_setup::step::kind::send:
      send_request(l, std::move(frame), corr, true,
                   [this](link& l, std::error_code ec, protocol::bytes_view f) { on_setup_response(l, ec, f); });
      return;
    case connection_setup::step::kind::ready: {
      l.versions = l.setup->versions();
      const auto lifetime = l.setup->session_lifetime();
      const bool again = l.st == link::state::reauthenticating;
      l.setup.reset();
      // KIP-368: the broker closes a connection whose session outlived its lifetime; re-authenticate at 85-95 % of
      // it (the Java client's window, randomised so that a producer's connections do not all pause at once).
      l.reauthenticate_at = time_point::max();
      if (lifetime.count() > 0) {
        const auto share = 85 + static_cast<int>(rng_() % 11);
        l.reauthenticate_at = clock_.now() + lifetime * share / 100;
        schedule(l.reauthenticate_at);
      }
      if (!again) return on_link_ready(l);
      ++l.stats.reauthentications;
      l.st = link::state::ready;
      log(log_level::debug, "re-authenticated with " + l.address());
      return wake();
    }
    case connection_setup::step::kind::failed:
      log(s.authentication ? log_level::error : log_level::warning, s.why);
      on_link_down(l, s.error, s.why);
      // Wrong credentials do not heal by retrying: the records waiting now fail with authentication_failed (the
      // Java client raises AuthenticationException to them too). Later records try again, after the backoff.
      if (s.authentication) fail_all_pending(s.error);
      return;
  }
}

inline void producer_core::on_setup_response(link& l, std::error_code ec, protocol::bytes_view frame) {
  if (ec || !l.setup) return;  // the link is already down
  protocol::byte_buffer next;
  auto corr = next_correlation_id();
  auto step = l.setup->on_response(frame, next, corr);
  advance_setup(l, step, next, corr);
}

inline void producer_core::on_link_ready(link& l) {
  l.st = link::state::ready;
  last_link_failure_ = {};
  l.failures = 0;
  l.attempt_failed = false;
  l.last_active = clock_.now();
  l.stats.connected = true;
  log(log_level::debug, "connected to " + l.address() + " (node " + std::to_string(l.node_id) + ")");
  wake();
}

inline void producer_core::fail_all_pending(std::error_code ec) {
  std::vector<batch_ptr> failed;
  for (auto& [name, t] : topics_) {
    for (auto& q : t->partitions)
      while (!q.queued.empty()) {
        failed.push_back(std::move(q.queued.front()));
        q.queued.pop_front();
      }
    fail_waiting_records(*t, ec);
  }
  for (auto& b : failed) fail_batch(std::move(b), ec);
  complete_connect_waiters(ec);
}

// Sends a request on a link; `cb(link&, ec, frame)` runs with the response, or with the error that ended the
// connection (after which the link is already marked down). Returns false if the link has no usable connection.
template <class Callback>
inline bool producer_core::send_request(link& l, protocol::byte_buffer frame, std::int32_t correlation_id,
                                        bool expect_response, Callback cb) {
  if (!l.pipe || l.pipe->failed()) return false;
  ++l.stats.requests_sent;
  const auto sent_at = clock_.now();
  l.last_active = sent_at;
  const auto deadline = sent_at + cfg_.request_timeout;
  if (expect_response) schedule(deadline);
  const bool tell_driver = l.pipe->enqueue(
      std::move(frame), correlation_id, expect_response, deadline,
      [this, id = l.node_id, conn = l.conn, sent_at, cb = std::move(cb)](std::error_code ec,
                                                                        protocol::bytes_view f) mutable {
        auto& l = links_[id];
        if (!ec) {
          ++l.stats.responses_received;
          l.last_active = clock_.now();
          auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(l.last_active - sent_at);
          l.stats.last_round_trip = rtt;
          l.stats.average_round_trip =
              l.stats.average_round_trip.count() == 0 ? rtt : (l.stats.average_round_trip * 7 + rtt) / 8;
        } else if (l.conn == conn && l.st != link::state::down) {
          on_link_down(l, ec);
        }
        cb(l, ec, f);
      });
  if (tell_driver && l.socket_open) io_requests_.push_back({io_request::kind::write, l.conn});
  return true;
}

inline void producer_core::on_bytes(connection_id c, protocol::bytes_view data) {
  retired_pipes_.clear();
  auto* l = link_of(c);
  if (!l || !l->pipe) return;
  if (auto ec = l->pipe->on_bytes(data); ec && l->conn == c) on_link_down(*l, ec);
  else if (l->st == link::state::reauthenticating && !l->setup) wake();  // drained: re-authenticate (run)
}

inline void producer_core::on_written(connection_id c, std::vector<protocol::byte_buffer>& frames) {
  retired_pipes_.clear();
  auto* l = link_of(c);
  if (!l || !l->pipe) return frames.clear();
  if (l->pipe->end_write(frames) && l->conn == c) io_requests_.push_back({io_request::kind::write, c});
}

inline void producer_core::on_disconnected(connection_id c, std::error_code ec, std::string_view why, bool final) {
  if (auto* l = link_of(c)) on_connection_failed(*l, ec, why, final);
}

inline void producer_core::on_connection_failed(link& l, std::error_code ec, std::string_view why, bool final) {
  if (final) log(log_level::error, why.empty() ? l.address() + ": " + ec.message() : std::string(why));
  on_link_down(l, ec, why);
  if (final) fail_all_pending(ec);  // as advance_setup does for failed SASL
}

// Fails what the connection carried and tells the driver to close it. The pipeline is kept until the next input:
// this can run inside one of its own callbacks.
inline void producer_core::close_link(link& l, std::error_code reason) {
  l.st = link::state::down;
  l.stats.connected = false;
  l.setup.reset();
  l.produce_in_flight = 0;
  l.reauthenticate_at = time_point::max();
  if (l.conn) {
    connections_.erase(l.conn);
    io_requests_.push_back({io_request::kind::close, l.conn});
    l.conn = 0;
  }
  l.socket_open = false;
  if (auto pipe = std::move(l.pipe)) {
    auto* p = pipe.get();
    retired_pipes_.push_back(std::move(pipe));
    p->fail_all(reason);  // callbacks see the link down
  }
}

inline void producer_core::on_link_down(link& l, std::error_code ec, std::string_view why) {
  if (l.st == link::state::down && !l.pipe) return;
  // A listener of another security.protocol closes the connection (or answers in TLS) before ApiVersions.
  if (why.empty() && l.st == link::state::setting_up)
    why = "before the connection was set up: does security.protocol match the broker's listener?";
  log(finished() ? log_level::debug : log_level::warning,
      "connection to " + l.address() + " lost: " + ec.message() + (why.empty() ? "" : " (" + std::string(why) + ")"));
  ++l.failures;
  // An attempt that never got ready (refused, timed out, failed its setup), not an established connection lost:
  // what tells a dead broker from one that closed an idle connection (rebootstrap_reason).
  l.attempt_failed = l.st != link::state::ready;
  l.reconnect_at = clock_.now() + backoff(l.failures, cfg_.reconnect_backoff, cfg_.reconnect_backoff_max);
  // A connection that was up and then failed for a reason of ours to name (garbage, a wrong correlation id, a request
  // timeout: client_category): records that give up for want of a broker say this instead of "could not connect"
  // (expire_batches). A plain connection loss keeps broker_connection_failed, which callers treat as transient.
  if (l.socket_open && !finished() && ec.category() == client_category()) {
    last_link_failure_ = ec;
    last_link_failure_text_ = l.address() + ": " + ec.message() + (why.empty() ? "" : " (" + std::string(why) + ")");
  }
  close_link(l, ec);
  if (!finished()) {
    request_metadata();
    wake();
  }
}

// Connection attempts that took longer than socket.connection.setup.timeout.ms, and requests past
// request.timeout.ms: the connection is given up (its requests are retried elsewhere or later).
inline void producer_core::expire_requests(time_point now) {
  for (auto& [id, l] : links_) {
    if (l.st == link::state::connecting && now >= l.connect_deadline)
      on_link_down(l, make_error_code(client_errc::broker_connection_failed), "connection setup timed out");
    else if (l.pipe && now >= l.pipe->next_deadline())
      on_link_down(l, make_error_code(client_errc::request_timeout), "no response within request.timeout.ms");
  }
}

// connections.max.idle.ms: a ready connection with nothing awaiting an answer and nothing queued for that long is
// closed, as the Java client's Selector does (brokers close theirs after the same 10 minutes; load balancers often
// sooner, and silently). Not a failure: no backoff, no metadata request; the next request reconnects at once. The
// close comes up to a tenth of the limit (at most a second) late.
inline void producer_core::close_idle_links(time_point now) {
  const auto idle = cfg_.connections_max_idle;
  if (idle.count() <= 0) return;
  for (auto& [id, l] : links_) {
    if (l.st != link::state::ready || !l.pipe || l.pipe->awaiting_response() || l.pipe->queued_bytes() ||
        l.produce_in_flight)
      continue;
    if (now - l.last_active < idle) {
      // Checked on a coarse grid (a tenth of the limit, at most a second): every request moves last_active, and
      // an exact wakeup would re-arm the driver's timer once per request.
      const auto step = std::clamp<milliseconds>(idle / 10, milliseconds(1), milliseconds(1000));
      const auto due = (l.last_active + idle).time_since_epoch();
      schedule(time_point(std::chrono::duration_cast<time_point::duration>(step * (due / step + 1))));
      continue;
    }
    log(log_level::debug, "closing the connection to " + l.address() + ": idle for connections.max.idle.ms");
    close_link(l, make_error_code(client_errc::broker_connection_failed));
  }
}

inline void producer_core::request_metadata() {
  metadata_wanted_ = true;
  wake();
}

// Connect to somebody we can ask for metadata: known brokers first, the bootstrap list when none is known.
inline void producer_core::maybe_send_metadata(time_point now) {
  bool stale = metadata_.ever_updated() && now - metadata_.updated() >= cfg_.metadata_max_age;
  if (!metadata_wanted_ && !stale) {
    if (metadata_.ever_updated() && !topics_.empty()) schedule(metadata_.updated() + cfg_.metadata_max_age);
    return;
  }
  if (metadata_wanted_since_ == time_point{}) metadata_wanted_since_ = now;
  const auto recovery = rebootstrap_reason(now);
  if (recovery == rebootstrap_cause::none && cfg_.metadata_recovery == metadata_recovery_strategy::rebootstrap)
    schedule(metadata_wanted_since_ + cfg_.metadata_recovery_rebootstrap_trigger);  // KIP-1102's trigger
  if (metadata_in_flight_) return;
  if (now < metadata_retry_at_) return schedule(metadata_retry_at_);
  link* l = any_ready_link();
  if (l && recovery == rebootstrap_cause::no_metadata_in_time && l->node_id >= 0) {
    l = nullptr;  // the known brokers answer but give no usable metadata: ask a bootstrap address
    for (auto& [id, cand] : links_)
      if (id < 0 && cand.st == link::state::ready) l = &cand;
  }
  if (!l) {
    for (auto& [id, cand] : links_)
      if (cand.st != link::state::down && (id < 0 || recovery != rebootstrap_cause::no_metadata_in_time))
        return;  // one is on its way
    // Connect to one broker we can ask: a known broker (metadata named them) when there is one, else a bootstrap
    // address; the one whose reconnect backoff ends first, so a dead broker does not hold us up. Re-bootstrapping
    // (KIP-899), the bootstrap addresses are candidates too: the driver resolves their names anew.
    link* next = nullptr;
    auto consider = [&](link& cand) {
      if (!next || cand.reconnect_at < next->reconnect_at) next = &cand;
    };
    if (recovery != rebootstrap_cause::no_metadata_in_time)
      for (const auto& [id, b] : metadata_.brokers()) consider(link_for(id));
    if (!next || recovery != rebootstrap_cause::none)  // in the order given (-1, -2, ...): the first of equals wins
      for (auto it = links_.rbegin(); it != links_.rend(); ++it)
        if (it->first < 0) consider(it->second);
    if (next && next->node_id < 0 && recovery != rebootstrap_cause::none && next->st == link::state::down &&
        now >= next->reconnect_at) {
      ++counters_.rebootstraps;
      log(log_level::info, std::string("re-bootstrapping (metadata.recovery.strategy=rebootstrap): ") +
                               (recovery == rebootstrap_cause::known_brokers_failed
                                    ? "no broker known from metadata could be reached"
                                    : "no metadata for metadata.recovery.rebootstrap.trigger.ms") +
                               "; connecting to bootstrap address " + next->address());
    }
    if (next) ensure_connected(*next, now);
    return;
  }
  protocol::metadata_request req;
  req.topics.emplace();
  req.topics->reserve(topics_.size());
  for (const auto& [name, t] : topics_) {
    if (topic_is_idle(*t, now)) {
      // metadata.max.idle.ms: left out, and forgotten, so the next record to it waits for fresh metadata (Java's
      // ProducerMetadata does the same). Its queues stay: partition sequence numbers carry on.
      if (metadata_.topic(name)) log(log_level::debug, "topic " + name + " idle for metadata.max.idle.ms: left out of metadata");
      metadata_.forget_topic(name);
      continue;
    }
    req.topics->emplace_back().name = name;
  }
  req.allow_auto_topic_creation = true;  // like the Java producer; the broker decides (auto.create.topics.enable)
  auto version = *l->versions.version(protocol::api_key::metadata);
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  protocol::encode_request(frame, req, version, corr, cfg_.client_id);
  metadata_in_flight_ = true;
  metadata_wanted_ = false;
  ++counters_.metadata_requests;
  send_request(*l, std::move(frame), corr, true, [this, version](link&, std::error_code ec, protocol::bytes_view f) {
    metadata_in_flight_ = false;
    if (finished()) return;
    metadata_result m;
    if (!ec) {
      protocol::metadata_response r;
      ec = protocol::decode_response_body(f, version, r);
      if (!ec) ec = read_metadata(r, m);
    }
    auto now = clock_.now();
    if (ec) {
      metadata_wanted_ = true;
      metadata_retry_at_ = now + backoff(++metadata_failures_, cfg_.retry_backoff, cfg_.retry_backoff_max);
      log(log_level::warning, "metadata request failed: " + ec.message());
      return wake();
    }
    metadata_failures_ = 0;
    metadata_wanted_since_ = {};
    on_metadata(m, now);
  });
}

// No record sent to it for metadata.max.idle.ms and nothing of it queued or in flight.
inline bool producer_core::topic_is_idle(const topic_queue& t, time_point now) const {
  if (now - t.last_used < cfg_.metadata_max_idle || !t.waiting.empty()) return false;
  for (const auto& q : t.partitions)
    if (!q.queued.empty() || q.in_flight) return false;
  return true;
}

// KIP-899: every broker that metadata named failed its last connection attempt (none has connected since), or, KIP-1102,
// metadata has been wanted for metadata.recovery.rebootstrap.trigger.ms without a usable answer.
inline producer_core::rebootstrap_cause producer_core::rebootstrap_reason(time_point now) const {
  if (cfg_.metadata_recovery != metadata_recovery_strategy::rebootstrap || !metadata_.ever_updated())
    return rebootstrap_cause::none;
  bool all_failed = !metadata_.brokers().empty();
  for (const auto& [id, b] : metadata_.brokers()) {
    auto it = links_.find(id);
    if (it == links_.end() || !it->second.attempt_failed) {
      all_failed = false;
      break;
    }
  }
  if (all_failed) return rebootstrap_cause::known_brokers_failed;
  if (metadata_wanted_since_ != time_point{} && now - metadata_wanted_since_ >= cfg_.metadata_recovery_rebootstrap_trigger)
    return rebootstrap_cause::no_metadata_in_time;
  return rebootstrap_cause::none;
}

// connect(): metadata is what every send needs first (leaders, partition counts), so "connected" means a Metadata
// response arrived. Waiting is bounded by max.block.ms, the limit a send has for its topic's metadata.
inline void producer_core::connect(completion_id id) {
  if (!accepting()) return complete(id, make_error_code(client_errc::producer_closed));
  if (metadata_.ever_updated()) return complete(id, {});
  auto deadline = clock_.now() + max_block_;
  connect_waiters_.push_back({deadline, id});
  metadata_wanted_ = true;
  schedule(deadline);
  wake();
}

inline void producer_core::expire_connect_waiters(time_point now) {
  for (auto& w : std::exchange(connect_waiters_, {})) {
    if (now < w.deadline) {
      schedule(w.deadline);
      connect_waiters_.push_back(w);
      continue;
    }
    log(log_level::warning, "no metadata from any broker within max.block.ms");
    complete(w.id, make_error_code(client_errc::broker_connection_failed));
  }
}

inline void producer_core::complete_connect_waiters(std::error_code ec) {
  for (auto& w : std::exchange(connect_waiters_, {})) complete(w.id, ec);
}

// Topic errors in Metadata that waiting cannot cure, so records fail at once rather than after max.block.ms
// (what the Java producer does: InvalidTopicException, TopicAuthorizationException). UNKNOWN_TOPIC_OR_PARTITION
// and LEADER_NOT_AVAILABLE are not among them: the topic may be being created.
inline bool topic_error_is_final(std::int16_t error) noexcept {
  return error == static_cast<std::int16_t>(kafka_errc::invalid_topic_exception) ||
         error == static_cast<std::int16_t>(kafka_errc::topic_authorization_failed);
}

// A broker that moved (same node id, another host or port) gets a fresh connection at its new address.
inline void producer_core::follow_broker_address(const broker_endpoint& b) {
  auto it = links_.find(b.node_id);
  if (it == links_.end()) return;
  auto& l = it->second;
  if (l.host == b.host && l.port == std::to_string(b.port)) return;
  if (!l.host.empty()) on_link_down(l, make_error_code(client_errc::broker_connection_failed), "the broker moved");
  l.host = b.host;
  l.port = std::to_string(b.port);
  l.reconnect_at = {};
}

// KIP-951: with NOT_LEADER_OR_FOLLOWER (and the like) a Produce v10+ response names the partition's new leader
// and, in NodeEndpoints, where to reach it, so the retry goes there without a Metadata round trip first, even to
// a broker the producer has never heard of (one just added to the cluster). Only nodes this response names as a
// leader and the producer does not know are taken: a known broker's address is Metadata's to change (an entry that
// disagreed with it would otherwise make connections flap between the two), and entries that cannot be an address
// are ignored.
inline void producer_core::learn_node_endpoints(const protocol::produce_response_view& res) {
  for (const auto& n : res.node_endpoints) {
    if (n.node_id < 0 || n.host.empty() || n.port <= 0 || n.port > 65535 || metadata_.broker(n.node_id)) continue;
    bool named = false;
    for (const auto& t : res.responses)
      for (const auto& p : t.partition_responses) named = named || p.current_leader.leader_id == n.node_id;
    if (!named) continue;
    broker_endpoint b{n.node_id, std::string(n.host), n.port};
    log(log_level::info, "node " + std::to_string(b.node_id) + " is at " + b.host + ":" + std::to_string(b.port) +
                             " (Produce response NodeEndpoints)");
    if (auto it = links_.find(b.node_id); it != links_.end() && it->second.host.empty()) {
      it->second.host = b.host;
      it->second.port = std::to_string(b.port);
    }
    metadata_.set_broker(std::move(b));
  }
}

inline void producer_core::on_metadata(const metadata_result& m, time_point now) {
  if (!m.brokers.empty()) {
    for (const auto& [id, b] : m.brokers) follow_broker_address(b);
    metadata_.set_brokers(m.brokers);
  }
  bool incomplete = false;
  for (const auto& [name, tm] : m.topics) {
    bool leaderless = false;
    for (const auto& p : tm.partitions) leaderless |= p.leader < 0;
    incomplete |= tm.error != 0 || leaderless;
    metadata_.set_topic(name, tm);
  }
  metadata_.mark_updated(now);
  complete_connect_waiters({});
  if (incomplete) {  // e.g. a topic being auto-created, or a leader election under way: ask again soon
    metadata_wanted_ = true;
    metadata_retry_at_ = now + cfg_.retry_backoff;
  }
  for (auto& [name, t] : topics_) {
    if (t->waiting.empty()) continue;
    if (metadata_.usable_topic(name)) {
      place_waiting_records(*t);
    } else if (const auto* tm = metadata_.topic(name); tm && topic_error_is_final(tm->error)) {
      log(log_level::error, "topic " + name + ": " + kafka_error(tm->error).message());
      fail_waiting_records(*t, kafka_error(tm->error));
    }
  }
  wake();
}

inline void producer_core::maybe_init_producer_id(time_point now) {
  if (!idempotent() || producer_id_in_flight_ || txn_) return;  // transactional: the transaction manager's
  if (producer_id_ >= 0 && !producer_id_reset_wanted_) return;
  if (producer_id_reset_wanted_) {
    // Only once nothing is in flight and no batch's fate is unknown: a batch the broker may have written must not
    // be renumbered under the new id (it would be written again).
    for (auto& [id, l] : links_)
      if (l.produce_in_flight) return;
    for (auto& [name, t] : topics_)
      for (auto& q : t->partitions)
        for (std::size_t i = 0; i < q.queued.size(); ++i)
          if (q.queued[i]->fate_unknown && q.queued[i]->producer_id == producer_id_) return;
  }
  if (now < producer_id_retry_at_) return schedule(producer_id_retry_at_);
  link* l = any_ready_link();
  if (!l) {  // get a connection going (no wake(): we are inside run(), and waking would spin until one is up)
    metadata_wanted_ = true;
    return maybe_send_metadata(now);
  }
  auto supported = l->versions.version(protocol::api_key::init_producer_id);
  if (!supported) {
    log(log_level::error, "broker does not support InitProducerId; disable enable.idempotence");
    return;
  }
  auto version = *supported;
  protocol::init_producer_id_request_view req;
  req.transactional_id = std::nullopt;    // idempotent only: any broker answers
  req.transaction_timeout_ms = INT32_MAX;  // what the Java client sends without transactions
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  protocol::encode_request(frame, req, version, corr, cfg_.client_id);
  producer_id_in_flight_ = true;
  send_request(*l, std::move(frame), corr, true, [this, version](link&, std::error_code ec, protocol::bytes_view f) {
    producer_id_in_flight_ = false;
    if (finished()) return;
    protocol::init_producer_id_response r;
    if (!ec) ec = protocol::decode_response_body(f, version, r);
    if (!ec) ec = kafka_error(r.error_code);
    auto now = clock_.now();
    if (ec) {
      producer_id_retry_at_ = now + backoff(++producer_id_failures_, cfg_.retry_backoff, cfg_.retry_backoff_max);
      // A broker that is still loading (COORDINATOR_LOAD_IN_PROGRESS right after a start) answers this the first
      // time or two: an INFO line, the retry follows after the backoff. What does not heal is a warning.
      log(is_retriable(ec) && producer_id_failures_ <= 3 ? log_level::info : log_level::warning,
          "InitProducerId failed (attempt " + std::to_string(producer_id_failures_) + "): " + ec.message());
      // Not allowed to be idempotent (e.g. CLUSTER_AUTHORIZATION_FAILED): say so to the records waiting.
      if (!is_retriable(ec) && ec.category() == kafka_category()) fail_all_pending(ec);
      return wake();
    }
    producer_id_failures_ = 0;
    take_producer_id(r.producer_id, r.producer_epoch);
    wake();
  });
}

// A new producer id or epoch (InitProducerId, or the transaction manager's EndTxn v5 bump): every partition's
// sequence restarts at 0; queued batches are renumbered when they are next sent.
inline void producer_core::take_producer_id(std::int64_t id, std::int16_t epoch) {
  if (producer_id_ >= 0) ++counters_.producer_id_resets;
  producer_id_ = id;
  producer_epoch_ = epoch;
  producer_id_reset_wanted_ = false;
  for (auto& [name, t] : topics_)
    for (auto& q : t->partitions) {
      q.next_sequence = 0;
      q.last_acked_sequence = -1;
      q.one_at_a_time = true;  // first batch under the new id goes alone (see partition_queue)
    }
  log(log_level::debug, "producer id " + std::to_string(producer_id_) + " epoch " + std::to_string(producer_epoch_));
}

// fetch_metadata: an application's question about the cluster (its topics, partitions, replicas, id). It stands
// apart from the producer's own metadata: a request of its own, never creating topics, answered with everything the
// response says.
inline void producer_core::fetch_metadata(std::vector<std::string> topics, completion_id id) {
  if (!accepting())
    return completions_.push_back({id, make_error_code(client_errc::producer_closed), completion::kind::cluster, {}, {}});
  auto deadline = clock_.now() + max_block_;
  metadata_fetches_.push_back({id, std::move(topics), deadline});
  schedule(deadline);
  wake();
}

inline void producer_core::serve_metadata_fetches(time_point now) {
  for (std::size_t i = 0; i < metadata_fetches_.size();) {
    auto& f = metadata_fetches_[i];
    if (f.in_flight) {
      ++i;
      continue;
    }
    if (now >= f.deadline) {
      completions_.push_back({f.id, f.last_error, completion::kind::cluster, {}, {}});
      metadata_fetches_.erase(metadata_fetches_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    schedule(f.deadline);
    if (now < f.retry_at) {
      schedule(f.retry_at);
    } else if (auto* l = any_ready_link()) {
      send_metadata_fetch(*l, f);
    } else {
      metadata_wanted_ = true;  // the producer's own metadata path connects to somebody; a ready link wakes us
    }
    ++i;
  }
}

inline cluster_metadata to_cluster_metadata(protocol::metadata_response& m) {
  cluster_metadata out;
  out.cluster_id = m.cluster_id.value_or("");
  out.controller_id = m.controller_id;
  for (auto& b : m.brokers) out.brokers.push_back({b.node_id, std::move(b.host), b.port, std::move(b.rack)});
  std::sort(out.brokers.begin(), out.brokers.end(), [](auto& a, auto& b) { return a.node_id < b.node_id; });
  for (auto& t : m.topics) {
    if (!t.name) continue;  // v10+ may identify topics by id only; we ask by name
    topic_info ti{std::move(*t.name), t.error_code ? kafka_error(t.error_code) : std::error_code{}, t.is_internal, {}};
    for (auto& p : t.partitions)
      ti.partitions.push_back({p.partition_index, p.leader_id, std::move(p.replica_nodes), std::move(p.isr_nodes),
                               p.error_code ? kafka_error(p.error_code) : std::error_code{}});
    std::sort(ti.partitions.begin(), ti.partitions.end(), [](auto& a, auto& b) { return a.id < b.id; });
    out.topics.push_back(std::move(ti));
  }
  std::sort(out.topics.begin(), out.topics.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

inline void producer_core::send_metadata_fetch(link& l, metadata_fetch& f) {
  const auto version = *l.versions.version(protocol::api_key::metadata);
  protocol::metadata_request req;
  if (f.topics.empty()) {
    req.topics.reset();  // null: every topic (Metadata v1+)
  } else {
    req.topics.emplace();
    for (const auto& t : f.topics) req.topics->emplace_back().name = t;
  }
  req.allow_auto_topic_creation = false;  // looking must not create topics
  protocol::byte_buffer frame;
  const auto corr = next_correlation_id();
  protocol::encode_request(frame, req, version, corr, cfg_.client_id);
  ++counters_.metadata_requests;
  f.in_flight = true;
  send_request(l, std::move(frame), corr, true,
               [this, id = f.id, version](link&, std::error_code ec, protocol::bytes_view response) {
                 auto it = std::find_if(metadata_fetches_.begin(), metadata_fetches_.end(),
                                        [&](const metadata_fetch& x) { return x.id == id; });
                 if (it == metadata_fetches_.end()) return;  // completed already (close, abort)
                 it->in_flight = false;
                 if (ec) {  // that connection failed (now marked down): try again on another, until the deadline
                   it->last_error = ec;
                   it->retry_at = clock_.now() + cfg_.retry_backoff;
                   return wake();
                 }
                 protocol::metadata_response m;
                 completion done{id, {}, completion::kind::cluster, {}, {}};
                 if (auto dec = protocol::decode_response_body(response, version, m)) done.error = dec;
                 else if (m.error_code) done.error = kafka_error(m.error_code);
                 else done.cluster = std::make_unique<cluster_metadata>(to_cluster_metadata(m));
                 completions_.push_back(std::move(done));
                 metadata_fetches_.erase(it);
               });
}

inline void producer_core::complete_metadata_fetches(std::error_code ec) {
  for (auto& f : std::exchange(metadata_fetches_, {})) completions_.push_back({f.id, ec, completion::kind::cluster, {}, {}});
}

}  // namespace kafkio::core
