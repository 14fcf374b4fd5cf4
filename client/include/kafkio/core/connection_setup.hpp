// What a fresh broker connection goes through before it carries Produce and Metadata requests, as a small state
// machine (Boost.MySQL's algorithms: each call returns the next action; no I/O here).
//
//   ApiVersions v4 ──(UNSUPPORTED_VERSION: the broker's highest)──► ApiVersions vN ──► negotiate versions
//      └─ SASL_*: SaslHandshake v1 (mechanism) ──► SaslAuthenticate, as many rounds as the mechanism needs
//   ──► ready
//
// Re-authentication (KIP-368) runs the SASL part again on an established connection: start_reauthentication.
//
// The owner sends each request this machine writes, feeds back the response frame, and stops at `ready` or
// `failed`. Correlation ids come from the owner (one counter per producer).
#pragma once

#include <kafkio/core/bearer_token.hpp>
#include <kafkio/core/sasl.hpp>
#include <kafkio/producer_config.hpp>
#include <kafkio/protocol/request.hpp>
#include <kafkio/protocol/version_negotiation.hpp>

#include <memory>
#include <optional>
#include <string>

namespace kafkio::core {

class connection_setup {
 public:
  struct step {
    enum class kind : std::uint8_t {
      send,    // send `frame` (written by the machine) and feed its response to on_response
      ready,   // done: versions() holds what was negotiated
      failed,  // give up on this connection: `error`, `why`
    } what = kind::send;
    std::error_code error;
    std::string why;              // for the log and the records' error text
    bool authentication = false;  // failed while authenticating: waiting records should fail too
  };

  // `scram_keys` (may be null): the producer's derived SCRAM keys, shared by its connections. `oauth_token` (may be
  // null): the producer's OAUTHBEARER token, read when SaslAuthenticate is written.
  connection_setup(const producer_config& cfg, std::string address, scram_key_cache* scram_keys = nullptr,
                   const std::optional<bearer_token>* oauth_token = nullptr)
      : cfg_(cfg), address_(std::move(address)), scram_keys_(scram_keys), oauth_token_(oauth_token) {}

  // The first request (ApiVersions at the highest version kafkio speaks; brokers without it answer in v0).
  step start(protocol::byte_buffer& frame, std::int32_t correlation_id) {
    return send_api_versions(frame, correlation_id, 4);
  }

  // KIP-368: authenticates again on a connection that was set up with `versions` (SaslHandshake, SaslAuthenticate).
  // Its owner sends nothing else on the connection until this is ready or failed.
  step start_reauthentication(const protocol::negotiated_versions& versions, protocol::byte_buffer& frame,
                              std::int32_t correlation_id) {
    versions_ = versions;
    return start_sasl(frame, correlation_id);
  }

  // The response to the request of the previous step. May write the next request into `frame`.
  step on_response(protocol::bytes_view response, protocol::byte_buffer& frame, std::int32_t correlation_id) {
    switch (state_) {
      case state::api_versions: return on_api_versions(response, frame, correlation_id);
      case state::sasl_handshake: return on_sasl_handshake(response, frame, correlation_id);
      case state::sasl_authenticate: return on_sasl_authenticate(response, frame, correlation_id);
      case state::done: break;
    }
    return fail(make_error_code(client_errc::correlation_mismatch), "response after the connection was set up");
  }

  const protocol::negotiated_versions& versions() const noexcept { return versions_; }
  // What the broker's SaslAuthenticate (v1+) gave as the session's lifetime; 0: none (no re-authentication).
  std::chrono::milliseconds session_lifetime() const noexcept { return session_lifetime_; }

 private:
  enum class state : std::uint8_t { api_versions, sasl_handshake, sasl_authenticate, done };

  step send() const { return {}; }
  step ready() {
    state_ = state::done;
    return {step::kind::ready, {}, {}, false};
  }
  step fail(std::error_code ec, std::string why, bool authentication = false) {
    state_ = state::done;
    return {step::kind::failed, ec, std::move(why), authentication};
  }
  step fail_authentication(const std::string& why) {
    return fail(make_error_code(client_errc::authentication_failed),
                "SASL authentication with " + address_ + " failed: " + why, true);
  }

  static bool transactions_v2_finalized(const protocol::api_versions_response& r) {
    for (const auto& f : r.finalized_features)
      if (f.name == "transaction.version") return f.max_version_level >= 2;
    return false;
  }

  step send_api_versions(protocol::byte_buffer& frame, std::int32_t correlation_id, std::int16_t version) {
    state_ = state::api_versions;
    sent_version_ = version;
    protocol::api_versions_request req;
    req.client_software_name = "kafkio";  // v3+: 4.x brokers check both against [a-zA-Z0-9.-]
    req.client_software_version = "0.1.0";
    frame.clear();
    protocol::encode_request(frame, req, version, correlation_id, cfg_.client_id);
    return send();
  }

  step on_api_versions(protocol::bytes_view response, protocol::byte_buffer& frame, std::int32_t correlation_id) {
    protocol::api_versions_response r;
    auto dec = protocol::decode_response_body(response, sent_version_, r);
    if (!dec)
      if (auto retry = protocol::api_versions_retry_version(r, sent_version_))
        return send_api_versions(frame, correlation_id, *retry);
    if (dec) return fail(dec, "undecodable ApiVersions response from " + address_ + ": " + dec.message());
    if (r.error_code) {
      auto ec = kafka_error(r.error_code);
      return fail(ec, "ApiVersions refused by " + address_ + ": " + ec.message());
    }
    // A transactional producer speaks transactions v2 (KIP-890 part 2: EndTxn v5, Produce v12, TxnOffsetCommit v5)
    // only where the cluster finalized transaction.version >= 2; elsewhere those versions are capped to the v1 ones.
    versions_ = protocol::negotiate(r, cfg_.transactional() && !transactions_v2_finalized(r)
                                           ? protocol::transactions_v1_limits()
                                           : protocol::client_version_limits{});
    if (!versions_.supports(protocol::api_key::produce) || !versions_.supports(protocol::api_key::metadata))
      return fail(make_error_code(client_errc::unsupported_version),
                  "broker " + address_ + " supports no Produce/Metadata version kafkio speaks");
    if (!cfg_.uses_sasl()) return ready();
    return start_sasl(frame, correlation_id);
  }

  // SASL (KIP-43, KIP-152): SaslHandshake v1 names the mechanism, then SaslAuthenticate carries each token until
  // the mechanism is satisfied.
  step start_sasl(protocol::byte_buffer& frame, std::int32_t correlation_id) {
    auto handshake_version = versions_.version(protocol::api_key::sasl_handshake);
    if (!handshake_version || *handshake_version < 1 || !versions_.supports(protocol::api_key::sasl_authenticate))
      return fail_authentication("the broker does not offer SaslHandshake v1 / SaslAuthenticate");
    if (cfg_.sasl_mechanism == sasl_mechanism_type::oauthbearer) {
      if (!oauth_token_ || !*oauth_token_) return fail_authentication("no OAUTHBEARER token");
      sasl_.emplace(sasl_client::oauthbearer((*oauth_token_)->value, (*oauth_token_)->extensions));
    } else {
      sasl_.emplace(cfg_.sasl_mechanism, cfg_.sasl_username, cfg_.sasl_password, scram_keys_);
    }
    protocol::sasl_handshake_request req;
    req.mechanism = std::string(sasl_->mechanism_name());
    state_ = state::sasl_handshake;
    sent_version_ = *handshake_version;
    frame.clear();
    protocol::encode_request(frame, req, sent_version_, correlation_id, cfg_.client_id);
    return send();
  }

  step on_sasl_handshake(protocol::bytes_view response, protocol::byte_buffer& frame, std::int32_t correlation_id) {
    protocol::sasl_handshake_response r;
    if (auto dec = protocol::decode_response_body(response, sent_version_, r))
      return fail(dec, "undecodable SaslHandshake response from " + address_ + ": " + dec.message());
    if (r.error_code) {
      std::string offered;
      for (const auto& m : r.mechanisms) offered += (offered.empty() ? "" : ", ") + m;
      return fail_authentication("mechanism " + std::string(sasl_->mechanism_name()) + " refused (" +
                                 kafka_error(r.error_code).message() + "); the broker offers: " + offered);
    }
    return send_sasl_token(frame, correlation_id, sasl_->first_message());
  }

  step send_sasl_token(protocol::byte_buffer& frame, std::int32_t correlation_id, const std::string& token) {
    protocol::sasl_authenticate_request req;
    req.auth_bytes.assign(token.begin(), token.end());
    state_ = state::sasl_authenticate;
    sent_version_ = *versions_.version(protocol::api_key::sasl_authenticate);
    frame.clear();
    protocol::encode_request(frame, req, sent_version_, correlation_id, cfg_.client_id);
    return send();
  }

  step on_sasl_authenticate(protocol::bytes_view response, protocol::byte_buffer& frame, std::int32_t correlation_id) {
    protocol::sasl_authenticate_response r;
    if (auto dec = protocol::decode_response_body(response, sent_version_, r))
      return fail(dec, "undecodable SaslAuthenticate response from " + address_ + ": " + dec.message());
    if (r.error_code)
      return fail_authentication(kafka_error(r.error_code).message() + (r.error_message ? ": " + *r.error_message : "") +
                                 (sasl_->server_error().empty() ? "" : " (" + sasl_->server_error() + ")"));
    session_lifetime_ = std::chrono::milliseconds(std::max<std::int64_t>(r.session_lifetime_ms, 0));
    auto next = sasl_->next(std::string_view(reinterpret_cast<const char*>(r.auth_bytes.data()), r.auth_bytes.size()));
    if (next) return send_sasl_token(frame, correlation_id, *next);
    if (!sasl_->done()) return fail_authentication(sasl_->error_text());
    return ready();
  }

  const producer_config& cfg_;
  std::string address_;
  scram_key_cache* scram_keys_;
  const std::optional<bearer_token>* oauth_token_;
  std::chrono::milliseconds session_lifetime_{0};
  state state_ = state::api_versions;
  std::int16_t sent_version_ = 0;
  protocol::negotiated_versions versions_;
  std::optional<sasl_client> sasl_;
};

}  // namespace kafkio::core
