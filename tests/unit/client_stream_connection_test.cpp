// tcp_connection, the bytes-only side of a broker connection, over a real loopback socket with the driver played by
// the test: what the core asks for (write what the pipeline holds) and what the connection reports back.
#include <kafkio/detail/stream_connection.hpp>

#include <boost/asio/read.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace kafkio::test {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

protocol::byte_buffer frame_of(char c, std::size_t n) { return protocol::byte_buffer(n, static_cast<std::uint8_t>(c)); }

// Plays the driver: writes again from inside on_written whenever the pipeline says more was queued meanwhile,
// exactly as asio_driver does through the core.
struct driver_stub final : detail::connection_events {
  core::request_pipeline pipe{1 << 20};
  std::shared_ptr<detail::connection_io> conn;
  int written = 0, completed = 0;
  std::error_code error;

  void on_connected(core::connection_id, std::error_code ec) override {
    if (ec) {
      error = ec;
      return;
    }
    queue('a', 3 << 20);
    conn->write(pipe);
    queue('b', 3 << 20);  // waits in the outbox while the first write runs
    conn->write(pipe);    // a no-op: the connection is writing
  }
  void on_bytes(core::connection_id, protocol::bytes_view) override {}
  void on_written(core::connection_id, std::vector<protocol::byte_buffer>& frames) override {
    ++written;
    if (pipe.end_write(frames)) conn->write(pipe);  // the next write starts inside this completion
  }
  void on_disconnected(core::connection_id, std::error_code ec) override { error = ec; }

  void queue(char c, std::size_t n) {
    pipe.enqueue(frame_of(c, n), 0, false, core::time_point::max(), [this](std::error_code ec, protocol::bytes_view) {
      if (!ec) ++completed;
    });
  }
};

TEST(TcpConnection, AWriteStartedFromTheLastWritesCompletionKeepsItsFrames) {
  // The connection once cleared its frame list after on_written returned, freeing the frames of the write that
  // on_written had just started: the peer got freed memory, and the requests in it were never answered (each
  // stalled until request.timeout.ms; found as 1 KiB records crawling at 7,500 records/s in bench/compare_builds.py).
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::ip::tcp::socket peer(io);
  std::shared_ptr<detail::tcp_connection> conn;
  std::string received;
  received.resize(6 << 20);
  bool peer_done = false;
  acceptor.async_accept(peer, [&](boost::system::error_code ec) {
    ASSERT_FALSE(ec);
    asio::async_read(peer, asio::buffer(received), [&](boost::system::error_code ec2, std::size_t n) {
      EXPECT_FALSE(ec2);
      EXPECT_EQ(n, received.size());
      peer_done = true;
      conn->close();  // nothing left pending: run_for returns
      peer.close();
    });
  });

  auto events = std::make_shared<driver_stub>();
  detail::handler_pool_ref pool;
  conn = std::make_shared<detail::tcp_connection>(io.get_executor(), 1, events, pool);
  events->conn = conn;
  conn->start({"127.0.0.1", std::to_string(acceptor.local_endpoint().port())});
  io.run_for(20s);

  ASSERT_FALSE(events->error) << events->error.message();
  ASSERT_TRUE(peer_done);
  EXPECT_EQ(events->written, 2);
  EXPECT_EQ(events->completed, 2);  // requests without a response complete once written
  EXPECT_EQ(received.find_first_not_of('a'), std::size_t{3 << 20}) << "the first frame arrived damaged";
  EXPECT_EQ(received.find_first_not_of('b', 3 << 20), std::string::npos) << "the second frame arrived damaged";
}

}  // namespace
}  // namespace kafkio::test
