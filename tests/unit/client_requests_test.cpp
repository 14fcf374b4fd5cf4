// detail/requests.hpp: the producer's request encoders and response decoders.
//  - The hand-written Produce encoder (it copies sealed batches straight into the frame) must give exactly the
//    bytes of the generated produce_request codec through protocol::encode_request, for every version we send.
//  - The other encoders produce frames the generated decoders read back with the intended fields.
//  - The decoders read what the generated encoders write (response header included), for every version, and
//    reject every truncation of it without crashing.
#include <kafkio/core/requests.hpp>
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/request.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace kafkio;
using namespace kafkio::protocol;
namespace d = kafkio::core;

// A response as a broker sends it, without the size prefix: response header (v0 or v1) then the body.
template <class M>
byte_buffer response_frame(const M& body, api_key key, std::int16_t version, std::int32_t correlation_id) {
  byte_buffer out;
  writer w(out);
  response_header h;
  h.correlation_id = correlation_id;
  h.encode(w, *response_header_version(key, version));
  body.encode(w, version);
  return out;
}

bytes_view as_bytes(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

byte_buffer sealed_batch(int records, std::int32_t base_sequence) {
  record_batch_builder b;
  b.reset(1700000000000);
  for (int i = 0; i < records; ++i) {
    std::string value = "value-" + std::to_string(i);
    EXPECT_FALSE(b.append(1700000000000 + i, std::nullopt, as_bytes(value)));
  }
  seal_options o;
  o.producer_id = 4242;
  o.producer_epoch = 3;
  o.base_sequence = base_sequence;
  std::error_code ec;
  auto bytes = b.seal(o, ec);
  EXPECT_FALSE(ec);
  return byte_buffer(bytes.begin(), bytes.end());
}

struct produce_case {
  std::vector<std::string> topics;                    // owns the names the partition data points to
  std::vector<std::pair<std::size_t, std::int32_t>> where;  // topic index, partition
  std::vector<byte_buffer> batches;
};

produce_case several_topics() {
  produce_case c;
  c.topics = {"alpha", "beta", "a-much-longer-topic-name.with_dots"};
  c.where = {{0, 0}, {0, 3}, {0, 1}, {1, 7}, {2, 0}, {2, 1}};
  for (std::size_t i = 0; i < c.where.size(); ++i) c.batches.push_back(sealed_batch(1 + static_cast<int>(i), 10 * static_cast<int>(i)));
  return c;
}

TEST(EncodeProduceRequest, SameBytesAsTheGeneratedCodecForVersions3To12) {
  const auto c = several_topics();
  std::vector<d::produce_partition_data> parts;
  for (std::size_t i = 0; i < c.where.size(); ++i)
    parts.push_back({&c.topics[c.where[i].first], c.where[i].second, c.batches[i]});
  // The generated message, grouped the same way.
  produce_request req;
  for (std::size_t i = 0; i < c.where.size(); ++i) {
    const auto& name = c.topics[c.where[i].first];
    if (req.topic_data.empty() || req.topic_data.back().name != name) req.topic_data.emplace_back().name = name;
    auto& p = req.topic_data.back().partition_data.emplace_back();
    p.index = c.where[i].second;
    p.records = c.batches[i];
  }
  for (const std::string& client_id : std::vector<std::string>{"kafkio-producer", "", std::string(300, 'c')}) {
    for (std::int16_t acks : {std::int16_t{-1}, std::int16_t{0}, std::int16_t{1}}) {
      for (std::int16_t v = 3; v <= 12; ++v) {
        SCOPED_TRACE(testing::Message() << "v" << v << " acks " << acks << " client id length " << client_id.size());
        req.acks = acks;
        req.timeout_ms = 30000 + v;
        byte_buffer want;
        ASSERT_FALSE(encode_request(want, req, v, 77 + v, client_id));
        byte_buffer got;
        d::encode_produce_request(got, v, {77 + v, &client_id}, acks, 30000 + v, parts);
        EXPECT_EQ(got, want);
      }
    }
  }
}

TEST(EncodeProduceRequest, SinglePartitionAndNoPartitions) {
  const std::string client = "c";
  const std::string topic = "t";
  const auto batch = sealed_batch(3, 0);
  for (std::int16_t v = 3; v <= 12; ++v) {
    produce_request req;
    req.acks = -1;
    req.timeout_ms = 1000;
    byte_buffer want, got;
    ASSERT_FALSE(encode_request(want, req, v, 1, client));
    d::encode_produce_request(got, v, {1, &client}, -1, 1000, {});
    EXPECT_EQ(got, want) << "empty, v" << v;

    auto& td = req.topic_data.emplace_back();
    td.name = topic;
    td.partition_data.push_back({});
    td.partition_data.back().index = 5;
    td.partition_data.back().records = batch;
    want.clear();
    ASSERT_FALSE(encode_request(want, req, v, 2, client));
    d::encode_produce_request(got, v, {2, &client}, -1, 1000, {{&topic, 5, batch}});
    EXPECT_EQ(got, want) << "one partition, v" << v;
  }
}

// Reads a request frame as a broker would: size, header at the version the API wants, body, nothing left over.
template <class Body>
Body decode_request_frame(const byte_buffer& frame, std::int16_t version, std::int32_t correlation_id,
                          const std::string& client_id) {
  reader r(frame);
  EXPECT_EQ(r.int32(), static_cast<std::int32_t>(frame.size() - 4));
  request_header h;
  h.decode(r, *request_header_version(static_cast<api_key>(Body::api_key), version));
  EXPECT_EQ(h.request_api_key, Body::api_key);
  EXPECT_EQ(h.request_api_version, version);
  EXPECT_EQ(h.correlation_id, correlation_id);
  EXPECT_EQ(h.client_id, client_id);
  Body body;
  body.decode(r, version);
  EXPECT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.remaining(), 0u);
  return body;
}

// GCC 12 reports a false -Wmaybe-uninitialized in std::optional<std::string> (InitProducerId's transactional_id)
// once encode_init_producer_id_request is inlined here; requests.hpp silences it around its own definition only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
TEST(RequestEncoders, ApiVersionsMetadataInitProducerIdDecodeWithTheGeneratedCodecs) {
  const std::string client = "kafkio-test";
  for (std::int16_t v = 0; v <= 4; ++v) {
    byte_buffer f;
    d::encode_api_versions_request(f, v, {10, &client});
    auto body = decode_request_frame<api_versions_request>(f, v, 10, client);
    if (v >= 3) {  // v3+ carry the software name and version, which 4.x brokers validate (NOTES §3)
      EXPECT_EQ(body.client_software_name, "kafkio");
      EXPECT_FALSE(body.client_software_version.empty());
    }
  }
  const std::vector<std::string> topics{"a", "b.c"};
  for (std::int16_t v = 1; v <= 12; ++v) {
    byte_buffer f;
    d::encode_metadata_request(f, v, {11, &client}, topics);
    auto body = decode_request_frame<metadata_request>(f, v, 11, client);
    ASSERT_TRUE(body.topics.has_value()) << "v" << v;
    ASSERT_EQ(body.topics->size(), 2u);
    EXPECT_EQ((*body.topics)[1].name, "b.c");
    if (v >= 4) {
      EXPECT_TRUE(body.allow_auto_topic_creation);
    }
  }
  for (std::int16_t v = 0; v <= 5; ++v) {
    byte_buffer f;
    d::encode_init_producer_id_request(f, v, {12, &client});
    auto body = decode_request_frame<init_producer_id_request>(f, v, 12, client);
    EXPECT_EQ(body.transactional_id, std::nullopt) << "v" << v;
    EXPECT_EQ(body.transaction_timeout_ms, INT32_MAX);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

produce_response sample_produce_response() {
  produce_response m;
  m.throttle_time_ms = 250;
  auto& t1 = m.responses.emplace_back();
  t1.name = "alpha";
  auto& ok = t1.partition_responses.emplace_back();
  ok.index = 0;
  ok.base_offset = 1234567890123;
  ok.log_append_time_ms = 1700000000999;
  ok.log_start_offset = 10;
  auto& bad = t1.partition_responses.emplace_back();
  bad.index = 3;
  bad.error_code = 6;  // NOT_LEADER_OR_FOLLOWER
  bad.base_offset = -1;
  bad.error_message = "not the leader";
  bad.current_leader.leader_id = 2;
  bad.current_leader.leader_epoch = 17;
  auto& t2 = m.responses.emplace_back();
  t2.name = "beta";
  auto& rec = t2.partition_responses.emplace_back();
  rec.index = 1;
  rec.error_code = 87;  // INVALID_RECORD, only a per-record message
  rec.base_offset = -1;
  rec.record_errors.push_back({});
  rec.record_errors.back().batch_index = 0;
  rec.record_errors.back().batch_index_error_message = "null key on a compacted topic";
  return m;
}

TEST(DecodeProduceResponse, RoundTripEveryVersion) {
  const auto m = sample_produce_response();
  for (std::int16_t v = 3; v <= 12; ++v) {
    SCOPED_TRACE(testing::Message() << "v" << v);
    const auto frame = response_frame(m, api_key::produce, v, 99);
    d::produce_result r;
    ASSERT_FALSE(d::decode_produce_response(frame, v, r));
    EXPECT_EQ(r.throttle_ms, 250);
    ASSERT_EQ(r.partitions.size(), 3u);
    EXPECT_EQ(r.partitions[0].topic, "alpha");
    EXPECT_EQ(r.partitions[0].partition, 0);
    EXPECT_EQ(r.partitions[0].error, 0);
    EXPECT_EQ(r.partitions[0].base_offset, 1234567890123);
    EXPECT_EQ(r.partitions[0].log_append_time_ms, 1700000000999);
    EXPECT_EQ(r.partitions[1].partition, 3);
    EXPECT_EQ(r.partitions[1].error, 6);
    EXPECT_EQ(r.partitions[2].topic, "beta");
    EXPECT_EQ(r.partitions[2].error, 87);
    if (v >= 8) {
      EXPECT_EQ(r.partitions[1].error_message, "not the leader");
      EXPECT_EQ(r.partitions[2].error_message, "null key on a compacted topic");  // from RecordErrors
    } else {
      EXPECT_EQ(r.partitions[1].error_message, std::nullopt);
      EXPECT_EQ(r.partitions[2].error_message, std::nullopt);
    }
    if (v >= 10) {
      EXPECT_EQ(r.partitions[1].leader_hint, 2);
      EXPECT_EQ(r.partitions[1].leader_epoch_hint, 17);
    } else {
      EXPECT_EQ(r.partitions[1].leader_hint, -1);
    }
    EXPECT_EQ(r.partitions[0].leader_hint, -1);
  }
}

metadata_response sample_metadata_response() {
  metadata_response m;
  m.brokers.push_back({});
  m.brokers.back().node_id = 1;
  m.brokers.back().host = "127.0.0.1";
  m.brokers.back().port = 9092;
  m.brokers.push_back({});
  m.brokers.back().node_id = 2;
  m.brokers.back().host = "broker-2.example";
  m.brokers.back().port = 19093;
  auto& t = m.topics.emplace_back();
  t.name = "events";
  for (std::int32_t p : {2, 0, 1}) {  // out of order on purpose
    auto& part = t.partitions.emplace_back();
    part.partition_index = p;
    part.leader_id = p == 1 ? -1 : 1 + p % 2;
    part.leader_epoch = 40 + p;
    part.error_code = p == 1 ? 5 : 0;
  }
  auto& missing = m.topics.emplace_back();
  missing.name = "missing";
  missing.error_code = 3;
  return m;
}

TEST(DecodeMetadataResponse, RoundTripEveryVersion) {
  const auto m = sample_metadata_response();
  for (std::int16_t v = 1; v <= 12; ++v) {
    SCOPED_TRACE(testing::Message() << "v" << v);
    const auto frame = response_frame(m, api_key::metadata, v, 5);
    d::metadata_result r;
    ASSERT_FALSE(d::decode_metadata_response(frame, v, r));
    ASSERT_EQ(r.brokers.size(), 2u);
    EXPECT_EQ(r.brokers.at(2).host, "broker-2.example");
    EXPECT_EQ(r.brokers.at(2).port, 19093);
    EXPECT_EQ(r.brokers.at(1).node_id, 1);
    ASSERT_EQ(r.topics.size(), 2u);
    EXPECT_EQ(r.topics[0].first, "events");
    const auto& parts = r.topics[0].second.partitions;
    ASSERT_EQ(parts.size(), 3u);  // indexed by partition number
    EXPECT_EQ(parts[0].leader, 1);
    EXPECT_EQ(parts[1].leader, -1);
    EXPECT_EQ(parts[1].error, 5);
    EXPECT_EQ(parts[2].leader, 1);
    EXPECT_EQ(parts[2].leader_epoch, v >= 7 ? 42 : -1);
    EXPECT_EQ(r.topics[1].first, "missing");
    EXPECT_EQ(r.topics[1].second.error, 3);
    EXPECT_TRUE(r.topics[1].second.partitions.empty());
  }
}

TEST(DecodeMetadataResponse, AbsurdPartitionIndexIsAnErrorNotAHugeAllocation) {
  auto m = sample_metadata_response();
  m.topics[0].partitions[0].partition_index = 2000000000;
  d::metadata_result r;
  EXPECT_EQ(d::decode_metadata_response(response_frame(m, api_key::metadata, 7, 1), 7, r),
            make_error_code(client_errc::malformed_length));
}

TEST(DecodeMetadataResponse, NegativePartitionIndexIsSkipped) {
  auto m = sample_metadata_response();
  m.topics[0].partitions[0].partition_index = -5;  // was partition 2
  d::metadata_result r;
  ASSERT_FALSE(d::decode_metadata_response(response_frame(m, api_key::metadata, 9, 1), 9, r));
  EXPECT_EQ(r.topics[0].second.partitions.size(), 2u);
}

TEST(DecodeInitProducerIdResponse, RoundTripEveryVersion) {
  init_producer_id_response m;
  m.throttle_time_ms = 3;
  m.error_code = 0;
  m.producer_id = 0x123456789;
  m.producer_epoch = 7;
  for (std::int16_t v = 0; v <= 5; ++v) {
    d::init_producer_id_result r;
    ASSERT_FALSE(d::decode_init_producer_id_response(response_frame(m, api_key::init_producer_id, v, 8), v, r));
    EXPECT_EQ(r.producer_id, 0x123456789) << v;
    EXPECT_EQ(r.producer_epoch, 7);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.throttle_ms, 3);
  }
  m.error_code = 31;
  d::init_producer_id_result r;
  ASSERT_FALSE(d::decode_init_producer_id_response(response_frame(m, api_key::init_producer_id, 4, 8), 4, r));
  EXPECT_EQ(r.error, 31);
}

TEST(DecodeApiVersionsResponse, V0FormatUnsupportedVersionReplyToV4) {
  // What a broker without ApiVersions v4 answers (NOTES §3): a v0 body, error 35, only key 18's range.
  api_versions_response m;
  m.error_code = 35;
  m.api_keys.push_back({});
  m.api_keys.back().api_key = 18;
  m.api_keys.back().max_version = 2;
  byte_buffer frame;
  writer w(frame);
  w.int32(3);  // response header v0: correlation id only
  m.encode(w, 0);
  api_versions_response r;
  ASSERT_FALSE(d::decode_api_versions_frame(frame, 4, r));
  EXPECT_EQ(r.error_code, 35);
  ASSERT_EQ(r.api_keys.size(), 1u);
  EXPECT_EQ(api_versions_retry_version(r, 4), std::optional<std::int16_t>(2));
}

// Every strict prefix of a valid response is rejected (never a crash, never a partial "success").
template <class Decode>
void every_truncation_fails(const byte_buffer& frame, Decode decode) {
  for (std::size_t n = 0; n < frame.size(); ++n) {
    byte_buffer prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_TRUE(decode(prefix)) << "prefix of " << n << "/" << frame.size() << " bytes decoded";
  }
  EXPECT_FALSE(decode(frame));
}

TEST(ResponseDecoders, EveryTruncationIsAnError) {
  for (std::int16_t v : {3, 8, 9, 12}) {
    every_truncation_fails(response_frame(sample_produce_response(), api_key::produce, v, 1), [v](const byte_buffer& f) {
      d::produce_result r;
      return d::decode_produce_response(f, v, r);
    });
  }
  for (std::int16_t v : {1, 7, 9, 12}) {
    every_truncation_fails(response_frame(sample_metadata_response(), api_key::metadata, v, 1), [v](const byte_buffer& f) {
      d::metadata_result r;
      return d::decode_metadata_response(f, v, r);
    });
  }
  init_producer_id_response ip;
  for (std::int16_t v : {0, 2, 5}) {
    every_truncation_fails(response_frame(ip, api_key::init_producer_id, v, 1), [v](const byte_buffer& f) {
      d::init_producer_id_result r;
      return d::decode_init_producer_id_response(f, v, r);
    });
  }
}

TEST(ResponseDecoders, TrailingBytesAreAnError) {
  auto frame = response_frame(sample_produce_response(), api_key::produce, 7, 1);
  frame.push_back(0);
  d::produce_result r;
  EXPECT_EQ(d::decode_produce_response(frame, 7, r), make_error_code(client_errc::trailing_bytes));
}

}  // namespace
