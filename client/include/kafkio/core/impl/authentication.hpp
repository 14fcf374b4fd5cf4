// producer_core: the OAUTHBEARER token (KIP-255, KIP-768) and re-authentication (KIP-368).
#pragma once

#include <utility>

namespace kafkio::core {

// A connection needs a token and none is valid, or the current one reached its refresh point. The unsecured JWT is
// made here; any other source is the driver's (take_oauthbearer_token_request).
inline void producer_core::want_oauthbearer_token(time_point now) {
  if (oauth_requested_ || finished()) return;
  if (now < oauth_retry_at_) return schedule(oauth_retry_at_);
  if (cfg_.sasl_oauthbearer_unsecure_jwt) {
    detail::unsecured_jwt_options options;
    detail::parse_unsecured_jwt_options(cfg_.sasl_oauthbearer_config, options);  // validated with the config
    // exp is whole seconds (iat truncated + lifeSeconds): the token lives up to a second less than lifeSeconds,
    // which matters for short test lifetimes (refreshed at 80 %, a 3 s token would be refreshed after it expired).
    const auto now_ms = clock_.wall_now_ms();
    const milliseconds lifetime((now_ms / 1000 + options.life_seconds) * 1000 - now_ms);
    set_oauthbearer_token(make_unsecured_jwt(options, now_ms), lifetime, options.principal, options.extensions);
    return;
  }
  oauth_requested_ = true;
  oauth_request_out_ = true;
}

inline std::string producer_core::set_oauthbearer_token(std::string value, milliseconds lifetime,
                                                        std::string principal, detail::sasl_extensions extensions) {
  std::string why = check_bearer_token(value);
  if (why.empty() && lifetime.count() <= 0) why = "the token has already expired (lifetime " +
                                                  std::to_string(lifetime.count()) + " ms)";
  for (const auto& [key, v] : extensions)
    if (why.empty()) why = detail::check_extension(key, v);
  if (!why.empty()) {
    set_oauthbearer_token_failure("the token source's token is unusable: " + why);
    return why;
  }
  if (finished()) return {};
  const auto now = clock_.now();
  detail::sasl_extensions merged;
  detail::parse_sasl_extensions(cfg_.sasl_oauthbearer_extensions, merged);  // validated with the config
  for (auto& [key, v] : extensions) merged[key] = std::move(v);
  oauth_token_ = bearer_token{std::move(value), std::move(principal), std::move(merged), now + lifetime};
  oauth_refresh_at_ = now + lifetime * 4 / 5;
  oauth_requested_ = false;
  oauth_failures_ = 0;
  ++counters_.oauthbearer_tokens;
  schedule(oauth_refresh_at_);
  log(log_level::debug, "OAUTHBEARER token" + (oauth_token_->principal.empty() ? "" : " for " + oauth_token_->principal) +
                            " valid for " + std::to_string(lifetime.count()) + " ms");
  wake();  // links waiting for it connect now (ensure_connected)
  return {};
}

inline void producer_core::set_oauthbearer_token_failure(std::string_view why) {
  oauth_requested_ = false;
  if (finished()) return;
  const auto now = clock_.now();
  ++oauth_failures_;
  oauth_retry_at_ = now + backoff(oauth_failures_, cfg_.reconnect_backoff, cfg_.reconnect_backoff_max);
  if (oauthbearer_token_usable(now)) {
    // A refresh failed while the current token still serves: try again later, nothing fails yet.
    log(log_level::warning, "OAUTHBEARER token refresh failed (the current token stays in use): " + std::string(why));
    schedule(oauth_retry_at_);
    return;
  }
  // No token, no connection: what waits for one fails now, as with wrong credentials; later records try again.
  log(log_level::error, "OAUTHBEARER token unavailable: " + std::string(why));
  fail_all_pending(make_error_code(client_errc::authentication_failed));
  wake();
}

// Each pass: the token's refresh point, and the connections whose SASL session is ending (KIP-368). A connection
// due for re-authentication stops taking requests and re-authenticates once the ones in flight are answered.
inline void producer_core::maintain_authentication(time_point now) {
  if (cfg_.uses_oauthbearer() && oauth_token_) {
    if (now >= oauth_refresh_at_) want_oauthbearer_token(now);
    else schedule(oauth_refresh_at_);
  }
  for (auto& [id, l] : links_) {
    if (l.st == link::state::ready && l.reauthenticate_at != time_point::max()) {
      if (now < l.reauthenticate_at) {
        schedule(l.reauthenticate_at);
        continue;
      }
      l.st = link::state::reauthenticating;
    }
    if (l.st == link::state::reauthenticating && !l.setup && l.pipe && !l.pipe->awaiting_response() &&
        !l.pipe->queued_bytes())
      start_reauthentication(l);
  }
}

inline void producer_core::start_reauthentication(link& l) {
  if (cfg_.uses_oauthbearer() && !oauthbearer_token_usable(clock_.now())) {
    // The refresh did not come in time: a fresh connection will wait for the next token instead.
    return on_link_down(l, make_error_code(client_errc::authentication_failed),
                        "no valid OAUTHBEARER token to re-authenticate with");
  }
  log(log_level::debug, "re-authenticating with " + l.address() + " (KIP-368)");
  l.setup = std::make_unique<connection_setup>(cfg_, l.address(), &scram_keys_, &oauth_token_);
  protocol::byte_buffer frame;
  auto corr = next_correlation_id();
  auto step = l.setup->start_reauthentication(l.versions, frame, corr);
  advance_setup(l, step, frame, corr);
}

}  // namespace kafkio::core
