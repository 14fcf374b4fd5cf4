// producer_engine: broker connections (connect, ApiVersions negotiation), metadata, and the idempotent producer id.
#pragma once

namespace kafkio::detail {

inline producer_engine::link& producer_engine::link_for(std::int32_t node_id) {
  auto& l = links_[node_id];
  if (l.host.empty()) {
    l.node_id = node_id;
    if (const auto* b = metadata_.broker(node_id)) {
      l.host = b->host;
      l.port = std::to_string(b->port);
    }
  }
  return l;
}

inline producer_engine::link* producer_engine::any_ready_link() {
  link* best = nullptr;
  for (auto& [id, l] : links_)  // the least loaded ready connection, like the Java client's leastLoadedNode
    if (l.st == link::state::ready && (!best || l.conn->awaiting_response() < best->conn->awaiting_response()))
      best = &l;
  return best;
}

inline void producer_engine::ensure_connected(link& l, clock::time_point now) {
  if (l.st != link::state::down || closed_ || l.host.empty()) return;
  if (now < l.reconnect_at) return schedule(l.reconnect_at);
  l.st = link::state::connecting;
  l.conn = std::make_shared<connection>(ex_, l.host, l.port, cfg_.max_frame_size, handler_pool_);
  auto conn = l.conn;
  auto id = l.node_id;
  // A broker may close an idle connection (connections.max.idle.ms) with nothing in flight: mark the link down
  // so the next request reconnects instead of meeting a closed socket.
  conn->on_close([weak = weak_from_this(), conn, id](std::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->links_.find(id);
    if (it != self->links_.end() && it->second.conn == conn) self->on_link_down(it->second, ec);
  });
  conn->async_connect(cfg_.socket_connection_setup_timeout, [self = shared_from_this(), conn, id](std::error_code ec) {
    auto it = self->links_.find(id);
    if (it == self->links_.end() || it->second.conn != conn) return;  // superseded
    self->on_connected(it->second, ec);
  });
}

inline void producer_engine::on_connected(link& l, std::error_code ec) {
  if (ec) return on_link_down(l, ec);
  l.st = link::state::handshaking;
  send_api_versions(l, 4 /* ApiVersions v4: the highest kafkio speaks; brokers without it answer in v0 */);
}

inline void producer_engine::send_api_versions(link& l, std::int16_t version) {
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  encode_api_versions_request(frame, version, {corr, &cfg_.client_id});
  send_request(l, std::move(frame), corr, true, [this, version](link& l, std::error_code ec, protocol::bytes_view f) {
    if (ec) return on_link_down(l, ec);
    protocol::api_versions_response r;
    auto dec = decode_api_versions_frame(f, version, r);
    if (!dec) {
      if (auto retry = protocol::api_versions_retry_version(r, version)) return send_api_versions(l, *retry);
    }
    if (dec || r.error_code) return on_link_down(l, dec ? dec : kafka_error(r.error_code));
    l.versions = protocol::negotiate(r);
    if (!l.versions.supports(protocol::api_key::produce) || !l.versions.supports(protocol::api_key::metadata)) {
      log(log_level::error, "broker " + l.host + ":" + l.port + " supports no Produce/Metadata version kafkio speaks");
      return on_link_down(l, make_error_code(client_errc::unsupported_version));
    }
    if (cfg_.security_protocol == security_protocol_type::sasl_plaintext) return start_sasl(l);
    on_link_ready(l);
  });
}

inline void producer_engine::on_link_ready(link& l) {
  l.st = link::state::ready;
  l.failures = 0;
  l.stats.connected = true;
  log(log_level::debug, "connected to " + l.host + ":" + l.port + " (node " + std::to_string(l.node_id) + ")");
  wake();
}

// SASL over the fresh connection (NOTES.md §11): SaslHandshake v1 names the mechanism, then SaslAuthenticate
// carries each token until the mechanism is satisfied.
inline void producer_engine::start_sasl(link& l) {
  l.st = link::state::authenticating;
  auto handshake_version = l.versions.version(protocol::api_key::sasl_handshake);
  if (!handshake_version || *handshake_version < 1 || !l.versions.supports(protocol::api_key::sasl_authenticate))
    return on_authentication_failed(l, "the broker does not offer SaslHandshake v1 / SaslAuthenticate");
  auto sasl = std::make_shared<sasl_client>(cfg_.sasl_mechanism, cfg_.sasl_username, cfg_.sasl_password);
  protocol::sasl_handshake_request req;
  req.mechanism = std::string(sasl->mechanism_name());
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  protocol::encode_request(frame, req, *handshake_version, corr, cfg_.client_id);
  send_request(l, std::move(frame), corr, true,
               [this, sasl, corr, v = *handshake_version](link& l, std::error_code ec, protocol::bytes_view f) {
                 if (ec) return;  // the link is already down
                 protocol::sasl_handshake_response r;
                 if (auto dec = protocol::decode_response<protocol::sasl_handshake_request>(f, v, corr, r))
                   return on_link_down(l, dec);
                 if (r.error_code) {
                   std::string offered;
                   for (const auto& m : r.mechanisms) offered += (offered.empty() ? "" : ", ") + m;
                   return on_authentication_failed(l, "mechanism " + std::string(sasl->mechanism_name()) +
                                                          " refused (" + kafka_error(r.error_code).message() +
                                                          "); the broker offers: " + offered);
                 }
                 send_sasl_token(l, sasl, sasl->first_message());
               });
}

inline void producer_engine::send_sasl_token(link& l, std::shared_ptr<sasl_client> sasl, const std::string& token) {
  auto version = *l.versions.version(protocol::api_key::sasl_authenticate);
  protocol::sasl_authenticate_request req;
  req.auth_bytes.assign(token.begin(), token.end());
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  protocol::encode_request(frame, req, version, corr, cfg_.client_id);
  send_request(l, std::move(frame), corr, true,
               [this, sasl, corr, version](link& l, std::error_code ec, protocol::bytes_view f) {
                 if (ec) return;
                 protocol::sasl_authenticate_response r;
                 if (auto dec = protocol::decode_response<protocol::sasl_authenticate_request>(f, version, corr, r))
                   return on_link_down(l, dec);
                 if (r.error_code)
                   return on_authentication_failed(
                       l, kafka_error(r.error_code).message() + (r.error_message ? ": " + *r.error_message : ""));
                 auto next = sasl->next(std::string_view(reinterpret_cast<const char*>(r.auth_bytes.data()),
                                                         r.auth_bytes.size()));
                 if (next) return send_sasl_token(l, sasl, *next);
                 if (!sasl->done()) return on_authentication_failed(l, sasl->error_text());
                 on_link_ready(l);
               });
}

// Wrong credentials do not heal by retrying: the records waiting now fail with authentication_failed (the Java
// client raises AuthenticationException to them too). Later records try again, after the reconnect backoff.
inline void producer_engine::on_authentication_failed(link& l, const std::string& why) {
  log(log_level::error, "SASL authentication with " + l.host + ":" + l.port + " failed: " + why);
  auto ec = make_error_code(client_errc::authentication_failed);
  on_link_down(l, ec);
  fail_all_pending(ec);
}

inline void producer_engine::fail_all_pending(std::error_code ec) {
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

// Sends a request on a link; `cb(link&, ec, frame)` runs with the response, or with the error that closed the
// connection (after which the link is already marked down). Returns false if the link has no connection.
template <class Callback>
inline bool producer_engine::send_request(link& l, protocol::byte_buffer frame, std::int32_t correlation_id,
                                          bool expect_response, Callback cb) {
  if (!l.conn || l.conn->is_closed()) return false;
  ++l.stats.requests_sent;
  auto id = l.node_id;
  auto conn = l.conn;
  auto sent_at = clock::now();
  conn->send(std::move(frame), correlation_id, expect_response, sent_at + cfg_.request_timeout,
             [self = shared_from_this(), id, conn, sent_at, cb = std::move(cb)](std::error_code ec,
                                                                                 protocol::bytes_view f) mutable {
               auto& l = self->links_[id];
               if (!ec) {
                 ++l.stats.responses_received;
                 auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - sent_at);
                 l.stats.last_round_trip = rtt;
                 l.stats.average_round_trip = l.stats.average_round_trip.count() == 0
                                                  ? rtt
                                                  : (l.stats.average_round_trip * 7 + rtt) / 8;
               } else if (l.conn == conn && l.st != link::state::down) {
                 self->on_link_down(l, ec);
               }
               cb(l, ec, f);
             });
  return true;
}

inline void producer_engine::on_link_down(link& l, std::error_code ec) {
  if (l.st == link::state::down && !l.conn) return;
  log(closed_ ? log_level::debug : log_level::warning,
      "connection to " + l.host + ":" + l.port + " lost: " + ec.message());
  l.st = link::state::down;
  l.stats.connected = false;
  ++l.failures;
  l.reconnect_at = clock::now() + backoff(l.failures, cfg_.reconnect_backoff, cfg_.reconnect_backoff_max);
  if (auto conn = std::exchange(l.conn, nullptr)) conn->close(ec);  // fails what was in flight on it
  if (!closed_) {
    request_metadata(false);
    wake();
  }
}

inline void producer_engine::request_metadata(bool) {
  metadata_wanted_ = true;
  wake();
}

// Connect to somebody we can ask for metadata: known brokers first, the bootstrap list when none is known.
inline void producer_engine::maybe_send_metadata(clock::time_point now) {
  bool stale = metadata_.ever_updated() && now - metadata_.updated() >= cfg_.metadata_max_age;
  if (!metadata_wanted_ && !stale) {
    if (metadata_.ever_updated() && !topics_.empty()) schedule(metadata_.updated() + cfg_.metadata_max_age);
    return;
  }
  if (metadata_in_flight_) return;
  if (now < metadata_retry_at_) return schedule(metadata_retry_at_);
  link* l = any_ready_link();
  if (!l) {
    for (auto& [id, cand] : links_)
      if (cand.st != link::state::down) return;  // one is on its way
    // Connect to one broker we can ask: a known broker (metadata named them) when there is one, else a bootstrap
    // address; the one whose reconnect backoff ends first, so a dead broker does not hold us up.
    link* next = nullptr;
    auto consider = [&](link& cand) {
      if (!next || cand.reconnect_at < next->reconnect_at) next = &cand;
    };
    for (const auto& [id, b] : metadata_.brokers()) consider(link_for(id));
    if (!next)
      for (auto& [id, cand] : links_)
        if (id < 0) consider(cand);
    if (next) ensure_connected(*next, now);
    return;
  }
  std::vector<std::string> names;
  names.reserve(topics_.size());
  for (const auto& [name, t] : topics_) names.push_back(name);
  auto version = *l->versions.version(protocol::api_key::metadata);
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  encode_metadata_request(frame, version, {corr, &cfg_.client_id}, names);
  metadata_in_flight_ = true;
  metadata_wanted_ = false;
  ++counters_.metadata_requests;
  send_request(*l, std::move(frame), corr, true, [this, version](link&, std::error_code ec, protocol::bytes_view f) {
    metadata_in_flight_ = false;
    if (closed_) return;
    metadata_result m;
    if (!ec) ec = decode_metadata_response(f, version, m);
    auto now = clock::now();
    if (ec) {
      metadata_wanted_ = true;
      metadata_retry_at_ = now + backoff(++metadata_failures_, cfg_.retry_backoff, cfg_.retry_backoff_max);
      log(log_level::warning, "metadata request failed: " + ec.message());
      return wake();
    }
    metadata_failures_ = 0;
    on_metadata(m, now);
  });
}

// async_connect: metadata is what every send needs first (leaders, partition counts), so "connected" means a
// Metadata response arrived. Waiting is bounded by max.block.ms, the limit a send has for its topic's metadata.
inline void producer_engine::connect(void_completion done) {
  if (closed_ || closing_) return completions_->push(std::move(done), make_error_code(client_errc::producer_closed));
  if (metadata_.ever_updated()) return completions_->push(std::move(done), std::error_code{});
  auto deadline = clock::now() + max_block_;
  connect_waiters_.push_back({deadline, std::move(done)});
  metadata_wanted_ = true;
  schedule(deadline);
  wake();
}

inline void producer_engine::expire_connect_waiters(clock::time_point now) {
  // Rebuilt by move construction only: Boost 1.81's any_completion_handler move *assignment* recurses without end
  // (it re-wraps its argument), so std::erase_if / remove_if over these waiters would overflow the stack.
  for (auto& w : std::exchange(connect_waiters_, {})) {
    if (now < w.deadline) {
      schedule(w.deadline);
      connect_waiters_.push_back(std::move(w));
      continue;
    }
    log(log_level::warning, "no metadata from any broker within max.block.ms");
    completions_->push(std::move(w.done), make_error_code(client_errc::broker_connection_failed));
  }
}

inline void producer_engine::complete_connect_waiters(std::error_code ec) {
  for (auto& w : std::exchange(connect_waiters_, {})) completions_->push(std::move(w.done), ec);
}

// Topic errors in Metadata that waiting cannot cure, so records fail at once rather than after max.block.ms
// (what the Java producer does: InvalidTopicException, TopicAuthorizationException). UNKNOWN_TOPIC_OR_PARTITION
// and LEADER_NOT_AVAILABLE are not among them: the topic may be being created.
inline bool topic_error_is_final(std::int16_t error) noexcept {
  return error == static_cast<std::int16_t>(kafka_errc::invalid_topic_exception) ||
         error == static_cast<std::int16_t>(kafka_errc::topic_authorization_failed);
}

inline void producer_engine::on_metadata(const metadata_result& m, clock::time_point now) {
  if (!m.brokers.empty()) {
    for (const auto& [id, b] : m.brokers) {  // a broker that moved gets a fresh connection
      auto it = links_.find(id);
      if (it != links_.end() && (it->second.host != b.host || it->second.port != std::to_string(b.port))) {
        on_link_down(it->second, make_error_code(client_errc::broker_connection_failed));
        it->second.host = b.host;
        it->second.port = std::to_string(b.port);
        it->second.reconnect_at = {};
      }
    }
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

inline void producer_engine::maybe_init_producer_id(clock::time_point now) {
  if (!idempotent() || producer_id_in_flight_) return;
  if (producer_id_ >= 0 && !producer_id_reset_wanted_) return;
  if (producer_id_reset_wanted_) {  // only once nothing is in flight: a retry must not race a new id
    for (auto& [id, l] : links_)
      if (l.produce_in_flight) return;
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
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  encode_init_producer_id_request(frame, version, {corr, &cfg_.client_id});
  producer_id_in_flight_ = true;
  send_request(*l, std::move(frame), corr, true, [this, version](link&, std::error_code ec, protocol::bytes_view f) {
    producer_id_in_flight_ = false;
    if (closed_) return;
    init_producer_id_result r;
    if (!ec) ec = decode_init_producer_id_response(f, version, r);
    if (!ec) ec = kafka_error(r.error);
    auto now = clock::now();
    if (ec) {
      producer_id_retry_at_ = now + backoff(++producer_id_failures_, cfg_.retry_backoff, cfg_.retry_backoff_max);
      log(log_level::warning, "InitProducerId failed: " + ec.message());
      // Not allowed to be idempotent (e.g. CLUSTER_AUTHORIZATION_FAILED): say so to the records waiting.
      if (!is_retriable(ec) && ec.category() == kafka_category()) fail_all_pending(ec);
      return wake();
    }
    producer_id_failures_ = 0;
    if (producer_id_ >= 0) ++counters_.producer_id_resets;
    producer_id_ = r.producer_id;
    producer_epoch_ = r.producer_epoch;
    producer_id_reset_wanted_ = false;
    // Sequences restart at 0 under the new id; queued batches are renumbered when they are next sent.
    for (auto& [name, t] : topics_)
      for (auto& q : t->partitions) {
        q.next_sequence = 0;
        q.last_acked_sequence = -1;
        q.one_at_a_time = true;  // first batch under the new id goes alone (see partition_queue)
      }
    log(log_level::debug, "producer id " + std::to_string(producer_id_) + " epoch " + std::to_string(producer_epoch_));
    wake();
  });
}

// fetch_metadata: an application's question about the cluster (which topics, partitions, replicas, its id). It
// stands apart from the producer's own metadata (metadata_cache): a request of its own, never creating topics,
// answered with everything the response says. Bounded by max.block.ms overall and request.timeout.ms per try.
struct producer_engine::metadata_fetch {
  metadata_fetch(asio::any_io_executor ex, std::vector<std::string> t, metadata_completion d, clock::time_point end)
      : ex(ex), topics(std::move(t)), done(std::move(d)), deadline(end), timer(std::move(ex)) {}
  asio::any_io_executor ex;
  std::vector<std::string> topics;
  metadata_completion done;
  clock::time_point deadline;
  asio::steady_timer timer;  // waits for a connection, or between tries
  std::error_code last_error = make_error_code(client_errc::broker_connection_failed);

  void finish(std::error_code ec, cluster_metadata md = {}) {
    if (!done) return;
    timer.cancel();
    asio::post(ex, asio::append(std::move(done), ec ? boost::system::error_code(ec) : boost::system::error_code{},
                                std::move(md)));
  }
};

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

inline void producer_engine::fetch_metadata(std::vector<std::string> topics, metadata_completion done) {
  auto f = std::make_shared<metadata_fetch>(ex_, std::move(topics), std::move(done), clock::now() + max_block_);
  attempt_metadata_fetch(std::move(f));
}

inline void producer_engine::attempt_metadata_fetch(std::shared_ptr<metadata_fetch> f) {
  if (closed_ || closing_) return f->finish(make_error_code(client_errc::producer_closed));
  const auto now = clock::now();
  if (now >= f->deadline) return f->finish(f->last_error);
  auto retry_soon = [this, f](clock::duration after) {
    f->timer.expires_at(std::min(f->deadline, clock::now() + after));
    f->timer.async_wait([weak = weak_from_this(), f](boost::system::error_code) {
      if (auto self = weak.lock()) self->attempt_metadata_fetch(f);
      else f->finish(make_error_code(client_errc::producer_closed));
    });
  };
  link* l = any_ready_link();
  if (!l) {
    // The producer's own metadata path connects to a broker when none is ready; look again shortly.
    metadata_wanted_ = true;
    wake();
    return retry_soon(std::chrono::milliseconds(20));
  }
  const auto version = *l->versions.version(protocol::api_key::metadata);
  protocol::metadata_request req;
  if (!f->topics.empty() || version == 0) {  // v0 asks for every topic with an empty list, v1+ with null
    req.topics.emplace();
    for (const auto& t : f->topics) req.topics->emplace_back().name = t;
  } else {
    req.topics.reset();
  }
  req.allow_auto_topic_creation = false;  // looking must not create topics
  protocol::byte_buffer frame;
  const auto corr = next_correlation_id();
  auto w = begin_request(frame, protocol::api_key::metadata, version, {corr, &cfg_.client_id});
  req.encode(w, version);
  end_request(w);
  ++counters_.metadata_requests;
  send_request(*l, std::move(frame), corr, true,
               [this, f, version, retry_soon](link&, std::error_code ec, protocol::bytes_view response) {
                 if (closed_) return f->finish(make_error_code(client_errc::producer_closed));
                 if (ec) {  // that connection failed (now marked down): try again on another, until the deadline
                   f->last_error = ec;
                   return retry_soon(cfg_.retry_backoff);
                 }
                 protocol::metadata_response m;
                 if (auto dec = decode_body(response, protocol::api_key::metadata, version, m)) return f->finish(dec);
                 if (m.error_code) return f->finish(kafka_error(m.error_code));
                 f->finish({}, to_cluster_metadata(m));
               });
}

}  // namespace kafkio::detail
