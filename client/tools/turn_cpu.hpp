// How long the loop thread spent in each turn of its io_context, as thread CPU time (CLOCK_THREAD_CPUTIME_ID):
// the longest stretch of kafkio's own code (and the tool's small handlers) between two returns to the loop.
// Unlike the lateness of a timer, thread CPU does not grow while another process has the core, so a long turn here
// is our own work (or page faults it caused), never preemption. One clock read per turn: the time blocked in
// epoll between two turns costs no CPU, so the end of one turn is the start of the next.
#pragma once

#include <boost/asio/io_context.hpp>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace kafkio::tools {

class turn_cpu {
 public:
  // Runs `io` one handler at a time until it runs out of work, measuring every turn.
  void run(boost::asio::io_context& io) {
    rusage before{};
    getrusage(RUSAGE_THREAD, &before);
    auto last = now_ns();
    while (io.run_one()) {
      const auto t = now_ns();
      record(t - last);
      last = t;
    }
    rusage after{};
    getrusage(RUSAGE_THREAD, &after);
    involuntary_switches_ = after.ru_nivcsw - before.ru_nivcsw;
    minor_faults_ = after.ru_minflt - before.ru_minflt;
  }

  // Thread CPU of a turn at quantile q (0..1), in microseconds (1 us resolution up to 20 ms, the worst exactly).
  double quantile_us(double q) const {
    if (turns_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(turns_ - 1));
    std::uint64_t seen = 0;
    for (std::size_t us = 0; us < buckets_.size(); ++us) {
      seen += buckets_[us];
      if (seen > rank) return static_cast<double>(us);
    }
    return worst_us();
  }
  double worst_us() const { return static_cast<double>(worst_ns_) / 1000.0; }
  std::uint64_t turns() const { return turns_; }
  std::uint64_t turns_over(std::int64_t us) const {
    std::uint64_t n = over_cap_;
    for (auto i = static_cast<std::size_t>(us) + 1; i < buckets_.size(); ++i) n += buckets_[i];
    return n;
  }
  long involuntary_switches() const { return involuntary_switches_; }
  long minor_faults() const { return minor_faults_; }

 private:
  static std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }
  void record(std::int64_t ns) {
    ++turns_;
    worst_ns_ = std::max(worst_ns_, ns);
    const auto us = static_cast<std::size_t>(ns / 1000);
    if (us < buckets_.size()) ++buckets_[us];
    else ++over_cap_;
  }
  std::array<std::uint64_t, 20000> buckets_{};  // 1 us wide; a fixed histogram, so RSS does not grow with the run
  std::uint64_t over_cap_ = 0, turns_ = 0;
  std::int64_t worst_ns_ = 0;
  long involuntary_switches_ = 0, minor_faults_ = 0;
};

}  // namespace kafkio::tools
