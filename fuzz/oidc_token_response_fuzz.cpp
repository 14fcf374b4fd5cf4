// The OIDC token endpoint's answer (detail/oidc_protocol.hpp): the JSON response, the JWT's base64url payload and
// its claims all come from the network. Whatever the bytes, parsing ends with a token or an error, within bounds
// (the nesting limit of json_reader::skip_value), and a token it accepts has a positive lifetime.
#include <kafkio/detail/oidc_protocol.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto r = kafkio::detail::oidc::parse_token_response(body, 1'700'000'000'000);
  if (r.error.empty() && (r.token.empty() || r.lifetime.count() <= 0)) std::abort();
  kafkio::detail::oidc::json_fields claims;
  (void)kafkio::detail::oidc::jwt_claims(body, claims);
  kafkio::detail::oidc::endpoint_url url;
  (void)kafkio::detail::oidc::parse_url(body, url);
  return 0;
}
