// Header selection, the ApiVersions v0 fallback and version negotiation against the ranges real brokers advertise.
#include <kafkio/protocol/version_negotiation.hpp>

#include <gtest/gtest.h>

#include <initializer_list>

using namespace kafkio;
using namespace kafkio::protocol;

namespace {

api_versions_response broker(std::initializer_list<api_version_range> ranges) {
  api_versions_response r;
  for (const auto& range : ranges) {
    auto& e = r.api_keys.emplace_back();
    e.api_key = static_cast<std::int16_t>(range.key);
    e.min_version = range.min_version;
    e.max_version = range.max_version;
  }
  return r;
}

// The ranges a Kafka 4.0 broker advertises; Produce MinVersion 0 is the KAFKA-18659 quirk.
api_versions_response kafka_4_0() {
  return broker({{api_key::produce, 0, 12}, {api_key::fetch, 4, 17}, {api_key::list_offsets, 1, 10},
                 {api_key::metadata, 0, 13}, {api_key::find_coordinator, 0, 6}, {api_key::sasl_handshake, 0, 1},
                 {api_key::api_versions, 0, 4}, {api_key::init_producer_id, 0, 5}, {api_key::sasl_authenticate, 0, 2}});
}

std::optional<std::int16_t> v(std::int16_t x) { return x; }

}  // namespace

TEST(MessagesHeaders, HeaderVersionsFollowFlexibility) {
  EXPECT_EQ(request_header_version(api_key::produce, 8), v(1));
  EXPECT_EQ(request_header_version(api_key::produce, 9), v(2));
  EXPECT_EQ(response_header_version(api_key::produce, 8), v(0));
  EXPECT_EQ(response_header_version(api_key::produce, 9), v(1));
  EXPECT_EQ(request_header_version(api_key::sasl_handshake, 1), v(1));  // never flexible
  EXPECT_EQ(response_header_version(api_key::sasl_handshake, 1), v(0));
  EXPECT_EQ(request_header_version(api_key::api_versions, 3), v(2));
  EXPECT_EQ(response_header_version(api_key::api_versions, 3), v(0));  // KIP-511: always v0
  EXPECT_EQ(response_header_version(api_key::api_versions, 4), v(0));
  EXPECT_EQ(response_header_version(api_key::metadata, 9), v(1));
  EXPECT_EQ(response_header_version(api_key::init_producer_id, 2), v(1));
  EXPECT_EQ(response_header_version(api_key::sasl_authenticate, 1), v(0));
  EXPECT_EQ(response_header_version(static_cast<api_key>(99), 0), std::nullopt);
}

TEST(MessagesHeaders, FlexibleSwitchesMatchTheSchemas) {  // docs/protocol.md, version table
  EXPECT_EQ(first_flexible_version(api_key::produce), v(9));
  EXPECT_EQ(first_flexible_version(api_key::fetch), v(12));
  EXPECT_EQ(first_flexible_version(api_key::list_offsets), v(6));
  EXPECT_EQ(first_flexible_version(api_key::metadata), v(9));
  EXPECT_EQ(first_flexible_version(api_key::find_coordinator), v(3));
  EXPECT_EQ(first_flexible_version(api_key::sasl_handshake), v(INT16_MAX));
  EXPECT_EQ(first_flexible_version(api_key::api_versions), v(3));
  EXPECT_EQ(first_flexible_version(api_key::init_producer_id), v(2));
  EXPECT_EQ(first_flexible_version(api_key::sasl_authenticate), v(2));
}

TEST(MessagesHeaders, ResponseHeaderDecoding) {
  byte_buffer v0 = {0x00, 0x00, 0x01, 0x02, 0xee};
  reader r0(v0);
  EXPECT_EQ(decode_response_header(r0, api_key::api_versions, 3), 0x102);  // v0 even though v3 is flexible
  EXPECT_EQ(r0.remaining(), 1u);

  byte_buffer v1 = {0x00, 0x00, 0x00, 0x05, 0x01, 0x07, 0x01, 0xaa, 0xee};  // one unknown header tag
  reader r1(v1);
  EXPECT_EQ(decode_response_header(r1, api_key::produce, 9), 5);
  EXPECT_TRUE(r1.ok());
  EXPECT_EQ(r1.remaining(), 1u);

  reader r2(v1);
  decode_response_header(r2, static_cast<api_key>(99), 0);
  EXPECT_EQ(r2.error(), client_errc::unsupported_version);

  byte_buffer truncated = {0x00, 0x00, 0x00};
  reader r3(truncated);
  decode_response_header(r3, api_key::metadata, 1);
  EXPECT_EQ(r3.error(), client_errc::truncated);
}

// A broker that only knows ApiVersions 0-2 answering our v3 request: v0-format body, error 35, one entry (KIP-511).
TEST(MessagesApiVersionsFallback, OldBrokerAnswersInV0Format) {
  byte_buffer body = {0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02};
  api_versions_response as_v3;
  EXPECT_TRUE(decode_message(body, as_v3, 3));  // not a valid v3 body: the fallback is needed

  api_versions_response out;
  ASSERT_FALSE(decode_api_versions_response(body, 3, out));
  EXPECT_EQ(out.error_code, 35);
  ASSERT_EQ(out.api_keys.size(), 1u);
  EXPECT_EQ(out.api_keys[0].api_key, 18);
  EXPECT_EQ(out.api_keys[0].max_version, 2);
  EXPECT_EQ(api_versions_retry_version(out, 3), v(2));
  EXPECT_FALSE(negotiate(out).supports(api_key::produce));
}

// A 4.x broker (ApiVersions 0-4) answering a v5 request: retry at 4, not at 5 again.
TEST(MessagesApiVersionsFallback, RetryVersionIsCappedAndDecreases) {
  auto resp = broker({{api_key::api_versions, 0, 4}});
  resp.error_code = 35;
  EXPECT_EQ(api_versions_retry_version(resp, 5, 5), v(4));
  EXPECT_EQ(api_versions_retry_version(resp, 5, 3), v(3));  // client cap
  auto liar = broker({{api_key::api_versions, 0, 9}});
  liar.error_code = 35;
  EXPECT_EQ(api_versions_retry_version(liar, 4, 4), v(3));  // a broker claiming more than we sent: still go down
  auto empty = api_versions_response{};
  empty.error_code = 35;
  EXPECT_EQ(api_versions_retry_version(empty, 3), v(0));
  EXPECT_EQ(api_versions_retry_version(empty, 0), std::nullopt);  // v0 failed: give up
  EXPECT_EQ(api_versions_retry_version(kafka_4_0(), 3), std::nullopt);  // no error: nothing to retry
}

TEST(MessagesApiVersionsFallback, NormalResponsesParseAsSent) {
  auto resp = kafka_4_0();
  resp.throttle_time_ms = 3;
  resp.finalized_features_epoch = 12;
  for (std::int16_t version : {0, 1, 2, 3, 4, 5}) {
    byte_buffer body;
    ASSERT_FALSE(encode_message(body, resp, version));
    api_versions_response out;
    ASSERT_FALSE(decode_api_versions_response(body, version, out)) << version;
    EXPECT_EQ(out.api_keys, resp.api_keys);
    EXPECT_EQ(out.throttle_time_ms, version >= 1 ? 3 : 0);
    EXPECT_EQ(out.finalized_features_epoch, version >= 3 ? 12 : -1);
  }
}

TEST(MessagesApiVersionsFallback, V0ErrorIsNotReparsedAndGarbageFails) {
  byte_buffer body = {0x00, 0x23, 0x00, 0x00, 0x00, 0x00};
  api_versions_response out;
  ASSERT_FALSE(decode_api_versions_response(body, 0, out));
  EXPECT_EQ(out.error_code, 35);

  byte_buffer garbage = {0x00, 0x00, 0x7f};
  EXPECT_TRUE(decode_api_versions_response(garbage, 3, out));
  EXPECT_TRUE(decode_api_versions_response(garbage, 0, out));
}

TEST(MessagesNegotiation, MockClusterWithOldRanges) {
  auto mock = broker({{api_key::api_versions, 0, 2}, {api_key::metadata, 0, 2}, {api_key::produce, 0, 7}});
  auto n = negotiate(mock);
  EXPECT_EQ(n.version(api_key::api_versions), v(2));
  EXPECT_EQ(n.version(api_key::metadata), v(2));
  EXPECT_EQ(n.version(api_key::produce), v(7));
  EXPECT_EQ(n.version(api_key::init_producer_id), std::nullopt);  // not advertised: unsupported
  EXPECT_FALSE(n.supports(api_key::fetch));
}

TEST(MessagesNegotiation, Kafka40Broker) {
  auto n = negotiate(kafka_4_0());
  EXPECT_EQ(n.version(api_key::produce), v(12));
  EXPECT_EQ(n.version(api_key::fetch), v(17));
  EXPECT_EQ(n.version(api_key::list_offsets), v(10));
  EXPECT_EQ(n.version(api_key::metadata), v(12));
  EXPECT_EQ(n.version(api_key::find_coordinator), v(6));
  EXPECT_EQ(n.version(api_key::sasl_handshake), v(1));
  EXPECT_EQ(n.version(api_key::api_versions), v(4));
  EXPECT_EQ(n.version(api_key::init_producer_id), v(5));
  EXPECT_EQ(n.version(api_key::sasl_authenticate), v(2));
}

TEST(MessagesNegotiation, Kafka44BrokerAndCaps) {
  auto b = broker({{api_key::produce, 0, 13}, {api_key::metadata, 0, 13}, {api_key::api_versions, 0, 5},
                   {api_key::init_producer_id, 0, 5}, {api_key::fetch, 4, 18}});
  auto n = negotiate(b);
  EXPECT_EQ(n.version(api_key::produce), v(13));  // topics by id (KIP-516); the core fills them from Metadata
  EXPECT_EQ(n.version(api_key::metadata), v(12));
  EXPECT_EQ(n.version(api_key::api_versions), v(4));
  EXPECT_EQ(n.version(api_key::fetch), v(18));

  client_version_limits limits;
  limits.produce_max = 12;  // a name-only caller
  limits.metadata_max = 13;
  limits.fetch_max = 12;
  auto m = negotiate(b, limits);
  EXPECT_EQ(m.version(api_key::produce), v(12));
  EXPECT_EQ(m.version(api_key::metadata), v(13));
  EXPECT_EQ(m.version(api_key::fetch), v(12));

  limits.produce_max = 40;  // clamped to what the codec implements
  EXPECT_EQ(client_supported_versions(limits)[0].max_version, produce_request::max_version);
  EXPECT_EQ(negotiate(broker({{api_key::produce, 0, 99}}), limits).version(api_key::produce), v(13));
}

// The transactions APIs against a 4.4 broker's ranges (their JSON validVersions): AddPartitionsToTxn stops at the
// client form (v3), the others at what transactions v2 means; transactions_v1_limits() caps the v2 versions.
TEST(MessagesNegotiation, TransactionsApis) {
  auto b = broker({{api_key::produce, 0, 13}, {api_key::add_partitions_to_txn, 0, 5},
                   {api_key::add_offsets_to_txn, 0, 4}, {api_key::end_txn, 0, 5}, {api_key::txn_offset_commit, 0, 6}});
  auto n = negotiate(b);
  EXPECT_EQ(n.version(api_key::add_partitions_to_txn), v(3));
  EXPECT_EQ(n.version(api_key::add_offsets_to_txn), v(4));
  EXPECT_EQ(n.version(api_key::end_txn), v(5));
  EXPECT_EQ(n.version(api_key::txn_offset_commit), v(5));  // v6 names topics by id
  EXPECT_EQ(n.version(api_key::produce), v(13));

  auto v1 = negotiate(b, transactions_v1_limits());
  EXPECT_EQ(v1.version(api_key::add_partitions_to_txn), v(3));
  EXPECT_EQ(v1.version(api_key::add_offsets_to_txn), v(4));
  EXPECT_EQ(v1.version(api_key::end_txn), v(4));
  EXPECT_EQ(v1.version(api_key::txn_offset_commit), v(4));
  EXPECT_EQ(v1.version(api_key::produce), v(11));

  // An old broker (Kafka 2.x: everything up to v1, nothing flexible) still negotiates.
  auto old = negotiate(broker({{api_key::add_partitions_to_txn, 0, 1}, {api_key::end_txn, 0, 1}}));
  EXPECT_EQ(old.version(api_key::add_partitions_to_txn), v(1));
  EXPECT_EQ(old.version(api_key::end_txn), v(1));
  EXPECT_EQ(old.version(api_key::txn_offset_commit), std::nullopt);

  EXPECT_EQ(first_flexible_version(api_key::add_partitions_to_txn), v(3));
  EXPECT_EQ(first_flexible_version(api_key::add_offsets_to_txn), v(3));
  EXPECT_EQ(first_flexible_version(api_key::end_txn), v(3));
  EXPECT_EQ(first_flexible_version(api_key::txn_offset_commit), v(3));
  EXPECT_EQ(request_header_version(api_key::end_txn, 2), v(1));
  EXPECT_EQ(request_header_version(api_key::end_txn, 3), v(2));
  EXPECT_EQ(response_header_version(api_key::txn_offset_commit, 3), v(1));
}

TEST(MessagesNegotiation, ProduceMinVersionZeroQuirkAndDisjointRanges) {
  // Brokers advertise Produce MinVersion 0 but reject v0-2; we never go below 3.
  EXPECT_EQ(negotiate(broker({{api_key::produce, 0, 3}})).version(api_key::produce), v(3));
  EXPECT_EQ(negotiate(broker({{api_key::produce, 0, 2}})).version(api_key::produce), std::nullopt);
  // Broker range entirely above ours.
  EXPECT_EQ(negotiate(broker({{api_key::metadata, 13, 14}})).version(api_key::metadata), std::nullopt);
  // Inverted broker range.
  EXPECT_EQ(negotiate(broker({{api_key::metadata, 5, 4}})).version(api_key::metadata), std::nullopt);
  // Unknown keys are ignored; the first entry for a key counts.
  auto n = negotiate(broker({{static_cast<api_key>(50), 0, 3}, {api_key::metadata, 0, 4}, {api_key::metadata, 0, 9}}));
  EXPECT_EQ(n.version(api_key::metadata), v(4));
  EXPECT_EQ(n.version(static_cast<api_key>(50)), std::nullopt);
  EXPECT_EQ(n.version(static_cast<api_key>(1000)), std::nullopt);  // out of the table: no crash
}

TEST(MessagesNegotiation, ClientRangesAreWithinTheCodecs) {
  for (const auto& r : client_supported_versions()) {
    EXPECT_LE(r.min_version, r.max_version) << static_cast<int>(r.key);
    EXPECT_TRUE(first_flexible_version(r.key).has_value());
  }
  auto ranges = client_supported_versions();
  EXPECT_EQ(ranges[0].key, api_key::produce);
  EXPECT_EQ(ranges[0].min_version, 3);
  EXPECT_EQ(ranges[0].max_version, 13);
}
