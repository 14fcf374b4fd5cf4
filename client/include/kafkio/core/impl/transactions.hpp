// producer_core: the transactional producer's operations and the requests of its transaction_manager
// (core/transaction_manager.hpp holds the rules; this file carries its requests to the right broker).
#pragma once

namespace kafkio::core {

inline bool producer_core::transactional_call(completion_id id) {
  if (!accepting()) {
    complete(id, make_error_code(client_errc::producer_closed));
    return false;
  }
  if (!txn_) {  // Java: "Transactional method invoked on a non-transactional producer"
    log(log_level::error, "transactional operation on a producer without transactional.id");
    complete(id, make_error_code(client_errc::transaction_state));
    return false;
  }
  return true;
}

inline void producer_core::init_transactions(completion_id id) {
  if (!transactional_call(id)) return;
  txn_->init(id, clock_.now() + max_block_);
  after_transaction_input();
}

inline void producer_core::begin_transaction(completion_id id) {
  if (!transactional_call(id)) return;
  txn_->begin(id);
  after_transaction_input();
}

inline void producer_core::commit_transaction(completion_id id) {
  if (!transactional_call(id)) return;
  txn_->commit(id, clock_.now() + max_block_);
  after_transaction_input();
}

inline void producer_core::abort_transaction(completion_id id) {
  if (!transactional_call(id)) return;
  txn_->abort(id, clock_.now() + max_block_);
  after_transaction_input();
}

inline void producer_core::send_offsets_to_transaction(std::vector<offset_to_commit> offsets,
                                                       consumer_group_metadata group, completion_id id) {
  if (!transactional_call(id)) return;
  txn_->send_offsets(std::move(offsets), std::move(group), id, clock_.now() + max_block_);
  after_transaction_input();
}

inline void producer_core::after_transaction_input() {
  take_transaction_done();
  wake();
}

inline void producer_core::take_transaction_done() {
  if (!txn_) return;
  for (const auto& d : txn_->take_done()) complete(d.id, d.error);
  txn_->take_done().clear();
}

// The producer id and epoch the transaction manager holds (InitProducerId, or EndTxn v5's bump). Called after every
// transactional step, so an unchanged id is no reset.
inline void producer_core::adopt_producer_id(std::int64_t id, std::int16_t epoch) {
  if (id != producer_id_ || epoch != producer_epoch_) take_producer_id(id, epoch);
}

// Records that can no longer join the transaction (it is being aborted, or failed) complete with `ec`: queued
// batches (none of them is in flight), records waiting for metadata, records waiting for room.
inline void producer_core::fail_unsent(std::error_code ec) {
  std::vector<batch_ptr> failed;
  for (auto& [name, t] : topics_) {
    for (auto& q : t->partitions)
      while (!q.queued.empty()) {
        failed.push_back(std::move(q.queued.front()));
        q.queued.pop_front();
      }
    if (!t->waiting.empty()) fail_waiting_records(*t, ec);
  }
  for (auto& b : failed) fail_batch(std::move(b), ec);
  while (!room_waiters_.empty()) {
    auto w = std::move(room_waiters_.front());
    room_waiters_.pop_front();
    room_waiter_bytes_ -= w.charge;
    complete_record_error(w.record.done, w.record.topic, -1, ec, w.record.generation);
  }
}

// One step of the transaction, from run(): the request the manager wants next, on the broker it goes to.
inline void producer_core::serve_transaction(time_point now) {
  if (!txn_) return;
  auto& t = *txn_;
  t.expire(now);
  using action = transaction_manager::action;
  const auto a = t.next(!generation_counts_.empty(), now);
  take_transaction_done();
  if (auto d = t.deadline()) schedule(*d);
  if (a == action::none) {
    if (t.retry_at() > now) schedule(t.retry_at());
    return;
  }
  link* l = nullptr;
  if (auto target = t.target(a)) {
    l = &link_for(target->id);
    if (l->host.empty()) {
      l->host = target->host;  // a coordinator the metadata does not list (yet): FindCoordinator said where
      l->port = std::to_string(target->port);
    }
    if (l->st != link::state::ready) return ensure_connected(*l, now);
  } else if (!(l = any_ready_link())) {
    metadata_wanted_ = true;  // get some connection going (no wake(): we are inside run())
    return maybe_send_metadata(now);
  }
  const auto key = transaction_manager::api(a);
  const auto version = l->versions.version(key);
  if (!version) {
    t.unsupported(a);
    log(log_level::error, "broker " + l->address() + " does not support the transactions API " +
                              std::to_string(static_cast<int>(key)));
    take_transaction_done();
    return wake();
  }
  if (a == action::init_producer_id) t.set_coordinator_versions(l->versions);
  protocol::byte_buffer frame;
  const auto corr = next_correlation_id();
  if (t.write_request(a, frame, *version, corr, cfg_.client_id)) {
    t.unsupported(a);
    take_transaction_done();
    return wake();
  }
  send_request(*l, std::move(frame), corr, true,
               [this, a, v = *version](link& l, std::error_code ec, protocol::bytes_view f) {
                 if (finished() || !txn_) return;
                 auto why = txn_->on_response(a, ec, f, v, clock_.now());
                 if (!why.empty()) log(log_level::warning, why + " (" + l.address() + ")");
                 if (txn_->has_producer_id()) adopt_producer_id(txn_->producer_id(), txn_->producer_epoch());
                 take_transaction_done();
                 wake();
               });
}

}  // namespace kafkio::core
