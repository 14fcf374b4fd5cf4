// Uses the public headers the way an application would; runs without a broker: builds a producer (no I/O happens
// before the first record), encodes a record batch with the protocol layer, and checks a config error is reported.
#include <kafkio/producer.hpp>
#include <kafkio/protocol/record_batch.hpp>

#include <iostream>

#if defined(KAFKIO_CLIENT_SEPARATE_COMPILATION) && (defined(OPENSSL_VERSION_NUMBER) || defined(KAFKIO_CORE_INCLUDED))
#error "the separately compiled producer leaked its definitions (the core, OpenSSL) into a user's translation unit"
#endif

int main() {
  boost::asio::io_context io;
  kafkio::producer producer(io.get_executor(), kafkio::producer_config::parse({{"bootstrap.servers", "127.0.0.1:1"}}));
  kafkio::protocol::record_batch_builder batch;
  batch.reset(0);
  if (batch.append(0, std::nullopt, std::nullopt)) return 1;
  std::error_code ec;
  auto sealed = batch.seal({}, ec);
  auto bad = kafkio::producer_config::parse({{"bootstrap.servers", "x:1"}, {"linger.m", "5"}});
  std::cout << "sealed " << sealed.size() << " bytes; bad config says: " << bad.message << "\n";
  return ec || sealed.empty() || !bad.error ? 1 : 0;
}
