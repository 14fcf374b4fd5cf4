// kafkio::producer — an asynchronous Kafka producer on a Boost.Asio executor.
//
//   boost::asio::io_context io;
//   kafkio::producer p(io.get_executor(), kafkio::producer_config::parse({{"bootstrap.servers", "127.0.0.1:9092"}}));
//   p.async_send({.topic = "events", .value = "hello"}, [](std::error_code ec, kafkio::record_metadata md) { ... });
//   io.run();
//
// Threading: like Asio's I/O objects, a producer is not thread-safe. Call it from the thread(s) running its
// executor (with a multi-threaded io_context, give it a strand). It never blocks that thread: no DNS, connect or
// I/O in any call, no locks, no sleeps; all work happens in asynchronous operations on the executor.
//
// Delivery: every record accepted by async_send/try_send completes exactly once, with its partition and offset
// once Kafka acknowledged it (per `acks`), or with an error saying why not (std::error_code in kafka_category()
// for broker errors, client_category() for ours). With idempotence (the default) retries never duplicate.
#pragma once

#include <kafkio/cluster_metadata.hpp>
#include <kafkio/detail/producer_driver.hpp>
#include <kafkio/metrics.hpp>
#include <kafkio/oauthbearer_token.hpp>
#include <kafkio/producer_config.hpp>
#include <kafkio/record.hpp>
#include <kafkio/transaction.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <system_error>

namespace kafkio {

class producer {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Validates the configuration and throws std::system_error(client_errc::invalid_config, why) if it is invalid.
  // Does nothing else: connections start with the first record, or with async_connect.
  producer(executor_type ex, const producer_config& config);
  producer(executor_type ex, const config_result& parsed);
  producer(boost::asio::io_context& io, const producer_config& config) : producer(io.get_executor(), config) {}

  // Destruction never blocks: whatever is still pending completes with boost::asio::error::operation_aborted.
  // Use async_close first to deliver what was sent.
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;
  producer(producer&&) noexcept = default;
  producer& operator=(producer&&) noexcept = default;

  executor_type get_executor() const { return driver_->get_executor(); }

  // Handlers get boost::system::error_code (so use_awaitable / use_future throw on failure); it converts to and
  // compares with std::error_code and kafkio's error enums, so a callback may take std::error_code instead.
  //
  // Sends one record. The record's bytes are copied during the call. Completes with (error_code, record_metadata)
  // once Kafka acknowledged it or it failed for good. If buffer.memory is used up, the record waits for room
  // (only this operation waits; at most another buffer.memory's worth of records may wait, beyond which it
  // completes with client_errc::queue_full). Any completion token: callbacks, use_awaitable, use_future, deferred.
  template <class CompletionToken>
  auto async_send(const producer_record& record, CompletionToken&& token);

  // As async_send, but if buffer.memory is used up it completes at once with client_errc::queue_full.
  template <class CompletionToken>
  auto try_send(const producer_record& record, CompletionToken&& token);

  // Completes (with an empty error_code) once every record sent before the call has completed. Linger is
  // skipped for the batches it waits on.
  template <class CompletionToken>
  auto async_flush(CompletionToken&& token);

  // Connects to the cluster ahead of the first record: completes (empty error_code) once metadata arrived from a
  // broker, at once if it already has, or with client_errc::broker_connection_failed after max.block.ms (and
  // authentication_failed, producer_closed, operation_aborted as the reason may be). Records need not wait for
  // it; it is a warm-up and a readiness probe (a server can report ready once it completed).
  template <class CompletionToken>
  auto async_connect(CompletionToken&& token);

  // Asks the cluster about `topics` (empty: every topic): brokers, controller, cluster id, and per topic its
  // partitions with leader, replicas and in-sync replicas, or its error (unknown_topic_or_partition for a topic that
  // does not exist; the request never creates topics). Completes with (error_code, cluster_metadata) once a broker
  // answered, or with the last failure after max.block.ms (client_errc::broker_connection_failed if no broker
  // could be reached), or with client_errc::producer_closed if the producer closes or is destroyed first. Each try
  // is bounded by request.timeout.ms.
  template <class CompletionToken>
  auto async_fetch_metadata(std::vector<std::string> topics, CompletionToken&& token);

  // Transactions (transactional.id set; docs/producer.md, "Transactions"). Each completes with (error_code), any
  // completion token. Without transactional.id they complete with client_errc::transaction_state.
  //
  // Once per producer, before the first transaction: finds the transaction coordinator and gets the producer id
  // for transactional.id, fencing any earlier producer with the same id (its open transaction is aborted).
  // Completes with client_errc::transaction_timeout after max.block.ms (calling it again waits for the same work).
  template <class CompletionToken>
  auto async_init_transactions(CompletionToken&& token);
  // Opens a transaction (local: completes at once). Records may be sent only inside one; outside they complete
  // with client_errc::transaction_state.
  template <class CompletionToken>
  auto async_begin_transaction(CompletionToken&& token);
  // Delivers every record sent in the transaction, then commits it: all of them become visible to read_committed
  // consumers, or none. If a record failed, completes with that error and the transaction can only be aborted.
  template <class CompletionToken>
  auto async_commit_transaction(CompletionToken&& token);
  // Aborts the transaction: records not yet sent complete with client_errc::transaction_aborted; those already
  // written stay invisible to read_committed consumers.
  template <class CompletionToken>
  auto async_abort_transaction(CompletionToken&& token);
  // Commits consumed offsets of `group` as part of the transaction (exactly-once consume-transform-produce): they
  // count only if the transaction commits. kafkio has no consumer; pass the group metadata of your own.
  template <class CompletionToken>
  auto async_send_offsets_to_transaction(std::vector<offset_to_commit> offsets, consumer_group_metadata group,
                                         CompletionToken&& token);
  // Fatal errors (client_errc and kafka_errc::producer_fenced, invalid_producer_epoch,
  // transactional_id_authorization_failed, ...) leave the producer unusable for transactions: destroy it and make
  // a new one. Any other error of a record or of these operations: abort the transaction and try again.

  // Flushes, then closes the connections. Later sends complete with client_errc::producer_closed.
  template <class CompletionToken>
  auto async_close(CompletionToken&& token);

  producer_metrics metrics() const { return driver_->metrics(); }
  // True once metadata arrived from some broker (a readiness signal).
  bool has_metadata() const noexcept { return driver_->has_metadata(); }
  // Receives diagnostics (connection loss, retries, broker error messages). Called on the executor.
  void set_logger(std::function<void(log_level, std::string_view)> f) { driver_->set_logger(std::move(f)); }
  // Every statistics.interval.ms (0, the default: never), `f` receives metrics() on the executor, outside the
  // producer's own work (it may call the producer). statistics_json() (<kafkio/statistics_json.hpp>) renders the
  // snapshot as librdkafka's statistics JSON. An empty function stops the callbacks; after async_close finished,
  // the next one is the last (so the timer does not keep io_context::run() from returning).
  void set_statistics_callback(std::function<void(const producer_metrics&)> f) {
    driver_->set_statistics_callback(std::move(f));
  }
  // sasl.mechanism=OAUTHBEARER with the application's own tokens: `f` runs on the executor, outside the producer's
  // own work, whenever a token is needed (before the first connection, and at 80 % of the current token's
  // lifetime), with sasl.oauthbearer.config. Answer then or later (asynchronously, on the executor) with
  // set_oauthbearer_token or set_oauthbearer_token_failure; connections wait for the answer. Set it before the first
  // record or async_connect. It takes the place of OIDC (sasl.oauthbearer.method=oidc) and of the unsecured JWT.
  void set_oauthbearer_token_refresh_callback(oauthbearer_refresh_function f) {
    driver_->set_oauthbearer_token_refresh_callback(std::move(f));
  }
  // The token to use from now on (also unasked, e.g. one fetched ahead). Returns "" or why it is refused (empty,
  // expired, characters a bearer token cannot hold, a bad extension); a refused token counts as a failure.
  std::string set_oauthbearer_token(oauthbearer_token token) { return driver_->set_oauthbearer_token(std::move(token)); }
  // The token source failed: records waiting for a connection fail with authentication_failed (unless the current
  // token is still valid); the callback is asked again after reconnect.backoff.ms. `why` goes to the log.
  void set_oauthbearer_token_failure(std::string_view why) { driver_->set_oauthbearer_token_failure(why); }
  // Overrides the built-in partitioner for records without an explicit partition.
  void set_partitioner(partitioner_function f) { driver_->set_partitioner(std::move(f)); }
  const producer_config& config() const noexcept { return driver_->config(); }

 private:
  std::shared_ptr<detail::producer_driver> driver_;
};

}  // namespace kafkio

#include <kafkio/impl/producer.hpp>
#ifndef KAFKIO_CLIENT_SEPARATE_COMPILATION
#include <kafkio/detail/impl/producer_driver.ipp>
#endif
