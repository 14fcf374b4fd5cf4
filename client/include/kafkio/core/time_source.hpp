// Time, randomness and identifiers for the sans-io core.
//
// The core never reads a clock of its own: its driver hands it one. The Asio driver passes the real clocks; the
// core's tests pass a virtual clock they move by hand, so a rule like "retry after 100 ms of backoff" is tested by
// setting the time, not by waiting for it. The clock is a function rather than a `now` argument on every input
// because the hot path reads it rarely (when a batch opens, not per record).
#pragma once

#include <chrono>
#include <cstdint>

namespace kafkio::core {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using std::chrono::milliseconds;

struct time_source {
  time_point (*steady)(void* context) = [](void*) { return clock::now(); };
  // Milliseconds since the Unix epoch: the CreateTime of records sent without a timestamp.
  std::int64_t (*wall_ms)(void* context) = [](void*) -> std::int64_t {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  void* context = nullptr;

  time_point now() const { return steady(context); }
  std::int64_t wall_now_ms() const { return wall_ms(context); }
};

// The driver's name for a pending operation (a send, flush, connect or close). The core stores it next to the
// record or waiter and hands it back in the completion; it never looks inside. Drivers that reuse slots put a
// generation in the high bits, so a late cancellation can never reach the wrong operation.
using completion_id = std::uint64_t;

// One broker connection attempt. Never reused within a core, so events for a connection the core has already
// given up on are recognised and ignored.
using connection_id = std::uint32_t;

}  // namespace kafkio::core
