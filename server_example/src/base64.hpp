// Base64 for the binary embedded format: REST Proxy clients send keys, values and header values base64-encoded.
// kafkio's one implementation (<kafkio/protocol/base64.hpp>, strict about alphabet and length), with the padding
// optional as Java's decoder (which REST Proxy uses) allows.
#pragma once

#include <kafkio/protocol/base64.hpp>

namespace kafkio_server {

inline std::optional<std::string> base64_decode(std::string_view in) {
  return kafkio::protocol::base64_decode(in, kafkio::protocol::base64_padding::optional);
}
using kafkio::protocol::base64_encode;

}  // namespace kafkio_server
