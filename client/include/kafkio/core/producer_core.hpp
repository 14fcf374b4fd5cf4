// kafkio::core::producer_core — the whole producer without I/O: every decision, no socket, no timer, no thread.
//
// The core is told what happened and says what to do (Boost.MySQL's sans-io algorithms, Boost.Redis's fsms):
//
//   inputs                                       outputs (taken by the driver after each input)
//   send / flush / connect / close / cancel      io requests: connect connection c to host:port, write the
//   on_connected(c) / on_disconnected(c)           frames queued on c, close c
//   on_bytes(c, bytes read) / on_written(c)      completions: record r delivered at offset o (or failed: why),
//   on_timer() when wakeup() came                  operation o done
//   run() when wants_run()                       wakeup(): when to call on_timer next
//
// The Asio driver (detail/producer_driver.hpp) is one such driver; the core's tests drive it by hand with a
// virtual clock. Threading: none. A driver calls it from one thread at a time.
//
// Where each decision lives:
//   impl/accumulate.hpp  taking records: validation, buffer.memory, partitioning, batching; flush generations;
//                        completing records; close and abort
//   impl/send.hpp        the sender pass: linger, backoff, in-flight limits, Produce requests and responses,
//                        retries, sequence numbers, delivery timeouts
//   impl/links.hpp       broker connections (connection_setup.hpp: ApiVersions, SASL), metadata refresh,
//                        the idempotent producer id
//   impl/authentication.hpp  the OAUTHBEARER token (bearer_token.hpp) and KIP-368 re-authentication
//   impl/transactions.hpp the transactional operations; transaction_manager.hpp decides, this carries its requests
//   request_pipeline.hpp one connection's requests: outbox, correlation order, deadlines
#pragma once
#define KAFKIO_CORE_INCLUDED  // tests/consumer_project checks that the compiled mode keeps the core out of users' code

#include <kafkio/cluster_metadata.hpp>
#include <kafkio/core/connection_setup.hpp>
#include <kafkio/core/metadata_cache.hpp>
#include <kafkio/core/bearer_token.hpp>
#include <kafkio/core/produce_error.hpp>
#include <kafkio/core/producer_batch.hpp>
#include <kafkio/core/request_pipeline.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>
#include <kafkio/protocol/request.hpp>
#include <kafkio/core/ring_queue.hpp>
#include <kafkio/core/time_source.hpp>
#include <kafkio/core/transaction_manager.hpp>
#include <kafkio/metrics.hpp>
#include <kafkio/partitioner.hpp>
#include <kafkio/producer_config.hpp>
#include <kafkio/record.hpp>

#include <cerrno>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace kafkio::core {

using log_function = std::function<void(log_level, std::string_view)>;

// What pending operations complete with when the producer is destroyed: ECANCELED in the system category, which
// is what boost::asio::error::operation_aborted converts to (compare with std::errc::operation_canceled).
inline std::error_code aborted_error() { return {ECANCELED, std::system_category()}; }

// Something the driver must do with a connection.
struct io_request {
  enum class kind : std::uint8_t {
    connect,  // resolve and connect connection_endpoint(c); report on_connected(c, ec)
    write,    // take the queued frames (pipeline(c)->begin_write), write them, report on_written(c, frames)
    close,    // close the socket; the core has already failed what was pending and forgets c
  } what;
  connection_id connection;
};

// A finished operation. Records carry where Kafka stored them; flush/connect/close only `error`; a metadata fetch
// what the cluster said.
struct completion {
  enum class kind : std::uint8_t { record, operation, cluster };
  completion_id id;
  std::error_code error;
  kind what = kind::record;
  record_metadata metadata;                  // records
  std::unique_ptr<cluster_metadata> cluster;  // fetch_metadata, on success
};

struct endpoint {
  std::string host, port;
};

class producer_core {
 public:
  // `config` must be validated (producer_config::parse / validate). `seed` feeds the partitioner's and the
  // backoff jitter's randomness.
  producer_core(producer_config config, time_source clock = {}, std::uint64_t seed = std::random_device{}());
  producer_core(const producer_core&) = delete;
  producer_core& operator=(const producer_core&) = delete;

  // ---- from the application --------------------------------------------------------------------------------------
  enum class send_result : std::uint8_t {
    accepted,          // in a batch, or waiting for its topic's metadata
    waiting_for_room,  // buffer.memory is full: waits (copied) until there is room; cancel() may end the wait
    completed,         // refused at once: its completion is already queued
  };
  // Takes the record (copying its bytes). With `wait_for_room` a full buffer.memory makes it wait instead of
  // failing with queue_full.
  send_result send(const producer_record& record, completion_id id, bool wait_for_room);
  // Completes once every record sent before it completed.
  void flush(completion_id id);
  // Completes once metadata arrived from some broker, or with broker_connection_failed after max.block.ms.
  void connect(completion_id id);
  // Flushes, then closes every connection; later sends fail with producer_closed.
  void close(completion_id id);
  // Asks the cluster about `topics` (empty: all): a Metadata request of its own on a ready connection (never
  // creating topics), retried on another connection if one fails, until max.block.ms.
  void fetch_metadata(std::vector<std::string> topics, completion_id id);
  // Transactions (transactional.id set; docs/producer.md, "Transactions"). Each completes as an operation; on a
  // producer without transactional.id with client_errc::transaction_state.
  void init_transactions(completion_id id);
  void begin_transaction(completion_id id);
  void commit_transaction(completion_id id);  // once every record sent in the transaction completed, and EndTxn
  void abort_transaction(completion_id id);
  void send_offsets_to_transaction(std::vector<offset_to_commit> offsets, consumer_group_metadata group,
                                   completion_id id);
  // A send waiting for room stops waiting and completes with aborted_error(). Other operations ignore it.
  void cancel(completion_id id);
  // The producer is going away: everything pending completes with aborted_error(); nothing runs afterwards.
  void abort();

  void set_logger(log_function f) { log_ = std::move(f); }
  void set_partitioner(partitioner_function f) { custom_partitioner_ = std::move(f); }

  // ---- from the driver -------------------------------------------------------------------------------------------
  // A failed connection may say why (`why`, for the log: "TLS handshake with host:port failed: ...") and that
  // retrying cannot help (`final`: a certificate the broker or we refuse): the records waiting now then fail with
  // `ec` at once, like wrong SASL credentials; later records try again after the reconnect backoff.
  void on_connected(connection_id c, std::error_code ec, std::string_view why = {}, bool final = false);
  void on_bytes(connection_id c, protocol::bytes_view data);
  // The frames of a write (from pipeline(c)->begin_write) were written (or the write failed: report that with
  // on_disconnected); `frames` come back for reuse.
  void on_written(connection_id c, std::vector<protocol::byte_buffer>& frames);
  void on_disconnected(connection_id c, std::error_code ec, std::string_view why = {}, bool final = false);
  void on_timer();
  void run();  // the pass the core asked for with wants_run()
  // sasl.mechanism=OAUTHBEARER with a token source outside the core (the application's callback, OIDC): the answer
  // to take_oauthbearer_token_request(). A token lives `lifetime` from now; `extensions` join
  // sasl.oauthbearer.extensions (the token's win). Returns "" or why the token cannot be used (then it counts as a
  // failure). A failure fails the records waiting for a connection, as wrong credentials do, unless the current
  // token is still valid; the token is asked for again after the reconnect backoff.
  std::string set_oauthbearer_token(std::string value, milliseconds lifetime, std::string principal = {},
                                    detail::sasl_extensions extensions = {});
  void set_oauthbearer_token_failure(std::string_view why);

  // ---- outputs ---------------------------------------------------------------------------------------------------
  bool wants_run() const noexcept { return run_wanted_; }
  time_point wakeup() const noexcept { return wakeup_at_; }
  bool take_io_request(io_request& out) {
    if (io_requests_.empty()) return false;
    out = io_requests_.front();
    io_requests_.pop_front();
    return true;
  }
  bool has_io_requests() const noexcept { return !io_requests_.empty(); }
  // True once per token the core wants (none valid, or the current one is at 80 % of its lifetime): ask the token
  // source, and answer with set_oauthbearer_token or set_oauthbearer_token_failure.
  bool take_oauthbearer_token_request() noexcept { return std::exchange(oauth_request_out_, false); }
  ring_queue<completion>& completions() noexcept { return completions_; }
  // The connection's requests, for its driver (nullptr once the core gave up on it).
  request_pipeline* pipeline(connection_id c);
  endpoint connection_endpoint(connection_id c) const;

  // ---- state -----------------------------------------------------------------------------------------------------
  producer_metrics metrics() const;
  bool has_metadata() const noexcept { return metadata_.ever_updated(); }
  // Closed (close() finished) or aborted: nothing will run any more.
  bool is_finished() const noexcept { return finished(); }
  const producer_config& config() const noexcept { return cfg_; }
  time_point now() const { return clock_.now(); }

 private:
  using batch = producer_batch;
  using batch_ptr = std::unique_ptr<batch>;
  using pqueue = partition_queue;

  // What the producer is doing as a whole.
  enum class lifecycle : std::uint8_t {
    running,  // taking records
    closing,  // async_close: what was sent still goes out; new sends fail with producer_closed
    closed,   // close finished: connections closed, nothing runs
    aborted,  // the producer was destroyed: everything pending failed with aborted_error()
  };
  bool accepting() const noexcept { return life_ == lifecycle::running; }
  bool finished() const noexcept { return life_ == lifecycle::closed || life_ == lifecycle::aborted; }

  struct owned_record;  // a record copied while it waits (for metadata or for room)
  struct topic_queue {
    std::string name;
    std::deque<pqueue> partitions;  // sized from metadata; a deque so growing never moves a queue
    detail::sticky_partition sticky;
    std::uint32_t round_robin = 0;
    std::deque<owned_record> waiting;  // records accepted before the topic's metadata was known
    time_point waiting_since{};
    time_point last_used{};  // a batch opened or a record waited (metadata.max.idle.ms)
  };
  // One broker (or bootstrap address) and the connection to it.
  struct link {
    std::int32_t node_id = -1;  // < 0: a bootstrap address
    std::string host, port;
    // reauthenticating (KIP-368): established, taking no new requests; once those in flight are answered, SASL runs
    // again on the connection, and it is ready again.
    enum class state : std::uint8_t { down, connecting, setting_up, ready, reauthenticating } st = state::down;
    connection_id conn = 0;                    // current connection attempt (valid unless down)
    std::unique_ptr<request_pipeline> pipe;    // its requests (set while not down)
    std::unique_ptr<connection_setup> setup;   // while setting_up
    bool socket_open = false;                  // the driver reported the connection established
    time_point connect_deadline{};             // socket.connection.setup.timeout.ms for the attempt
    protocol::negotiated_versions versions;
    std::size_t produce_in_flight = 0;
    int failures = 0;
    bool attempt_failed = false;  // the last connection attempt failed before it was ready
    time_point reconnect_at{};
    time_point throttled_until{};
    time_point last_active{};  // the last request sent or response received (connections.max.idle.ms)
    time_point reauthenticate_at = time_point::max();  // KIP-368: before the broker's session lifetime ends
    // KIP-794's availability: the last pass that found batches due for this leader, and the last Produce request
    // sent to it. Apart by more than partitioner.availability.timeout.ms, its partitions are left out when unkeyed
    // records pick a partition.
    time_point ready_at{}, drained_at{};
    broker_metrics stats;
    std::string address() const { return host + ":" + port; }
  };
  struct flush_waiter {
    std::uint64_t generation;
    completion_id id;
    bool closes;  // the flush of a close(): the close finishes when it does
  };
  struct room_waiter;
  struct connect_waiter {
    time_point deadline;
    completion_id id;
  };
  struct metadata_fetch {  // one fetch_metadata() call
    completion_id id;
    std::vector<std::string> topics;
    time_point deadline, retry_at{};
    bool in_flight = false;
    std::error_code last_error = make_error_code(client_errc::broker_connection_failed);
  };

  // accumulate (impl/accumulate.hpp)
  // `known`: the record's topic already has a queue, so its name passed validate_topic_name when the queue was made.
  std::error_code validate(const producer_record& r, const topic_queue* known) const;
  topic_queue* find_topic(std::string_view name);  // nullptr if the topic has no queue yet
  topic_queue& topic_for(std::string_view name);
  std::error_code append(topic_queue& t, const producer_record& r, completion_id done, std::uint64_t generation);
  std::int32_t choose_partition(topic_queue& t, const producer_record& r, std::int32_t partitions);
  std::span<const std::uint32_t> sticky_weights(const topic_queue& t, std::int32_t partitions);
  bool leader_available(std::int32_t node_id) const;
  void place_waiting_records(topic_queue& t);
  void fail_waiting_records(topic_queue& t, std::error_code ec);
  void serve_room_waiters();
  void count_accepted();
  void release_generation(std::uint64_t generation);
  void complete(completion_id id, std::error_code ec);
  void complete_record_error(completion_id done, std::string topic, std::int32_t partition, std::error_code ec,
                             std::uint64_t generation);
  void finish_batch(batch& b, std::error_code ec, std::int64_t base_offset, std::int64_t log_append_time);
  void recycle(batch_ptr b);
  batch_ptr pooled_batch();
  void finish_close();

  // connections and metadata (impl/links.hpp)
  link& link_for(std::int32_t node_id);
  void follow_broker_address(const broker_endpoint& b);
  void learn_node_endpoints(const protocol::produce_response_view& res);
  link* link_of(connection_id c);
  link* any_ready_link();
  void ensure_connected(link& l, time_point now);
  void advance_setup(link& l, const connection_setup::step& s, protocol::byte_buffer& frame, std::int32_t corr);
  void on_setup_response(link& l, std::error_code ec, protocol::bytes_view frame);
  void on_link_ready(link& l);
  void fail_all_pending(std::error_code ec);
  void on_link_down(link& l, std::error_code ec, std::string_view why = {});
  void on_connection_failed(link& l, std::error_code ec, std::string_view why, bool final);
  void close_link(link& l, std::error_code reason);
  void expire_requests(time_point now);
  void close_idle_links(time_point now);
  void request_metadata();
  enum class rebootstrap_cause : std::uint8_t { none, known_brokers_failed, no_metadata_in_time };
  rebootstrap_cause rebootstrap_reason(time_point now) const;
  bool topic_is_idle(const topic_queue& t, time_point now) const;
  void maybe_send_metadata(time_point now);
  void on_metadata(const metadata_result& m, time_point now);
  void expire_connect_waiters(time_point now);
  void complete_connect_waiters(std::error_code ec);
  void maybe_init_producer_id(time_point now);

  // authentication (impl/authentication.hpp)
  bool oauthbearer_token_usable(time_point now) const noexcept {
    return oauth_token_ && now < oauth_token_->expires;
  }
  void want_oauthbearer_token(time_point now);
  void maintain_authentication(time_point now);
  void start_reauthentication(link& l);
  void serve_metadata_fetches(time_point now);
  void send_metadata_fetch(link& l, metadata_fetch& f);
  void complete_metadata_fetches(std::error_code ec);
  template <class Callback>
  bool send_request(link& l, protocol::byte_buffer frame, std::int32_t correlation_id, bool expect_response,
                    Callback cb);
  std::int32_t next_correlation_id() noexcept { return ++correlation_; }

  // transactions (impl/transactions.hpp)
  bool transactional_call(completion_id id);
  void after_transaction_input();
  void take_transaction_done();
  void adopt_producer_id(std::int64_t id, std::int16_t epoch);
  void take_producer_id(std::int64_t id, std::int16_t epoch);
  void fail_unsent(std::error_code ec);
  void serve_transaction(time_point now);
  bool hurry() const noexcept {  // someone waits for the open batches: no lingering
    return flushing_ || life_ == lifecycle::closing || (txn_ && txn_->completing());
  }

  // sending (impl/send.hpp)
  void wake() noexcept {
    if (!finished()) run_wanted_ = true;
  }
  void expire_batches(time_point now);
  void drain_to(link& l, std::vector<std::pair<topic_queue*, std::int32_t>>& partitions, time_point now);
  bool sendable(pqueue& q, batch& b, time_point now, bool riding = false) const;
  std::error_code assign_sequence(pqueue& q, batch& b);
  std::size_t compress_step_bytes() const noexcept;
  bool compressing(const batch& b) const noexcept;
  void compress_large_batches(time_point now);
  void on_produce_response(link& l, std::vector<batch_ptr>& batches, std::error_code ec, protocol::bytes_view frame,
                           std::int16_t version);
  void handle_partition_result(batch_ptr b, std::int16_t error, std::int64_t base_offset, std::int64_t log_append_time,
                               std::optional<std::string_view> message, time_point now);
  void retry_batch(batch_ptr b, std::error_code why, time_point now);
  bool split_batch(batch_ptr& b, std::string_view why, time_point now);
  static std::size_t sequence_position(const pqueue& q, const batch& b);
  void fail_batch(batch_ptr b, std::error_code ec);
  void schedule(time_point when) noexcept {
    if (when < wakeup_at_ && !finished()) wakeup_at_ = when;
  }
  milliseconds backoff(int attempts, milliseconds base, milliseconds max);
  void log(log_level lvl, const std::string& msg) const {
    if (log_) log_(lvl, msg);
  }
  bool idempotent() const noexcept { return idempotent_; }
  std::size_t buffer_memory() const noexcept { return static_cast<std::size_t>(cfg_.buffer_memory); }
  std::size_t batch_size() const noexcept { return static_cast<std::size_t>(cfg_.batch_size); }
  pqueue& queue_of(const batch& b) { return topics_.at(*b.topic)->partitions[static_cast<std::size_t>(b.partition)]; }

  producer_config cfg_;
  time_source clock_;
  bool idempotent_;
  milliseconds delivery_timeout_;
  milliseconds max_block_;  // how long a record may wait for its topic's metadata
  log_function log_;
  partitioner_function custom_partitioner_;
  std::minstd_rand rng_;
  lifecycle life_ = lifecycle::running;

  // outputs
  ring_queue<io_request> io_requests_;
  ring_queue<completion> completions_;
  bool run_wanted_ = false;
  time_point wakeup_at_ = time_point::max();

  // Heterogeneous lookup: a send looks its topic up by string_view without building a std::string.
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<topic_queue>, string_hash, std::equal_to<>> topics_;
  topic_queue* last_topic_ = nullptr;  // the last one looked up: most producers send to one topic (no hashing then)
  std::vector<batch_ptr> batch_pool_;                          // finished batches, buffers kept for reuse
  // Bounded work per pass: record bytes a pass may still compress, and the stream that compresses a batch larger
  // than one step over several passes (impl/send.hpp, compress_large_batches).
  std::size_t compress_budget_ = 0;
  protocol::compression_stream compressor_;
  std::vector<protocol::record_header_view> header_scratch_;  // reused per append
  // Reused by every sender pass and Produce request, so that steady state allocates nothing per request.
  struct ready_partition {
    std::int32_t leader;
    std::size_t order;  // position found, kept within a leader
    topic_queue* topic;
    std::int32_t partition;
    bool lingering;  // its front batch may still wait; it rides along with a request that goes anyway
  };
  std::vector<ready_partition> ready_scratch_;                        // run(): partitions with something to send
  std::vector<std::uint32_t> sticky_weights_scratch_;                 // sticky_weights(): running sums
  std::vector<std::pair<topic_queue*, std::int32_t>> parts_scratch_;  // run(): those of one leader
  struct produce_partition_data {
    const std::string* topic;
    std::int32_t partition;
    protocol::bytes_view batch;  // one sealed RecordBatch
  };
  std::vector<produce_partition_data> produce_data_scratch_;  // drain_to(): one request's batches
  protocol::produce_request_view produce_request_scratch_;    // drain_to(): the request they make
  static constexpr std::size_t max_request_batches_pooled = 64;
  std::vector<std::vector<batch_ptr>> request_batches_pool_;  // batch lists of finished requests
  protocol::produce_response_view produce_response_scratch_;  // on_produce_response()
  metadata_cache metadata_;
  std::map<std::int32_t, link> links_;
  std::unordered_map<connection_id, std::int32_t> connections_;  // live connection -> its link's node id
  // Pipelines of connections given up on, kept until the next input: close_link can run inside their callbacks.
  std::vector<std::unique_ptr<request_pipeline>> retired_pipes_;
  connection_id last_connection_ = 0;
  std::error_code last_link_failure_;  // how the last established connection failed, until one is ready again
  std::string last_link_failure_text_;  // its broker address and cause, for the log
  std::int32_t correlation_ = 0;
  bool metadata_wanted_ = true, metadata_in_flight_ = false;
  time_point metadata_retry_at_{};
  time_point metadata_wanted_since_{};  // metadata wanted (or stale) and no usable answer since; {}: none wanted
  int metadata_failures_ = 0;

  // idempotence
  std::int64_t producer_id_ = -1;
  std::int16_t producer_epoch_ = -1;
  bool producer_id_in_flight_ = false, producer_id_reset_wanted_ = false;
  time_point producer_id_retry_at_{};
  int producer_id_failures_ = 0;

  std::unique_ptr<transaction_manager> txn_;  // with transactional.id
  scram_key_cache scram_keys_;  // SCRAM's derived keys, for every connection of this producer (scram_key_cache.hpp)
  // OAUTHBEARER (impl/authentication.hpp): the token every connection uses, when to ask for the next one.
  std::optional<bearer_token> oauth_token_;
  time_point oauth_refresh_at_{}, oauth_retry_at_{};
  bool oauth_requested_ = false;    // asked for, not answered yet
  bool oauth_request_out_ = false;  // asked for, not taken by the driver yet
  int oauth_failures_ = 0;

  // memory and completion accounting
  std::size_t buffered_bytes_ = 0;
  std::deque<room_waiter> room_waiters_;
  std::size_t room_waiter_bytes_ = 0;
  std::uint64_t generation_ = 0;                                         // bumped by each flush
  std::deque<std::pair<std::uint64_t, std::size_t>> generation_counts_;  // outstanding records per generation
  std::deque<flush_waiter> flush_waiters_;
  std::vector<connect_waiter> connect_waiters_;  // connect() calls waiting for the first metadata
  std::deque<metadata_fetch> metadata_fetches_;  // fetch_metadata() calls not answered yet
  bool flushing_ = false;                        // a flush is waiting: send open batches without lingering
  producer_metrics counters_;
};

}  // namespace kafkio::core

#include <kafkio/core/impl/accumulate.hpp>
#include <kafkio/core/impl/authentication.hpp>
#include <kafkio/core/impl/links.hpp>
#include <kafkio/core/impl/send.hpp>
#include <kafkio/core/impl/transactions.hpp>
