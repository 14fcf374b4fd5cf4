// kafkio-produce: a kcat-style producer. One record per line of standard input; waits for every acknowledgement;
// exits 0 only if every record was delivered. Errors go to stderr, one line per failed record, and it always ends
// with a "N delivered, M failed" line on stderr.
//
//   kafkio-produce -b 127.0.0.1:19092 -t events [-p 0] [-K :] [-H name=value]... [-z lz4] [-X acks=1]... [-v]
//
// With -X transactional.id=ID the lines go in transactions of -N lines each (default 1000): each is committed
// whole or, if a record of it fails, aborted whole (its records then count as failed).
#include "tool_support.hpp"

#include <kafkio/statistics_json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>

#include <unistd.h>

#include <optional>
#include <system_error>

namespace asio = boost::asio;

namespace {

struct options {
  kafkio::property_list props;
  std::string topic;
  std::optional<std::int32_t> partition;
  std::optional<char> key_delimiter;
  std::vector<std::pair<std::string, std::string>> headers;
  bool verbose = false;
  std::size_t transaction_lines = 1000;  // with transactional.id: lines per transaction
  bool transactional = false;
};

constexpr const char* usage_text =
    "usage: kafkio-produce -b BROKERS -t TOPIC [-p PARTITION] [-K DELIM] [-H NAME=VALUE]...\n"
    "                      [-z none|gzip|snappy|lz4|zstd] [-X PROPERTY=VALUE]... [-N LINES] [-v] [-h]\n"
    "  One record per line of standard input. -K splits key and value at DELIM; -X sets any producer property\n"
    "  (docs/producer.md); with -X transactional.id=ID every -N LINES (default 1000) are one transaction;\n"
    "  with -X statistics.interval.ms=MS librdkafka's statistics JSON goes to stderr, a line each.\n"
    "  Exit status: 0 all delivered, 1 some failed, 2 bad usage or configuration.\n";

[[noreturn]] void usage(const char* why) {
  std::cerr << "kafkio-produce: " << why << "\n" << usage_text;
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage("missing value after option");
      return argv[++i];
    };
    if (a == "-b") o.props.emplace_back("bootstrap.servers", value());
    else if (a == "-t") o.topic = value();
    else if (a == "-p") o.partition = std::stoi(std::string(value()));
    else if (a == "-K") {
      auto d = value();
      if (d.size() != 1) usage("-K takes a single character");
      o.key_delimiter = d[0];
    } else if (a == "-H") {
      auto kv = kafkio::tools::split_property(value());
      if (!kv) usage("-H takes NAME=VALUE");
      o.headers.push_back(*kv);
    } else if (a == "-z") o.props.emplace_back("compression.type", value());
    else if (a == "-X") {
      auto kv = kafkio::tools::split_property(value());
      if (!kv) usage("-X takes PROPERTY=VALUE");
      o.props.push_back(*kv);
    } else if (a == "-N") {
      auto n = kafkio::detail::parse_integer(value());
      if (!n || *n < 1) usage("-N takes a positive number of lines");
      o.transaction_lines = static_cast<std::size_t>(*n);
    } else if (a == "-v") o.verbose = true;
    else if (a == "-h" || a == "--help") {
      std::cout << usage_text;
      std::exit(0);
    } else usage("unknown option");
  }
  for (const auto& [k, v] : o.props) o.transactional |= k == "transactional.id" && !v.empty();
  if (o.topic.empty()) usage("-t TOPIC is required");
  return o;
}

struct run_state {
  std::uint64_t delivered = 0, failed = 0;
  std::uint64_t acked_in_transaction = 0;  // acknowledged, visible only if their transaction commits
};

// Ends the open transaction: commit, or abort if the commit failed. Its acknowledged records are delivered only if
// it committed.
asio::awaitable<void> end_transaction(kafkio::producer& p, run_state& st) {
  boost::system::error_code ec;
  co_await p.async_commit_transaction(asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    std::cerr << "kafkio-produce: transaction not committed: " << ec.message() << "\n";
    boost::system::error_code abort_ec;
    co_await p.async_abort_transaction(asio::redirect_error(asio::use_awaitable, abort_ec));
    if (abort_ec) std::cerr << "kafkio-produce: abort failed too: " << abort_ec.message() << "\n";
    st.failed += st.acked_in_transaction;
  } else {
    st.delivered += st.acked_in_transaction;
  }
  st.acked_in_transaction = 0;
}

asio::awaitable<void> produce_lines(kafkio::producer& p, const options& o, run_state& st) {
  auto ex = co_await asio::this_coro::executor;
  kafkio::tools::inflight_limit limit(ex, 100000);
  std::vector<kafkio::header> headers;
  for (const auto& [k, v] : o.headers) headers.push_back({k, v});

  auto send_line = [&](std::string_view line) {
    kafkio::producer_record r;
    r.topic = o.topic;
    r.partition = o.partition;
    r.value = line;
    r.headers = headers;
    if (o.key_delimiter) {
      auto d = line.find(*o.key_delimiter);
      if (d != std::string_view::npos) {
        r.key = line.substr(0, d);
        r.value = line.substr(d + 1);
      }
    }
    limit.add();
    p.async_send(r, [&](std::error_code ec, kafkio::record_metadata md) {
      limit.done();
      if (ec) {
        ++st.failed;
        std::cerr << "kafkio-produce: record not delivered to " << md.topic << ": " << ec.message() << "\n";
      } else {
        ++(o.transactional ? st.acked_in_transaction : st.delivered);
        if (o.verbose) std::cerr << md.topic << " [" << md.partition << "] @ " << md.offset << "\n";
      }
    });
  };

  // Standard input through the event loop when it is a pipe or terminal; a regular file cannot be polled, and
  // reading it does not wait on anyone, so it is read directly in chunks.
  std::size_t lines_in_transaction = 0;
  if (o.transactional) {
    co_await p.async_init_transactions(asio::use_awaitable);  // failure: an exception, reported by main
    co_await p.async_begin_transaction(asio::use_awaitable);
  }

  asio::posix::stream_descriptor in(ex);
  boost::system::error_code ec;
  const int fd = ::dup(STDIN_FILENO);
  in.assign(fd, ec);  // epoll refuses regular files (EPERM)
  const bool pollable = !ec;
  ec = {};
  asio::streambuf buf;
  for (;;) {
    std::size_t n = 0;
    if (pollable) {
      n = co_await asio::async_read_until(in, buf, '\n', asio::redirect_error(asio::use_awaitable, ec));
    } else {
      auto data = std::string_view(static_cast<const char*>(buf.data().data()), buf.size());
      auto nl = data.find('\n');
      if (nl == std::string_view::npos && !ec) {  // need more input before the next line is whole
        auto space = buf.prepare(65536);
        auto got = ::read(fd, space.data(), space.size());
        if (got <= 0) ec = asio::error::eof;
        else buf.commit(static_cast<std::size_t>(got));
        continue;
      }
      n = nl == std::string_view::npos ? 0 : nl + 1;
    }
    if (ec && buf.size() == 0) break;
    if (n == 0 && ec) n = buf.size();  // last line without a newline
    if (n == 0) continue;
    std::string_view line(static_cast<const char*>(buf.data().data()), n);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    send_line(line);
    buf.consume(n);
    if (o.transactional && ++lines_in_transaction == o.transaction_lines) {
      co_await end_transaction(p, st);
      co_await limit.drained();
      lines_in_transaction = 0;
      co_await p.async_begin_transaction(asio::use_awaitable);
    }
    if (limit.count() >= 100000) co_await limit.room();
  }
  if (o.transactional && lines_in_transaction > 0) co_await end_transaction(p, st);
  co_await limit.drained();
  co_await p.async_close(asio::use_awaitable);
}

}  // namespace

int main(int argc, char** argv) {
  auto o = parse_args(argc, argv);
  auto parsed = kafkio::producer_config::parse(o.props);
  if (parsed.error) {
    std::cerr << "kafkio-produce: " << parsed.message << "\n";
    return 2;
  }
  asio::io_context io;
  std::optional<kafkio::producer> made;
  try {
    made.emplace(io.get_executor(), parsed);  // reads TLS certificates and keys
  } catch (const std::system_error& e) {
    std::cerr << "kafkio-produce: " << e.what() << "\n";
    return 2;
  }
  auto& p = *made;
  if (o.verbose)
    p.set_logger([](kafkio::log_level, std::string_view msg) { std::cerr << "kafkio: " << msg << "\n"; });
  // -X statistics.interval.ms=MS: librdkafka's statistics JSON on stderr, one line each (the last after close).
  const auto started = std::chrono::steady_clock::now();
  p.set_statistics_callback([&p, started](const kafkio::producer_metrics& m) {
    const auto age = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    std::cerr << kafkio::statistics_json(m, {.client_id = p.config().client_id, .age = age}) << "\n";
  });
  run_state st;
  std::exception_ptr failure;
  asio::co_spawn(io, produce_lines(p, o, st), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "kafkio-produce: " << e.what() << "\n";
      st.failed += st.acked_in_transaction;
    }
  }
  std::cerr << "kafkio-produce: " << st.delivered << " delivered, " << st.failed << " failed\n";
  return st.failed || failure ? 1 : 0;
}
