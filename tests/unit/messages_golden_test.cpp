// Golden byte vectors (provenance: docs/protocol.md, "Golden vectors"): ApiVersions v0/v3/v4 requests and Produce v3/v9
// requests carrying batch B1, encoded through encode_request() and decoded back. Plus hand-built responses whose
// field order is checked value by value, and derived transactions messages (AddPartitionsToTxn v3, EndTxn v3/v5).
#include <kafkio/protocol/request.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace kafkio;
using namespace kafkio::protocol;

namespace {

byte_buffer hex(std::string_view text) {
  byte_buffer out;
  int nibbles = 0;
  std::uint8_t cur = 0;
  for (char c : text) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) continue;  // spaces and '|' separators
    cur = static_cast<std::uint8_t>(cur << 4 | v);
    if (++nibbles % 2 == 0) out.push_back(cur);
  }
  return out;
}

// B1: non-idempotent batch, one record (key "key", value "value", header h=v), cross-checked with kafka-python.
const byte_buffer b1 = hex(
    "00000000 00000000 | 00000044 | ffffffff | 02 | 83794a1d | 0000 | 00000000 |"
    "0000018bcfe56800 | 0000018bcfe56800 | ffffffffffffffff | ffff | ffffffff | 00000001 |"
    "24 00 00 00 06 6b6579 0a 76616c7565 02 02 68 02 76");

produce_request produce_b1() {
  produce_request req;
  req.transactional_id = std::nullopt;
  req.acks = -1;
  req.timeout_ms = 30000;
  auto& topic = req.topic_data.emplace_back();
  topic.name = "test";
  auto& partition = topic.partition_data.emplace_back();
  partition.index = 0;
  partition.records = b1;
  return req;
}

// Splits a request frame and decodes header and body, checking the size prefix and that nothing is left over.
template <class Body>
void decode_request_frame(const byte_buffer& frame, request_header& header, Body& body) {
  reader r(frame);
  auto size = r.int32();
  ASSERT_EQ(static_cast<std::size_t>(size), frame.size() - 4);
  auto version = static_cast<std::int16_t>(frame.at(6) << 8 | frame.at(7));
  header.decode(r, is_flexible_version<Body>(version) ? 2 : 1);
  body.decode(r, version);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace

TEST(MessagesGolden, B1IsEightyBytes) { ASSERT_EQ(b1.size(), 80u); }

TEST(MessagesGolden, ApiVersionsV0Request) {
  byte_buffer frame;
  ASSERT_FALSE(encode_request(frame, api_versions_request{}, 0, 1, "cpp"));
  EXPECT_EQ(frame, hex("0000000d 0012 0000 00000001 0003 637070"));
}

TEST(MessagesGolden, ApiVersionsV3RequestCapturedFromLibrdkafka) {
  api_versions_request req;
  req.client_software_name = "librdkafka";
  req.client_software_version = "2.0.2";
  byte_buffer frame;
  ASSERT_FALSE(encode_request(frame, req, 3, 1, "rdkafka"));
  EXPECT_EQ(frame, hex("00000024 0012 0003 00000001 0007 72646b61666b61 00 0b 6c696272646b61666b61 06 322e302e32 00"));

  request_header header;
  api_versions_request body;
  decode_request_frame(frame, header, body);
  EXPECT_EQ(header.request_api_key, 18);
  EXPECT_EQ(header.request_api_version, 3);
  EXPECT_EQ(header.correlation_id, 1);
  EXPECT_EQ(header.client_id, "rdkafka");
  EXPECT_TRUE(body == req);
}

TEST(MessagesGolden, ApiVersionsV4Request) {
  api_versions_request req;
  req.client_software_name = "kcpp";
  req.client_software_version = "0.1";
  byte_buffer frame;
  ASSERT_FALSE(encode_request(frame, req, 4, 1, "cpp"));
  EXPECT_EQ(frame, hex("00000018 0012 0004 00000001 0003 637070 00 05 6b637070 04 302e31 00"));
}

TEST(MessagesGolden, ProduceV3CarryingB1) {
  byte_buffer expected = hex(
      "0000007b 0000 0003 00000003 0003 637070 | ffff | ffff | 00007530 | 00000001 0004 74657374 |"
      "00000001 00000000 00000050");
  expected.insert(expected.end(), b1.begin(), b1.end());
  byte_buffer frame;
  ASSERT_FALSE(encode_request(frame, produce_b1(), 3, 3, "cpp"));
  EXPECT_EQ(frame, expected);

  request_header header;
  produce_request body;
  decode_request_frame(frame, header, body);
  EXPECT_EQ(header.correlation_id, 3);
  EXPECT_TRUE(body == produce_b1());
}

TEST(MessagesGolden, ProduceV9CarryingB1) {
  byte_buffer expected = hex("00000074 0000 0009 00000002 0003 637070 00 | 00 | ffff | 00007530 | 02 05 74657374 |"
                             "02 00000000 51");
  expected.insert(expected.end(), b1.begin(), b1.end());
  for (int i = 0; i < 3; ++i) expected.push_back(0x00);  // partition, topic and body tagged-field sections
  byte_buffer frame;
  ASSERT_FALSE(encode_request(frame, produce_b1(), 9, 2, "cpp"));
  EXPECT_EQ(frame, expected);

  request_header header;
  produce_request body;
  decode_request_frame(frame, header, body);
  EXPECT_EQ(header.request_api_version, 9);
  EXPECT_TRUE(body == produce_b1());
}

TEST(MessagesGolden, NullClientIdAndAppendToExistingBuffer) {
  byte_buffer frame = {0xaa};
  ASSERT_FALSE(encode_request(frame, api_versions_request{}, 0, 7, std::nullopt));
  EXPECT_EQ(frame, hex("aa 0000000a 0012 0000 00000007 ffff"));
}

TEST(MessagesGolden, EncodeRequestRejectsUnsupportedVersion) {
  byte_buffer frame = {0x01};
  EXPECT_EQ(encode_request(frame, produce_b1(), 2, 1, "cpp"), client_errc::unsupported_version);
  EXPECT_EQ(encode_request(frame, produce_b1(), 14, 1, "cpp"), client_errc::unsupported_version);
  EXPECT_EQ(frame, byte_buffer{0x01});
}

// ProduceResponse v3, built by hand from the schema: one topic "test", partition 0, no error, base offset 42,
// log append time -1, throttle 5.
TEST(MessagesGolden, ProduceV3ResponseFieldOrder) {
  byte_buffer frame = hex(
      "00000007 | 00000001 0004 74657374 | 00000001 00000000 0000 000000000000002a ffffffffffffffff | 00000005");
  produce_response resp;
  ASSERT_FALSE(decode_response<produce_request>(frame, 3, 7, resp));
  ASSERT_EQ(resp.responses.size(), 1u);
  EXPECT_EQ(resp.responses[0].name, "test");
  ASSERT_EQ(resp.responses[0].partition_responses.size(), 1u);
  const auto& p = resp.responses[0].partition_responses[0];
  EXPECT_EQ(p.index, 0);
  EXPECT_EQ(p.error_code, 0);
  EXPECT_EQ(p.base_offset, 42);
  EXPECT_EQ(p.log_append_time_ms, -1);
  EXPECT_EQ(p.log_start_offset, -1);  // not in v3: default
  EXPECT_EQ(resp.throttle_time_ms, 5);

  EXPECT_EQ(decode_response<produce_request>(frame, 3, 8, resp), client_errc::correlation_mismatch);
}

// ProduceResponse v10 with a CurrentLeader hint (partition tag 0) and a NodeEndpoints entry (top-level tag 0),
// the NOT_LEADER_OR_FOLLOWER shape; response header v1 (correlation id + empty tag section).
TEST(MessagesGolden, ProduceV10ResponseTaggedLeaderHints) {
  byte_buffer frame = hex(
      "00000009 00 | 02 05 74657374 | 02 00000001 0006 ffffffffffffffff ffffffffffffffff ffffffffffffffff |"
      "01 00 | 01 | 00 09 00000003 00000007 00 | 00 | 00000000 |"
      "01 00 11 02 00000003 06 6b61666b61 00002384 00 00");
  produce_response resp;
  ASSERT_FALSE(decode_response<produce_request>(frame, 10, 9, resp)) << "decode failed";
  const auto& p = resp.responses.at(0).partition_responses.at(0);
  EXPECT_EQ(p.index, 1);
  EXPECT_EQ(p.error_code, 6);
  EXPECT_TRUE(p.record_errors.empty());
  EXPECT_EQ(p.error_message, std::nullopt);
  EXPECT_EQ(p.current_leader.leader_id, 3);
  EXPECT_EQ(p.current_leader.leader_epoch, 7);
  ASSERT_EQ(resp.node_endpoints.size(), 1u);
  EXPECT_EQ(resp.node_endpoints[0].node_id, 3);
  EXPECT_EQ(resp.node_endpoints[0].host, "kafka");
  EXPECT_EQ(resp.node_endpoints[0].port, 9092);
  EXPECT_EQ(resp.node_endpoints[0].rack, std::nullopt);

  // Re-encoding reproduces the body byte for byte (tags written only because they differ from the defaults).
  byte_buffer body;
  ASSERT_FALSE(encode_message(body, resp, 10));
  EXPECT_EQ(body, byte_buffer(frame.begin() + 5, frame.end()));  // after correlation id and header tags
}

// Transactions messages, derived by hand from their JSON schemas (not checked against a broker).
// AddPartitionsToTxn v3 (the last client version, flexible): the V3AndBelow fields, the common topic struct.
TEST(MessagesGolden, AddPartitionsToTxnV3Request) {
  add_partitions_to_txn_request req;
  req.v3_and_below_transactional_id = "tx";
  req.v3_and_below_producer_id = 5;
  req.v3_and_below_producer_epoch = 1;
  auto& topic = req.v3_and_below_topics.emplace_back();
  topic.name = "t";
  topic.partitions = {0, 2};
  byte_buffer frame;
  ASSERT_FALSE(encode_request(frame, req, 3, 1, "c"));
  EXPECT_EQ(frame, hex("00000027 0018 0003 00000001 0001 63 00 |"
                       "03 7478 | 0000000000000005 | 0001 | 02 02 74 03 00000000 00000002 00 | 00"));
  request_header header;
  add_partitions_to_txn_request back;
  decode_request_frame(frame, header, back);
  EXPECT_TRUE(back == req);
}

// EndTxn v3 request, and the v5 response that carries the bumped producer id and epoch (transactions v2).
TEST(MessagesGolden, EndTxnV3RequestAndV5Response) {
  end_txn_request req;
  req.transactional_id = "tx";
  req.producer_id = 5;
  req.producer_epoch = 1;
  req.committed = true;
  byte_buffer frame;
  ASSERT_FALSE(encode_request(frame, req, 3, 2, "c"));
  EXPECT_EQ(frame, hex("0000001b 001a 0003 00000002 0001 63 00 | 03 7478 0000000000000005 0001 01 00"));

  byte_buffer response = hex("00000002 00 | 00000000 0000 0000000000000007 0003 00");
  end_txn_response out;
  ASSERT_FALSE(decode_response<end_txn_request>(response, 5, 2, out));
  EXPECT_EQ(out.error_code, 0);
  EXPECT_EQ(out.producer_id, 7);
  EXPECT_EQ(out.producer_epoch, 3);
  // v4 has neither field: the defaults (-1) stay.
  byte_buffer v4 = hex("00000002 00 | 00000000 0033 00");
  ASSERT_FALSE(decode_response<end_txn_request>(v4, 4, 2, out));
  EXPECT_EQ(out.error_code, 51);  // CONCURRENT_TRANSACTIONS
  EXPECT_EQ(out.producer_id, -1);
  EXPECT_EQ(out.producer_epoch, -1);
}
