// Delivers completion handlers in order, a bounded number per turn of the event loop.
//
// A Produce response can finish thousands of records at once. Posting one handler per record would run them all
// before the loop looks at its timers and sockets again (Asio checks the reactor once per pass through its queue),
// a CPU burst proportional to the response. Instead completions wait here in FIFO order and one posted drain runs
// at most `per_turn` of them, then re-posts itself behind whatever else is ready. Flush completions go through the
// same queue, so a flush is never reported before the records it waited for.
//
// The FIFO is a ring buffer that keeps its capacity (a std::deque allocated and freed a node every few dozen
// completions): once it has grown to the most completions ever waiting at once, pushing and draining allocate
// nothing.
#pragma once

#include <kafkio/detail/handler_pool.hpp>
#include <kafkio/detail/ring_queue.hpp>
#include <kafkio/record.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <memory>
#include <system_error>
#include <utility>
#include <variant>

namespace kafkio::detail {

// Handlers receive boost::system::error_code: Asio's use_awaitable and use_future turn only that type (not
// std::error_code) into an exception, so `co_await p.async_send(r, use_awaitable)` throws on failure. It converts
// both ways with std::error_code and compares equal to kafkio::kafka_errc / client_errc values, so a handler may
// take either type.
using send_completion = boost::asio::any_completion_handler<void(boost::system::error_code, record_metadata)>;
using void_completion = boost::asio::any_completion_handler<void(boost::system::error_code)>;

class completion_queue : public std::enable_shared_from_this<completion_queue> {
 public:
  static constexpr std::size_t per_turn = 64;

  completion_queue(boost::asio::any_io_executor ex, const handler_pool_ref& pool) : ex_(std::move(ex)), pool_(pool) {}

  void push(send_completion h, std::error_code ec, record_metadata md) {
    // (stored as std::error_code; converted to boost::system::error_code, which wraps it losslessly, on delivery)
    emplace_back(item{std::move(h), ec, std::move(md)});
    schedule();
  }
  void push(void_completion h, std::error_code ec) {
    emplace_back(item{std::move(h), ec, {}});
    schedule();
  }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  struct item {
    std::variant<send_completion, void_completion> handler;
    std::error_code ec;
    record_metadata md;
  };

  static boost::system::error_code to_boost(std::error_code ec) {
    return ec ? boost::system::error_code(ec) : boost::system::error_code{};
  }

  // A ring that keeps its capacity (no allocation per completion). ring_queue only emplaces and resets its slots
  // here, never assigns them: Boost 1.81's any_completion_handler move assignment recurses without end, so an item
  // may be move-constructed but not move-assigned (hence no insert_at/erase_at on this queue).
  void emplace_back(item&& it) { items_.emplace_back(std::move(it)); }
  item pop_front() {
    item it(std::move(items_.front()));
    items_.pop_front();
    return it;
  }

  void schedule() {
    if (scheduled_) return;
    scheduled_ = true;
    post_pooled(ex_, pool_, [self = shared_from_this()] { self->drain(); });
  }

  // What dispatch would do: run the handler here when its associated executor is ours or it has none, else hand
  // it to its own executor (a strand). The common cases call it directly: dispatch goes through the type-erased
  // any_completion_executor, which wraps the call in a function object from Asio's recycling allocator, and that
  // missed its two-block cache once per drain.
  template <class Handler, class... Args>
  void deliver(Handler& h, Args&&... args) {
    auto target = boost::asio::get_associated_executor(h);  // system_executor when the handler names none
    const auto* ours = ex_.target<boost::asio::io_context::executor_type>();
    const auto* theirs = target.template target<boost::asio::io_context::executor_type>();
    if (target.template target<boost::asio::system_executor>() || (ours && theirs && *ours == *theirs))
      std::move(h)(std::forward<Args>(args)...);
    else
      boost::asio::dispatch(boost::asio::append(std::move(h), std::forward<Args>(args)...));
  }

  void drain() {
    scheduled_ = false;
    for (std::size_t n = 0; n < per_turn && !items_.empty(); ++n) {
      auto it = pop_front();
      if (auto* s = std::get_if<send_completion>(&it.handler))
        deliver(*s, to_boost(it.ec), std::move(it.md));
      else
        deliver(std::get<void_completion>(it.handler), to_boost(it.ec));
    }
    if (!items_.empty()) schedule();
  }

  boost::asio::any_io_executor ex_;
  handler_pool_ref pool_;  // storage of the posted drain
  ring_queue<item> items_;
  bool scheduled_ = false;
};

}  // namespace kafkio::detail
