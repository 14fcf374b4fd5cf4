// producer::async_connect, the warm-up and readiness probe: it completes once metadata arrived, fails after
// max.block.ms when no broker answers, and like every operation completes exactly once on close or destruction.
#include "client_fake_broker_fixture.hpp"

#include <boost/asio/use_future.hpp>

namespace kafkio::test {
namespace {

using Connect = FakeBrokerTest;

struct connect_outcome {
  int calls = 0;
  std::error_code ec;
};

auto record_into(connect_outcome& o) {
  return [&o](std::error_code ec) {
    ++o.calls;
    o.ec = ec;
  };
}

TEST_F(Connect, FetchesMetadataWithoutAnyRecord) {
  start();
  EXPECT_FALSE(prod->has_metadata());
  connect_outcome o;
  prod->async_connect(record_into(o));
  ASSERT_TRUE(run_until(io, [&] { return o.calls > 0; }, 5s));
  EXPECT_EQ(o.calls, 1);
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_TRUE(prod->has_metadata());
  EXPECT_GE(fake->requests(api_key::metadata), 1);
  EXPECT_EQ(fake->requests(api_key::produce), 0);

  // Once connected, later calls complete at once (on the next loop turns) without asking again.
  const int metadata_requests = fake->requests(api_key::metadata);
  connect_outcome again;
  prod->async_connect(record_into(again));
  EXPECT_EQ(again.calls, 0);  // never inline: completion handlers run from the executor
  run_for(io, 10ms);
  EXPECT_EQ(again.calls, 1);
  EXPECT_FALSE(again.ec);
  EXPECT_EQ(fake->requests(api_key::metadata), metadata_requests);

  // A record after the warm-up goes straight to its batch.
  send("v0");
  ASSERT_TRUE(all_completed());
  expect_all_succeeded();
}

TEST_F(Connect, SeveralWaitersAllComplete) {
  make_fake();
  fake->inject(api_key::metadata, fake_fault::swallow, 1);  // the first answer is lost: the retry brings it
  start({{"request.timeout.ms", "200"}});
  connect_outcome a, b;
  prod->async_connect(record_into(a));
  prod->async_connect(record_into(b));
  ASSERT_TRUE(run_until(io, [&] { return a.calls > 0 && b.calls > 0; }, 5s));
  EXPECT_FALSE(a.ec) << a.ec.message();
  EXPECT_FALSE(b.ec) << b.ec.message();
  run_for(io, 20ms);
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
}

TEST_F(Connect, NoBrokerFailsAfterMaxBlock) {
  start({{"max.block.ms", "300"}}, "127.0.0.1:" + std::to_string(closed_port(io)));
  connect_outcome o;
  const auto began = std::chrono::steady_clock::now();
  prod->async_connect(record_into(o));
  ASSERT_TRUE(run_until(io, [&] { return o.calls > 0; }, 5s));
  const auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(o.ec, client_errc::broker_connection_failed) << o.ec.message();
  EXPECT_GE(waited, 290ms);
  EXPECT_FALSE(prod->has_metadata());
}

TEST_F(Connect, StaggeredWaitersExpireOneByOne) {
  // Waiters whose deadlines differ: the first expires while the second still waits (a readiness probe polled while
  // no broker answers). Removing one from the middle of the waiters must not disturb the other.
  start({{"max.block.ms", "300"}}, "127.0.0.1:" + std::to_string(closed_port(io)));
  connect_outcome first, second, third;
  prod->async_connect(record_into(first));
  run_for(io, 100ms);
  prod->async_connect(record_into(second));
  run_for(io, 100ms);
  prod->async_connect(record_into(third));
  ASSERT_TRUE(run_until(io, [&] { return first.calls > 0; }, 5s));
  EXPECT_EQ(second.calls, 0);
  EXPECT_EQ(third.calls, 0);
  ASSERT_TRUE(run_until(io, [&] { return second.calls > 0 && third.calls > 0; }, 5s));
  for (const auto* o : {&first, &second, &third}) {
    EXPECT_EQ(o->calls, 1);
    EXPECT_EQ(o->ec, client_errc::broker_connection_failed) << o->ec.message();
  }
}

TEST_F(Connect, CloseAndDestructionCompleteWaiters) {
  make_fake();
  fake->inject(api_key::metadata, fake_fault::swallow, 100);
  start();
  connect_outcome pending;
  prod->async_connect(record_into(pending));
  run_for(io, 50ms);
  EXPECT_EQ(pending.calls, 0);
  prod.reset();
  ASSERT_TRUE(run_until(io, [&] { return pending.calls > 0; }, 2s));
  EXPECT_EQ(pending.ec, std::errc::operation_canceled) << pending.ec.message();

  start();
  bool closed = false;
  prod->async_close([&](std::error_code) { closed = true; });
  ASSERT_TRUE(run_until(io, [&] { return closed; }, 2s));
  connect_outcome after_close;
  prod->async_connect(record_into(after_close));
  ASSERT_TRUE(run_until(io, [&] { return after_close.calls > 0; }, 2s));
  EXPECT_EQ(after_close.ec, client_errc::producer_closed);
}

TEST_F(Connect, WorksWithFutures) {
  start();
  auto f = prod->async_connect(boost::asio::use_future);
  ASSERT_TRUE(run_until(io, [&] { return f.wait_for(0s) == std::future_status::ready; }, 5s));
  EXPECT_NO_THROW(f.get());
}

}  // namespace
}  // namespace kafkio::test
