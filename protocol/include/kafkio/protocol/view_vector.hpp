// view_vector<T>: the array type of the view codecs (messages/*.hpp, `*_view` structs; docs/protocol.md, "View
// codecs"). A std::vector that never gives anything back: clear() and every decode keep the elements already
// built, and with them the capacity of the arrays inside those elements, so a view decoded (or filled) again and
// again allocates nothing once it has held the largest shape it meets. A std::vector cannot do that: shrinking it
// destroys the elements, and growing it again rebuilds their inner arrays from nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace kafkio::protocol {

template <class T>
class view_vector {
 public:
  using value_type = T;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return items_[i]; }
  const T& operator[](std::size_t i) const noexcept { return items_[i]; }
  T& front() noexcept { return items_[0]; }
  const T& front() const noexcept { return items_[0]; }
  T& back() noexcept { return items_[size_ - 1]; }
  const T& back() const noexcept { return items_[size_ - 1]; }
  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(size_); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(size_); }

  // Empties the array; the elements stay built for reuse.
  void clear() noexcept { size_ = 0; }
  // Makes room for `n` elements in all (reserve() on the storage: no element is built).
  void reserve(std::size_t n) {
    if (n > items_.capacity()) items_.reserve(n);
  }

  // Appends a default element: a kept one reset (its own arrays keep their capacity), or a new one.
  T& emplace_back() {
    T& e = next_slot();
    if constexpr (requires { e.reset(); }) e.reset();  // a struct view
    else if constexpr (requires { e.clear(); }) e.clear();
    else e = T{};
    return e;
  }
  void push_back(const T& value) { next_slot() = value; }

  // Appends the next slot as it is: whatever a previous use left in it. For decoders, which overwrite every
  // field (a struct view's decode() starts with reset()).
  T& next_slot() {
    if (size_ == items_.size()) items_.emplace_back();
    return items_[size_++];
  }

  template <class U>
  friend bool operator==(const view_vector<U>& a, const view_vector<U>& b);

 private:
  std::vector<T> items_;  // items_[size_..] are kept for reuse
  std::size_t size_ = 0;
};

template <class U>
bool operator==(const view_vector<U>& a, const view_vector<U>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace kafkio::protocol
