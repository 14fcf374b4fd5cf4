// What kafkio::producer needs of whatever runs the producer's core: the operations its initiations start, and the
// state it reports. One implementation, the Asio driver (detail/asio_driver.hpp), made by create(). Declared apart
// from it so that <kafkio/producer.hpp> does not have to include the core (and OpenSSL's headers, for SCRAM) when
// the library is compiled separately (docs/architecture.md, "Header-only or compiled").
#pragma once

#include <kafkio/cluster_metadata.hpp>
#include <kafkio/detail/config.hpp>
#include <kafkio/detail/handler_pool.hpp>
#include <kafkio/metrics.hpp>
#include <kafkio/oauthbearer_token.hpp>
#include <kafkio/partitioner.hpp>
#include <kafkio/producer_config.hpp>
#include <kafkio/record.hpp>
#include <kafkio/transaction.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kafkio::detail {

// Handlers receive boost::system::error_code: Asio's use_awaitable and use_future turn only that type (not
// std::error_code) into an exception, so `co_await p.async_send(r, use_awaitable)` throws on failure. It converts
// both ways with std::error_code and compares equal to kafkio::kafka_errc / client_errc values, so a handler may
// take either type.
using send_completion = boost::asio::any_completion_handler<void(boost::system::error_code, record_metadata)>;
using void_completion = boost::asio::any_completion_handler<void(boost::system::error_code)>;
using metadata_completion = boost::asio::any_completion_handler<void(boost::system::error_code, cluster_metadata)>;
using log_function = std::function<void(log_level, std::string_view)>;
using statistics_function = std::function<void(const producer_metrics&)>;

class producer_driver {
 public:
  // `config` is validated. Does no I/O.
  KAFKIO_CLIENT_DECL static std::shared_ptr<producer_driver> create(boost::asio::any_io_executor ex,
                                                                    producer_config config);
  virtual ~producer_driver() = default;

  virtual boost::asio::any_io_executor get_executor() const = 0;
  virtual const producer_config& config() const noexcept = 0;
  virtual void set_logger(log_function f) = 0;
  virtual void set_partitioner(partitioner_function f) = 0;
  virtual void set_statistics_callback(statistics_function f) = 0;
  virtual void set_oauthbearer_token_refresh_callback(oauthbearer_refresh_function f) = 0;
  virtual std::string set_oauthbearer_token(oauthbearer_token token) = 0;
  virtual void set_oauthbearer_token_failure(std::string_view why) = 0;
  virtual producer_metrics metrics() const = 0;
  virtual bool has_metadata() const noexcept = 0;
  // Storage for send handlers without an allocator of their own (see handler_pool.hpp).
  virtual handler_pool* handler_storage() const noexcept = 0;

  // The operations (kafkio::producer documents them). Each completes its handler exactly once, never inside the call.
  virtual void send(const producer_record& r, send_completion done, bool wait_for_room) = 0;
  virtual void flush(void_completion done) = 0;
  virtual void connect(void_completion done) = 0;
  virtual void close(void_completion done) = 0;
  virtual void fetch_metadata(std::vector<std::string> topics, metadata_completion done) = 0;
  virtual void init_transactions(void_completion done) = 0;
  virtual void begin_transaction(void_completion done) = 0;
  virtual void commit_transaction(void_completion done) = 0;
  virtual void abort_transaction(void_completion done) = 0;
  virtual void send_offsets_to_transaction(std::vector<offset_to_commit> offsets, consumer_group_metadata group,
                                           void_completion done) = 0;
  // The producer is being destroyed: everything pending completes with operation_aborted. Never blocks.
  virtual void abort() = 0;
};

}  // namespace kafkio::detail
