// A fake Kafka cluster on loopback for unit tests of the producer: Asio acceptors on 127.0.0.1:0, in the test's own
// io_context, carrying bytes to and from fake_cluster (fake_cluster.hpp: the answers, the logs, the scripting).
//
//   boost::asio::io_context io;
//   kafkio::test::fake_broker fake(io);                 // node 1; {.nodes = 2} for two listeners
//   fake.create_topic("t", 3);
//   fake.inject(api_key::produce, fake_fault::truncate_and_close);
//   fake.fail_produce({6, 7});                          // the next two batches get these partition errors
//   kafkio::producer p(io, cfg(fake.bootstrap()));
//   kafkio::test::run_until(io, [&] { return done; }, 5s);
//
// Single-threaded, like the producer: everything runs on the io_context's thread.
#pragma once

#include "fake_cluster.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kafkio::test {

namespace asio = boost::asio;

// Runs `io` until `done()` is true or `timeout` passed; returns done(). The fake's pending accept keeps the
// io_context busy, so this never returns early for lack of work.
template <class Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(5));
  }
  return done();
}
// Runs `io` for `d` (to let things happen that must NOT complete, or to drain posted handlers).
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  run_until(io, [] { return false; }, d);
}

class fake_broker : public fake_cluster {
 public:
  explicit fake_broker(asio::io_context& io) : fake_broker(io, options{}) {}
  fake_broker(asio::io_context& io, options o)
      : fake_cluster(o, [this](int node) { return std::pair<std::string, std::uint16_t>("127.0.0.1", ports_.at(node)); }),
        io_(io) {
    for (int n = 1; n <= o.nodes; ++n) {
      auto& l = listeners_[n];
      l = std::make_unique<asio::ip::tcp::acceptor>(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      ports_[n] = l->local_endpoint().port();
      accept(n);
    }
  }
  ~fake_broker() {
    stop();
    *alive_ = false;  // handlers still queued in the io_context must not touch a destroyed fake
  }
  fake_broker(const fake_broker&) = delete;
  fake_broker& operator=(const fake_broker&) = delete;

  std::string bootstrap() const {
    std::string s;
    for (const auto& [n, port] : ports_) s += (s.empty() ? "" : ",") + address(n);
    return s;
  }
  std::string address(int node) const { return "127.0.0.1:" + std::to_string(ports_.at(node)); }

  void stop() {
    for (auto& [n, l] : listeners_) {
      boost::system::error_code ignored;
      l->close(ignored);
    }
    drop_connections();
  }

 private:
  // One accepted socket and its fake_session.
  struct connection : std::enable_shared_from_this<connection> {
    connection(asio::io_context& io) : socket(io), reader(64u << 20) {}
    asio::ip::tcp::socket socket;
    std::shared_ptr<fake_session> session;
    protocol::frame_reader reader;
    bool writing = false, closed = false;

    // Writes the session's outbox, one frame at a time; closes when the session says so.
    void pump() {
      if (closed) return;
      if (session->closed) return close();
      if (writing) return;
      if (session->outbox.empty()) {
        if (session->close_after_write) close();
        return;
      }
      writing = true;
      asio::async_write(socket, asio::buffer(session->outbox.front()), [self = shared_from_this()](auto ec, std::size_t) {
        self->writing = false;
        if (self->closed) return;
        if (ec) return self->close();
        self->session->outbox.pop_front();
        self->pump();
      });
    }
    void close() {
      closed = true;
      session->closed = true;
      boost::system::error_code ignored;
      socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    }
  };

  void accept(int node) {
    auto c = std::make_shared<connection>(io_);
    listeners_.at(node)->async_accept(c->socket, [this, c, node, alive = alive_](boost::system::error_code ec) {
      if (!*alive || ec) return;
      c->session = open_session(node);
      c->session->wake = [weak = std::weak_ptr<connection>(c)] {
        if (auto c = weak.lock()) c->pump();
      };
      c->socket.set_option(asio::ip::tcp::no_delay(true));
      connections_.push_back(c);
      read(c);
      accept(node);
    });
  }

  void read(const std::shared_ptr<connection>& c) {
    auto space = c->reader.prepare();
    c->socket.async_read_some(asio::buffer(space.data(), space.size()),
                              [this, c, alive = alive_](boost::system::error_code ec, std::size_t n) {
                                if (!*alive || c->closed) return;
                                if (ec) return c->close();
                                c->reader.commit(n);
                                bytes_view frame;
                                std::error_code fec;
                                for (;;) {
                                  auto st = c->reader.next(frame, fec);
                                  if (st == protocol::frame_reader::status::need_more) break;
                                  if (st == protocol::frame_reader::status::error) return c->close();
                                  on_request(*c->session, frame);
                                  c->pump();
                                  if (c->closed) return;
                                }
                                read(c);
                              });
  }

  asio::io_context& io_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // handlers outliving the fake do nothing
  std::map<int, std::unique_ptr<asio::ip::tcp::acceptor>> listeners_;
  std::map<int, std::uint16_t> ports_;
  std::vector<std::shared_ptr<connection>> connections_;
};

}  // namespace kafkio::test
