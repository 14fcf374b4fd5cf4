// The definitions behind detail/producer_driver.hpp: in every translation unit that includes <kafkio/producer.hpp>
// (header-only), or once in the library (<kafkio/src.hpp>, KAFKIO_CLIENT_SEPARATE_COMPILATION).
#pragma once

#include <kafkio/detail/asio_driver.hpp>

namespace kafkio::detail {

KAFKIO_CLIENT_DECL std::shared_ptr<producer_driver> producer_driver::create(boost::asio::any_io_executor ex,
                                                                            producer_config config) {
  return std::make_shared<asio_driver>(std::move(ex), std::move(config));
}

}  // namespace kafkio::detail
