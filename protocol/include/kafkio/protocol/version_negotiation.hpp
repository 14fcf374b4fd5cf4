// Choosing an API version per broker connection from the broker's ApiVersions response (docs/protocol.md,
// "ApiVersions fallback and negotiation"; Kafka's protocol guide, https://kafka.apache.org/protocol).
//
// For each API the client uses the highest version both sides support: min(client max, broker max), provided it
// is at least max(client min, broker min). The client's ranges below are what kafkio's codecs implement, narrowed
// where a newer version changes semantics the producer does not handle:
//  - Produce 3..13. v0-2 are gone from 4.x brokers (yet 4.x brokers still advertise MinVersion 0, KAFKA-18659; our
//    min of 3 makes that harmless). v13 identifies topics by id instead of name (KIP-516), so its caller fills
//    produce_request topic ids from Metadata v10+ (and sends v12 for a topic without one); a name-only caller
//    sets `produce_max` = 12.
//  - Metadata 1..12 by default (v0 cannot ask for "no topics"; v13 only adds a top-level error code the caller must
//    then check, so it is opt-in via `metadata_max`).
//  - InitProducerId 0..5: v6 is "unstable" (brokers do not advertise or accept it by default).
//  - ApiVersions 0..4, SaslHandshake 0..1, SaslAuthenticate 0..2, FindCoordinator 0..6, ListOffsets 1..11 and
//    Fetch 4..18 as generated. Fetch v13+ also names topics by id; a name-based reader sets `fetch_max` = 12.
//  - Transactions (KIP-98, KIP-890): AddPartitionsToTxn 0..3 (v4+ is the batched broker-to-broker form, which
//    needs CLUSTER_ACTION; clients stop at 3), AddOffsetsToTxn 0..4, EndTxn 0..5 and TxnOffsetCommit 0..5 (v6
//    names topics by id, KIP-1319). EndTxn v5, TxnOffsetCommit v5 and Produce v12 carry the transactions-v2
//    meaning (KIP-890 part 2: the partition is added by the Produce itself, the epoch bumps at every EndTxn), so a
//    producer whose coordinator has not enabled transaction.version 2 caps them with transactions_v1_limits().
#pragma once

#include <kafkio/protocol/request.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace kafkio::protocol {

struct api_version_range {
  api_key key;
  std::int16_t min_version;
  std::int16_t max_version;
};

// Caps on the client side; values above what the codecs implement are clamped to it.
struct client_version_limits {
  std::int16_t produce_max = 13;
  std::int16_t metadata_max = 12;
  std::int16_t fetch_max = fetch_request::max_version;
  std::int16_t end_txn_max = 5;
  std::int16_t txn_offset_commit_max = 5;
};

// The caps for a transactional producer whose transaction coordinator runs transactions v1 (finalized feature
// transaction.version < 2): the versions above these mean "transactions v2" to the broker (KIP-890 part 2), and
// Kafka's Java client likewise never sends them without it.
constexpr client_version_limits transactions_v1_limits(client_version_limits limits = {}) {
  limits.produce_max = std::min<std::int16_t>(limits.produce_max, 11);
  limits.end_txn_max = std::min<std::int16_t>(limits.end_txn_max, 4);
  limits.txn_offset_commit_max = std::min<std::int16_t>(limits.txn_offset_commit_max, 4);
  return limits;
}

namespace detail {
template <class Request>
constexpr api_version_range client_range(std::int16_t min, std::int16_t max) {
  return {static_cast<api_key>(Request::api_key), std::max(min, Request::min_version),
          std::min(max, Request::max_version)};
}
}  // namespace detail

// The versions kafkio is willing to send, per API.
constexpr std::array<api_version_range, 13> client_supported_versions(const client_version_limits& limits = {}) {
  return {{
      detail::client_range<produce_request>(3, limits.produce_max),
      detail::client_range<fetch_request>(4, limits.fetch_max),
      detail::client_range<list_offsets_request>(1, 11),
      detail::client_range<metadata_request>(1, limits.metadata_max),
      detail::client_range<find_coordinator_request>(0, 6),
      detail::client_range<sasl_handshake_request>(0, 1),
      detail::client_range<api_versions_request>(0, 4),
      detail::client_range<init_producer_id_request>(0, 5),
      detail::client_range<add_partitions_to_txn_request>(0, 3),
      detail::client_range<add_offsets_to_txn_request>(0, 4),
      detail::client_range<end_txn_request>(0, limits.end_txn_max),
      detail::client_range<txn_offset_commit_request>(0, limits.txn_offset_commit_max),
      detail::client_range<sasl_authenticate_request>(0, 2),
  }};
}

// The version chosen for each API on one connection, or none where client and broker have no version in common.
class negotiated_versions {
 public:
  std::optional<std::int16_t> version(api_key key) const noexcept {
    auto i = index(key);
    if (i >= versions_.size() || versions_[i] < 0) return std::nullopt;
    return versions_[i];
  }
  bool supports(api_key key) const noexcept { return version(key).has_value(); }
  void set(api_key key, std::optional<std::int16_t> v) noexcept {
    auto i = index(key);
    if (i < versions_.size()) versions_[i] = v.value_or(-1);
  }

 private:
  static std::size_t index(api_key key) noexcept { return static_cast<std::size_t>(static_cast<std::int16_t>(key)); }
  std::array<std::int16_t, 37> versions_ = filled();  // indexed by api key; -1 = none
  static constexpr std::array<std::int16_t, 37> filled() {
    std::array<std::int16_t, 37> a{};
    a.fill(-1);
    return a;
  }
};

// Highest common version per API. Broker entries for APIs kafkio does not implement are ignored; if the broker
// lists a key twice the first entry counts; an API the broker does not list is unsupported.
inline negotiated_versions negotiate(std::span<const api_versions_response::api_version> broker,
                                     const client_version_limits& limits = {}) {
  negotiated_versions out;
  for (const auto& client : client_supported_versions(limits)) {
    auto it = std::find_if(broker.begin(), broker.end(),
                           [&](const auto& b) { return b.api_key == static_cast<std::int16_t>(client.key); });
    if (it == broker.end()) continue;
    auto low = std::max(client.min_version, it->min_version);
    auto high = std::min(client.max_version, it->max_version);
    if (low <= high) out.set(client.key, high);
  }
  return out;
}
inline negotiated_versions negotiate(const api_versions_response& response, const client_version_limits& limits = {}) {
  return negotiate(std::span<const api_versions_response::api_version>(response.api_keys), limits);
}

// After an ApiVersions response with error 35 (UNSUPPORTED_VERSION) the client retries with the highest version
// both support: the broker's ApiVersions max from the (v0-format) response, capped at `client_max`, or v0 if the
// broker listed nothing (Kafka's NetworkClient.handleApiVersionsResponse), and always below `version_sent` so
// that retries end. nullopt if the response is not that error, or if the failed request was already v0 (then the
// connection is useless).
inline std::optional<std::int16_t> api_versions_retry_version(const api_versions_response& response,
                                                              std::int16_t version_sent, std::int16_t client_max = 4) {
  if (response.error_code != static_cast<std::int16_t>(kafka_errc::unsupported_version) || version_sent == 0)
    return std::nullopt;
  for (const auto& b : response.api_keys)
    if (b.api_key == static_cast<std::int16_t>(api_key::api_versions))
      return std::clamp<std::int16_t>(std::min(client_max, b.max_version), 0, version_sent - 1);
  return 0;
}

}  // namespace kafkio::protocol
