// kafkio::core::transaction_manager — the transactional producer's state machine (KIP-98; transactions v2: KIP-890),
// without I/O. producer_core owns one when transactional.id is set, asks it what to do next (next()), sends the
// request it writes (write_request) to the broker it names, and feeds back the response (on_response).
//
//   uninitialized ──init──► initializing: FindCoordinator(transaction) ─► InitProducerId(transactional.id) ─► ready
//   ready ──begin──► in_transaction ──commit──► committing ──(every record done)─► EndTxn(commit) ─► ready
//                         │     └──abort──► aborting ──(in-flight records done)─► EndTxn(abort) ─► ready
//                         │  a record failed / an abortable error ──► abortable_error ──abort──► aborting
//   fenced (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH), TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ... ──► fatal_error
//
// Transactions v1: a partition joins the transaction with AddPartitionsToTxn before its first batch (the sender
// asks may_send / want_partition). Transactions v2 (coordinator negotiated EndTxn v5, i.e. the cluster finalized
// transaction.version 2): the Produce request itself adds the partition, and every EndTxn answers with the next
// epoch, which the producer adopts (its sequences restart at 0). Offsets (send_offsets): AddOffsetsToTxn to the
// transaction coordinator, then TxnOffsetCommit to the group's coordinator (FindCoordinator(group)).
//
// Errors follow the Java client's TransactionManager: coordinator moves (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE)
// look the coordinator up again; CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS and other retriable codes are
// retried after retry.backoff.ms; fencing and authorization of the transactional id are fatal (the producer must be
// recreated); the rest make the transaction abortable. An operation waits at most max.block.ms; when that passes it
// completes with client_errc::transaction_timeout but the work goes on, and calling the same operation again waits
// for it (as Java's commitTransaction after a TimeoutException).
#pragma once

#include <kafkio/core/time_source.hpp>
#include <kafkio/error.hpp>
#include <kafkio/protocol/request.hpp>
#include <kafkio/protocol/version_negotiation.hpp>
#include <kafkio/transaction.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kafkio::core {

class transaction_manager {
 public:
  enum class state : std::uint8_t {
    uninitialized, initializing, ready, in_transaction, committing, aborting, abortable_error, fatal_error
  };
  // What the producer should send next (none: nothing now, or a request is in flight).
  enum class action : std::uint8_t {
    none, find_coordinator, find_group_coordinator, init_producer_id, add_partitions, add_offsets, txn_offset_commit,
    end_txn
  };
  struct done {  // an operation that finished
    completion_id id;
    std::error_code error;
  };
  struct node {
    std::int32_t id = -1;
    std::string host;
    std::int32_t port = 0;
  };

  transaction_manager(std::string transactional_id, std::chrono::milliseconds transaction_timeout,
                      std::chrono::milliseconds retry_backoff)
      : id_(std::move(transactional_id)), timeout_(transaction_timeout), backoff_(retry_backoff) {}

  // ---- the application's operations (each ends in exactly one entry of take_done(), maybe at once) -------------
  void init(completion_id op, time_point deadline) {
    if (attach(op_kind::init, state::initializing, op, deadline)) return;
    if (state_ != state::uninitialized) return refuse(op, "init_transactions: already initialized");
    state_ = state::initializing;
    start(op_kind::init, op, deadline);
  }
  void begin(completion_id op) {
    if (state_ != state::ready || op_ != op_kind::none) return refuse(op, "begin_transaction: " + describe());
    state_ = state::in_transaction;
    done_.push_back({op, {}});
  }
  void commit(completion_id op, time_point deadline) {
    if (attach(op_kind::commit, state::committing, op, deadline)) return;
    if (state_ == state::abortable_error) return done_.push_back({op, error_});
    if (state_ != state::in_transaction || op_ != op_kind::none) return refuse(op, "commit_transaction: " + describe());
    state_ = state::committing;
    start(op_kind::commit, op, deadline);
  }
  void abort(completion_id op, time_point deadline) {
    if (attach(op_kind::abort, state::aborting, op, deadline)) return;
    if ((state_ != state::in_transaction && state_ != state::abortable_error) ||
        (op_ != op_kind::none && op_ != op_kind::send_offsets))
      return refuse(op, "abort_transaction: " + describe());
    if (op_ == op_kind::send_offsets) finish(make_error_code(client_errc::transaction_aborted));
    state_ = state::aborting;
    wanted_.clear();  // nothing more joins a transaction being aborted
    offsets_step_ = offsets_step::none;
    start(op_kind::abort, op, deadline);
  }
  void send_offsets(std::vector<offset_to_commit> offsets, consumer_group_metadata group, completion_id op,
                    time_point deadline) {
    if (state_ == state::abortable_error) return done_.push_back({op, error_});
    if (state_ != state::in_transaction || op_ != op_kind::none)
      return refuse(op, "send_offsets_to_transaction: " + describe());
    if (group.group_id.empty()) return done_.push_back({op, make_error_code(kafka_errc::invalid_group_id)});
    offsets_ = std::move(offsets);
    group_ = std::move(group);
    group_coordinator_ = {};
    offsets_step_ = offsets_step::add_offsets;
    start(op_kind::send_offsets, op, deadline);
  }
  // The producer is closing or going away: the pending operation ends with `ec`.
  void cancel(std::error_code ec) {
    if (op_ != op_kind::none) finish(ec);
  }
  // max.block.ms passed for the pending operation: it completes; the work it started goes on.
  void expire(time_point now) {
    if (op_ != op_kind::none && op_id_ && now >= op_deadline_) {
      done_.push_back({*op_id_, make_error_code(client_errc::transaction_timeout)});
      op_id_.reset();
    }
  }
  std::vector<done>& take_done() noexcept { return done_; }

  // ---- from the sender ----------------------------------------------------------------------------------------
  // Whether a record may be accepted now (records belong to the open transaction).
  std::error_code check_send() const {
    if (state_ == state::in_transaction && op_ != op_kind::commit) return {};
    if (state_ == state::fatal_error || state_ == state::abortable_error) return error_;
    return make_error_code(client_errc::transaction_state);
  }
  // Batches of the transaction go out only once their partition is in it (v2: the Produce request adds it).
  bool may_send(const std::string& topic, std::int32_t partition) const {
    return v2_ || added_.count({topic, partition}) != 0;
  }
  // Returns true if the partition is newly wanted (an AddPartitionsToTxn is due).
  bool want_partition(const std::string& topic, std::int32_t partition) {
    if (v2_ || (state_ != state::in_transaction && state_ != state::committing)) return false;
    if (added_.count({topic, partition}) || adding_.count({topic, partition})) return false;
    return wanted_.insert({topic, partition}).second;
  }
  void on_batch_sent() noexcept { touched_ = true; }  // v2: the coordinator learns of the transaction from it
  // A record of the transaction failed after it was accepted: the transaction can only be aborted (or, for fencing,
  // nothing more can be done).
  void on_record_failed(std::error_code ec) {
    if (state_ == state::aborting || state_ == state::fatal_error || !ec) return;
    if (is_fatal(ec)) return fail_fatal(ec);
    if (state_ == state::in_transaction || state_ == state::committing) become_abortable(ec);
  }
  // Sequence numbers broke (a numbered batch was never written): v1 bumps the epoch after the abort (KIP-360).
  void want_epoch_bump() noexcept { bump_wanted_ = !v2_; }

  // Records not yet sent fail with this while it is set (an abort, an abortable or fatal error).
  std::optional<std::error_code> unsent_error() const {
    if (state_ == state::aborting) return make_error_code(client_errc::transaction_aborted);
    if (state_ == state::abortable_error || state_ == state::fatal_error) return error_;
    return std::nullopt;
  }
  bool completing() const noexcept { return state_ == state::committing || state_ == state::aborting; }
  bool has_producer_id() const noexcept { return producer_id_ >= 0; }
  std::int64_t producer_id() const noexcept { return producer_id_; }
  std::int16_t producer_epoch() const noexcept { return producer_epoch_; }
  bool v2() const noexcept { return v2_; }
  state current() const noexcept { return state_; }
  std::error_code error() const noexcept { return error_; }
  time_point retry_at() const noexcept { return retry_at_; }
  std::optional<time_point> deadline() const {
    return op_ != op_kind::none && op_id_ ? std::optional<time_point>(op_deadline_) : std::nullopt;
  }

  // ---- requests -----------------------------------------------------------------------------------------------
  // `records_outstanding`: records accepted and not completed (a commit waits for them all, an abort for the ones in
  // flight; the producer fails the rest).
  action next(bool records_outstanding, time_point now) {
    if (in_flight_ || state_ == state::fatal_error || now < retry_at_) return action::none;
    auto to_coordinator = [&](action a) { return coordinator_.id >= 0 ? a : action::find_coordinator; };
    switch (state_) {
      case state::initializing: return to_coordinator(action::init_producer_id);
      case state::in_transaction:
      case state::committing:
        if (!wanted_.empty()) return to_coordinator(action::add_partitions);
        if (offsets_step_ == offsets_step::add_offsets) return to_coordinator(action::add_offsets);
        if (offsets_step_ == offsets_step::commit)
          return group_coordinator_.id >= 0 ? action::txn_offset_commit : action::find_group_coordinator;
        if (state_ != state::committing || records_outstanding) return action::none;
        if (touched_) return to_coordinator(action::end_txn);
        end_transaction({});  // nothing reached the coordinator: nothing to commit there
        return action::none;
      case state::aborting:
        if (records_outstanding) return action::none;
        if (touched_) return to_coordinator(action::end_txn);
        if (bump_wanted_) return to_coordinator(action::init_producer_id);
        end_transaction({});
        return action::none;
      default: return action::none;
    }
  }
  // Where the request of `a` goes: nullopt for any broker (FindCoordinator), else that node.
  std::optional<node> target(action a) const {
    if (a == action::find_coordinator || a == action::find_group_coordinator) return std::nullopt;
    return a == action::txn_offset_commit ? group_coordinator_ : coordinator_;
  }
  static protocol::api_key api(action a) noexcept {
    switch (a) {
      case action::find_coordinator:
      case action::find_group_coordinator: return protocol::api_key::find_coordinator;
      case action::init_producer_id: return protocol::api_key::init_producer_id;
      case action::add_partitions: return protocol::api_key::add_partitions_to_txn;
      case action::add_offsets: return protocol::api_key::add_offsets_to_txn;
      case action::txn_offset_commit: return protocol::api_key::txn_offset_commit;
      case action::end_txn:
      case action::none: break;
    }
    return protocol::api_key::end_txn;
  }
  // The coordinator negotiated EndTxn v5: transactions v2 from now on (decided when the producer id is fetched).
  void set_coordinator_versions(const protocol::negotiated_versions& v) {
    if (state_ == state::initializing) v2_ = v.version(protocol::api_key::end_txn).value_or(0) >= 5;
  }
  // The broker lacks the API (a broker older than transactions): nothing can work.
  void unsupported(action a) {
    fail_fatal(make_error_code(client_errc::unsupported_version),
               std::string("the broker does not support ") + name(a));
  }

  // Writes the request of `a` (a version the connection negotiated, so the codec has it).
  std::error_code write_request(action a, protocol::byte_buffer& frame, std::int16_t version,
                                std::int32_t correlation_id, const std::string& client_id) {
    in_flight_ = true;
    frame.clear();
    switch (a) {
      case action::find_coordinator:
      case action::find_group_coordinator: {
        protocol::find_coordinator_request r;
        const auto& key = a == action::find_coordinator ? id_ : group_.group_id;
        r.key_type = a == action::find_coordinator ? 1 : 0;
        if (version >= 4) r.coordinator_keys = {key};
        else r.key = key;
        return protocol::encode_request(frame, r, version, correlation_id, client_id);
      }
      case action::init_producer_id: {
        protocol::init_producer_id_request r;
        r.transactional_id = id_;
        r.transaction_timeout_ms = static_cast<std::int32_t>(timeout_.count());
        if (state_ == state::aborting) {  // the epoch bump of KIP-360: the coordinator checks id and epoch
          r.producer_id = producer_id_;
          r.producer_epoch = producer_epoch_;
        }
        return protocol::encode_request(frame, r, version, correlation_id, client_id);
      }
      case action::add_partitions: {
        protocol::add_partitions_to_txn_request r;  // v0-3: one transaction, the client's form
        r.v3_and_below_transactional_id = id_;
        r.v3_and_below_producer_id = producer_id_;
        r.v3_and_below_producer_epoch = producer_epoch_;
        adding_ = std::exchange(wanted_, {});
        for (const auto& [topic, partition] : adding_) {
          if (r.v3_and_below_topics.empty() || r.v3_and_below_topics.back().name != topic)
            r.v3_and_below_topics.emplace_back().name = topic;
          r.v3_and_below_topics.back().partitions.push_back(partition);
        }
        return protocol::encode_request(frame, r, version, correlation_id, client_id);
      }
      case action::add_offsets: {
        protocol::add_offsets_to_txn_request r;
        r.transactional_id = id_;
        r.producer_id = producer_id_;
        r.producer_epoch = producer_epoch_;
        r.group_id = group_.group_id;
        return protocol::encode_request(frame, r, version, correlation_id, client_id);
      }
      case action::txn_offset_commit: {
        protocol::txn_offset_commit_request r;
        r.transactional_id = id_;
        r.group_id = group_.group_id;
        r.producer_id = producer_id_;
        r.producer_epoch = producer_epoch_;
        r.generation_id_or_member_epoch = group_.generation_id;
        r.member_id = group_.member_id;
        r.group_instance_id = group_.group_instance_id;
        for (const auto& o : offsets_) {
          if (r.topics.empty() || r.topics.back().name != o.topic) r.topics.emplace_back().name = o.topic;
          auto& p = r.topics.back().partitions.emplace_back();
          p.partition_index = o.partition;
          p.committed_offset = o.offset;
          p.committed_leader_epoch = o.leader_epoch;
          p.committed_metadata = o.metadata;
        }
        return protocol::encode_request(frame, r, version, correlation_id, client_id);
      }
      case action::end_txn: {
        protocol::end_txn_request r;
        r.transactional_id = id_;
        r.producer_id = producer_id_;
        r.producer_epoch = producer_epoch_;
        r.committed = state_ == state::committing;
        return protocol::encode_request(frame, r, version, correlation_id, client_id);
      }
      case action::none: break;
    }
    return make_error_code(client_errc::unsupported_version);
  }

  // The response to write_request(a) (`ec`: the connection failed or timed out; `frame` is then empty). Returns a
  // line for the log when something went wrong, else "".
  std::string on_response(action a, std::error_code ec, protocol::bytes_view frame, std::int16_t version,
                          time_point now) {
    in_flight_ = false;
    if (!ec) ec = decode_and_apply(a, frame, version, now);
    if (!ec) return {};
    if (ec.category() != kafka_category()) {  // transport or decoding: ask again, maybe elsewhere
      lost_coordinator(a);
      retry_at_ = now + backoff_;
      if (a == action::add_partitions) requeue_adding();
      return std::string(name(a)) + " failed: " + ec.message() + "; retrying";
    }
    return react(a, ec, now);
  }

  // Whoever answers FindCoordinator.
  const node& coordinator() const noexcept { return coordinator_; }
  const node& group_coordinator() const noexcept { return group_coordinator_; }

 private:
  enum class op_kind : std::uint8_t { none, init, commit, abort, send_offsets };
  enum class offsets_step : std::uint8_t { none, add_offsets, commit };

  static const char* name(action a) noexcept {
    switch (a) {
      case action::find_coordinator: return "FindCoordinator(transaction)";
      case action::find_group_coordinator: return "FindCoordinator(group)";
      case action::init_producer_id: return "InitProducerId";
      case action::add_partitions: return "AddPartitionsToTxn";
      case action::add_offsets: return "AddOffsetsToTxn";
      case action::txn_offset_commit: return "TxnOffsetCommit";
      case action::end_txn: return "EndTxn";
      case action::none: break;
    }
    return "?";
  }
  std::string describe() const {
    static const char* const names[] = {"not initialized (call init_transactions first)",
                                        "initializing",
                                        "no transaction in progress",
                                        "a transaction is in progress",
                                        "the transaction is being committed",
                                        "the transaction is being aborted",
                                        "the transaction can only be aborted",
                                        "the producer failed fatally"};
    return names[static_cast<int>(state_)];
  }

  static bool is_fatal(std::error_code ec) noexcept {
    return ec == kafka_errc::producer_fenced || ec == kafka_errc::invalid_producer_epoch ||
           ec == kafka_errc::transactional_id_authorization_failed ||
           ec == kafka_errc::cluster_authorization_failed || ec == kafka_errc::invalid_txn_state ||
           ec == kafka_errc::unsupported_for_message_format || ec == kafka_errc::unsupported_version;
  }

  bool attach(op_kind kind, state in, completion_id op, time_point deadline) {
    if (state_ != in || op_ != kind || op_id_) return false;
    op_id_ = op;  // an earlier call of the same operation timed out; this one waits for the same result
    op_deadline_ = deadline;
    return true;
  }
  void refuse(completion_id op, const std::string& why) {
    last_refusal_ = why;
    done_.push_back({op, state_ == state::fatal_error ? error_ : make_error_code(client_errc::transaction_state)});
  }
  void start(op_kind kind, completion_id op, time_point deadline) {
    op_ = kind;
    op_id_ = op;
    op_deadline_ = deadline;
  }
  void finish(std::error_code ec) {
    if (op_id_) done_.push_back({*op_id_, ec});
    op_ = op_kind::none;
    op_id_.reset();
  }
  void end_transaction(std::error_code ec) {
    state_ = state::ready;
    added_.clear();
    wanted_.clear();
    adding_.clear();
    touched_ = false;
    offsets_step_ = offsets_step::none;
    finish(ec);
  }
  void become_abortable(std::error_code ec) {
    state_ = state::abortable_error;
    error_ = ec;
    wanted_.clear();
    offsets_step_ = offsets_step::none;
    if (op_ == op_kind::commit || op_ == op_kind::send_offsets) finish(ec);
  }
  void fail_fatal(std::error_code ec, std::string = {}) {
    state_ = state::fatal_error;
    error_ = ec;
    finish(ec);
  }
  void lost_coordinator(action a) {
    if (a == action::txn_offset_commit || a == action::find_group_coordinator) group_coordinator_ = {};
    else coordinator_ = {};
  }
  void requeue_adding() {
    wanted_.insert(adding_.begin(), adding_.end());
    adding_.clear();
  }

  // Decodes the response and applies a success; returns the error that remains (a kafka_category code to react to,
  // or a decoding error).
  std::error_code decode_and_apply(action a, protocol::bytes_view frame, std::int16_t version, time_point now) {
    switch (a) {
      case action::find_coordinator:
      case action::find_group_coordinator: {
        protocol::find_coordinator_response r;
        if (auto ec = protocol::decode_response_body(frame, version, r)) return ec;
        node n;
        std::int16_t error = r.error_code;
        if (version >= 4) {
          if (r.coordinators.empty()) return make_error_code(kafka_errc::coordinator_not_available);
          const auto& c = r.coordinators.front();
          error = c.error_code;
          n = {c.node_id, c.host, c.port};
        } else {
          n = {r.node_id, r.host, r.port};
        }
        if (error) return kafka_error(error);
        if (n.id < 0) return make_error_code(kafka_errc::coordinator_not_available);
        (a == action::find_coordinator ? coordinator_ : group_coordinator_) = std::move(n);
        return {};
      }
      case action::init_producer_id: {
        protocol::init_producer_id_response r;
        if (auto ec = protocol::decode_response_body(frame, version, r)) return ec;
        if (r.error_code) return kafka_error(r.error_code);
        producer_id_ = r.producer_id;
        producer_epoch_ = r.producer_epoch;
        bump_wanted_ = false;
        if (state_ == state::initializing) {
          state_ = state::ready;
          finish({});
        }
        return {};  // aborting: next() finishes the abort
      }
      case action::add_partitions: {
        protocol::add_partitions_to_txn_response r;
        if (auto ec = protocol::decode_response_body(frame, version, r)) return ec;
        std::error_code worst;
        for (const auto& t : r.results_by_topic_v3_and_below)
          for (const auto& p : t.results_by_partition) {
            if (!p.partition_error_code) {
              added_.insert({t.name, p.partition_index});
              adding_.erase({t.name, p.partition_index});
            } else if (p.partition_error_code != static_cast<std::int16_t>(kafka_errc::operation_not_attempted) ||
                       !worst) {
              worst = kafka_error(p.partition_error_code);
            }
          }
        if (!worst && !adding_.empty()) worst = make_error_code(kafka_errc::unknown_server_error);
        if (worst) requeue_adding();
        else touched_ = true;
        return worst;
      }
      case action::add_offsets: {
        protocol::add_offsets_to_txn_response r;
        if (auto ec = protocol::decode_response_body(frame, version, r)) return ec;
        if (r.error_code) return kafka_error(r.error_code);
        touched_ = true;
        offsets_step_ = offsets_step::commit;
        return {};
      }
      case action::txn_offset_commit: {
        protocol::txn_offset_commit_response r;
        if (auto ec = protocol::decode_response_body(frame, version, r)) return ec;
        for (const auto& t : r.topics)
          for (const auto& p : t.partitions)
            if (p.error_code) return kafka_error(p.error_code);
        offsets_step_ = offsets_step::none;
        offsets_.clear();
        finish({});
        return {};
      }
      case action::end_txn: {
        protocol::end_txn_response r;
        if (auto ec = protocol::decode_response_body(frame, version, r)) return ec;
        if (r.error_code) return kafka_error(r.error_code);
        if (version >= 5 && r.producer_id >= 0) {  // transactions v2: the epoch is bumped at every end
          producer_id_ = r.producer_id;
          producer_epoch_ = r.producer_epoch;
        }
        touched_ = false;
        if (state_ == state::aborting && bump_wanted_) return {};  // next(): InitProducerId, then done
        end_transaction({});
        (void)now;
        return {};
      }
      case action::none: break;
    }
    return {};
  }

  // A broker error for request `a`: retry, look the coordinator up again, or change state.
  std::string react(action a, std::error_code ec, time_point now) {
    const std::string what = std::string(name(a)) + ": " + ec.message();
    if (ec == kafka_errc::not_coordinator || ec == kafka_errc::coordinator_not_available) {
      lost_coordinator(a);
      retry_at_ = now + backoff_;
      return what + "; looking the coordinator up again";
    }
    if (ec == kafka_errc::concurrent_transactions || ec == kafka_errc::coordinator_load_in_progress ||
        ec == kafka_errc::operation_not_attempted || is_retriable(ec)) {
      retry_at_ = now + backoff_;
      return what + "; retrying";
    }
    if (a == action::end_txn && state_ == state::aborting && ec == kafka_errc::invalid_txn_state) {
      end_transaction({});  // the coordinator has no open transaction to abort: none of it was written
      return what + " (nothing to abort)";
    }
    if (is_fatal(ec) || a == action::init_producer_id || a == action::end_txn) {
      fail_fatal(ec);
      return what + " (fatal: the producer must be recreated)";
    }
    if (a == action::find_coordinator || a == action::find_group_coordinator) {
      // e.g. GROUP_AUTHORIZATION_FAILED, INVALID_REQUEST: the offsets (or the transaction) cannot go on
      if (a == action::find_group_coordinator && op_ == op_kind::send_offsets) become_abortable(ec);
      else fail_fatal(ec);
      return what;
    }
    become_abortable(ec);  // AddPartitionsToTxn/AddOffsetsToTxn/TxnOffsetCommit: TOPIC/GROUP_AUTHORIZATION_FAILED...
    return what + " (the transaction must be aborted)";
  }

  std::string id_;
  std::chrono::milliseconds timeout_, backoff_;
  state state_ = state::uninitialized;
  std::error_code error_;
  std::string last_refusal_;
  bool v2_ = false, touched_ = false, bump_wanted_ = false, in_flight_ = false;
  std::int64_t producer_id_ = -1;
  std::int16_t producer_epoch_ = -1;
  node coordinator_, group_coordinator_;
  time_point retry_at_{};

  op_kind op_ = op_kind::none;
  std::optional<completion_id> op_id_;
  time_point op_deadline_{};
  std::vector<done> done_;

  using partition = std::pair<std::string, std::int32_t>;
  std::set<partition> added_, wanted_, adding_;
  offsets_step offsets_step_ = offsets_step::none;
  std::vector<offset_to_commit> offsets_;
  consumer_group_metadata group_;
};

}  // namespace kafkio::core
