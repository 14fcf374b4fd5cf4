// Header-only or compiled: with KAFKIO_CLIENT_SEPARATE_COMPILATION defined (the kafkio::compiled CMake target does
// it), the producer's definitions are compiled once, in the library (<kafkio/src.hpp>), and <kafkio/producer.hpp>
// only declares them; without it (kafkio::kafkio, the default) they are inline in every translation unit.
#pragma once

#ifdef KAFKIO_CLIENT_SEPARATE_COMPILATION
#define KAFKIO_CLIENT_DECL
#else
#define KAFKIO_CLIENT_DECL inline
#endif
