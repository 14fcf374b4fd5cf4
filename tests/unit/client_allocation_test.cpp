// Heap allocations of the producer in steady state: nothing per record, nothing per Produce request.
// The fake broker runs on its own io_context and thread, and the allocation probe counts only the producer's
// thread (allocation_probe.hpp; inactive under AddressSanitizer, where these checks hold trivially).
// Also the handler pool behind it (detail/handler_pool.hpp): reuse, lifetime, frees from other threads, and that a
// handler's own allocator is respected.
#include "allocation_probe.hpp"
#include "support/fake_broker.hpp"

#include <kafkio/detail/handler_pool.hpp>
#include <kafkio/core/inline_function.hpp>
#include <kafkio/core/ring_queue.hpp>
#include <kafkio/producer.hpp>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

namespace kafkio::test {
namespace {

namespace asio = boost::asio;
namespace probe = allocation_probe;
using namespace std::chrono_literals;

producer_record value_record(std::string_view topic, std::string_view value) {
  producer_record r;
  r.topic = topic;
  r.value = value;
  return r;
}

// A fake broker on a thread of its own, so its allocations (it decodes and stores every record) are not ours.
class broker_thread {
 public:
  broker_thread() : fake_(io_), work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~broker_thread() {
    asio::post(io_, [this] {
      fake_.stop();
      work_.reset();
      io_.stop();
    });
    thread_.join();
  }
  std::string bootstrap() const { return fake_.bootstrap(); }

 private:
  asio::io_context io_;
  fake_broker fake_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Keeps `window` records outstanding, sending more from the completion handlers (a plain lambda: the driver itself
// allocates nothing per record).
struct window_driver {
  producer& p;
  producer_record record;
  std::size_t window;
  std::size_t sent = 0, completed = 0, failed = 0, target = 0;

  void send_more() {
    while (sent < target && sent - completed < window) {
      ++sent;
      p.async_send(record, [this](std::error_code ec, const record_metadata&) {
        ++completed;
        failed += ec ? 1 : 0;
        send_more();
      });
    }
  }
  bool run_to(asio::io_context& io, std::size_t total) {
    target = total;
    send_more();
    return run_until(io, [&] { return completed == target; }, 30s);
  }
};

TEST(ProducerAllocations, NonePerRecordInSteadyState) {
  broker_thread broker;
  asio::io_context io;
  producer p(io.get_executor(), producer_config::parse({{"bootstrap.servers", broker.bootstrap()},
                                                        {"linger.ms", "5"},
                                                        {"acks", "all"}}));
  const std::string value(100, 'x');
  window_driver d{p, value_record("t", value), 2000};

  // Warm-up: connections, metadata, batch buffers, the handler pool and the completion queue grow to the window.
  ASSERT_TRUE(d.run_to(io, 20000));
  const auto requests_before = p.metrics().produce_requests;

  constexpr std::size_t records = 40000;
  probe::start_on_this_thread();
  const bool done = d.run_to(io, 20000 + records);
  probe::stop();
  [[maybe_unused]] const std::size_t allocations = probe::count;
  ASSERT_TRUE(done);
  EXPECT_EQ(d.failed, 0u);
  const auto requests = p.metrics().produce_requests - requests_before;
  ASSERT_GT(requests, 0u);
  RecordProperty("allocations", static_cast<int>(allocations));
  RecordProperty("produce_requests", static_cast<int>(requests));
  std::printf("%zu allocations for %zu records in %zu Produce requests\n", allocations, records,
              static_cast<std::size_t>(requests));

#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the allocation probe is inactive under AddressSanitizer";
#else
  // Round 1 (handler pool, completion ring) took this from ~1.25 allocations per record (50,000 here) to ~20 per
  // Produce request; round 2 (scratch vectors, pooled frame buffers, inline request callbacks, ring queues on the
  // connection and the partition queues, the Produce response decoded into views, Asio's own operations on the
  // pool) to none per request: 0-3 in all here (a pool size class or a buffer growing once). One per request would
  // add ~270, one per record 40,000.
  //
  // One growth is not steady state but is allowed once: the completion ring keeps the most completions ever queued
  // at once (core/ring_queue.hpp, blocks of 32), and on a loaded machine the loop can fall behind the responses
  // until nearly the whole window waits there, a higher peak than the warm-up reached (0, 14, 26 or 33 allocations
  // from run to run on 2 busy cores, all of them ring blocks: gdb on the probe). That is bounded by the window, not
  // by the records: at most window / 32 blocks and one doubling of the ring of block pointers.
  const std::size_t completion_ring_growth = d.window / core::ring_queue<int>::block_size + 2;
  EXPECT_LE(allocations, 8 + requests / 32 + completion_ring_growth)
      << allocations << " allocations for " << records << " records in " << requests << " Produce requests";
#endif
}

TEST(HandlerPool, ReusesFreedBlocksPerSizeClass) {
  detail::handler_pool_ref ref;
  auto* pool = ref.get();
  void* a = pool->allocate(40, 8);
  void* b = pool->allocate(100, 8);  // another size class
  EXPECT_NE(a, b);
  EXPECT_EQ(pool->outstanding(), 2u);
  pool->deallocate(a, 40, 8);
  pool->deallocate(b, 100, 8);
  EXPECT_EQ(pool->outstanding(), 0u);
  EXPECT_EQ(pool->allocate(64, 8), a);   // same class (up to 64 bytes): the same block back
  EXPECT_EQ(pool->allocate(128, 8), b);  // 65..128 bytes
  pool->deallocate(a, 64, 8);
  pool->deallocate(b, 128, 8);
  void* big = pool->allocate(4096, 8);  // beyond the pooled sizes: straight from operator new
  pool->deallocate(big, 4096, 8);
  EXPECT_EQ(pool->outstanding(), 0u);
}

TEST(HandlerPool, OutlivesItsOwnerWhileBlocksAreOut) {
  void* block = nullptr;
  detail::handler_pool* pool = nullptr;
  {
    detail::handler_pool_ref ref;
    pool = ref.get();
    block = pool->allocate(48, 8);
  }  // the owner let go; the block keeps the pool alive (ASan would report a use after free below otherwise)
  std::memset(block, 0xab, 48);
  pool->deallocate(block, 48, 8);  // the last block back: the pool deletes itself (ASan would see a leak otherwise)
}

TEST(HandlerPool, BlocksFreedOnAnotherThreadAreReused) {
  detail::handler_pool_ref ref;
  auto* pool = ref.get();
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(pool->allocate(64, 8));
  std::thread other([&] {
    for (void* b : blocks) pool->deallocate(b, 64, 8);
  });
  other.join();
  EXPECT_EQ(pool->outstanding(), 0u);
  probe::start();
  for (int i = 0; i < 1000; ++i) blocks[static_cast<std::size_t>(i)] = pool->allocate(64, 8);
  probe::stop();
  EXPECT_EQ(probe::count, 0u);  // all came back from the other thread's frees
  for (void* b : blocks) pool->deallocate(b, 64, 8);
}

// An allocator that counts, to show async_send keeps a handler's own associated allocator.
struct counting_state {
  int allocations = 0;
};
template <class T>
struct counting_allocator {
  using value_type = T;
  counting_state* state;
  explicit counting_allocator(counting_state* s) : state(s) {}
  template <class U>
  counting_allocator(const counting_allocator<U>& o) : state(o.state) {}
  T* allocate(std::size_t n) {
    ++state->allocations;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const counting_allocator<U>& o) const {
    return state == o.state;
  }
};

TEST(ProducerAllocations, KeepsTheHandlersOwnAllocatorAndCompletesAfterDestruction) {
  asio::io_context io;
  // Nobody listens: the records wait for metadata until the producer is destroyed.
  asio::ip::tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = closed.local_endpoint().port();
  closed.close();
  counting_state state;
  int aborted = 0, pooled_aborted = 0;
  {
    producer p(io.get_executor(),
               producer_config::parse({{"bootstrap.servers", "127.0.0.1:" + std::to_string(port)},
                                       {"reconnect.backoff.ms", "5"}}));
    p.async_send(value_record("t", "v"),
                 asio::bind_allocator(counting_allocator<void>(&state), [&](std::error_code ec, record_metadata) {
                   aborted += ec == std::errc::operation_canceled;
                 }));
    EXPECT_GE(state.allocations, 1);  // the type-erased handler's storage came from the caller's allocator
    for (int i = 0; i < 100; ++i)     // these use the pool
      p.async_send(value_record("t", "v"),
                   [&](std::error_code ec, record_metadata) { pooled_aborted += ec == std::errc::operation_canceled; });
    run_for(io, 20ms);
  }  // destroyed with 101 handlers outstanding: their storage outlives the engine until they run
  run_for(io, 50ms);
  EXPECT_EQ(aborted, 1);
  EXPECT_EQ(pooled_aborted, 100);
}


// Handlers bound to a strand of a two-thread io_context run (and free their pooled storage) on those threads, some
// while the producer is being destroyed: the pool's cross-thread frees and its self-deletion by the last block
// (possibly on another thread) are what AddressSanitizer checks here.
TEST(ProducerAllocations, HandlersOnAnotherThreadsStrandSurviveTheProducer) {
  broker_thread broker;
  asio::io_context io;
  asio::io_context other(2);
  auto other_work = asio::make_work_guard(other);
  std::thread t1([&] { other.run(); });
  std::thread t2([&] { other.run(); });
  auto strand = asio::make_strand(other);
  std::atomic<int> succeeded{0}, aborted{0}, failed{0}, off_strand{0};
  auto handler = [&](std::error_code ec, const record_metadata&) {
    if (!strand.running_in_this_thread()) ++off_strand;
    if (!ec) ++succeeded;
    else if (ec == std::errc::operation_canceled) ++aborted;
    else ++failed;
  };
  constexpr int first = 3000, second = 2000;
  {
    producer p(io.get_executor(), producer_config::parse({{"bootstrap.servers", broker.bootstrap()},
                                                          {"linger.ms", "1"}}));
    const std::string value(100, 'x');
    for (int i = 0; i < first; ++i) p.async_send(value_record("t", value), asio::bind_executor(strand, handler));
    ASSERT_TRUE(run_until(io, [&] { return succeeded.load() == first; }, 10s));
    for (int i = 0; i < second; ++i) p.async_send(value_record("t", value), asio::bind_executor(strand, handler));
    io.poll();  // some in flight, most still queued, when the producer goes
  }
  EXPECT_TRUE(run_until(io, [&] { return succeeded + aborted + failed == first + second; }, 10s));
  other_work.reset();
  t1.join();
  t2.join();
  EXPECT_EQ(off_strand.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(succeeded + aborted, first + second);
}

// The per-request building blocks: a move-only callback stored in place, and a FIFO that keeps its capacity.
TEST(InlineFunction, StoresMoveOnlyCallablesWithoutAllocating) {
  auto owned = std::make_unique<int>(41);
  auto alive = std::make_shared<int>(0);
  probe::start();
  core::inline_function<int(int)> f([p = std::move(owned), alive](int x) { return *p + x; });
  core::inline_function<int(int)> g(std::move(f));  // relocated: f is empty, g owns the captures
  probe::stop();
  EXPECT_EQ(probe::count, 0u);
  EXPECT_FALSE(f);
  ASSERT_TRUE(g);
  EXPECT_EQ(g(1), 42);
  EXPECT_EQ(alive.use_count(), 2);
  g = nullptr;  // destroys the captures exactly once
  EXPECT_EQ(alive.use_count(), 1);
  core::inline_function<int(int)> h;
  h = core::inline_function<int(int)>([](int x) { return x * 2; });
  EXPECT_EQ(h(21), 42);
}

TEST(RingQueue, InsertsAndErasesInTheMiddleAcrossTheWrap) {
  core::ring_queue<int> q;
  constexpr int block = static_cast<int>(core::ring_queue<int>::block_size);
  for (int i = 0; i < block - 2; ++i) q.push_back(int{i});
  for (int i = 0; i < block - 3; ++i) q.pop_front();  // head near the end of the first block: the rest crosses
  for (int i = block - 2; i < block + 2; ++i) q.push_back(int{i});
  // q: 29 30 31 32 33  (block 32)
  q.insert_at(2, 100);  // 29 30 100 31 32 33  (a retried batch goes back ahead of newer ones)
  q.insert_at(0, 200);  // 200 29 30 100 31 32 33
  q.insert_at(q.size(), 300);
  q.erase_at(4);        // an expired batch leaves from the middle: 200 29 30 100 32 33 300
  std::vector<int> seen;
  for (std::size_t i = 0; i < q.size(); ++i) seen.push_back(q[i]);
  const int b = block;
  EXPECT_EQ(seen, (std::vector<int>{200, b - 3, b - 2, 100, b, b + 1, 300}));
  EXPECT_EQ(q.front(), 200);
  EXPECT_EQ(q.back(), 300);
  q.pop_back();
  EXPECT_EQ(q.back(), b + 1);
}

// Growth allocates room and never moves what is queued (moving a backlog of ~65k completions into a bigger ring
// took 3-12 ms in one turn of the loop): an element's address stays the same until it is popped, across 100,000
// pushes, and the queue still comes out in order.
TEST(RingQueue, GrowingNeverMovesElements) {
  core::ring_queue<std::string> q;
  q.push_back("first, long enough not to fit in the small-string buffer");
  q.push_back("second, long enough not to fit in the small-string buffer");
  const std::string* first = &q.front();
  const std::string* second = &q[1];
  const char* first_bytes = q.front().data();
  for (int i = 0; i < 100000; ++i) q.push_back(std::to_string(i));
  EXPECT_EQ(&q.front(), first);
  EXPECT_EQ(&q[1], second);
  EXPECT_EQ(q.front().data(), first_bytes);
  q.pop_front();
  EXPECT_EQ(&q.front(), second);
  q.pop_front();
  for (int i = 0; i < 100000; ++i) {
    ASSERT_EQ(q.front(), std::to_string(i));
    q.pop_front();
  }
  EXPECT_TRUE(q.empty());
}

TEST(RingQueue, KeepsOrderAcrossWrapAndGrowthThenStopsAllocating) {
  core::ring_queue<std::unique_ptr<int>> q;
  int next_in = 0, next_out = 0;
  // Interleaved pushes and pops so the head wraps around while the ring also grows (1, 2, 4 blocks of 32).
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < round; ++i) q.push_back(std::make_unique<int>(next_in++));
    for (int i = 0; i < round / 2; ++i) {
      ASSERT_EQ(*q.front(), next_out++);
      q.pop_front();
    }
  }
  EXPECT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
  auto moved = std::move(q);
  EXPECT_TRUE(q.empty());
  std::vector<std::unique_ptr<int>> values;  // allocated outside the probe
  for (int i = 0; i < 100; ++i) values.push_back(std::make_unique<int>(0));
  probe::start();
  while (!moved.empty()) {
    EXPECT_EQ(*moved.front(), next_out++);
    moved.pop_front();
  }
  for (int i = 0; i < 32; ++i) moved.push_back(std::move(values[static_cast<std::size_t>(i)]));  // within capacity
  probe::stop();
  EXPECT_EQ(probe::count, 0u);
  EXPECT_EQ(moved.size(), 32u);
}

}  // namespace
}  // namespace kafkio::test
