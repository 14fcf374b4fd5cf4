// Small helpers shared by the command-line tools.
#pragma once

#include <kafkio/producer.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>
#include <string>
#include <string_view>

namespace kafkio::tools {

// "key=value" -> pair; nullopt without '='.
inline std::optional<std::pair<std::string, std::string>> split_property(std::string_view kv) {
  auto eq = kv.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  return std::pair{std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1))};
}

// Bounds the records a tool has in flight without blocking the loop: the reader co_awaits room().
class inflight_limit {
 public:
  inflight_limit(boost::asio::any_io_executor ex, std::size_t limit) : timer_(ex), limit_(limit) {}
  void add() { ++count_; }
  void done() {
    --count_;
    if (count_ <= limit_ / 2 || count_ == 0) timer_.cancel();
  }
  std::size_t count() const { return count_; }
  boost::asio::awaitable<void> room() { co_await wait_until(limit_); }
  boost::asio::awaitable<void> drained() { co_await wait_until(0); }

 private:
  boost::asio::awaitable<void> wait_until(std::size_t max) {
    while (count_ > max) {
      timer_.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ec;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  }
  boost::asio::steady_timer timer_;
  std::size_t limit_, count_ = 0;
};

}  // namespace kafkio::tools
