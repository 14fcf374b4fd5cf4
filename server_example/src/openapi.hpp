// The OpenAPI 3.0 description of kafkio-server's HTTP API, served at GET /openapi.json. Its text is
// server_example/src/openapi.json, compiled in by CMake (openapi.cpp.in); tests check that it parses and names
// every route the server answers.
#pragma once

#include <string_view>

namespace kafkio_server {

std::string_view openapi_document() noexcept;

}  // namespace kafkio_server
