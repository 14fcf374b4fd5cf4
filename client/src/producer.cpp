// kafkio::compiled: the producer's core and Asio driver, compiled once (see <kafkio/src.hpp>).
#include <kafkio/src.hpp>
