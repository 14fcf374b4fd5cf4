// Measures how late a periodic timer fires on an io_context: the direct evidence that nothing blocks the loop.
// Every `period` the timer is due; lateness = actual wake-up - due time. Keeps every sample (1 per ms, so a
// minute is 60k samples) to report the worst and high percentiles.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace kafkio::tools {

class loop_lateness {
 public:
  using clock = std::chrono::steady_clock;
  loop_lateness(boost::asio::any_io_executor ex, std::chrono::microseconds period = std::chrono::milliseconds(1))
      : timer_(ex), period_(period) {}

  void start() {
    running_ = true;
    due_ = clock::now() + period_;
    arm();
  }
  void stop() {
    running_ = false;
    timer_.cancel();
  }
  // Lateness in microseconds at quantile q (0..1), and the worst.
  double quantile_us(double q) const {
    if (samples_.empty()) return 0;
    auto s = samples_;
    auto idx = static_cast<std::size_t>(q * static_cast<double>(s.size() - 1));
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(idx), s.end());
    return static_cast<double>(s[idx]);
  }
  double worst_us() const { return samples_.empty() ? 0 : static_cast<double>(*std::max_element(samples_.begin(), samples_.end())); }
  std::size_t samples() const { return samples_.size(); }

 private:
  void arm() {
    timer_.expires_at(due_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || !running_) return;
      auto now = clock::now();
      samples_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - due_).count());
      due_ += period_;
      if (due_ < now) due_ = now + period_;  // after a stall, measure from now on rather than firing a burst
      arm();
    });
  }
  boost::asio::steady_timer timer_;
  std::chrono::microseconds period_;
  clock::time_point due_;
  bool running_ = false;
  std::vector<std::int64_t> samples_;
};

}  // namespace kafkio::tools
