// The producer's engine: everything behind kafkio::producer, on one executor.
//
// Structure (franz-go's shape, Asio underneath):
//  - topics_ / partition_queue: a buffer per partition; records are encoded straight into the open batch.
//  - links_: one connection per broker (plus bootstrap connections until metadata names the brokers), each with
//    its negotiated API versions; Produce requests are pipelined up to max.in.flight per connection.
//  - metadata_: leaders per partition; refreshed on demand, periodically, and after errors.
//  - one timer (wakeup_) for everything time-driven: linger expiry, retry backoff, delivery timeouts, reconnects.
// All state is touched only on the executor. Public entry points are called there (kafkio::producer posts).
// Every accepted record ends in exactly one completion.
#pragma once

#include <kafkio/cluster_metadata.hpp>
#include <kafkio/detail/completion_queue.hpp>
#include <kafkio/detail/connection.hpp>
#include <kafkio/detail/handler_pool.hpp>
#include <kafkio/detail/metadata_cache.hpp>
#include <kafkio/detail/produce_error.hpp>
#include <kafkio/detail/producer_batch.hpp>
#include <kafkio/detail/requests.hpp>
#include <kafkio/detail/sasl.hpp>
#include <kafkio/metrics.hpp>
#include <kafkio/producer_config.hpp>
#include <kafkio/record.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <random>
#include <unordered_map>

namespace kafkio::detail {

using log_function = std::function<void(log_level, std::string_view)>;

// What pending operations complete with when the producer is destroyed: boost::asio::error::operation_aborted
// (ECANCELED), as std::error_code; compare with std::errc::operation_canceled.
inline std::error_code aborted_error() { return boost::system::error_code(boost::asio::error::operation_aborted); }

class producer_engine : public std::enable_shared_from_this<producer_engine> {
 public:
  producer_engine(asio::any_io_executor ex, producer_config cfg);

  asio::any_io_executor get_executor() const { return ex_; }
  const producer_config& config() const noexcept { return cfg_; }
  void set_logger(log_function f) { log_ = std::move(f); }
  void set_partitioner(partitioner_function f) { custom_partitioner_ = std::move(f); }

  // Takes the record (copying its bytes) or completes `done` with the reason it cannot. With
  // `wait_for_room`, a full buffer.memory makes the record wait (copied) instead of failing with queue_full.
  void send(const producer_record& record, send_completion done, bool wait_for_room);
  void flush(void_completion done);
  void close(void_completion done);
  // Completes `done` once cluster metadata arrived (at once if it already has), or with
  // client_errc::broker_connection_failed after max.block.ms (impl/engine_links.hpp).
  void connect(void_completion done);
  // One Metadata request for `topics` (empty: every topic) on a ready connection, decoded into plain values;
  // retried on another connection if one fails, until max.block.ms (impl/engine_links.hpp).
  using metadata_completion = asio::any_completion_handler<void(boost::system::error_code, cluster_metadata)>;
  void fetch_metadata(std::vector<std::string> topics, metadata_completion done);
  // Destruction path: fail everything pending with operation_aborted, close connections. Never blocks.
  void abort();

  producer_metrics metrics() const;
  bool has_metadata() const noexcept { return metadata_.ever_updated(); }
  // Storage for send handlers without an allocator of their own (see handler_pool.hpp).
  handler_pool* handler_storage() const noexcept { return handler_pool_.get(); }

 private:
  using batch = producer_batch<send_completion>;
  using batch_ptr = std::unique_ptr<batch>;
  using pqueue = partition_queue<send_completion>;

  struct owned_record;  // a record copied while it waits (for metadata or for room)
  struct topic_queue {
    std::string name;
    std::deque<pqueue> partitions;      // sized from metadata; a deque so growing never moves a queue
    sticky_partition sticky;
    std::uint32_t round_robin = 0;
    std::deque<owned_record> waiting;   // records accepted before the topic's metadata was known
    clock::time_point waiting_since{};
  };
  struct link {  // one broker connection and what we negotiated on it
    std::int32_t node_id = -1;          // < 0: a bootstrap address
    std::string host, port;
    std::shared_ptr<connection> conn;
    enum class state { down, connecting, handshaking, authenticating, ready } st = state::down;
    protocol::negotiated_versions versions;
    std::size_t produce_in_flight = 0;
    int failures = 0;
    clock::time_point reconnect_at{};
    clock::time_point throttled_until{};
    broker_metrics stats;
  };
  struct flush_waiter {
    std::uint64_t generation;
    void_completion done;
  };
  struct room_waiter;

  // accumulate (impl/engine_accumulate.hpp)
  std::error_code validate(const producer_record& r) const;
  topic_queue& topic_for(std::string_view name);
  std::error_code append(topic_queue& t, const producer_record& r, send_completion& done, std::uint64_t generation);
  std::error_code append_owned(topic_queue& t, owned_record& r);
  std::int32_t choose_partition(topic_queue& t, const producer_record& r, std::int32_t partitions);
  std::size_t charge_for(const producer_record& r) const noexcept;
  void place_waiting_records(topic_queue& t);
  void fail_waiting_records(topic_queue& t, std::error_code ec);
  void serve_room_waiters();
  void cancel_room_waiter(room_waiter* w);
  void complete_record(typename batch::record_slot& slot, const std::string& topic, std::int32_t partition,
                       std::error_code ec, std::int64_t offset);
  void finish_batch(batch& b, std::error_code ec, std::int64_t base_offset, std::int64_t log_append_time);
  void release_generation(std::uint64_t generation);
  void complete_record_error(send_completion done, std::string topic, std::int32_t partition, std::error_code ec,
                             std::uint64_t generation);
  void recycle(batch_ptr b);

  // connections and metadata (impl/engine_links.hpp)
  link& link_for(std::int32_t node_id);
  link* any_ready_link();
  void ensure_connected(link& l, clock::time_point now);
  void on_connected(link& l, std::error_code ec);
  void send_api_versions(link& l, std::int16_t version);
  void on_link_ready(link& l);
  void start_sasl(link& l);
  void send_sasl_token(link& l, std::shared_ptr<sasl_client> sasl, const std::string& token);
  void on_authentication_failed(link& l, const std::string& why);
  void fail_all_pending(std::error_code ec);
  void on_link_down(link& l, std::error_code ec);
  void request_metadata(bool urgent);
  void maybe_send_metadata(clock::time_point now);
  void on_metadata(const metadata_result& m, clock::time_point now);
  void expire_connect_waiters(clock::time_point now);
  void complete_connect_waiters(std::error_code ec);
  void maybe_init_producer_id(clock::time_point now);
  struct metadata_fetch;  // one fetch_metadata call (impl/engine_links.hpp)
  void attempt_metadata_fetch(std::shared_ptr<metadata_fetch> f);
  template <class Callback>
  bool send_request(link& l, protocol::byte_buffer frame, std::int32_t correlation_id, bool expect_response,
                    Callback cb);
  std::int32_t next_correlation_id() noexcept { return ++correlation_; }

  // sending (impl/engine_send.hpp)
  void wake();                          // run the sender soon (coalesced: once per executor turn)
  void run();                           // one pass: expire, connect, send, re-arm the timer
  void expire_batches(clock::time_point now);
  void drain_to(link& l, std::vector<std::pair<topic_queue*, std::int32_t>>& partitions, clock::time_point now);
  bool sendable(pqueue& q, batch& b, clock::time_point now) const;
  std::error_code assign_sequence(pqueue& q, batch& b);
  void on_produce_response(link& l, std::vector<batch_ptr>& batches, std::error_code ec, protocol::bytes_view frame,
                           std::int16_t version);
  void handle_partition_result(batch_ptr b, std::int16_t error, std::int64_t base_offset, std::int64_t log_append_time,
                               std::optional<std::string_view> message, clock::time_point now);
  void retry_batch(batch_ptr b, std::error_code why, clock::time_point now);
  void fail_batch(batch_ptr b, std::error_code ec);
  void schedule(clock::time_point when);
  std::chrono::milliseconds backoff(int attempts, std::chrono::milliseconds base, std::chrono::milliseconds max);
  void log(log_level lvl, const std::string& msg) const {
    if (log_) log_(lvl, msg);
  }
  bool idempotent() const noexcept { return idempotent_; }
  std::size_t buffer_memory() const noexcept { return static_cast<std::size_t>(cfg_.buffer_memory); }
  std::size_t batch_size() const noexcept { return static_cast<std::size_t>(cfg_.batch_size); }

  handler_pool_ref handler_pool_;  // outlives us while handlers stored in it are alive (refcounted by its blocks)
  asio::any_io_executor ex_;
  std::shared_ptr<completion_queue> completions_;  // every handler we complete goes through it, in order
  producer_config cfg_;
  bool idempotent_;
  std::chrono::milliseconds delivery_timeout_;
  std::chrono::milliseconds max_block_;  // how long a record may wait for its topic's metadata
  log_function log_;
  partitioner_function custom_partitioner_;
  std::minstd_rand rng_;

  // Heterogeneous lookup: a send looks its topic up by string_view without building a std::string.
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<topic_queue>, string_hash, std::equal_to<>> topics_;
  std::vector<batch_ptr> batch_pool_;                          // finished batches, buffers kept for reuse
  std::vector<protocol::record_header_view> header_scratch_;  // reused per append
  // Reused by every sender pass and Produce request, so that steady state allocates nothing per request.
  struct ready_partition {
    std::int32_t leader;
    std::size_t order;  // position found, kept within a leader
    topic_queue* topic;
    std::int32_t partition;
  };
  std::vector<ready_partition> ready_scratch_;                      // run(): partitions with something to send
  std::vector<std::pair<topic_queue*, std::int32_t>> parts_scratch_;  // run(): those of one leader
  std::vector<produce_partition_data> produce_data_scratch_;         // drain_to(): one request's batches
  static constexpr std::size_t max_request_batches_pooled = 64;
  std::vector<std::vector<batch_ptr>> request_batches_pool_;        // batch lists of finished requests
  produce_result produce_result_scratch_;                           // on_produce_response()
  metadata_cache metadata_;
  std::map<std::int32_t, link> links_;
  std::int32_t correlation_ = 0;
  bool metadata_wanted_ = true, metadata_in_flight_ = false;
  clock::time_point metadata_retry_at_{};
  int metadata_failures_ = 0;

  // idempotence
  std::int64_t producer_id_ = -1;
  std::int16_t producer_epoch_ = -1;
  bool producer_id_in_flight_ = false, producer_id_reset_wanted_ = false;
  clock::time_point producer_id_retry_at_{};
  int producer_id_failures_ = 0;

  // memory and completion accounting
  std::size_t buffered_bytes_ = 0;
  std::deque<std::unique_ptr<room_waiter>> room_waiters_;
  std::size_t room_waiter_bytes_ = 0;
  std::uint64_t generation_ = 0;                 // bumped by each flush
  std::deque<std::pair<std::uint64_t, std::size_t>> generation_counts_;  // outstanding records per generation
  std::deque<flush_waiter> flush_waiters_;
  struct connect_waiter {
    clock::time_point deadline;
    void_completion done;
  };
  std::vector<connect_waiter> connect_waiters_;  // async_connect calls waiting for the first metadata
  bool flushing_ = false;                        // a flush is waiting: send open batches without lingering
  bool closing_ = false, closed_ = false;
  void_completion close_done_;

  asio::steady_timer wakeup_;
  clock::time_point wakeup_at_ = clock::time_point::max();
  bool run_posted_ = false;
  producer_metrics counters_;
};

}  // namespace kafkio::detail

#include <kafkio/detail/impl/engine_accumulate.hpp>
#include <kafkio/detail/impl/engine_links.hpp>
#include <kafkio/detail/impl/engine_send.hpp>
