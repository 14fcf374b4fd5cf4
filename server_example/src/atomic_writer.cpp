#include "atomic_writer.hpp"

#include <kafkio/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace kafkio_server {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The records of one transaction on their way through the producer; the last completion wakes wait().
struct transaction_records {
  transaction_records(asio::any_io_executor ex, std::size_t n)
      : outcomes(n), remaining(n), done(std::move(ex), asio::steady_timer::time_point::max()) {}

  asio::awaitable<void> wait() {
    while (remaining > 0) {
      boost::system::error_code ec;
      co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  // The first record that failed on its own account: the others of an aborted transaction fail with
  // transaction_aborted because of it.
  std::optional<std::size_t> first_cause() const {
    std::optional<std::size_t> aborted;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i].ec) continue;
      if (outcomes[i].ec != kafkio::client_errc::transaction_aborted) return i;
      if (!aborted) aborted = i;
    }
    return aborted;
  }

  std::vector<record_outcome> outcomes;
  std::size_t remaining;
  asio::steady_timer done;
};

}  // namespace

std::string atomic_transactional_id(std::string_view prefix, std::string_view host, unsigned port, int worker_index) {
  return std::string(prefix) + "-" + std::string(host) + "-" + std::to_string(port) + "-" + std::to_string(worker_index);
}

kafkio::config_result atomic_producer_config(const kafkio::property_list& server_properties,
                                             const std::string& transactional_id) {
  auto properties = server_properties;
  properties.emplace_back("transactional.id", transactional_id);
  return kafkio::producer_config::parse(properties);
}

atomic_writer::atomic_writer(asio::any_io_executor ex, kafkio::config_result config, logger log)
    : ex_(ex), config_(std::move(config)), log_(std::move(log)), turn_ended_(ex, asio::steady_timer::time_point::max()) {}

asio::awaitable<void> atomic_writer::take_turn() {
  while (busy_) {
    boost::system::error_code ec;
    co_await turn_ended_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  busy_ = true;
}

void atomic_writer::end_turn() {
  busy_ = false;
  turn_ended_.cancel();
}

asio::awaitable<std::error_code> atomic_writer::ready_producer() {
  if (!producer_) {
    producer_.emplace(ex_, config_);
    producer_->set_logger(log_);
    initialized_ = false;
  }
  if (initialized_) co_return std::error_code{};
  // Finds the transaction coordinator and the producer id; fences an earlier producer of this worker's id.
  auto [ec] = co_await producer_->async_init_transactions(use_tuple);
  initialized_ = !ec;
  co_return ec;
}

// A producer whose transaction could not even be aborted (fenced by another producer with the same id, or failed
// fatally) is of no further use: close it and start afresh with the next request.
asio::awaitable<void> atomic_writer::retire_producer() {
  if (!producer_) co_return;
  co_await producer_->async_close(use_tuple);
  // Destroy it from a fresh handler, not from inside one of its own completions.
  co_await asio::post(ex_, asio::use_awaitable);
  producer_.reset();
  initialized_ = false;
}

atomic_outcome atomic_writer::failure(std::error_code cause, std::string_view where, std::size_t records) const {
  const auto e = classify(cause);
  atomic_outcome out;
  out.error_code = e.error_code;
  const int status = e.error_code / 100;  // REST Proxy's codes are the HTTP status followed by two digits
  out.status = status >= 400 && status < 600 ? static_cast<unsigned>(status) : 500u;
  out.message = "the transaction was aborted and none of the request's " + std::to_string(records) +
                (records == 1 ? " record is" : " records are") + " visible: " + std::string(where) + e.message;
  return out;
}

asio::awaitable<atomic_outcome> atomic_writer::write(const std::vector<owned_record>& records,
                                                     const std::string& topic) {
  co_await take_turn();
  struct turn_guard {
    atomic_writer& w;
    ~turn_guard() { w.end_turn(); }
  } guard{*this};

  if (auto ec = co_await ready_producer()) {
    if (ec != kafkio::client_errc::transaction_timeout) co_await retire_producer();
    auto out = failure(ec, "could not initialise transactions: ", records.size());
    co_return out;
  }
  auto& p = *producer_;
  if (auto [ec] = co_await p.async_begin_transaction(use_tuple); ec) {
    co_await retire_producer();
    co_return failure(ec, "could not begin a transaction: ", records.size());
  }

  auto state = std::make_shared<transaction_records>(ex_, records.size());
  std::vector<kafkio::header> headers;
  for (std::size_t i = 0; i < records.size(); ++i) {
    // try_send: a request larger than what buffer.memory has left fails (and aborts) at once instead of waiting.
    p.try_send(as_producer_record(records[i], topic, headers), [state, i](std::error_code ec, kafkio::record_metadata md) {
      state->outcomes[i] = record_outcome{ec, md.partition, md.offset, md.timestamp_ms};
      if (--state->remaining == 0) state->done.cancel();
    });
  }

  // Commit delivers every record first; if one failed, it completes with that error and the transaction is
  // abortable.
  auto [commit_ec] = co_await p.async_commit_transaction(use_tuple);
  if (!commit_ec) {
    co_await state->wait();
    atomic_outcome out;
    out.committed = true;
    out.records = std::move(state->outcomes);
    co_return out;
  }
  auto [abort_ec] = co_await p.async_abort_transaction(use_tuple);
  co_await state->wait();
  const auto cause = state->first_cause();
  auto out = cause ? failure(state->outcomes[*cause].ec, "record " + std::to_string(*cause) + ": ", records.size())
                   : failure(commit_ec, "the commit failed: ", records.size());
  if (abort_ec) {
    if (log_)
      log_(kafkio::log_level::warning,
           "atomic request: the abort failed (" + abort_ec.message() + "); a new transactional producer follows");
    co_await retire_producer();
  }
  co_return out;
}

asio::awaitable<void> atomic_writer::close() {
  co_await take_turn();
  if (producer_) co_await producer_->async_close(use_tuple);
  end_turn();
}

}  // namespace kafkio_server
