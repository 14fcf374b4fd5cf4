// The driver's side of completion ids: handlers waiting for the core to finish their operation, in reusable slots.
//
// The core knows operations only by a completion_id; this slab maps ids back to the type-erased handlers. Slots are
// reused (no allocation per operation once the slab has grown to the most operations pending at once), and an id
// carries its slot's generation in the high 32 bits, so an id that outlived its operation (a cancellation signalled
// after completion) matches nothing.
//
// Slots are only ever constructed into and reset, never assigned: Boost 1.81's any_completion_handler move
// assignment recurses without end.
#pragma once

#include <kafkio/core/time_source.hpp>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace kafkio::detail {

template <class Handler>
class handler_slab {
 public:
  core::completion_id insert(Handler&& h) {
    std::uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    auto& s = slots_[index];
    s.handler.emplace(std::move(h));
    return (static_cast<core::completion_id>(s.generation) << 32) | index;
  }

  // The handler of `id`, or nullptr if the id is not (or no longer) pending.
  Handler* find(core::completion_id id) noexcept {
    auto index = static_cast<std::uint32_t>(id);
    if (index >= slots_.size()) return nullptr;
    auto& s = slots_[index];
    return s.handler && s.generation == static_cast<std::uint32_t>(id >> 32) ? &*s.handler : nullptr;
  }

  // Moves the handler of `id` out and frees its slot. Precondition: find(id) != nullptr.
  Handler take(core::completion_id id) {
    auto& s = slots_[static_cast<std::uint32_t>(id)];
    Handler h(std::move(*s.handler));
    s.handler.reset();
    ++s.generation;
    free_.push_back(static_cast<std::uint32_t>(id));
    return h;
  }

  std::size_t size() const noexcept { return slots_.size() - free_.size(); }

 private:
  struct slot {
    std::optional<Handler> handler;
    std::uint32_t generation = 0;
  };
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_;
};

}  // namespace kafkio::detail
