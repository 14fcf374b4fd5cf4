// kafkio-alloc-count: heap allocations per record of kafkio::producer in steady state.
//
// The producer runs on this program's main thread against an in-process ack sink (bench/ack_sink.hpp) on a second
// thread. malloc/calloc/realloc/memalign and operator new are replaced here and count the calls made on the
// producer's thread only (a thread_local switch), so the sink's own allocations are not counted. After `--warmup`
// records have completed (connections up, metadata known, batch buffers and pools grown), the counters are read;
// they are read again when `--records` more have completed. Allocations per record = difference / records.
//
//   kafkio-alloc-count [--records 1000000] [--warmup 200000] [--record-size 100] [--in-flight 10000] [--dry]
//                      [--producer-props acks=1 linger.ms=0 compression.type=lz4 ...] [--json]
//
// The driver itself is built to allocate nothing per record (a plain lambda per send, the pump re-posted at most
// once per batch of completions). --dry runs the same driver with sends that complete inline and no producer at
// all: its figure is the driver's own share, to subtract.
#include "ack_sink.hpp"

#include <kafkio/producer.hpp>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <thread>

// Counting allocator ---------------------------------------------------------------------------------------------

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace {

struct alloc_counts {
  std::uint64_t mallocs = 0;  // every allocating call: malloc, calloc, realloc, memalign (operator new included)
  std::uint64_t news = 0;     // of which through operator new
  std::uint64_t frees = 0;
  std::uint64_t bytes = 0;
};
// Plain data in static TLS of the executable: touching it never allocates.
thread_local bool t_counting = false;
thread_local alloc_counts t_counts;

inline void count(std::size_t n) noexcept {
  if (t_counting) {
    ++t_counts.mallocs;
    t_counts.bytes += n;
  }
}

void* checked_new(std::size_t n) {
  if (t_counting) ++t_counts.news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* checked_new_aligned(std::size_t n, std::align_val_t a) {
  if (t_counting) ++t_counts.news;
  if (void* p = std::aligned_alloc(static_cast<std::size_t>(a), (n + static_cast<std::size_t>(a) - 1) & ~(static_cast<std::size_t>(a) - 1)))
    return p;
  throw std::bad_alloc();
}

}  // namespace

extern "C" {
void* malloc(std::size_t n) {
  count(n);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  count(n);
  return __libc_realloc(p, n);
}
void free(void* p) {
  if (p && t_counting) ++t_counts.frees;
  __libc_free(p);
}
void* memalign(std::size_t align, std::size_t n) {
  count(n);
  return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
  count(n);
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  count(n);
  void* p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}

void* operator new(std::size_t n) { return checked_new(n); }
void* operator new[](std::size_t n) { return checked_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new(std::size_t n, std::align_val_t a) { return checked_new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return checked_new_aligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

// Driver ---------------------------------------------------------------------------------------------------------

namespace {

namespace asio = boost::asio;

struct options {
  std::int64_t records = 1'000'000, warmup = 200'000;
  std::size_t record_size = 100;
  std::size_t in_flight = 10000;
  kafkio::property_list props;
  bool dry = false, json = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "kafkio-alloc-count: %s\nusage: kafkio-alloc-count [--records N] [--warmup N] [--record-size BYTES] "
               "[--in-flight N] [--dry] [--producer-props K=V ...] [--json]\n",
               why);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--records") o.records = std::stoll(value());
    else if (a == "--warmup") o.warmup = std::stoll(value());
    else if (a == "--record-size") o.record_size = std::stoul(value());
    else if (a == "--in-flight") o.in_flight = std::stoul(value());
    else if (a == "--dry") o.dry = true;
    else if (a == "--json") o.json = true;
    else if (a == "--producer-props") {
      while (i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--") {
        std::string_view kv = argv[++i];
        auto eq = kv.find('=');
        if (eq == std::string_view::npos || eq == 0) usage("--producer-props takes K=V pairs");
        o.props.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
      }
    } else usage("unknown option");
  }
  if (o.records <= 0 || o.warmup < 0 || o.in_flight == 0)
    usage("--records and --in-flight must be positive, --warmup not negative");
  return o;
}

// Keeps up to --in-flight records outstanding; completions re-post the pump once half of them are back.
class driver {
 public:
  driver(asio::io_context& io, kafkio::producer* p, const options& o)
      : io_(io), producer_(p), opts_(o), payload_(o.record_size, 'x') {
    record_.topic = "bench";  // short: record_metadata::topic stays in std::string's small buffer
    record_.value = payload_;
    // Like an application with a bounded number of records outstanding; much less than --records, so the window
    // between --warmup and the end is a steady state of sends and completions.
    limit_ = o.in_flight;
  }
  void start() { pump(); }
  alloc_counts at_warmup, at_end;
  std::uint64_t requests_at_warmup = 0, requests_at_end = 0;  // Produce requests sent (producer metrics)
  std::int64_t errors = 0;
  bool done() const { return completed_ == total(); }

 private:
  std::int64_t total() const { return opts_.warmup + opts_.records; }
  void pump() {
    pump_posted_ = false;
    while (sent_ < total() && in_flight_ < limit_) {
      ++sent_;
      ++in_flight_;
      auto on_done = [this](std::error_code ec, const kafkio::record_metadata&) { completed(ec); };
      if (producer_) producer_->async_send(record_, on_done);
      else on_done({}, kafkio::record_metadata{});  // --dry: completes inline; only the driver's own costs remain
    }
  }
  void completed(std::error_code ec) {
    --in_flight_;
    if (ec && errors++ < 5) std::fprintf(stderr, "kafkio-alloc-count: send failed: %s\n", ec.message().c_str());
    ++completed_;
    if (completed_ == opts_.warmup) {
      // metrics() allocates (the per-broker list): read before the window opens and after it closes.
      if (producer_) requests_at_warmup = producer_->metrics().produce_requests;
      at_warmup = t_counts;
    }
    if (completed_ == total()) {
      at_end = t_counts;
      if (producer_) requests_at_end = producer_->metrics().produce_requests;
    }
    if (!pump_posted_ && sent_ < total() && in_flight_ <= limit_ / 2) {
      pump_posted_ = true;
      asio::post(io_, [this] { pump(); });
    }
  }

  asio::io_context& io_;
  kafkio::producer* producer_;
  const options& opts_;
  std::string payload_;
  kafkio::producer_record record_;
  std::size_t limit_, in_flight_ = 0;
  std::int64_t sent_ = 0, completed_ = 0;
  bool pump_posted_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const auto o = parse_args(argc, argv);

  asio::io_context sink_io(1);
  kafkio::bench::ack_sink sink(sink_io, {});
  std::thread sink_thread([&] { sink_io.run(); });

  kafkio::property_list props{{"bootstrap.servers", sink.address()}};
  props.insert(props.end(), o.props.begin(), o.props.end());
  auto parsed = kafkio::producer_config::parse(props);
  if (parsed.error) {
    std::fprintf(stderr, "kafkio-alloc-count: %s\n", parsed.message.c_str());
    return 2;
  }

  asio::io_context io(1);
  std::optional<kafkio::producer> producer;
  if (!o.dry) producer.emplace(io.get_executor(), parsed);
  driver d(io, producer ? &*producer : nullptr, o);
  t_counting = true;  // from here on this thread is the producer's
  d.start();
  while (!d.done()) io.run_one();
  if (producer) {
    producer->async_close([](std::error_code) {});
    io.run();
  }
  t_counting = false;
  // The sink belongs to its own thread: stop it there.
  asio::post(sink_io, [&] {
    sink.stop();
    sink_io.stop();
  });
  sink_thread.join();

  const auto n = static_cast<double>(o.records);
  const auto mallocs = static_cast<double>(d.at_end.mallocs - d.at_warmup.mallocs);
  const auto news = static_cast<double>(d.at_end.news - d.at_warmup.news);
  const auto bytes = static_cast<double>(d.at_end.bytes - d.at_warmup.bytes);
  const auto requests = static_cast<double>(d.requests_at_end - d.requests_at_warmup);
  const double per_request = requests > 0 ? mallocs / requests : 0.0;
  std::printf("%s%lld records after %lld warm-up: %.4f allocations/record (%.4f via operator new), %.1f bytes/record; "
              "%.0f Produce requests, %.3f allocations/request\n",
              o.dry ? "driver only (--dry): " : "", static_cast<long long>(o.records), static_cast<long long>(o.warmup),
              mallocs / n, news / n, bytes / n, requests, per_request);
  if (o.json)
    std::printf("{\"dry\":%s,\"records\":%lld,\"warmup\":%lld,\"allocs_per_record\":%.4f,\"news_per_record\":%.4f,"
                "\"alloc_bytes_per_record\":%.1f,\"requests\":%.0f,\"allocs_per_request\":%.4f,\"errors\":%lld}\n",
                o.dry ? "true" : "false", static_cast<long long>(o.records), static_cast<long long>(o.warmup),
                mallocs / n, news / n, bytes / n, requests, per_request, static_cast<long long>(d.errors));
  return d.errors ? 1 : 0;
}
