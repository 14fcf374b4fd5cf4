#include "io_thread_producer.hpp"

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <limits>

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

// Appends `s` to the arena; returns (offset, size), size null_size for nullopt.
std::pair<std::uint32_t, std::uint32_t> append(std::vector<char>& arena, std::optional<std::string_view> s) {
  if (!s) return {0, null_size};
  auto offset = static_cast<std::uint32_t>(arena.size());
  arena.insert(arena.end(), s->begin(), s->end());
  return {offset, static_cast<std::uint32_t>(s->size())};
}

std::optional<std::string_view> view(const std::vector<char>& arena, std::uint32_t offset, std::uint32_t size) {
  if (size == null_size) return std::nullopt;
  return std::string_view(arena.data() + offset, size);
}
}  // namespace

io_thread_producer::io_thread_producer(const producer_config& config, partition_rule partitioner, bool collect_logs)
    : work_(io_.get_executor()) {
  producer_.emplace(io_.get_executor(), config);  // validates; throws std::system_error(invalid_config)
  if (partitioner) producer_->set_partitioner(std::move(partitioner));
  if (collect_logs) producer_->set_logger([this](log_level level, std::string_view text) { log(level, text); });
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { io_.run(); });
}

io_thread_producer::~io_thread_producer() {
  boost::asio::post(io_, [this] {
    producer_.reset();  // aborts what is pending: those completions run on this thread before run() returns
    work_.reset();
  });
  thread_.join();
  ::close(event_fd_);
}

void io_thread_producer::schedule_locked() {
  if (drain_posted_) return;
  drain_posted_ = true;
  boost::asio::post(io_, [this] { drain(); });
}

void io_thread_producer::submit(const record_input& r, std::uint32_t slot) {
  std::lock_guard lock(submit_mutex_);
  auto& b = submitted_;
  pending_record p{};
  p.slot = slot;
  std::tie(p.topic_offset, p.topic_size) = append(b.bytes, r.topic);
  std::tie(p.key_offset, p.key_size) = append(b.bytes, r.key);
  std::tie(p.value_offset, p.value_size) = append(b.bytes, r.value);
  p.first_header = static_cast<std::uint32_t>(b.headers.size());
  p.header_count = static_cast<std::uint32_t>(r.headers.size());
  for (const auto& h : r.headers) {
    pending_header ph{};
    std::tie(ph.key_offset, ph.key_size) = append(b.bytes, h.key);
    std::tie(ph.value_offset, ph.value_size) = append(b.bytes, h.value);
    b.headers.push_back(ph);
  }
  p.partition = r.partition.value_or(-1);
  p.has_timestamp = r.timestamp_ms.has_value();
  p.timestamp_ms = r.timestamp_ms.value_or(0);
  b.records.push_back(p);
  schedule_locked();
}

void io_thread_producer::request_flush() {
  std::lock_guard lock(submit_mutex_);
  submitted_.flush = true;
  schedule_locked();
}

void io_thread_producer::request_close() {
  std::lock_guard lock(submit_mutex_);
  submitted_.close = true;
  schedule_locked();
}

void io_thread_producer::drain() {
  {
    std::lock_guard lock(submit_mutex_);
    std::swap(submitted_, working_);
    drain_posted_ = false;
  }
  if (!producer_) {  // destroyed: nothing can be sent (the binding stops submitting first)
    for (const auto& r : working_.records)
      complete(r.slot, boost::asio::error::operation_aborted, record_metadata{});
  } else {
    std::vector<header> scratch;
    for (const auto& r : working_.records) send(working_, r, scratch);
    if (working_.flush) producer_->async_flush([](boost::system::error_code) {});
    if (working_.close) producer_->async_close([](boost::system::error_code) {});
  }
  working_.clear();  // keeps the capacity: the next swap reuses it
}

void io_thread_producer::send(const batch& b, const pending_record& r, std::vector<header>& scratch) {
  scratch.clear();
  for (std::uint32_t i = 0; i < r.header_count; ++i) {
    const auto& h = b.headers[r.first_header + i];
    scratch.push_back({*view(b.bytes, h.key_offset, h.key_size), view(b.bytes, h.value_offset, h.value_size)});
  }
  producer_record record{
      .topic = *view(b.bytes, r.topic_offset, r.topic_size),
      .partition = r.partition >= 0 ? std::optional<std::int32_t>(r.partition) : std::nullopt,
      .key = view(b.bytes, r.key_offset, r.key_size),
      .value = view(b.bytes, r.value_offset, r.value_size),
      .headers = scratch,
      .timestamp_ms = r.has_timestamp ? std::optional<std::int64_t>(r.timestamp_ms) : std::nullopt,
  };
  // async_send waits (asynchronously) if buffer.memory is full; the binding's own limit keeps that from happening.
  producer_->async_send(record, [this, slot = r.slot](boost::system::error_code ec, const record_metadata& md) {
    complete(slot, ec, md);
  });
}

void io_thread_producer::complete(std::uint32_t slot, const boost::system::error_code& ec, const record_metadata& md) {
  delivery_report report{slot, md.partition, md.offset, md.timestamp_ms, ec, steady_now_ns()};
  bool was_empty;
  {
    std::lock_guard lock(report_mutex_);
    was_empty = reports_.empty() && logs_.empty();
    reports_.push_back(report);
    pending_.store(true, std::memory_order_release);
  }
  if (was_empty) poke();
}

void io_thread_producer::log(log_level level, std::string_view text) {
  bool was_empty;
  {
    std::lock_guard lock(report_mutex_);
    if (logs_.size() >= max_logs) {  // nobody polls: keep memory bounded
      ++logs_dropped_;
      return;
    }
    was_empty = reports_.empty() && logs_.empty();
    logs_.emplace_back(level, text);
    pending_.store(true, std::memory_order_release);
  }
  if (was_empty) poke();
}

void io_thread_producer::take_logs(std::vector<std::pair<log_level, std::string>>& out) {
  std::lock_guard lock(report_mutex_);
  if (logs_dropped_) {
    logs_.emplace_back(log_level::warning, std::to_string(logs_dropped_) + " log lines dropped (nobody polled)");
    logs_dropped_ = 0;
  }
  for (auto& l : logs_) out.push_back(std::move(l));
  logs_.clear();
}

void io_thread_producer::clear_wakeup() noexcept {
  std::uint64_t ignored;
  [[maybe_unused]] auto n = ::read(event_fd_, &ignored, sizeof ignored);
}

void io_thread_producer::take_reports(std::vector<delivery_report>& out) {
  if (!pending_.exchange(false, std::memory_order_acquire)) return;
  // Read first, swap second: a report pushed after the swap finds the vector empty and writes the eventfd again.
  clear_wakeup();
  std::lock_guard lock(report_mutex_);
  if (out.empty()) {
    std::swap(out, reports_);
  } else {
    out.insert(out.end(), reports_.begin(), reports_.end());
    reports_.clear();
  }
}

void io_thread_producer::poke() noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

int io_thread_producer::wait_readable(std::chrono::milliseconds timeout) const noexcept {
  pollfd p{event_fd_, POLLIN, 0};
  auto ms = timeout.count() < 0 ? -1 : static_cast<int>(std::min<std::int64_t>(timeout.count(), 1 << 30));
  int n = ::poll(&p, 1, ms);
  if (n < 0) return errno == EINTR ? -1 : 0;  // EINTR: let the caller run Python's signal handlers
  return n > 0 ? 1 : 0;
}

}  // namespace kafkio::python
