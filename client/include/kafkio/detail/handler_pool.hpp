// Recycled storage for the type-erased completion handlers of async_send/try_send.
//
// Every send stores its handler in an asio::any_completion_handler, whose storage comes from the handler's
// associated allocator. Asio's default (recycling_allocator) caches only a couple of blocks per thread, while a
// producer has thousands of records outstanding, so without this every send allocated and every completion freed.
// handler_pool keeps freed blocks in per-size free lists that grow to the high-water mark of handlers alive at once
// and are reused from then on: no allocation per record in steady state.
//
// Threads: blocks are allocated on the producer's executor only (sends, and the completion queue posting a handler
// to its own executor), so allocation is single-threaded. A block may be freed on another thread, though: a
// handler whose associated executor is elsewhere (a strand of a multi-threaded io_context) is invoked, and its
// storage released, there. So frees push onto a lock-free stack (push-only, hence no ABA) and the allocating side
// takes the whole stack with one exchange when its own list runs dry.
//
// The engine also gives it to its own asynchronous operations (the sender's post and timer, the completion queue's
// drain, each connection's read, write and request timer): Asio's default recycling allocator keeps two blocks per
// thread, fewer than the operations a producer has outstanding at once, so these allocated a few times per request.
//
// Lifetime: the pool counts its outstanding blocks plus one reference per owner (handler_pool_ref: the engine, its
// completion queue, its connections, which may outlive the engine). It deletes itself when the owners have released
// it and the last block came back, so handlers still alive after the producer is destroyed (completions queued with
// operation_aborted) keep a valid pool. The allocator is a plain pointer: copies (Asio copies the allocator several
// times per handler) cost no reference count.
#pragma once

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace kafkio::detail {

class handler_pool {
 public:
  static constexpr std::size_t granule = 64;       // size classes: 64, 128, ..., max_pooled bytes
  static constexpr std::size_t max_pooled = 1024;  // larger requests go to operator new (none in practice)
  static constexpr std::size_t classes = max_pooled / granule;

  // The owner's reference. Call release() instead of delete.
  static handler_pool* create() { return new handler_pool; }
  void release() noexcept { unref(); }
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

  void* allocate(std::size_t bytes, std::size_t align) {
    refs_.fetch_add(1, std::memory_order_relaxed);
    if (bytes == 0 || bytes > max_pooled || align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      try {
        return ::operator new(bytes, std::align_val_t(align));
      } catch (...) {
        unref();
        throw;
      }
    }
    auto c = class_of(bytes);
    block* b = local_[c];
    if (!b) b = remote_[c].exchange(nullptr, std::memory_order_acquire);  // what other threads (or we) freed
    if (b) {
      local_[c] = b->next;
      return b;
    }
    try {
      return ::operator new((c + 1) * granule);
    } catch (...) {
      unref();
      throw;
    }
  }

  void deallocate(void* p, std::size_t bytes, std::size_t align) noexcept {
    if (bytes == 0 || bytes > max_pooled || align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      ::operator delete(p, std::align_val_t(align));
    } else {
      auto* b = static_cast<block*>(p);
      auto& head = remote_[class_of(bytes)];
      b->next = head.load(std::memory_order_relaxed);
      while (!head.compare_exchange_weak(b->next, b, std::memory_order_release, std::memory_order_relaxed)) {
      }
    }
    unref();
  }

  // Blocks currently handed out, plus owners beyond the first (for tests).
  std::size_t outstanding() const noexcept { return refs_.load(std::memory_order_relaxed) - 1; }

 private:
  struct block {
    block* next;
  };

  handler_pool() = default;
  ~handler_pool() {
    for (std::size_t c = 0; c < classes; ++c) {
      free_list(local_[c]);
      free_list(remote_[c].load(std::memory_order_acquire));
    }
  }
  handler_pool(const handler_pool&) = delete;
  handler_pool& operator=(const handler_pool&) = delete;

  static std::size_t class_of(std::size_t bytes) noexcept { return (bytes - 1) / granule; }
  static void free_list(block* b) noexcept {
    while (b) ::operator delete(std::exchange(b, b->next));
  }
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  std::atomic<std::size_t> refs_{1};  // owners + blocks outstanding
  block* local_[classes] = {};       // touched by the allocating side only
  std::atomic<block*> remote_[classes] = {};
};

// An owner's handle: creates the pool, or shares one (copies add a reference); releases it on destruction.
class handler_pool_ref {
 public:
  handler_pool_ref() : pool_(handler_pool::create()) {}
  handler_pool_ref(const handler_pool_ref& other) noexcept : pool_(other.pool_) {
    if (pool_) pool_->add_ref();
  }
  ~handler_pool_ref() {
    if (pool_) pool_->release();
  }
  handler_pool_ref& operator=(const handler_pool_ref&) = delete;
  handler_pool* get() const noexcept { return pool_; }

 private:
  handler_pool* pool_;
};

// A standard allocator over a handler_pool; what async_send binds to handlers that have no allocator of their own.
template <class T>
class handler_allocator {
 public:
  using value_type = T;

  explicit handler_allocator(handler_pool* p) noexcept : pool_(p) {}
  template <class U>
  handler_allocator(const handler_allocator<U>& other) noexcept : pool_(other.pool()) {}

  T* allocate(std::size_t n) { return static_cast<T*>(pool_->allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { pool_->deallocate(p, n * sizeof(T), alignof(T)); }

  handler_pool* pool() const noexcept { return pool_; }
  template <class U>
  bool operator==(const handler_allocator<U>& other) const noexcept {
    return pool_ == other.pool();
  }

 private:
  handler_pool* pool_;
};

// Storage for one of our own handlers (Asio allocates the operation that carries it through the pool).
template <class Handler>
auto pooled(const handler_pool_ref& pool, Handler&& h) {
  return boost::asio::bind_allocator(handler_allocator<void>(pool.get()), std::forward<Handler>(h));
}

// asio::post with pooled storage. Through an any_io_executor a post allocates twice from Asio's recycling allocator
// whatever the handler's allocator (the type-erased executor drops the allocator property), so when the executor is
// a plain io_context's (the usual case) we post through that type, which takes the operation's storage from the
// handler's allocator. Other executors (a strand, a thread_pool) keep the type-erased path.
template <class Handler>
void post_pooled(const boost::asio::any_io_executor& ex, const handler_pool_ref& pool, Handler&& h) {
  if (const auto* io = ex.target<boost::asio::io_context::executor_type>())
    boost::asio::post(*io, pooled(pool, std::forward<Handler>(h)));
  else
    boost::asio::post(ex, pooled(pool, std::forward<Handler>(h)));
}

// Gives a handler pooled storage, unless it brought an allocator of its own (which is kept: the caller chose it).
template <class Handler>
auto with_pooled_storage(Handler&& h, handler_pool* pool) {
  using handler_type = std::decay_t<Handler>;
  if constexpr (std::is_same_v<boost::asio::associated_allocator_t<handler_type>, std::allocator<void>>)
    return boost::asio::bind_allocator(handler_allocator<void>(pool), std::forward<Handler>(h));
  else
    return handler_type(std::forward<Handler>(h));
}

}  // namespace kafkio::detail
