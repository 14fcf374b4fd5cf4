// kafkio::producer definitions: the asynchronous operations' initiations.
#pragma once

namespace kafkio {

namespace detail {
inline producer_config checked(const config_result& r) {
  if (r.error) throw std::system_error(r.error, r.message);
  return r.config;
}
}  // namespace detail

inline producer::producer(executor_type ex, const config_result& parsed)
    : driver_(detail::producer_driver::create(std::move(ex), detail::checked(parsed))) {}

inline producer::producer(executor_type ex, const producer_config& config) : producer(std::move(ex), config.validate()) {}

inline producer::~producer() {
  if (driver_) driver_->abort();
}

template <class CompletionToken>
auto producer::async_send(const producer_record& record, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, record_metadata)>(
      [](auto handler, detail::producer_driver* e, const producer_record& r) {
        e->send(r, detail::send_completion(detail::with_pooled_storage(std::move(handler), e->handler_storage())), true);
      },
      token, driver_.get(), record);  // the record (a few views) is copied, so `deferred` keeps its own
}

template <class CompletionToken>
auto producer::try_send(const producer_record& record, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, record_metadata)>(
      [](auto handler, detail::producer_driver* e, const producer_record& r) {
        e->send(r, detail::send_completion(detail::with_pooled_storage(std::move(handler), e->handler_storage())), false);
      },
      token, driver_.get(), record);
}

template <class CompletionToken>
auto producer::async_flush(CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
      [](auto handler, std::shared_ptr<detail::producer_driver> e) { e->flush(detail::void_completion(std::move(handler))); },
      token, driver_);
}

template <class CompletionToken>
auto producer::async_connect(CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
      [](auto handler, std::shared_ptr<detail::producer_driver> e) { e->connect(detail::void_completion(std::move(handler))); },
      token, driver_);
}

template <class CompletionToken>
auto producer::async_fetch_metadata(std::vector<std::string> topics, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, cluster_metadata)>(
      [](auto handler, std::shared_ptr<detail::producer_driver> e, std::vector<std::string> t) {
        e->fetch_metadata(std::move(t), detail::metadata_completion(std::move(handler)));
      },
      token, driver_, std::move(topics));
}

// The transactional operations: each calls one member of the driver with the handler.
#define KAFKIO_TRANSACTION_OPERATION(name)                                                                     \
  template <class CompletionToken>                                                                             \
  auto producer::async_##name(CompletionToken&& token) {                                                       \
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(                      \
        [](auto handler, std::shared_ptr<detail::producer_driver> e) { e->name(detail::void_completion(std::move(handler))); }, \
        token, driver_);                                                                                        \
  }
KAFKIO_TRANSACTION_OPERATION(init_transactions)
KAFKIO_TRANSACTION_OPERATION(begin_transaction)
KAFKIO_TRANSACTION_OPERATION(commit_transaction)
KAFKIO_TRANSACTION_OPERATION(abort_transaction)
#undef KAFKIO_TRANSACTION_OPERATION

template <class CompletionToken>
auto producer::async_send_offsets_to_transaction(std::vector<offset_to_commit> offsets, consumer_group_metadata group,
                                                 CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
      [](auto handler, std::shared_ptr<detail::producer_driver> e, std::vector<offset_to_commit> o,
         consumer_group_metadata g) {
        e->send_offsets_to_transaction(std::move(o), std::move(g), detail::void_completion(std::move(handler)));
      },
      token, driver_, std::move(offsets), std::move(group));
}

template <class CompletionToken>
auto producer::async_close(CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
      [](auto handler, std::shared_ptr<detail::producer_driver> e) { e->close(detail::void_completion(std::move(handler))); },
      token, driver_);
}

}  // namespace kafkio
