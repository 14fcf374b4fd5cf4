// producer_core: the sender — which batches go out when, Produce responses, retries, timeouts.
//
// One pass (run) decides everything that is due; events that may make something sendable (a batch filled, a
// response arrived, a connection became ready) call wake(), and the driver runs one pass per turn of its loop, so a
// burst of events costs one pass. Everything time-driven asks for a wakeup with schedule(t); each pass re-asks for
// what it still needs (linger expiry, retry backoff, delivery deadline, reconnect, request deadlines).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>

namespace kafkio::core {

inline milliseconds producer_core::backoff(int attempts, milliseconds base, milliseconds max) {
  // Exponential with ±20% jitter, as the Java client (KIP-580), so retries from many producers spread out.
  double ms = static_cast<double>(base.count()) * std::pow(2.0, std::clamp(attempts - 1, 0, 20));
  ms = std::min(ms, static_cast<double>(max.count()));
  ms *= 0.8 + 0.4 * (static_cast<double>(rng_() % 1000) / 1000.0);
  return milliseconds(static_cast<std::int64_t>(ms));
}

inline void producer_core::on_timer() {
  if (finished()) return;
  auto now = clock_.now();
  if (now < wakeup_at_) return;  // an older wakeup; the current one is still ahead
  wakeup_at_ = time_point::max();
  expire_requests(now);
  run();
}

// One pass over everything: expire, fetch metadata / producer id if needed, connect to leaders, send.
inline void producer_core::run() {
  run_wanted_ = false;
  compress_budget_ = compress_step_bytes();
  retired_pipes_.clear();
  if (finished()) return;
  auto now = clock_.now();
  serve_room_waiters();
  expire_batches(now);
  expire_connect_waiters(now);
  for (auto& [id, l] : links_) {  // the deadlines of connection attempts and requests (expire_requests)
    if (l.st == link::state::connecting) schedule(l.connect_deadline);
    if (l.pipe) schedule(l.pipe->next_deadline());
  }
  maybe_send_metadata(now);
  serve_metadata_fetches(now);
  maybe_init_producer_id(now);
  close_idle_links(now);
  maintain_authentication(now);
  if (txn_)
    if (auto ec = txn_->unsent_error()) fail_unsent(*ec);  // aborting, or the transaction failed
  serve_transaction(now);
  if (finished()) return;
  // A transactional producer's id comes from its transaction manager (InitProducerId with transactional.id).
  const bool id_ready = !idempotent() || (producer_id_ >= 0 && (txn_ || !producer_id_reset_wanted_));
  // Waiting to replace the producer id: only batches whose fate is unknown go out, to learn it (sendable()).
  const bool resolving = !txn_ && idempotent() && producer_id_ >= 0 && producer_id_reset_wanted_;

  // Which leaders have something to send, and when the next linger/backoff expires. (Member scratch vectors,
  // not a map of vectors per pass: they keep their capacity, so a pass allocates nothing.)
  auto& ready = ready_scratch_;
  ready.clear();
  bool leaderless = false;
  const bool hurry = this->hurry();  // no lingering while someone waits for the batches
  for (auto& [name, t] : topics_) {
    for (std::size_t p = 0; p < t->partitions.size(); ++p) {
      auto& q = t->partitions[p];
      if (q.queued.empty()) continue;
      auto leader = metadata_.leader_for(name, static_cast<std::int32_t>(p));
      if (leader < 0) {
        leaderless = true;  // asked for below, in this pass: waking here would spin while metadata is missing
        continue;
      }
      if (txn_ && txn_->want_partition(name, static_cast<std::int32_t>(p))) wake();  // v1: AddPartitionsToTxn first
      auto& front = *q.queued.front();
      if (front.retry_at > now) {
        schedule(front.retry_at);
      } else if (!front.full && !hurry && front.attempts == 0 && now < front.created + cfg_.linger) {
        schedule(front.created + cfg_.linger);
        ready.push_back({leader, ready.size(), t.get(), static_cast<std::int32_t>(p), true});
      } else {
        ready.push_back({leader, ready.size(), t.get(), static_cast<std::int32_t>(p), false});
      }
    }
  }
  if (leaderless) {
    metadata_wanted_ = true;
    maybe_send_metadata(now);
  }
  if (!id_ready && !resolving) return;
  compress_large_batches(now);
  // Grouped by leader, in the order found within a leader (std::sort with the position as tie-break: stable_sort
  // would take a temporary buffer from the heap).
  std::sort(ready.begin(), ready.end(), [](const ready_partition& a, const ready_partition& b) {
    return a.leader != b.leader ? a.leader < b.leader : a.order < b.order;
  });
  auto& parts = parts_scratch_;
  for (std::size_t i = 0; i < ready.size();) {
    const auto leader = ready[i].leader;
    parts.clear();
    bool due = false;  // a leader whose partitions all linger still waits (and is not connected to yet)
    for (; i < ready.size() && ready[i].leader == leader; ++i) {
      parts.emplace_back(ready[i].topic, ready[i].partition);
      due = due || !ready[i].lingering;
    }
    if (!due) continue;
    auto& l = link_for(leader);
    l.ready_at = now;  // KIP-794's availability (leader_available): due batches, taken or not
    if (l.st != link::state::ready) {
      ensure_connected(l, now);
      continue;
    }
    if (now < l.throttled_until) {
      schedule(l.throttled_until);
      continue;
    }
    drain_to(l, parts, now);
  }
}

inline void producer_core::expire_batches(time_point now) {
  std::vector<batch_ptr> expired;  // failed after the scan: completing can append to the queues being scanned
  for (auto& [name, t] : topics_) {
    for (auto& q : t->partitions) {
      for (std::size_t i = 0; i < q.queued.size();) {
        auto& b = q.queued[i];
        if (b->deadline <= now) {
          expired.push_back(std::move(b));
          q.queued.erase_at(i);
        } else {
          schedule(b->deadline);
          ++i;
        }
      }
    }
    if (!t->waiting.empty()) {
      auto limit = t->waiting_since + std::min(max_block_, delivery_timeout_);
      if (now >= limit) {
        // The topic's metadata never became usable: say why as precisely as we know.
        const auto* tm = metadata_.topic(name);
        auto ec = tm && tm->error      ? make_error_code(client_errc::unknown_topic)
                  : any_ready_link()   ? make_error_code(client_errc::delivery_timeout)
                  : last_link_failure_ ? last_link_failure_  // connected, then the broker failed us: say how
                                       : make_error_code(client_errc::broker_connection_failed);
        log(log_level::warning, std::to_string(t->waiting.size()) + " record(s) for " + name +
                                    " failed without metadata: " +
                                    (last_link_failure_ && ec == last_link_failure_ ? "last broker failure " +
                                                                                          last_link_failure_text_
                                                                                    : ec.message()));
        fail_waiting_records(*t, ec);
      } else {
        schedule(limit);
      }
    }
  }
  for (auto& b : expired) {
    log(log_level::warning, "expiring " + std::to_string(b->records.size()) + " record(s) for " + *b->topic + "-" +
                                std::to_string(b->partition) + ": delivery.timeout.ms passed");
    fail_batch(std::move(b), make_error_code(client_errc::delivery_timeout));
  }
  while (!room_waiters_.empty() && now - room_waiters_.front().record.accepted >= delivery_timeout_) {
    auto w = std::move(room_waiters_.front());
    room_waiters_.pop_front();
    room_waiter_bytes_ -= w.charge;
    complete_record_error(w.record.done, w.record.topic, -1, make_error_code(client_errc::delivery_timeout),
                          w.record.generation);
  }
  if (!room_waiters_.empty()) schedule(room_waiters_.front().record.accepted + delivery_timeout_);
}

// `riding`: the batch goes in a request that leaves anyway, so linger no longer holds it back (the Java client's
// drain: once a broker has a ready partition, every partition it leads with data contributes its first batch).
inline bool producer_core::sendable(pqueue& q, batch& b, time_point now, bool riding) const {
  if (b.retry_at > now) return false;
  if (txn_ && !txn_->may_send(*b.topic, b.partition)) return false;
  if (!txn_ && idempotent() && producer_id_reset_wanted_ && !(b.fate_unknown && b.producer_id == producer_id_)) return false;
  if (idempotent()) {
    if (q.in_flight >= 5 || (q.one_at_a_time && q.in_flight > 0)) return false;
  } else if (q.in_flight > 0) {
    return false;  // one batch per partition in flight keeps per-partition order across retries
  }
  return riding || b.full || hurry() || b.attempts > 0 || now >= b.created + cfg_.linger;
}

// Numbers a batch for the current producer id (once: a retry under the same id keeps its sequence, so the broker
// recognises a duplicate) and seals it. A batch sealed under an older producer id is restamped in place: new
// id/epoch/sequence and CRC, no second compression.
inline std::error_code producer_core::assign_sequence(pqueue& q, batch& b) {
  if (idempotent() && (b.base_sequence < 0 || b.producer_id != producer_id_ || b.producer_epoch != producer_epoch_)) {
    b.producer_id = producer_id_;
    b.producer_epoch = producer_epoch_;
    b.base_sequence = q.next_sequence;
    q.next_sequence = sequence_after(q.next_sequence, b.record_count());
    if (b.sealed)
      return protocol::restamp_producer_fields(b.builder.sealed_bytes(), b.producer_id, b.producer_epoch,
                                               b.base_sequence);
  }
  if (b.sealed) return {};
  protocol::seal_options o;
  o.producer_id = b.producer_id;
  o.producer_epoch = b.producer_epoch;
  o.base_sequence = b.base_sequence;
  o.codec = static_cast<protocol::compression_codec>(cfg_.compression);  // same ids (Kafka's codec ids)
  o.level = cfg_.compression_level.value_or(protocol::default_compression_level);
  o.is_transactional = txn_ != nullptr;
  std::error_code ec;
  b.bytes = b.builder.seal(o, ec);
  b.sealed = !ec;
  return ec;
}

// How much a pass compresses at most, in record bytes, so that no turn of the loop spends long in a codec
// (docs/architecture.md, "Bounded work per turn"): about 0.1-0.3 ms of this machine's CPU per codec. More batches
// wait for the next pass, which the driver runs on the next turn; a batch larger than this is compressed one step
// per pass (compress_large_batches). Multiples of 64 KiB, so steps keep lz4's and snappy's blocks whole.
inline std::size_t producer_core::compress_step_bytes() const noexcept {
  switch (cfg_.compression) {
    case compression_type::gzip: return 64 * 1024;
    case compression_type::zstd: return 128 * 1024;
    case compression_type::lz4:
    case compression_type::snappy: return 256 * 1024;
    case compression_type::none: break;
  }
  return SIZE_MAX;  // copying is all a pass does with uncompressed batches
}

// A batch too large to compress in one pass, not yet compressed to the end: it waits for its last step.
inline bool producer_core::compressing(const batch& b) const noexcept {
  return cfg_.compression != compression_type::none && !b.sealed &&
         b.builder.size_in_bytes() > compress_step_bytes() && b.builder.left_to_compress(compressor_) > 0;
}

// Compresses the first batch of every due partition that is larger than one step, a step at a time within this
// pass's budget; what is left continues in the next pass. The header (producer id, sequence) is written later,
// at seal, so compressing ahead of numbering changes nothing on the wire.
inline void producer_core::compress_large_batches(time_point now) {
  if (cfg_.compression == compression_type::none) return;
  const int level = cfg_.compression_level.value_or(protocol::default_compression_level);
  const auto codec = static_cast<protocol::compression_codec>(cfg_.compression);
  // The batch the stream is compressing goes first, so that another one does not take the stream over and make it
  // start again.
  for (int round = 0; round < 2; ++round) {
    for (auto& r : ready_scratch_) {
      if (r.lingering || compress_budget_ == 0) continue;
      auto& q = r.topic->partitions[static_cast<std::size_t>(r.partition)];
      if (q.queued.empty() || !compressing(*q.queued.front()) || q.queued.front()->retry_at > now) continue;
      auto& b = *q.queued.front();
      if ((round == 0) != (compressor_.owner() == &b.builder)) continue;
      b.full = true;  // due: it goes as it is
      std::error_code ec;
      const auto step = std::min(compress_budget_, b.builder.left_to_compress(compressor_));
      b.builder.compress_step(compressor_, codec, level, step, ec);
      compress_budget_ -= step;
      if (ec) {
        auto failed = std::move(q.queued.front());
        q.queued.pop_front();
        fail_batch(std::move(failed), ec);
        continue;
      }
      if (compressing(b)) wake();  // the next step in the next pass
    }
  }
}

inline void producer_core::drain_to(link& l, std::vector<std::pair<topic_queue*, std::int32_t>>& parts,
                                    time_point now) {
  const auto version = *l.versions.version(protocol::api_key::produce);
  const bool expect_response = cfg_.acks != acks_mode::none;
  auto& data = produce_data_scratch_;
  while (l.produce_in_flight < static_cast<std::size_t>(cfg_.max_in_flight_requests_per_connection)) {
    if (compress_budget_ == 0) return wake();  // this pass compressed enough: the rest goes in the next one
    // The request's batches travel in its callback (moved, no shared_ptr); the vector comes back to
    // request_batches_pool_ with its capacity once the response is handled.
    std::vector<batch_ptr> taken;
    if (!request_batches_pool_.empty()) {
      taken = std::move(request_batches_pool_.back());
      request_batches_pool_.pop_back();
    }
    data.clear();
    // A request goes only for a batch that is due; the other partitions' first batches then ride along (fuller
    // requests: fewer per record, each carrying more partitions).
    bool due = false;
    for (auto& [t, p] : parts) {
      auto& q = t->partitions[static_cast<std::size_t>(p)];
      if (!q.queued.empty() && sendable(q, *q.queued.front(), now) && !compressing(*q.queued.front())) {
        due = true;
        break;
      }
    }
    if (!due) {
      request_batches_pool_.push_back(std::move(taken));
      return;
    }
    std::size_t size = 64;
    for (auto& [t, p] : parts) {  // at most one batch per partition per request (a broker rule)
      auto& q = t->partitions[static_cast<std::size_t>(p)];
      if (q.queued.empty() || !sendable(q, *q.queued.front(), now, true)) continue;
      auto& b = *q.queued.front();
      if (compressing(b)) continue;
      const bool compresses = !b.sealed && cfg_.compression != compression_type::none;
      if (compresses && compress_budget_ == 0 && !data.empty()) continue;  // next pass
      if (compresses) compress_budget_ -= std::min(compress_budget_, b.builder.size_in_bytes());
      b.full = true;
      if (auto ec = assign_sequence(q, b)) {
        auto failed = std::move(q.queued.front());
        q.queued.pop_front();
        fail_batch(std::move(failed), ec);
        continue;
      }
      auto bytes = b.bytes;
      if (!data.empty() && size + bytes.size() + t->name.size() + 16 > static_cast<std::size_t>(cfg_.max_request_size))
        continue;
      size += bytes.size() + t->name.size() + 16;
      data.push_back({&t->name, p, bytes});
      taken.push_back(std::move(q.queued.front()));
      q.queued.pop_front();
      ++q.in_flight;
    }
    if (taken.empty()) {
      request_batches_pool_.push_back(std::move(taken));
      return;
    }
    // Grouped by topic as the request wants (topics_ is unordered, so parts need not be). The order of partitions
    // within a topic does not matter; std::sort, unlike stable_sort, takes no temporary buffer from the heap.
    auto by_topic = [](const produce_partition_data& a, const produce_partition_data& b) {
      return a.topic != b.topic && *a.topic < *b.topic;
    };
    if (!std::is_sorted(data.begin(), data.end(), by_topic)) std::sort(data.begin(), data.end(), by_topic);
    auto& req = produce_request_scratch_;
    req.topic_data.clear();
    req.acks = static_cast<std::int16_t>(cfg_.acks);
    req.timeout_ms = static_cast<std::int32_t>(cfg_.request_timeout.count());
    if (txn_) {
      req.transactional_id = std::string_view(cfg_.transactional_id);
      txn_->on_batch_sent();
    }
    // Produce v13 names topics by id (KIP-516). A topic whose id Metadata did not give (an older broker answered
    // it) sends the request as v12, by name, which every broker that speaks v13 still takes.
    auto request_version = version;
    for (std::size_t i = 0; i < data.size(); ++i) {
      if (i == 0 || *data[i].topic != *data[i - 1].topic) {
        auto& td = req.topic_data.emplace_back();
        td.name = *data[i].topic;
        if (version >= 13) {
          const auto* tm = metadata_.topic(*data[i].topic);
          td.topic_id = tm ? tm->topic_id : protocol::uuid{};
          if (td.topic_id == protocol::uuid{}) request_version = 12;
        }
      }
      auto& pd = req.topic_data.back().partition_data.emplace_back();
      pd.index = data[i].partition;
      pd.records = data[i].batch;
    }
    for (auto& b : taken) {
      const auto* tm = request_version >= 13 ? metadata_.topic(*b->topic) : nullptr;
      b->topic_id = tm ? tm->topic_id : protocol::uuid{};
    }
    auto frame = l.pipe->take_frame_buffer();
    frame.reserve(size);  // the batches are copied once, straight into the frame
    auto corr = next_correlation_id();
    protocol::encode_request(frame, req, request_version, corr, cfg_.client_id);
    ++counters_.produce_requests;
    counters_.batches_sent += taken.size();
    ++l.produce_in_flight;
    l.drained_at = now;
    send_request(l, std::move(frame), corr, expect_response,
                 [this, taken = std::move(taken), request_version](link& l, std::error_code ec,
                                                                   protocol::bytes_view f) mutable {
                   if (l.produce_in_flight) --l.produce_in_flight;
                   on_produce_response(l, taken, ec, f, request_version);
                 });
  }
}

// `batches` is emptied and its vector returned to request_batches_pool_ (capacity kept).
inline void producer_core::on_produce_response(link& l, std::vector<batch_ptr>& batches, std::error_code ec,
                                               protocol::bytes_view frame, std::int16_t version) {
  auto now = clock_.now();
  // Decoded into a reused view (views into `frame`: nothing allocated once it has held this shape); taken out of
  // the member while in use, in case handling a partition ever leads back here.
  auto res = std::move(produce_response_scratch_);
  if (!ec && cfg_.acks != acks_mode::none) {
    // A response that does not decode means the byte stream cannot be trusted any more: drop the connection too.
    ec = protocol::decode_response_body(frame, version, res);
    if (ec && l.st != link::state::down) on_link_down(l, ec, "undecodable Produce response");
    if (!ec) learn_node_endpoints(res);  // before the leader hints below, so that they lead somewhere
  }
  auto find = [&](const batch& b) -> const protocol::produce_response_view::topic_produce_response::partition_produce_response* {
    for (const auto& t : res.responses)
      if (version >= 13 ? t.topic_id == b.topic_id : t.name == *b.topic)
        for (const auto& p : t.partition_responses)
          if (p.index == b.partition) return &p;
    return nullptr;
  };
  for (auto& b : batches) {
    if (ec) {
      // The request's fate is unknown (connection lost, timeout, garbage): retry; the idempotent sequence
      // makes the broker drop a copy it already has.
      auto& q = queue_of(*b);
      if (q.in_flight) --q.in_flight;
      b->fate_unknown = true;
      if (ec == std::errc::operation_canceled) fail_batch(std::move(b), ec);
      else retry_batch(std::move(b), ec, now);
      continue;
    }
    if (cfg_.acks == acks_mode::none) {
      auto& q = queue_of(*b);
      if (q.in_flight) --q.in_flight;
      finish_batch(*b, {}, -1, -1);
      recycle(std::move(b));
      continue;
    }
    const auto* p = find(*b);
    if (!p) {
      handle_partition_result(std::move(b), static_cast<std::int16_t>(kafka_errc::unknown_server_error), -1, -1,
                              std::string_view("partition missing from the Produce response"), now);
      continue;
    }
    if (p->current_leader.leader_id >= 0)  // v10+: the new leader, so the retry needs no Metadata first (KIP-951)
      metadata_.set_leader(*b->topic, p->index, p->current_leader.leader_id, p->current_leader.leader_epoch);
    // The partition's message, else the first record error's (v8+).
    auto message = p->error_message;
    if (!message && !p->record_errors.empty()) message = p->record_errors.front().batch_index_error_message;
    handle_partition_result(std::move(b), p->error_code, p->base_offset, p->log_append_time_ms, message, now);
  }
  // Produce v6+: the broker answered first and expects us to hold back for throttle_time_ms (quotas, KIP-219).
  if (!ec && res.throttle_time_ms > 0 && version >= 6) l.throttled_until = now + milliseconds(res.throttle_time_ms);
  if (ec && ec != std::errc::operation_canceled) request_metadata();
  produce_response_scratch_ = std::move(res);
  batches.clear();
  if (request_batches_pool_.size() < max_request_batches_pooled) request_batches_pool_.push_back(std::move(batches));
  wake();
}

inline void producer_core::handle_partition_result(batch_ptr b, std::int16_t error, std::int64_t base_offset,
                                                   std::int64_t log_append_time,
                                                   std::optional<std::string_view> message, time_point now) {
  auto& q = queue_of(*b);
  if (q.in_flight) --q.in_flight;
  auto ec = kafka_error(error);
  if (error)  // also without the broker's message (Produce < v8, or none sent): retries show in the log
    log(log_level::warning, *b->topic + "-" + std::to_string(b->partition) + ": " + ec.message() +
                                (message && !message->empty() ? ": " + std::string(*message) : std::string()));
  auto action = classify_produce_error(error, idempotent());
  // In a transaction a broken sequence or a stale epoch is not repaired under the records' feet: the batch fails,
  // which makes the transaction abortable (or, fenced, fatal); the abort bumps the epoch (Java's TransactionManager).
  // A batch refused only because an earlier one was not written (out of order, but not the next sequence: the
  // earlier one was split, or is being retried) is simply retried, in a transaction too (Java's canRetry).
  if (txn_ && (action == produce_error_action::new_producer_id ||
               (action == produce_error_action::out_of_order && b->base_sequence == q.last_acked_sequence + 1)))
    action = produce_error_action::fail;
  // An answer about the batch's own sequence settles whether an earlier copy was written; a transient refusal of
  // this copy (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, ...) says nothing about earlier ones.
  if (action != produce_error_action::retry && action != produce_error_action::retry_with_metadata)
    b->fate_unknown = false;
  switch (action) {
    case produce_error_action::succeed:
    case produce_error_action::succeed_duplicate: {
      if (idempotent()) q.last_acked_sequence = b->base_sequence + b->record_count() - 1;
      q.one_at_a_time = false;
      finish_batch(*b, {}, error ? -1 : base_offset, log_append_time);
      recycle(std::move(b));
      return;
    }
    case produce_error_action::retry_with_metadata:
      request_metadata();
      return retry_batch(std::move(b), ec, now);
    case produce_error_action::retry: return retry_batch(std::move(b), ec, now);
    case produce_error_action::out_of_order:
      // The batch right after the last acknowledged one was refused: a real gap (the broker lost our state).
      // Any later batch was refused only because an earlier one failed; it is simply retried.
      if (b->base_sequence == q.last_acked_sequence + 1) producer_id_reset_wanted_ = true;
      return retry_batch(std::move(b), ec, now);
    case produce_error_action::new_producer_id:
      producer_id_reset_wanted_ = true;
      return retry_batch(std::move(b), ec, now);
    case produce_error_action::fail:
      if ((ec == kafka_errc::message_too_large || ec == kafka_errc::record_list_too_large) &&
          split_batch(b, find_kafka_error(error)->name, now))
        return;
      return fail_batch(std::move(b), ec);
  }
}

inline void producer_core::retry_batch(batch_ptr b, std::error_code why, time_point now) {
  ++b->attempts;
  ++counters_.retries;
  if (finished()) return fail_batch(std::move(b), why);
  if (now >= b->deadline) return fail_batch(std::move(b), make_error_code(client_errc::delivery_timeout));
  if (b->attempts > cfg_.retries) return fail_batch(std::move(b), why);
  b->retry_at = now + backoff(b->attempts, cfg_.retry_backoff, cfg_.retry_backoff_max);
  schedule(b->retry_at);
  auto& q = queue_of(*b);
  q.one_at_a_time = true;
  const auto pos = sequence_position(q, *b);
  q.queued.insert_at(pos, std::move(b));
}

// Where a batch that was sent goes back into its queue: in sequence order, ahead of every batch not yet sent
// (those are newer). A batch is numbered when it is first sent, so a queued batch with a sequence was sent (a retry,
// or a part of a split batch) and one without was not. Without idempotence nothing has a sequence: the batch goes
// first (one batch per partition is in flight).
inline std::size_t producer_core::sequence_position(const pqueue& q, const batch& b) {
  std::size_t pos = 0;
  for (; pos < q.queued.size(); ++pos) {
    const auto& o = q.queued[pos];
    if (o->base_sequence < 0 || (b.base_sequence >= 0 && o->base_sequence > b.base_sequence)) break;
  }
  return pos;
}

// MESSAGE_TOO_LARGE or RECORD_LIST_TOO_LARGE for a batch of several records: the broker wrote none of it (the
// topic's max.message.bytes, or the broker's segment size, is below what batch.size let through). As the Java
// client does, the batch is split instead of failing records that each fit: two halves take its place in the
// queue, each split again if still too large, so after at most log2(records) round trips only a record too large
// on its own fails. Under idempotence the halves carry the sequence range the broker refused (base.., base+n1..),
// so nothing is renumbered and no copy can be written twice. As in Java the halves are new batches: the split does
// not count toward `retries`. False if `b` cannot be split (one record, or its records unreadable); `b` is then
// left to the caller.
inline bool producer_core::split_batch(batch_ptr& b, std::string_view why, time_point now) {
  const auto count = b->record_count();
  if (count < 2 || finished()) return false;
  const std::array<std::int32_t, 2> sizes{count / 2, count - count / 2};
  std::array<batch_ptr, 2> halves;
  protocol::record_section_reader records(b->builder.records_section(), count);
  protocol::record_view rv;
  auto& headers = header_scratch_;
  std::int32_t next = 0;  // index of the next record of b
  for (std::size_t h = 0; h < halves.size(); ++h) {
    auto& half = halves[h];
    half = pooled_batch();
    half->topic = b->topic;
    half->partition = b->partition;
    half->builder.reset(b->records[static_cast<std::size_t>(next)].timestamp_ms);
    half->created = b->created;
    half->deadline = b->deadline;
    half->retry_at = now;
    half->attempts = b->attempts;
    half->full = true;
    half->producer_id = b->producer_id;
    half->producer_epoch = b->producer_epoch;
    half->base_sequence = b->base_sequence < 0 ? -1 : sequence_after(b->base_sequence, next);
    for (std::int32_t i = 0; i < sizes[h]; ++i, ++next) {
      const auto& slot = b->records[static_cast<std::size_t>(next)];
      if (!records.next(rv)) break;
      headers.assign(rv.headers().begin(), rv.headers().end());
      if (half->builder.append(slot.timestamp_ms, rv.key, rv.value, headers)) break;
      half->records.push_back(slot);
    }
    if (half->record_count() != sizes[h]) {  // cannot happen for a builder's own records; never lose any
      for (auto& made : halves)
        if (made) {
          made->records.clear();
          recycle(std::move(made));
        }
      return false;
    }
  }
  // buffer.memory stays charged as before, shared between the halves.
  halves[0]->reserved_bytes = b->reserved_bytes * static_cast<std::size_t>(sizes[0]) / static_cast<std::size_t>(count);
  halves[1]->reserved_bytes = b->reserved_bytes - halves[0]->reserved_bytes;
  ++counters_.batches_split;
  log(log_level::warning, *b->topic + "-" + std::to_string(b->partition) + ": " + std::string(why) + " for " +
                              std::to_string(count) + " records (" + std::to_string(b->builder.size_in_bytes()) +
                              " bytes uncompressed): split into batches of " + std::to_string(sizes[0]) + " and " +
                              std::to_string(sizes[1]));
  auto& q = queue_of(*b);
  q.one_at_a_time = true;
  const auto pos = sequence_position(q, *b);
  q.queued.insert_at(pos, std::move(halves[1]));
  q.queued.insert_at(pos, std::move(halves[0]));
  b->records.clear();  // their completions now belong to the halves
  recycle(std::move(b));
  wake();
  return true;
}

inline void producer_core::fail_batch(batch_ptr b, std::error_code ec) {
  // A numbered batch that will never be written leaves a hole in the partition's sequence: later batches
  // would be refused, so the producer takes a new id (the Java client bumps the epoch for the same reason).
  if (idempotent() && b->base_sequence >= 0 && b->producer_id == producer_id_) {
    if (txn_) txn_->want_epoch_bump();
    else producer_id_reset_wanted_ = true;
  }
  finish_batch(*b, ec, -1, -1);
  recycle(std::move(b));
}

}  // namespace kafkio::core
