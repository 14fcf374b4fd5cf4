// The driver's side of completion ids: handlers waiting for the core to finish their operation, in reusable slots.
//
// The core knows operations only by a completion_id; this slab maps ids back to the type-erased handlers. Slots are
// reused (no allocation per operation once the slab has grown to the most operations pending at once), and an id
// carries its slot's generation in the high 32 bits, so an id that outlived its operation (a cancellation signalled
// after completion) matches nothing.
//
// Slots are only ever constructed into and reset, never assigned: Boost 1.81's any_completion_handler move
// assignment recurses without end.
//
// Slots live in blocks of a fixed size that never move: a slab that grows adds a block. (A std::vector of slots
// doubled by moving every pending handler into fresh memory in one call: 3-5 ms of CPU and page faults on the
// loop at ~200,000 records outstanding.)
#pragma once

#include <kafkio/core/time_source.hpp>

#include <cstdint>
#include <memory>
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
      index = count_++;
      if ((index & block_mask) == 0) {
        blocks_.push_back(std::make_unique<slot[]>(block_size));
        // free_ is empty whenever a block is added, so this reservation copies nothing, and take() never grows it.
        free_.reserve(blocks_.size() * block_size);
      }
    }
    auto& s = at(index);
    s.handler.emplace(std::move(h));
    return (static_cast<core::completion_id>(s.generation) << 32) | index;
  }

  // The handler of `id`, or nullptr if the id is not (or no longer) pending.
  Handler* find(core::completion_id id) noexcept {
    auto index = static_cast<std::uint32_t>(id);
    if (index >= count_) return nullptr;
    auto& s = at(index);
    return s.handler && s.generation == static_cast<std::uint32_t>(id >> 32) ? &*s.handler : nullptr;
  }

  // Moves the handler of `id` out and frees its slot. Precondition: find(id) != nullptr.
  Handler take(core::completion_id id) {
    auto& s = at(static_cast<std::uint32_t>(id));
    Handler h(std::move(*s.handler));
    s.handler.reset();
    ++s.generation;
    free_.push_back(static_cast<std::uint32_t>(id));
    return h;
  }

  std::size_t size() const noexcept { return count_ - free_.size(); }

 private:
  struct slot {
    std::optional<Handler> handler;
    std::uint32_t generation = 0;
  };
  static constexpr std::uint32_t block_size = 1024, block_mask = block_size - 1;
  slot& at(std::uint32_t index) noexcept { return blocks_[index / block_size][index & block_mask]; }
  std::vector<std::unique_ptr<slot[]>> blocks_;
  std::uint32_t count_ = 0;  // slots ever handed out (the blocks hold them all)
  std::vector<std::uint32_t> free_;
};

}  // namespace kafkio::detail
