// A FIFO that keeps its capacity and never moves its elements: a ring of fixed-size blocks.
//
// std::deque allocates and frees a block every few elements pushed through it (libstdc++'s blocks are 512 bytes,
// two or three requests of a connection), so a queue used at a steady rate allocates at that rate forever. This
// one grows to the most elements ever queued at once and then allocates nothing: a block emptied at the front
// becomes the spare block at the back.
//
// Growing never moves an element either (a contiguous ring moved its whole content into a ring twice as big, one
// burst of CPU proportional to the backlog: 3-12 ms for the ~65k completions waiting while 100k records were sent,
// producer_tokens_test's LoopNeverBlockedWhileTheQueuesGrow). Here growth allocates one block, and when the ring of
// block pointers is full, copies those pointers into one twice as big (one pointer per 32 elements).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace kafkio::core {

template <class T>
class ring_queue {
 public:
  static constexpr std::size_t block_size = 32;  // elements per block, a power of two

  ring_queue() = default;
  ring_queue(ring_queue&& o) noexcept
      : blocks_(std::move(o.blocks_)),
        first_(std::exchange(o.first_, 0)),
        head_(std::exchange(o.head_, 0)),
        count_(std::exchange(o.count_, 0)) {
    o.blocks_.clear();
  }
  ring_queue& operator=(ring_queue&& o) noexcept {
    blocks_ = std::move(o.blocks_);
    o.blocks_.clear();
    first_ = std::exchange(o.first_, 0);
    head_ = std::exchange(o.head_, 0);
    count_ = std::exchange(o.count_, 0);
    return *this;
  }

  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }

  T& front() noexcept { return *slot(0); }
  const T& front() const noexcept { return *slot(0); }
  T& back() noexcept { return *slot(count_ - 1); }
  T& operator[](std::size_t i) noexcept { return *slot(i); }
  const T& operator[](std::size_t i) const noexcept { return *slot(i); }

  template <class... A>
  T& emplace_back(A&&... args) {
    const std::size_t pos = head_ + count_;
    if (pos / block_size == blocks_.size()) grow();
    auto& b = blocks_[(first_ + pos / block_size) & (blocks_.size() - 1)];
    if (!b) b = std::make_unique<block>();
    auto& s = b->slots[pos % block_size];
    s.emplace(std::forward<A>(args)...);
    ++count_;
    return *s;
  }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  void pop_front() noexcept {
    slot(0).reset();
    --count_;
    if (++head_ == block_size) {  // the front block is empty: it becomes the spare at the back
      head_ = 0;
      first_ = (first_ + 1) & (blocks_.size() - 1);
    }
  }
  void pop_back() noexcept {
    slot(count_ - 1).reset();
    --count_;
  }
  // Inserts before position i (0..size()) / removes position i, shifting the elements after it: O(size() - i),
  // meant for short queues (a partition's batches). They swap, i.e. move-assign: never use them with a T holding an
  // asio::any_completion_handler, whose move assignment recurses without end in Boost 1.81.
  void insert_at(std::size_t i, T&& v) {
    emplace_back(std::move(v));
    for (std::size_t j = count_ - 1; j > i; --j) std::swap((*this)[j], (*this)[j - 1]);
  }
  void erase_at(std::size_t i) {
    for (std::size_t j = i; j + 1 < count_; ++j) std::swap((*this)[j], (*this)[j + 1]);
    pop_back();
  }

  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < count_; ++i) f(*slot(i));
  }

 private:
  struct block {
    std::optional<T> slots[block_size];
  };

  std::optional<T>& slot(std::size_t i) const noexcept {
    const std::size_t pos = head_ + i;
    return blocks_[(first_ + pos / block_size) & (blocks_.size() - 1)]->slots[pos % block_size];
  }
  // Every block is in use: a ring of block pointers twice as big, the same blocks first in order, the rest empty
  // (allocated when the back reaches them).
  void grow() {
    std::vector<std::unique_ptr<block>> bigger(blocks_.empty() ? 1 : blocks_.size() * 2);
    for (std::size_t k = 0; k < blocks_.size(); ++k)
      bigger[k] = std::move(blocks_[(first_ + k) & (blocks_.size() - 1)]);
    blocks_.swap(bigger);
    first_ = 0;
  }

  std::vector<std::unique_ptr<block>> blocks_;  // a power of two of them, or none
  std::size_t first_ = 0;  // the block holding the front element
  std::size_t head_ = 0;   // the front element's slot in that block
  std::size_t count_ = 0;
};

}  // namespace kafkio::core
