#include <kafkio/protocol/src.hpp>
