#include "io_thread_producer.hpp"

#include <kafkio/statistics_json.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>

#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace kafkio::python {

namespace {
constexpr std::uint32_t null_size = std::numeric_limits<std::uint32_t>::max();

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::uint32_t size_of(const std::optional<std::string_view>& s) {
  return s ? static_cast<std::uint32_t>(s->size()) : null_size;
}
std::size_t bytes_of(std::uint32_t size) { return size == null_size ? 0 : size; }

char* put(char* out, const std::optional<std::string_view>& s) {
  if (s && !s->empty()) std::memcpy(out, s->data(), s->size());
  return out + (s ? s->size() : 0);
}

// Reads a field of `size` bytes at `p` and advances it.
std::optional<std::string_view> take_field(const char*& p, std::uint32_t size) {
  if (size == null_size) return std::nullopt;
  std::string_view v(p, size);
  p += size;
  return v;
}

int make_eventfd() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  return fd;
}

void write_one(int fd) noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}
}  // namespace

io_thread_producer::io_thread_producer(const producer_config& config, partition_rule partitioner, bool collect_logs,
                                       std::optional<statistics_limits> statistics, bool token_requests)
    : work_(io_.get_executor()) {
  producer_.emplace(io_.get_executor(), config);  // validates; throws std::system_error(invalid_config)
  if (partitioner) producer_->set_partitioner(std::move(partitioner));
  if (collect_logs) producer_->set_logger([this](log_level level, std::string_view text) { log(level, text); });
  if (statistics) {
    statistics_limits_ = *statistics;
    producer_->set_statistics_callback([this](const producer_metrics& m) { publish_statistics(m); });
  }
  if (token_requests) {
    // At most one request is outstanding at a time (the core asks again only after an answer), so this is bounded.
    producer_->set_oauthbearer_token_refresh_callback([this](std::string_view config) {
      report_entry e{};
      e.is_token_request = true;
      publish_text(e, config);
    });
  }
  event_fd_ = make_eventfd();
  io_event_fd_ = make_eventfd();
  io_wake_.emplace(io_, io_event_fd_);  // owns io_event_fd_ from here on
  start_wake_read();
  thread_ = std::thread([this] { io_.run(); });
}

io_thread_producer::~io_thread_producer() {
  boost::asio::post(io_, [this] {
    drain();            // records still queued get their report too
    producer_.reset();  // aborts what is pending: those completions run on this thread before run() returns
    io_wake_.reset();   // cancels the eventfd read
    work_.reset();
  });
  thread_.join();
  ::close(event_fd_);
}

void io_thread_producer::start_wake_read() {
  io_wake_->async_read_some(boost::asio::buffer(&io_wake_buffer_, sizeof io_wake_buffer_),
                            [this](boost::system::error_code ec, std::size_t) {
                              if (ec) return;  // cancelled: shutting down
                              drain();
                              start_wake_read();
                            });
}

void io_thread_producer::wake_io() noexcept {
  // Dekker with drain(): our entry is published before we look at io_idle_; drain marks itself idle before it
  // looks at the queue. One of the two sees the other.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (io_idle_.load(std::memory_order_relaxed) && io_idle_.exchange(false, std::memory_order_acq_rel))
    write_one(io_event_fd_);
}

void io_thread_producer::submit(const record_input& r, std::uint32_t slot) {
  submitted_record head{};
  head.slot = slot;
  head.partition = r.partition.value_or(-1);
  head.has_timestamp = r.timestamp_ms.has_value();
  head.timestamp_ms = r.timestamp_ms.value_or(0);
  head.topic_size = static_cast<std::uint32_t>(r.topic.size());
  head.key_size = size_of(r.key);
  head.value_size = size_of(r.value);
  head.header_count = static_cast<std::uint32_t>(r.headers.size());
  std::size_t size = sizeof head + r.headers.size() * 2 * sizeof(std::uint32_t) + r.topic.size() +
                     bytes_of(head.key_size) + bytes_of(head.value_size);
  for (const auto& h : r.headers) size += h.key.size() + (h.value ? h.value->size() : 0);

  char* out = static_cast<char*>(submitted_.reserve(size));
  std::memcpy(out, &head, sizeof head);
  out += sizeof head;
  for (const auto& h : r.headers) {
    std::uint32_t sizes[2] = {static_cast<std::uint32_t>(h.key.size()), size_of(h.value)};
    std::memcpy(out, sizes, sizeof sizes);
    out += sizeof sizes;
  }
  out = put(out, r.topic);
  out = put(out, r.key);
  out = put(out, r.value);
  for (const auto& h : r.headers) out = put(put(out, h.key), h.value);
  submitted_.commit(size);
  wake_io();
}

void io_thread_producer::submit_transaction(transaction_op op, std::uint32_t id, offsets_request offsets) {
  submitted_record head{};
  head.is_operation = true;
  head.slot = id;
  head.partition = static_cast<std::int32_t>(op);
  if (op == transaction_op::send_offsets) head.payload = new offsets_request(std::move(offsets));
  std::memcpy(submitted_.reserve(sizeof head), &head, sizeof head);
  submitted_.commit(sizeof head);
  wake_io();
}

void io_thread_producer::set_oauthbearer_token(oauthbearer_token token) {
  boost::asio::post(io_, [this, token = std::move(token)]() mutable {
    if (!producer_) return;
    // A token it cannot use counts as a failure there: logged with the reason, the waiting records failed.
    producer_->set_oauthbearer_token(std::move(token));
  });
}

void io_thread_producer::set_oauthbearer_token_failure(std::string why) {
  boost::asio::post(io_, [this, why = std::move(why)] {
    if (producer_) producer_->set_oauthbearer_token_failure(why);
  });
}

void io_thread_producer::request_flush() {
  flush_requested_.store(true, std::memory_order_release);
  wake_io();
}

void io_thread_producer::request_close() {
  close_requested_.store(true, std::memory_order_release);
  wake_io();
}

void io_thread_producer::drain() {
  std::vector<header> scratch;
  for (;;) {
    // Requests first, records second: a flush then covers every record submitted before it was asked for.
    const bool flush = flush_requested_.exchange(false, std::memory_order_acq_rel);
    const bool close = close_requested_.exchange(false, std::memory_order_acq_rel);
    submitted_.consume([&](const void* entry, std::size_t) {
      submitted_record r;
      std::memcpy(&r, entry, sizeof r);
      if (r.is_operation) run_operation(r);
      else send(r, static_cast<const char*>(entry) + sizeof r, scratch);
    });
    if (producer_) {
      if (flush) producer_->async_flush([](boost::system::error_code) {});
      if (close) producer_->async_close([](boost::system::error_code) {});
    }
    io_idle_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (submitted_.empty() && !flush_requested_.load(std::memory_order_relaxed) &&
        !close_requested_.load(std::memory_order_relaxed))
      return;
    // More arrived. If a submitter already took the idle flag it wrote the eventfd: that read drains it.
    if (!io_idle_.exchange(false, std::memory_order_acq_rel)) return;
  }
}

void io_thread_producer::send(const submitted_record& r, const char* p, std::vector<header>& scratch) {
  const char* sizes = p;
  p += r.header_count * 2 * sizeof(std::uint32_t);
  auto topic = *take_field(p, r.topic_size);
  auto key = take_field(p, r.key_size);
  auto value = take_field(p, r.value_size);
  scratch.clear();
  for (std::uint32_t i = 0; i < r.header_count; ++i) {
    std::uint32_t s[2];
    std::memcpy(s, sizes + i * sizeof s, sizeof s);
    auto k = *take_field(p, s[0]);
    scratch.push_back({k, take_field(p, s[1])});
  }
  if (!producer_) {  // destroyed: nothing can be sent
    complete(r.slot, boost::asio::error::operation_aborted, record_metadata{});
    return;
  }
  producer_record record{
      .topic = topic,
      .partition = r.partition >= 0 ? std::optional<std::int32_t>(r.partition) : std::nullopt,
      .key = key,
      .value = value,
      .headers = scratch,
      .timestamp_ms = r.has_timestamp ? std::optional<std::int64_t>(r.timestamp_ms) : std::nullopt,
  };
  // async_send waits (asynchronously) if buffer.memory is full; the binding's own limit keeps that from happening.
  producer_->async_send(record, [this, slot = r.slot](boost::system::error_code ec, const record_metadata& md) {
    complete(slot, ec, md);
  });
}

void io_thread_producer::run_operation(const submitted_record& r) {
  std::unique_ptr<offsets_request> payload(r.payload);
  if (!producer_) {  // destroyed: nothing can run
    complete_operation(r.slot, boost::asio::error::operation_aborted);
    return;
  }
  auto done = [this, id = r.slot](boost::system::error_code ec) { complete_operation(id, ec); };
  switch (static_cast<transaction_op>(r.partition)) {
    case transaction_op::init: producer_->async_init_transactions(done); break;
    case transaction_op::begin: producer_->async_begin_transaction(done); break;
    case transaction_op::commit: producer_->async_commit_transaction(done); break;
    case transaction_op::abort: producer_->async_abort_transaction(done); break;
    case transaction_op::send_offsets:
      producer_->async_send_offsets_to_transaction(std::move(payload->offsets), std::move(payload->group), done);
      break;
  }
}

void io_thread_producer::complete_operation(std::uint32_t id, const boost::system::error_code& ec) {
  report_entry e{};
  e.is_operation = true;
  e.report.slot = id;
  e.report.error = ec;
  std::memcpy(reports_.reserve(sizeof e), &e, sizeof e);
  reports_.commit(sizeof e);
  publish_report();
}

void io_thread_producer::publish_report() {
  if (!pending_.exchange(true, std::memory_order_acq_rel)) write_one(event_fd_);
}

void io_thread_producer::complete(std::uint32_t slot, const boost::system::error_code& ec, const record_metadata& md) {
  report_entry e{};
  e.report = delivery_report{slot, md.partition, md.offset, md.timestamp_ms, ec, steady_now_ns()};
  std::memcpy(reports_.reserve(sizeof e), &e, sizeof e);
  reports_.commit(sizeof e);
  publish_report();
}

void io_thread_producer::log(log_level level, std::string_view text) {
  std::string dropped;
  if (logs_waiting_.load(std::memory_order_acquire) >= max_logs) {  // nobody polls: keep memory bounded
    ++logs_dropped_;
    return;
  }
  if (logs_dropped_) {
    dropped = std::to_string(logs_dropped_) + " log lines dropped (nobody polled) before: ";
    logs_dropped_ = 0;
  }
  report_entry e{};
  e.is_log = true;
  e.level = level;
  e.text_size = static_cast<std::uint32_t>(dropped.size() + text.size());
  char* out = static_cast<char*>(reports_.reserve(sizeof e + e.text_size));
  std::memcpy(out, &e, sizeof e);
  std::memcpy(out + sizeof e, dropped.data(), dropped.size());
  std::memcpy(out + sizeof e + dropped.size(), text.data(), text.size());
  reports_.commit(sizeof e + e.text_size);
  logs_waiting_.fetch_add(1, std::memory_order_release);
  publish_report();
}

// On the I/O thread: the JSON is rendered here, never on the caller's loop.
void io_thread_producer::publish_statistics(const producer_metrics& m) {
  if (statistics_waiting_.load(std::memory_order_acquire) >= max_statistics) return;  // nobody polls: bounded
  const auto age = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - created_);
  const std::string text = statistics_json(m, {.client_id = producer_->config().client_id, .age = age,
                                               .msg_max = statistics_limits_.max_messages,
                                               .msg_size_max = statistics_limits_.max_bytes});
  report_entry e{};
  e.is_statistics = true;
  statistics_waiting_.fetch_add(1, std::memory_order_release);
  publish_text(e, text);
}

void io_thread_producer::publish_text(report_entry e, std::string_view text) {
  e.text_size = static_cast<std::uint32_t>(text.size());
  char* out = static_cast<char*>(reports_.reserve(sizeof e + e.text_size));
  std::memcpy(out, &e, sizeof e);
  std::memcpy(out + sizeof e, text.data(), text.size());
  reports_.commit(sizeof e + e.text_size);
  publish_report();
}

void io_thread_producer::take(std::vector<delivery_report>& reports, taken_reports& other) {
  if (!pending_.load(std::memory_order_acquire)) return;
  // The eventfd first, the flag second, then read. A publisher whose exchange comes after ours finds the flag
  // clear and writes the eventfd again (after our read of it), so a waiter wakes for its report; one whose
  // exchange came before ours made its report visible to us through the flag.
  clear_wakeup();
  pending_.exchange(false, std::memory_order_acq_rel);
  std::size_t log_count = 0, statistics_count = 0;
  reports_.consume([&](const void* entry, std::size_t) {
    report_entry e;
    std::memcpy(&e, entry, sizeof e);
    const std::string_view text(static_cast<const char*>(entry) + sizeof e, e.text_size);
    if (e.is_statistics) {
      other.statistics.emplace_back(text);
      ++statistics_count;
    } else if (e.is_token_request) {
      other.token_requests.emplace_back(text);
    } else if (e.is_operation) {
      other.operations.push_back(e.report);
    } else if (!e.is_log) {
      reports.push_back(e.report);
    } else {
      other.logs.emplace_back(e.level, std::string(text));
      ++log_count;
    }
  });
  if (log_count) logs_waiting_.fetch_sub(log_count, std::memory_order_release);
  if (statistics_count) statistics_waiting_.fetch_sub(statistics_count, std::memory_order_release);
}

void io_thread_producer::clear_wakeup() noexcept {
  std::uint64_t ignored;
  [[maybe_unused]] auto n = ::read(event_fd_, &ignored, sizeof ignored);
}

void io_thread_producer::poke() noexcept { write_one(event_fd_); }

int io_thread_producer::wait_readable(std::chrono::milliseconds timeout) const noexcept {
  pollfd p{event_fd_, POLLIN, 0};
  auto ms = timeout.count() < 0 ? -1 : static_cast<int>(std::min<std::int64_t>(timeout.count(), 1 << 30));
  int n = ::poll(&p, 1, ms);
  if (n < 0) return errno == EINTR ? -1 : 0;  // EINTR: let the caller run Python's signal handlers
  return n > 0 ? 1 : 0;
}

}  // namespace kafkio::python
