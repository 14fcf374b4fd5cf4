// kafkio::producer on a native I/O thread, for callers that cannot run an io_context themselves (the Python
// binding). No Python in here: the binding keeps every Python object on its side and hands this class plain bytes
// plus a 32-bit slot number; completions come back as (slot, error, partition, offset, timestamp) reports.
//
// Hand-over in both directions is lock-free (spsc_bytes.hpp): the caller's side is serialised by the GIL, the
// other side is the I/O thread, so each direction has one producer and one consumer at a time. No call here waits
// for the I/O thread, whatever it is doing (docs/python.md, "How it works", has the measurements):
//  - submit() appends the record to the submission queue and, if the I/O thread is idle, wakes it through its own
//    eventfd (a write(2), no lock). The I/O thread drains the queue and calls async_send for each record (which
//    copies the bytes), so compression, CRC and encoding run on the I/O thread, never on the caller's.
//  - completions (and log lines) go into the report queue; the first one after the caller last looked writes 1 to
//    a non-blocking eventfd that the caller's event loop watches (gevent's hub, asyncio's add_reader, or poll()
//    without the GIL). take() clears the flag before reading, so a report published meanwhile re-arms it.
#pragma once

#include "spsc_bytes.hpp"

#include <kafkio/producer.hpp>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace kafkio::python {

// One record as the caller hands it over: views, copied during submit().
struct record_input {
  std::string_view topic;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::vector<header> headers;
  std::optional<std::int32_t> partition;
  std::optional<std::int64_t> timestamp_ms;
};

// What the I/O thread reports for one record.
struct delivery_report {
  std::uint32_t slot = 0;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;
  std::error_code error;
  std::int64_t completed_ns = 0;  // steady clock, for Message.latency()
};

// A transactional operation (producer.hpp's async_*_transaction(s)), run in order with the records submitted
// around it: records submitted before it reach the producer before it starts.
enum class transaction_op : std::int32_t { init, begin, commit, abort, send_offsets };
struct offsets_request {  // send_offsets' arguments
  std::vector<offset_to_commit> offsets;
  consumer_group_metadata group;
};

// With stats_cb: the limits the binding enforces, for the statistics JSON's msg_max and msg_size_max.
struct statistics_limits {
  std::int64_t max_messages = -1;
  std::int64_t max_bytes = -1;
};

// What take() hands over besides delivery reports.
struct taken_reports {
  std::vector<std::pair<log_level, std::string>> logs;  // collect_logs only
  std::vector<delivery_report> operations;              // transactional operations (slot: the operation's id)
  std::vector<std::string> statistics;                  // statistics JSON texts
  std::vector<std::string> token_requests;              // OAUTHBEARER token wanted: sasl.oauthbearer.config each
};

// Chooses a partition for a keyed record; negative falls back to the producer's own rule. Runs on the I/O thread.
using partition_rule = partitioner_function;

class io_thread_producer {
 public:
  // Throws std::system_error (client_errc::invalid_config) for an invalid configuration, and std::system_error
  // with errno if the eventfd cannot be made.
  // With `collect_logs`, the producer's log lines are kept for take() (else dropped). With `statistics`, every
  // statistics.interval.ms the producer's metrics are rendered as librdkafka's statistics JSON on the I/O thread
  // and kept for take(). With `token_requests`, the producer's OAUTHBEARER token requests are kept for take()
  // (the binding's oauth_cb answers them with set_oauthbearer_token or set_oauthbearer_token_failure).
  io_thread_producer(const producer_config& config, partition_rule partitioner, bool collect_logs,
                     std::optional<statistics_limits> statistics = std::nullopt, bool token_requests = false);
  // Stops the I/O thread: the producer is destroyed on it (pending records complete with operation_aborted, and
  // those reports stay readable with take()), then the thread is joined. Does not flush.
  ~io_thread_producer();
  io_thread_producer(const io_thread_producer&) = delete;
  io_thread_producer& operator=(const io_thread_producer&) = delete;

  // Hands a record to the I/O thread; it will produce exactly one report with this slot. Never waits.
  void submit(const record_input& record, std::uint32_t slot);
  // Starts a transactional operation after the records submitted so far; it will produce exactly one operation
  // report with this id (take()'s `operations`). Never waits.
  void submit_transaction(transaction_op op, std::uint32_t id, offsets_request offsets = {});
  // Hands the I/O thread an OAUTHBEARER token, or why none could be had (producer.hpp's set_oauthbearer_token,
  // set_oauthbearer_token_failure). A token the producer cannot use counts as a failure: logged with the reason,
  // the records waiting for a connection failed. These post to the I/O thread's io_context (its queue takes a mutex for a few
  // instructions); they run once per token lifetime, not per record.
  void set_oauthbearer_token(oauthbearer_token token);
  void set_oauthbearer_token_failure(std::string why);
  // Asks the I/O thread to send everything submitted so far without waiting for linger.ms.
  void request_flush();
  // Asks the I/O thread to flush and close the connections; later records fail with producer_closed.
  void request_close();

  // Appends the reports that arrived to `reports`, and the rest to `other`: log lines (collect_logs only; at most
  // max_logs wait between two calls, the rest are counted), transactional operations' reports, statistics JSON
  // texts (at most max_statistics wait between two calls; later ones are dropped until then) and token requests.
  // Never waits; one atomic load if nothing arrived.
  void take(std::vector<delivery_report>& reports, taken_reports& other);
  // Reads the eventfd (a watcher callback does, so that a level-triggered loop does not fire again at once).
  void clear_wakeup() noexcept;
  // The eventfd: readable while reports may be waiting.
  int wakeup_fd() const noexcept { return event_fd_; }
  // Makes the eventfd readable, to wake other waiters (the binding does it after serving reports for them).
  void poke() noexcept;
  // Blocks the calling thread until the eventfd is readable (1), `timeout` passed (0; negative: no limit) or a
  // signal arrived (-1). The caller releases the GIL around it.
  int wait_readable(std::chrono::milliseconds timeout) const noexcept;

 private:
  // A submission queue entry: this, then (key size, value size) per header, then the bytes of topic, key, value
  // and each header's key and value. A size of null_size means null.
  // A transactional operation is an entry with is_operation set: slot is its id, partition the operation, and
  // send_offsets' arguments an offsets_request it owns (a pointer in `payload`).
  struct submitted_record {
    bool is_operation;
    offsets_request* payload;
    std::uint32_t slot;
    std::int32_t partition;  // -1: none
    std::int64_t timestamp_ms;
    std::uint32_t topic_size, key_size, value_size, header_count;
    bool has_timestamp;
  };
  // A report queue entry: a delivery report, or a log line, statistics JSON or token request (its text follows).
  struct report_entry {
    bool is_log;
    bool is_operation;
    bool is_statistics;
    bool is_token_request;
    log_level level;
    std::uint32_t text_size;
    delivery_report report;
  };

  void start_wake_read();  // on the I/O thread: wait for the submission eventfd
  void drain();            // on the I/O thread
  void send(const submitted_record& r, const char* bytes, std::vector<header>& scratch);
  void complete(std::uint32_t slot, const boost::system::error_code& ec, const record_metadata& md);
  void run_operation(const submitted_record& r);
  void complete_operation(std::uint32_t id, const boost::system::error_code& ec);
  void log(log_level level, std::string_view text);
  void publish_statistics(const producer_metrics& m);
  void publish_text(report_entry e, std::string_view text);
  void publish_report();   // on the I/O thread, after each report queue entry
  void wake_io() noexcept;  // on the caller's thread
  static constexpr std::size_t max_logs = 1000;
  static constexpr std::size_t max_statistics = 16;

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::optional<producer> producer_;  // lives and dies on the I/O thread
  int event_fd_ = -1;                 // reports for the caller

  // caller -> I/O thread
  spsc_bytes submitted_;
  int io_event_fd_ = -1;  // wakes the I/O thread
  std::optional<boost::asio::posix::stream_descriptor> io_wake_;
  std::uint64_t io_wake_buffer_ = 0;
  std::atomic<bool> io_idle_{true};  // the I/O thread sleeps until io_event_fd_ is written
  std::atomic<bool> flush_requested_{false}, close_requested_{false};

  // I/O thread -> caller
  spsc_bytes reports_;
  std::atomic<bool> pending_{false};  // something was published since the caller last took
  std::atomic<std::size_t> logs_waiting_{0};
  std::size_t logs_dropped_ = 0;  // the I/O thread's
  std::atomic<std::size_t> statistics_waiting_{0};
  statistics_limits statistics_limits_;
  std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();

  std::thread thread_;
};

}  // namespace kafkio::python
