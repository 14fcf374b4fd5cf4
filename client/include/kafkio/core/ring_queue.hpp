// A FIFO that keeps its capacity: a power-of-two ring over a vector of optional slots.
//
// std::deque allocates and frees a block every few elements pushed through it (libstdc++'s blocks are 512 bytes,
// two or three requests of a connection), so a queue used at a steady rate allocates at that rate forever. This
// one grows to the most elements ever queued at once and then allocates nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace kafkio::core {

template <class T>
class ring_queue {
 public:
  ring_queue() = default;
  ring_queue(ring_queue&& o) noexcept
      : slots_(std::move(o.slots_)), head_(std::exchange(o.head_, 0)), count_(std::exchange(o.count_, 0)) {}
  ring_queue& operator=(ring_queue&& o) noexcept {
    slots_ = std::move(o.slots_);
    o.slots_.clear();
    head_ = std::exchange(o.head_, 0);
    count_ = std::exchange(o.count_, 0);
    return *this;
  }

  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }

  T& front() noexcept { return *slots_[head_]; }
  const T& front() const noexcept { return *slots_[head_]; }
  T& back() noexcept { return (*this)[count_ - 1]; }
  T& operator[](std::size_t i) noexcept { return *slots_[(head_ + i) & (slots_.size() - 1)]; }

  template <class... A>
  T& emplace_back(A&&... args) {
    if (count_ == slots_.size()) grow();
    auto& slot = slots_[(head_ + count_) & (slots_.size() - 1)];
    slot.emplace(std::forward<A>(args)...);
    ++count_;
    return *slot;
  }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  void pop_front() noexcept {
    slots_[head_].reset();
    head_ = (head_ + 1) & (slots_.size() - 1);
    --count_;
  }
  void pop_back() noexcept {
    slots_[(head_ + count_ - 1) & (slots_.size() - 1)].reset();
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
    for (std::size_t i = 0; i < count_; ++i) f(*slots_[(head_ + i) & (slots_.size() - 1)]);
  }

 private:
  void grow() {
    std::vector<std::optional<T>> bigger(slots_.empty() ? 8 : slots_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) {
      auto& from = slots_[(head_ + i) & (slots_.size() - 1)];
      bigger[i].emplace(std::move(*from));
      from.reset();
    }
    slots_.swap(bigger);
    head_ = 0;
  }

  std::vector<std::optional<T>> slots_;
  std::size_t head_ = 0, count_ = 0;
};

}  // namespace kafkio::core
