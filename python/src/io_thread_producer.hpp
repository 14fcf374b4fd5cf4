// kafkio::producer on a native I/O thread, for callers that cannot run an io_context themselves (the Python
// binding). No Python in here: the binding keeps every Python object on its side and hands this class plain bytes
// plus a 32-bit slot number; completions come back as (slot, error, partition, offset, timestamp) reports.
//
// Hand-over in both directions is a vector swapped under a mutex that is held only for a push_back or a swap,
// never across any work (docs/python.md, "How it works", has the measurements):
//  - submit() appends the record's bytes to a pending arena and, if the I/O thread was idle, posts one drain to
//    the io_context. The drain swaps the arena out and calls async_send for each record (which copies the bytes),
//    so compression, CRC and encoding run on the I/O thread, never on the caller's.
//  - completions are appended to a report vector; the transition empty -> non-empty writes 1 to a non-blocking
//    eventfd that the caller's event loop watches (gevent's hub, asyncio's add_reader, or poll() without the GIL).
//    take_reports() reads the eventfd first and swaps second, so a report pushed in between re-arms it.
#pragma once

#include <kafkio/producer.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
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

// Chooses a partition for a keyed record; negative falls back to the producer's own rule. Runs on the I/O thread.
using partition_rule = partitioner_function;

class io_thread_producer {
 public:
  // Throws std::system_error (client_errc::invalid_config) for an invalid configuration, and std::system_error
  // with errno if the eventfd cannot be made.
  // With `collect_logs`, the producer's log lines are kept for take_logs (else dropped).
  io_thread_producer(const producer_config& config, partition_rule partitioner, bool collect_logs);
  // Stops the I/O thread: the producer is destroyed on it (pending records complete with operation_aborted, and
  // those reports stay readable with take_reports), then the thread is joined. Does not flush.
  ~io_thread_producer();
  io_thread_producer(const io_thread_producer&) = delete;
  io_thread_producer& operator=(const io_thread_producer&) = delete;

  // Hands a record to the I/O thread; it will produce exactly one report with this slot.
  void submit(const record_input& record, std::uint32_t slot);
  // Asks the I/O thread to send everything submitted so far without waiting for linger.ms.
  void request_flush();
  // Asks the I/O thread to flush and close the connections; later records fail with producer_closed.
  void request_close();

  // Appends the reports that arrived to `out` (after clearing the eventfd). Never waits.
  void take_reports(std::vector<delivery_report>& out);
  // Moves the log lines that arrived to `out` (collect_logs only; at most max_logs are kept, the rest counted).
  void take_logs(std::vector<std::pair<log_level, std::string>>& out);
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
  struct pending_record {
    std::uint32_t slot;
    std::uint32_t topic_offset, topic_size;
    std::uint32_t key_offset, key_size, value_offset, value_size;  // size UINT32_MAX: null
    std::uint32_t first_header, header_count;
    std::int32_t partition;  // -1: none
    bool has_timestamp;
    std::int64_t timestamp_ms;
  };
  struct pending_header {
    std::uint32_t key_offset, key_size, value_offset, value_size;  // value_size UINT32_MAX: null
  };
  struct batch {
    std::vector<char> bytes;
    std::vector<pending_record> records;
    std::vector<pending_header> headers;
    bool flush = false;
    bool close = false;
    void clear() {
      bytes.clear(), records.clear(), headers.clear();
      flush = close = false;
    }
  };

  void schedule_locked();  // posts drain() unless one is pending; caller holds submit_mutex_
  void drain();            // on the I/O thread
  void send(const batch& b, const pending_record& r, std::vector<header>& scratch);
  void complete(std::uint32_t slot, const boost::system::error_code& ec, const record_metadata& md);
  void log(log_level level, std::string_view text);
  static constexpr std::size_t max_logs = 1000;

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::optional<producer> producer_;  // lives and dies on the I/O thread
  int event_fd_ = -1;

  std::mutex submit_mutex_;
  batch submitted_;      // guarded by submit_mutex_
  bool drain_posted_ = false;  // guarded by submit_mutex_
  batch working_;        // the I/O thread's, swapped with submitted_

  std::mutex report_mutex_;
  std::vector<delivery_report> reports_;  // guarded by report_mutex_
  // Set (under report_mutex_) when reports_ or logs_ turn non-empty, cleared by take_reports: a poll(0) with
  // nothing new costs one atomic load, no lock and no read(2).
  std::atomic<bool> pending_{false};
  std::vector<std::pair<log_level, std::string>> logs_;  // guarded by report_mutex_
  std::size_t logs_dropped_ = 0;                         // guarded by report_mutex_

  std::thread thread_;
};

}  // namespace kafkio::python
