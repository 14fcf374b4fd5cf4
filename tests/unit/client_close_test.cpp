// After async_close completes the producer holds no asynchronous operation: an io_context that runs only the
// producer runs out of work, so `io.run()` returns (a server's worker exits its loop this way at SIGTERM). A
// timer left waiting for a deadline that no longer matters (metadata.max.age, a connect deadline) would keep
// run() from returning for minutes. The fake broker runs on its own thread and io_context here, so that it does not
// keep the producer's io_context busy itself.
#include "support/fake_broker.hpp"

#include <kafkio/producer.hpp>

#include <boost/asio/executor_work_guard.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace kafkio::test {
namespace {

using namespace std::chrono_literals;

TEST(ProducerClose, TheProducersLoopRunsOutOfWorkOnceCloseCompleted) {
  asio::io_context broker_io;
  fake_broker fake(broker_io);
  fake.create_topic("t", 1);
  auto guard = asio::make_work_guard(broker_io);
  std::thread broker([&] { broker_io.run(); });

  asio::io_context io;
  bool delivered = false, closed = false;
  {
    producer p(io.get_executor(), producer_config::parse({{"bootstrap.servers", fake.bootstrap()}, {"linger.ms", "0"},
                                                          {"metadata.max.age.ms", "600000"}}));
    producer_record r;
    r.topic = "t";
    r.value = "v";
    p.async_send(r, [&](std::error_code ec, record_metadata) { delivered = !ec; });
    p.async_close([&](std::error_code ec) { closed = !ec; });
    // run_for returns before its duration only when nothing is pending.
    const auto t0 = std::chrono::steady_clock::now();
    io.run_for(10s);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << "the producer kept asynchronous work pending after close";
    EXPECT_TRUE(delivered);
    EXPECT_TRUE(closed);
  }
  guard.reset();
  broker_io.stop();
  broker.join();
}

}  // namespace
}  // namespace kafkio::test
