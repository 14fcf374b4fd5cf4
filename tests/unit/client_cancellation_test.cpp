// Per-operation cancellation: a send waiting for buffer.memory can be cancelled; one already batched cannot.
// No broker needed: the bootstrap address refuses connections, so nothing leaves the buffer.
#include <kafkio/producer.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <gtest/gtest.h>

namespace asio = boost::asio;

TEST(ProducerCancellation, WaitingForRoomIsCancellable) {
  asio::io_context io;
  auto cfg = kafkio::producer_config::parse({{"bootstrap.servers", "127.0.0.1:1"},
                                             {"buffer.memory", "4096"},
                                             {"delivery.timeout.ms", "60000"}});
  ASSERT_FALSE(cfg.error) << cfg.message;
  kafkio::producer p(io.get_executor(), cfg);
  std::string big(3000, 'x');
  kafkio::producer_record r;
  r.topic = "t";
  r.value = big;

  std::error_code first_ec, second_ec, third_ec;
  int completions = 0;
  p.async_send(r, [&](std::error_code ec, const kafkio::record_metadata&) { first_ec = ec, ++completions; });
  asio::cancellation_signal cancel;
  p.async_send(r, asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, const kafkio::record_metadata&) {
                 second_ec = ec;
                 ++completions;
               }));
  p.try_send(r, [&](std::error_code ec, const kafkio::record_metadata&) { third_ec = ec, ++completions; });
  io.poll();
  EXPECT_EQ(third_ec, kafkio::client_errc::queue_full);  // try_send never waits
  EXPECT_EQ(completions, 1);

  cancel.emit(asio::cancellation_type::terminal);
  io.poll();
  EXPECT_EQ(second_ec, std::errc::operation_canceled);
  EXPECT_EQ(completions, 2);
  EXPECT_EQ(p.metrics().records_waiting_for_room, 0u);
  // The first record is in a batch and not cancellable; destroying the producer aborts it.
}

TEST(ProducerCancellation, DestructionAbortsEverything) {
  asio::io_context io;
  std::vector<std::error_code> results;
  {
    kafkio::producer p(io.get_executor(),
                       kafkio::producer_config::parse({{"bootstrap.servers", "127.0.0.1:1"}, {"buffer.memory", "4096"}}));
    std::string v(3000, 'y');
    kafkio::producer_record r;
    r.topic = "t";
    r.value = v;
    for (int i = 0; i < 2; ++i)
      p.async_send(r, [&](std::error_code ec, const kafkio::record_metadata&) { results.push_back(ec); });
    p.async_flush([&](std::error_code ec) { results.push_back(ec); });
    io.poll();
  }
  io.run();
  ASSERT_EQ(results.size(), 3u);
  for (auto ec : results) EXPECT_EQ(ec, std::errc::operation_canceled) << ec.message();
}
