// The compiled part of kafkio::protocol. Include this from exactly one .cpp of your program if you use the headers
// without the kafkio_protocol library (Boost.Beast's <boost/beast/src.hpp> convention); the CMake target does it
// for you in protocol/src/protocol.cpp.
#pragma once

#ifndef KAFKIO_SEPARATE_COMPILATION
#define KAFKIO_SEPARATE_COMPILATION
#endif
#define KAFKIO_SOURCE

// Each compiled component adds its .ipp here.
#include <kafkio/protocol/impl/crc32c.ipp>
#include <kafkio/protocol/impl/compression.ipp>
