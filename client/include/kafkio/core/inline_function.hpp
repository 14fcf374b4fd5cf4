// A move-only std::function with inline storage only: the callable must fit in `Capacity` bytes (checked at compile
// time), so constructing one never allocates.
//
// Why: every request on a connection carries a callback (the engine's per-request state: the batches of a Produce
// request, moved in). std::function needs a copyable callable, which forced that state behind a shared_ptr, and it
// allocates for anything larger than two pointers: two allocations per Produce request. This type takes move-only
// callables and stores them in place.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace kafkio::core {

template <class Signature, std::size_t Capacity = 128>
class inline_function;

template <class R, class... Args, std::size_t Capacity>
class inline_function<R(Args...), Capacity> {
 public:
  inline_function() noexcept = default;
  inline_function(std::nullptr_t) noexcept {}
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, inline_function> &&
                                              std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  inline_function(F&& f) {  // NOLINT: implicit, like std::function
    using T = std::decay_t<F>;
    static_assert(sizeof(T) <= Capacity, "callable too large for inline_function: raise Capacity or capture less");
    static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned callable");
    static_assert(std::is_nothrow_move_constructible_v<T>, "the callable must be nothrow move constructible");
    ::new (static_cast<void*>(storage_)) T(std::forward<F>(f));
    ops_ = &ops_for<T>;
  }
  inline_function(inline_function&& other) noexcept { take(other); }
  inline_function& operator=(inline_function&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  inline_function& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  inline_function(const inline_function&) = delete;
  inline_function& operator=(const inline_function&) = delete;
  ~inline_function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

 private:
  struct operations {
    R (*invoke)(void*, Args&&...);
    void (*relocate)(void* from, void* to) noexcept;  // move-construct at `to`, destroy `from`
    void (*destroy)(void*) noexcept;
  };
  template <class T>
  static constexpr operations ops_for{
      [](void* s, Args&&... args) -> R { return (*static_cast<T*>(s))(std::forward<Args>(args)...); },
      [](void* from, void* to) noexcept {
        ::new (to) T(std::move(*static_cast<T*>(from)));
        static_cast<T*>(from)->~T();
      },
      [](void* s) noexcept { static_cast<T*>(s)->~T(); }};

  void take(inline_function& other) noexcept {
    if (!other.ops_) return;
    other.ops_->relocate(other.storage_, storage_);
    ops_ = std::exchange(other.ops_, nullptr);
  }
  void reset() noexcept {
    if (auto* ops = std::exchange(ops_, nullptr)) ops->destroy(storage_);
  }

  alignas(std::max_align_t) unsigned char storage_[Capacity];
  const operations* ops_ = nullptr;
};

}  // namespace kafkio::core
