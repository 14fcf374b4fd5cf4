// The compiled part of kafkio's producer, for the separately compiled mode: include it from exactly one .cpp with
// KAFKIO_CLIENT_SEPARATE_COMPILATION defined (the kafkio::compiled CMake target does this in client/src/producer.cpp;
// Boost.Beast's <boost/beast/src.hpp> convention). Programs that include it get the sans-io core, the Asio driver
// and OpenSSL's headers here, and nowhere else.
#pragma once

#ifndef KAFKIO_CLIENT_SEPARATE_COMPILATION
#error "<kafkio/src.hpp> is for the separately compiled library: define KAFKIO_CLIENT_SEPARATE_COMPILATION"
#endif

#include <kafkio/detail/impl/producer_driver.ipp>
