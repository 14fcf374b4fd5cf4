// producer_core: taking records, batching them per partition, completing them; flush, close and abort.
#pragma once

#include <kafkio/topic_name.hpp>

#include <algorithm>

namespace kafkio::core {

// A record whose bytes we own, for the two places a record waits before it can be encoded into a batch.
struct producer_core::owned_record {
  std::string topic;
  std::optional<std::int32_t> partition;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  std::int64_t timestamp_ms = 0;
  completion_id done;
  std::uint64_t generation = 0;
  time_point accepted{};

  owned_record(const producer_record& r, std::int64_t ts, completion_id d, std::uint64_t gen, time_point now)
      : topic(r.topic), partition(r.partition), timestamp_ms(ts), done(d), generation(gen), accepted(now) {
    if (r.key) key.emplace(*r.key);
    if (r.value) value.emplace(*r.value);
    for (const auto& h : r.headers)
      headers.emplace_back(std::string(h.key), h.value ? std::optional<std::string>(*h.value) : std::nullopt);
  }
  // Calls f(producer_record) with views of our copies.
  template <class F>
  decltype(auto) with_view(F&& f) {
    std::vector<header> hs;
    hs.reserve(headers.size());
    for (const auto& [k, v] : headers) hs.push_back({k, v ? std::optional<std::string_view>(*v) : std::nullopt});
    producer_record r{topic, partition, key, value, hs, timestamp_ms};
    return f(r);
  }
};

struct producer_core::room_waiter {
  owned_record record;
  std::size_t charge;
};

inline producer_core::producer_core(producer_config cfg, time_source clock, std::uint64_t seed)
    : cfg_(std::move(cfg)), clock_(clock), idempotent_(cfg_.idempotence_enabled()),
      delivery_timeout_(cfg_.effective_delivery_timeout()), max_block_(cfg_.max_block),
      rng_(static_cast<std::minstd_rand::result_type>(seed % 2147483646u + 1)) {
  if (cfg_.transactional())
    txn_ = std::make_unique<transaction_manager>(cfg_.transactional_id, cfg_.transaction_timeout, cfg_.retry_backoff);
  // Bootstrap addresses get negative pseudo node ids until metadata names the real brokers.
  std::int32_t id = -1;
  for (const auto& server : cfg_.bootstrap_servers) {
    auto address = parse_broker_address(server);  // validated with the config
    auto& l = links_[id];
    l.node_id = id--;
    l.host = address ? address->host : server;
    l.port = address ? std::to_string(address->port) : "9092";
  }
}

inline std::error_code producer_core::validate(const producer_record& r, const topic_queue* known) const {
  if (!known)
    if (auto ec = validate_topic_name(r.topic)) return ec;
  // One record alone must fit a request: record + batch header (61) + request/topic framing.
  if (buffer_charge(r) + 61 + 64 + r.topic.size() > static_cast<std::size_t>(cfg_.max_request_size))
    return make_error_code(client_errc::record_too_large);
  if (r.partition && *r.partition < 0) return make_error_code(client_errc::unknown_partition);
  return {};
}

inline void producer_core::count_accepted() {
  ++counters_.records_accepted;
  if (generation_counts_.empty() || generation_counts_.back().first != generation_)
    generation_counts_.push_back({generation_, 0});
  ++generation_counts_.back().second;
}

inline producer_core::send_result producer_core::send(const producer_record& r, completion_id done,
                                                      bool wait_for_room) {
  auto fail_now = [&](std::error_code ec) {
    ++counters_.records_failed;
    completions_.push_back({done, ec, completion::kind::record, record_metadata{std::string(r.topic), r.partition.value_or(-1)}, {}});
    return send_result::completed;
  };
  if (!accepting()) return fail_now(make_error_code(client_errc::producer_closed));
  if (txn_)
    if (auto ec = txn_->check_send()) return fail_now(ec);  // records belong to an open transaction
  auto* known = find_topic(r.topic);
  if (auto ec = validate(r, known)) return fail_now(ec);
  auto charge = buffer_charge(r);
  auto ts = r.timestamp_ms ? *r.timestamp_ms : clock_.wall_now_ms();
  if (buffered_bytes_ + charge > buffer_memory() || !room_waiters_.empty()) {
    // Waiting records are copies, so they are bounded too: at most another buffer.memory's worth may wait.
    if (!wait_for_room || room_waiter_bytes_ + charge > buffer_memory())
      return fail_now(make_error_code(client_errc::queue_full));
    count_accepted();
    room_waiters_.push_back(room_waiter{owned_record(r, ts, done, generation_, clock_.now()), charge});
    room_waiter_bytes_ += charge;
    return send_result::waiting_for_room;
  }
  count_accepted();
  auto& t = known ? *known : topic_for(r.topic);
  producer_record stamped = r;
  stamped.timestamp_ms = ts;
  if (auto ec = append(t, stamped, done, generation_)) {
    // Counted as accepted above; completing it releases the generation count.
    complete_record_error(done, std::string(r.topic), r.partition.value_or(-1), ec, generation_);
  }
  return send_result::accepted;
}

inline void producer_core::complete(completion_id id, std::error_code ec) {
  completions_.push_back({id, ec, completion::kind::operation, {}, {}});
}

inline void producer_core::complete_record_error(completion_id done, std::string topic, std::int32_t partition,
                                                 std::error_code ec, std::uint64_t generation) {
  ++counters_.records_failed;
  completions_.push_back({done, ec, completion::kind::record, record_metadata{std::move(topic), partition, -1, -1}, {}});
  release_generation(generation);
  if (txn_) {  // a failed record makes its transaction abortable
    txn_->on_record_failed(ec);
    wake();
  }
}

inline producer_core::topic_queue* producer_core::find_topic(std::string_view name) {
  if (last_topic_ && last_topic_->name == name) return last_topic_;
  auto it = topics_.find(name);
  if (it == topics_.end()) return nullptr;
  return last_topic_ = it->second.get();  // queues are never erased: the pointer stays valid
}

inline producer_core::topic_queue& producer_core::topic_for(std::string_view name) {
  if (auto* t = find_topic(name)) return *t;
  auto t = std::make_unique<topic_queue>();
  t->name = std::string(name);
  auto& ref = *t;
  last_topic_ = &ref;
  topics_.emplace(ref.name, std::move(t));
  if (!metadata_.usable_topic(ref.name)) request_metadata();
  return ref;
}

inline std::int32_t producer_core::choose_partition(topic_queue& t, const producer_record& r, std::int32_t n) {
  if (r.partition) return *r.partition < n ? *r.partition : -1;
  if (custom_partitioner_) {
    auto p = custom_partitioner_(r.topic, r.key, n);
    if (p >= 0) return p < n ? p : -1;
  }
  switch (cfg_.partitioner) {
    case partitioner_type::random: return static_cast<std::int32_t>(rng_() % static_cast<std::uint32_t>(n));
    case partitioner_type::round_robin: return static_cast<std::int32_t>(t.round_robin++ % static_cast<std::uint32_t>(n));
    case partitioner_type::murmur2_random:
      return r.key ? detail::partition_for_key(*r.key, n) : static_cast<std::int32_t>(rng_() % static_cast<std::uint32_t>(n));
    case partitioner_type::murmur2_sticky: break;
  }
  if (r.key && !cfg_.partitioner_ignore_keys) return detail::partition_for_key(*r.key, n);
  if (t.sticky.needs_pick(n)) t.sticky.pick(n, rng_, sticky_weights(t, n));
  return t.sticky.current(n, rng_);
}

// KIP-794, as the Java client's BuiltInPartitioner: each partition weighs (the longest queue + 1 - its queue), in
// batches waiting to be sent, so a partition whose leader is slow to take batches (its queue grows) gets fewer new
// ones; partitions of an unavailable leader (leader_available) or without a leader weigh 0. Empty when adaptive
// partitioning is off or every partition weighs 0 (then the choice is uniform). Computed only when the sticky
// partition switches (once per batch.size bytes), over the topic's partitions.
inline std::span<const std::uint32_t> producer_core::sticky_weights(const topic_queue& t, std::int32_t n) {
  if (!cfg_.partitioner_adaptive_partitioning || n <= 1) return {};
  std::size_t longest = 0;
  for (std::int32_t p = 0; p < n && static_cast<std::size_t>(p) < t.partitions.size(); ++p)
    longest = std::max(longest, t.partitions[static_cast<std::size_t>(p)].queued.size());
  auto& sums = sticky_weights_scratch_;
  sums.clear();
  std::uint32_t total = 0;
  for (std::int32_t p = 0; p < n; ++p) {
    const auto queued = static_cast<std::size_t>(p) < t.partitions.size() ? t.partitions[static_cast<std::size_t>(p)].queued.size() : 0;
    const auto leader = metadata_.leader_for(t.name, p);
    if (leader >= 0 && leader_available(leader)) total += static_cast<std::uint32_t>(longest + 1 - queued);
    sums.push_back(total);
  }
  if (total == 0) return {};
  return sums;
}

// partitioner.availability.timeout.ms (0: always available): a pass found batches due for the leader more than
// the timeout after the last Produce request it was sent (it is down, its connection is not ready, or its
// answers are so slow that the next batches wait behind the ones in flight).
inline bool producer_core::leader_available(std::int32_t node_id) const {
  if (cfg_.partitioner_availability_timeout.count() <= 0) return true;
  auto it = links_.find(node_id);
  if (it == links_.end()) return true;
  return it->second.ready_at - it->second.drained_at <= cfg_.partitioner_availability_timeout;
}

inline std::error_code producer_core::append(topic_queue& t, const producer_record& r, completion_id done,
                                             std::uint64_t generation) {
  const auto* tm = metadata_.usable_topic(t.name);
  if (!tm) {
    t.last_used = clock_.now();
    if (t.waiting.empty()) t.waiting_since = t.last_used;
    t.waiting.emplace_back(r, *r.timestamp_ms, done, generation, t.last_used);
    buffered_bytes_ += buffer_charge(r);
    request_metadata();
    return {};
  }
  auto n = static_cast<std::int32_t>(tm->partitions.size());
  if (t.partitions.size() < tm->partitions.size()) t.partitions.resize(tm->partitions.size());
  auto p = choose_partition(t, r, n);
  if (p < 0) return make_error_code(client_errc::unknown_partition);
  auto& q = t.partitions[static_cast<std::size_t>(p)];
  auto charge = buffer_charge(r);

  batch* b = q.open_batch();
  if (b && b->records.size() > 0 && b->builder.size_in_bytes() + charge > batch_size()) {
    b->full = true;  // this record would overflow it: it goes to a new batch, this one is ready to send
    b = nullptr;
    wake();
  }
  if (!b) {
    const auto now = clock_.now();  // read only when a batch opens (once per record showed in profiles)
    batch_ptr nb = pooled_batch();
    nb->topic = &t.name;
    nb->partition = p;
    nb->builder.reset(*r.timestamp_ms);
    nb->builder.reserve(batch_size() + 64);  // once per pooled batch: it keeps its capacity
    nb->created = now;
    nb->deadline = now + delivery_timeout_;
    t.last_used = now;  // per batch, not per record: idleness is minutes, a batch's life is linger.ms
    b = nb.get();
    q.queued.push_back(std::move(nb));
    if (cfg_.linger.count() == 0) wake();
    else schedule(now + cfg_.linger);
  }

  std::vector<protocol::record_header_view>& hv = header_scratch_;
  hv.clear();
  for (const auto& h : r.headers) hv.push_back({h.key, h.value ? std::optional(as_bytes(*h.value)) : std::nullopt});
  if (auto ec = b->builder.append(*r.timestamp_ms, r.key ? std::optional(as_bytes(*r.key)) : std::nullopt,
                                  r.value ? std::optional(as_bytes(*r.value)) : std::nullopt, hv)) {
    return ec;
  }
  b->records.push_back({done, *r.timestamp_ms, generation});
  b->reserved_bytes += charge;
  buffered_bytes_ += charge;
  if (!r.partition && (!r.key || cfg_.partitioner_ignore_keys) &&
      cfg_.partitioner == partitioner_type::murmur2_sticky)
    t.sticky.on_appended(charge, batch_size(), n, rng_);
  if (b->builder.size_in_bytes() >= batch_size()) {
    b->full = true;
    wake();
  }
  return {};
}

// Metadata for the topic arrived: encode the records that waited for it.
inline void producer_core::place_waiting_records(topic_queue& t) {
  auto waiting = std::exchange(t.waiting, {});
  for (auto& w : waiting) {
    buffered_bytes_ -= std::min(buffered_bytes_, w.with_view([&](const producer_record& r) { return buffer_charge(r); }));
    auto ec = w.with_view([&](const producer_record& r) { return append(t, r, w.done, w.generation); });
    if (ec) complete_record_error(w.done, w.topic, w.partition.value_or(-1), ec, w.generation);
  }
}

// The topic's records that waited for metadata fail with `ec` (metadata never came, or the topic cannot be used).
inline void producer_core::fail_waiting_records(topic_queue& t, std::error_code ec) {
  for (auto& w : std::exchange(t.waiting, {})) {
    buffered_bytes_ -= std::min(buffered_bytes_, w.with_view([&](const producer_record& r) { return buffer_charge(r); }));
    complete_record_error(w.done, w.topic, w.partition.value_or(-1), ec, w.generation);
  }
}

inline void producer_core::serve_room_waiters() {
  while (!room_waiters_.empty() && !finished()) {
    auto& front = room_waiters_.front();
    if (buffered_bytes_ + front.charge > buffer_memory() && buffered_bytes_ > 0) return;
    auto waiter = std::move(front);
    room_waiters_.pop_front();
    room_waiter_bytes_ -= waiter.charge;
    auto& rec = waiter.record;
    auto& t = topic_for(rec.topic);
    auto ec = rec.with_view([&](const producer_record& r) { return append(t, r, rec.done, rec.generation); });
    if (ec) complete_record_error(rec.done, rec.topic, rec.partition.value_or(-1), ec, rec.generation);
  }
}

inline void producer_core::cancel(completion_id id) {
  // Waiting for room is the one stage a send can be cancelled in: once its bytes are in a batch, the batch goes
  // out whole.
  auto it = std::find_if(room_waiters_.begin(), room_waiters_.end(), [&](const room_waiter& w) { return w.record.done == id; });
  if (it == room_waiters_.end()) return;
  auto waiter = std::move(*it);
  room_waiters_.erase(it);
  room_waiter_bytes_ -= waiter.charge;
  complete_record_error(waiter.record.done, waiter.record.topic, -1, aborted_error(), waiter.record.generation);
  if (!room_waiters_.empty()) wake();  // the next one may fit now
}

inline void producer_core::release_generation(std::uint64_t generation) {
  for (auto& [g, count] : generation_counts_)
    if (g == generation) {
      --count;
      break;
    }
  while (!generation_counts_.empty() && generation_counts_.front().second == 0) generation_counts_.pop_front();
  // A flush waits for every generation up to its own; it is done once no older generation has records left.
  while (!flush_waiters_.empty() &&
         (generation_counts_.empty() || generation_counts_.front().first > flush_waiters_.front().generation)) {
    auto w = flush_waiters_.front();
    flush_waiters_.pop_front();
    if (w.closes) finish_close();
    complete(w.id, {});
  }
  flushing_ = !flush_waiters_.empty();
}

inline void producer_core::finish_batch(batch& b, std::error_code ec, std::int64_t base_offset,
                                        std::int64_t log_append_time) {
  buffered_bytes_ -= std::min(buffered_bytes_, b.reserved_bytes);
  std::int64_t i = 0;
  for (auto& slot : b.records) {
    record_metadata md{*b.topic, b.partition, -1, log_append_time >= 0 ? log_append_time : slot.timestamp_ms};
    if (!ec && base_offset >= 0) md.offset = base_offset + i;
    ++i;
    if (ec) ++counters_.records_failed;
    else ++counters_.records_acked;
    completions_.push_back({slot.done, ec, completion::kind::record, std::move(md), {}});
    release_generation(slot.generation);
  }
  if (!ec) counters_.record_bytes_acked += b.reserved_bytes;
  if (ec && txn_) {  // a failed record makes its transaction abortable (fencing: fatal)
    txn_->on_record_failed(ec);
    wake();
  }
  // Records waiting for room are served at the start of the next run(), not here: finish_batch is called while
  // callers iterate queues and topics, which appending could invalidate.
  if (!room_waiters_.empty()) wake();
}

// Returns a finished batch's storage to the pool so its buffers are reused (no allocation per batch).
inline void producer_core::recycle(batch_ptr b) {
  b->records.clear();
  b->reserved_bytes = 0;
  b->attempts = 0;
  b->full = b->sealed = b->fate_unknown = false;
  b->producer_id = -1;
  b->producer_epoch = -1;
  b->base_sequence = -1;
  if (batch_pool_.size() < 64) batch_pool_.push_back(std::move(b));
}

inline producer_core::batch_ptr producer_core::pooled_batch() {
  if (batch_pool_.empty()) return std::make_unique<batch>();
  auto b = std::move(batch_pool_.back());
  batch_pool_.pop_back();
  return b;
}

inline void producer_core::flush(completion_id id) {
  if (generation_counts_.empty()) return complete(id, {});
  flush_waiters_.push_back({generation_, id, false});
  ++generation_;
  flushing_ = true;
  wake();
}

inline void producer_core::close(completion_id id) {
  if (finished()) return complete(id, {});
  life_ = lifecycle::closing;
  if (generation_counts_.empty()) {
    finish_close();
    return complete(id, {});
  }
  flush_waiters_.push_back({generation_, id, true});
  ++generation_;
  flushing_ = true;
  wake();
}

// Everything sent before close() has completed: close every connection, stop every timer.
inline void producer_core::finish_close() {
  if (finished()) return;
  life_ = lifecycle::closed;
  complete_connect_waiters(make_error_code(client_errc::producer_closed));
  complete_metadata_fetches(make_error_code(client_errc::producer_closed));
  if (txn_) {  // an open transaction is left to the coordinator, which aborts it after transaction.timeout.ms
    txn_->cancel(make_error_code(client_errc::producer_closed));
    take_transaction_done();
  }
  for (auto& [id, l] : links_) close_link(l, make_error_code(client_errc::producer_closed));
  wakeup_at_ = time_point::max();
  run_wanted_ = false;
}

inline void producer_core::abort() {
  if (life_ == lifecycle::aborted) return;
  life_ = lifecycle::aborted;
  auto aborted = aborted_error();
  wakeup_at_ = time_point::max();
  run_wanted_ = false;
  // Flushes first: failing the records below would otherwise complete them as if the flush had succeeded.
  for (auto& f : std::exchange(flush_waiters_, {})) complete(f.id, aborted);
  complete_connect_waiters(aborted);
  complete_metadata_fetches(aborted);
  if (txn_) {
    txn_->cancel(aborted);
    take_transaction_done();
  }
  // In-flight batches come back through their response callbacks, failed by close_link.
  for (auto& [id, l] : links_) close_link(l, aborted);
  for (auto& [name, t] : topics_) {
    for (auto& q : t->partitions)
      while (!q.queued.empty()) {
        auto b = std::move(q.queued.front());
        q.queued.pop_front();
        finish_batch(*b, aborted, -1, -1);
      }
    for (auto& w : std::exchange(t->waiting, {}))
      complete_record_error(w.done, w.topic, w.partition.value_or(-1), aborted, w.generation);
  }
  for (auto& w : std::exchange(room_waiters_, {}))
    complete_record_error(w.record.done, w.record.topic, -1, aborted, w.record.generation);
}

inline producer_metrics producer_core::metrics() const {
  auto m = counters_;
  m.buffered_bytes = buffered_bytes_;
  m.records_waiting_for_room = room_waiters_.size();
  for (const auto& [generation, outstanding] : generation_counts_) m.records_pending += outstanding;
  if (txn_ && txn_->has_producer_id()) m.transaction_protocol = txn_->v2() ? 2 : 1;
  m.requests_in_flight = 0;
  for (const auto& [id, l] : links_) {
    auto b = l.stats;
    b.node_id = id;
    b.address = l.address();
    b.connected = l.st == link::state::ready || l.st == link::state::reauthenticating;
    b.requests_in_flight = l.pipe ? l.pipe->awaiting_response() : 0;
    m.requests_in_flight += b.requests_in_flight;
    m.brokers.push_back(std::move(b));
  }
  return m;
}

}  // namespace kafkio::core
