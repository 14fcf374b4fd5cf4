// The producer's wire path through protocol/ alone: framing, response bodies, the ApiVersions fallback, and the
// view codecs on the Produce hot path, each against the hand-written codec the client used before (copied below
// as the reference): byte-identical frames, the same decoded
// fields, no allocation once buffers are reused.
#include "allocation_probe.hpp"
#include "messages_samples.hpp"

#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/request.hpp>
#include <kafkio/protocol/version_negotiation.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace kafkio;
using namespace kafkio::protocol;
namespace probe = kafkio::test::allocation_probe;
using kafkio::protocol::samples::fill_sample;
using kafkio::protocol::samples::sample_mode;
using kafkio::protocol::samples::sample_source;

namespace reference {  // the client's hand-written codecs, as they were

struct request_context {
  std::int32_t correlation_id;
  const std::string* client_id;
};
inline writer begin_request(byte_buffer& out, api_key key, std::int16_t version, const request_context& ctx) {
  out.clear();
  writer w(out);
  w.int32(0);
  w.int16(static_cast<std::int16_t>(key));
  w.int16(version);
  w.int32(ctx.correlation_id);
  w.string(*ctx.client_id);
  if (request_header_version(key, version) == 2) w.uvarint(0);
  return w;
}
inline void end_request(writer& w) { w.patch_int32(0, static_cast<std::int32_t>(w.size() - 4)); }

inline void encode_init_producer_id_request(byte_buffer& out, std::int16_t version, const request_context& ctx) {
  auto w = begin_request(out, api_key::init_producer_id, version, ctx);
  const bool flexible = version >= 2;
  if (flexible) w.compact_nullable_string(std::nullopt);
  else w.nullable_string(std::nullopt);
  w.int32(INT32_MAX);
  if (version >= 3) {
    w.int64(-1);
    w.int16(-1);
  }
  if (flexible) w.uvarint(0);
  end_request(w);
}

struct produce_partition_data {
  const std::string* topic;
  std::int32_t partition;
  bytes_view batch;
};
inline void encode_produce_request(byte_buffer& out, std::int16_t version, const request_context& ctx,
                                   std::int16_t acks, std::int32_t timeout_ms,
                                   const std::vector<produce_partition_data>& partitions) {
  auto w = begin_request(out, api_key::produce, version, ctx);
  const bool flexible = version >= 9;
  if (flexible) w.compact_nullable_string(std::nullopt);
  else w.nullable_string(std::nullopt);
  w.int16(acks);
  w.int32(timeout_ms);
  std::int32_t topics = 0;
  for (std::size_t i = 0; i < partitions.size(); ++i)
    topics += i == 0 || *partitions[i].topic != *partitions[i - 1].topic;
  flexible ? w.compact_array_length(topics) : w.array_length(topics);
  for (std::size_t i = 0; i < partitions.size();) {
    std::size_t j = i;
    while (j < partitions.size() && *partitions[j].topic == *partitions[i].topic) ++j;
    flexible ? w.compact_string(*partitions[i].topic) : w.string(*partitions[i].topic);
    auto n = static_cast<std::int32_t>(j - i);
    flexible ? w.compact_array_length(n) : w.array_length(n);
    for (; i < j; ++i) {
      w.int32(partitions[i].partition);
      flexible ? w.compact_bytes(partitions[i].batch) : w.bytes(partitions[i].batch);
      if (flexible) w.uvarint(0);
    }
    if (flexible) w.uvarint(0);
  }
  if (flexible) w.uvarint(0);
  end_request(w);
}

struct produce_partition_result {
  std::string_view topic;
  std::int32_t partition = -1;
  std::int16_t error = 0;
  std::int64_t base_offset = -1;
  std::int64_t log_append_time_ms = -1;
  std::optional<std::string_view> error_message;
  std::int32_t leader_hint = -1, leader_epoch_hint = -1;
};
struct produce_result {
  std::vector<produce_partition_result> partitions;
  std::int32_t throttle_ms = 0;
};

inline std::string_view string_view_of(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
inline std::string_view read_string(reader& r, bool flexible) {
  std::int64_t n = flexible ? static_cast<std::int64_t>(r.uvarint()) - 1 : r.int16();
  if (!r.ok()) return {};
  if (flexible && n == -1) return r.fail(client_errc::unexpected_null), std::string_view{};
  if (n < 0) return r.fail(client_errc::malformed_length), std::string_view{};
  return string_view_of(r.bytes_view_(n));
}
inline std::optional<std::string_view> read_nullable_string(reader& r, bool flexible) {
  std::int64_t n = flexible ? static_cast<std::int64_t>(r.uvarint()) - 1 : r.int16();
  if (!r.ok() || n == -1) return std::nullopt;
  if (n < 0) return r.fail(client_errc::malformed_length), std::nullopt;
  return string_view_of(r.bytes_view_(n));
}
inline std::int32_t read_array_length(reader& r, bool flexible, std::size_t min_element_size) {
  auto n = flexible ? r.compact_array_length(min_element_size) : r.array_length(min_element_size);
  if (n < 0) r.fail(client_errc::unexpected_null);
  return r.ok() ? n : 0;
}
template <class OnKnown>
void read_tags(reader& r, OnKnown&& on_known) {
  auto count = r.uvarint();
  if (count > r.remaining()) return r.fail(client_errc::truncated);
  std::uint32_t last_tag = 0;
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    auto tag = r.uvarint();
    auto size = r.uvarint();
    if (!r.ok()) return;
    if (i > 0 && tag <= last_tag) return r.fail(client_errc::malformed_tagged_fields);
    last_tag = tag;
    auto payload = r.bytes_view_(size);
    if (!r.ok()) return;
    reader sub(payload);
    if (on_known(tag, sub)) {
      if (sub.ok() && sub.remaining() != 0) sub.fail(client_errc::malformed_tagged_fields);
      if (!sub.ok()) return r.fail(sub.error());
    }
  }
}
inline void skip_tags(reader& r) {
  read_tags(r, [](std::uint32_t, reader&) { return false; });
}
inline void read_partition(reader& r, std::int16_t version, std::string_view topic, produce_partition_result& p) {
  const bool flexible = version >= 9;
  p = {};
  p.topic = topic;
  p.partition = r.int32();
  p.error = r.int16();
  p.base_offset = r.int64();
  p.log_append_time_ms = r.int64();
  if (version >= 5) r.int64();
  if (version >= 8) {
    auto errors = read_array_length(r, flexible, 6);
    for (std::int32_t i = 0; i < errors && r.ok(); ++i) {
      r.int32();
      auto message = read_nullable_string(r, flexible);
      if (i == 0 && message) p.error_message = message;
      if (flexible) skip_tags(r);
    }
    if (auto message = read_nullable_string(r, flexible)) p.error_message = message;
  }
  if (flexible) {
    read_tags(r, [&](std::uint32_t tag, reader& tr) {
      if (tag != 0 || version < 10) return false;
      p.leader_hint = tr.int32();
      p.leader_epoch_hint = tr.int32();
      skip_tags(tr);
      return true;
    });
  }
}
inline std::error_code decode_produce_response(bytes_view frame, std::int16_t version, produce_result& out) {
  out.partitions.clear();
  out.throttle_ms = 0;
  reader r(frame);
  decode_response_header(r, api_key::produce, version);
  if (!r.ok()) return r.error();
  if (version < produce_response::min_version || version > produce_response::max_version)
    return make_error_code(client_errc::unsupported_version);
  const bool flexible = version >= 9;
  auto topics = read_array_length(r, flexible, 3);
  for (std::int32_t t = 0; t < topics && r.ok(); ++t) {
    std::string_view name;
    if (version <= 12) name = read_string(r, flexible);
    else r.uuid_();
    auto partitions = read_array_length(r, flexible, 22);
    for (std::int32_t i = 0; i < partitions && r.ok(); ++i) read_partition(r, version, name, out.partitions.emplace_back());
    if (flexible) skip_tags(r);
  }
  out.throttle_ms = r.int32();
  if (flexible) skip_tags(r);
  if (r.ok() && r.remaining() != 0) r.fail(client_errc::trailing_bytes);
  if (!r.ok()) out.partitions.clear();
  return r.error();
}

}  // namespace reference

namespace {

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

// Three topics, six partitions, one sealed batch each: the reference's input and the same as a view.
struct produce_case {
  std::vector<std::string> topics = {"alpha", "beta", "a-much-longer-topic-name.with_dots"};
  std::vector<std::pair<std::size_t, std::int32_t>> where = {{0, 0}, {0, 3}, {0, 1}, {1, 7}, {2, 0}, {2, 1}};
  std::vector<byte_buffer> batches;
  produce_case() {
    for (std::size_t i = 0; i < where.size(); ++i)
      batches.push_back(sealed_batch(1 + static_cast<int>(i), 10 * static_cast<int>(i)));
  }
  std::vector<reference::produce_partition_data> reference_input() const {
    std::vector<reference::produce_partition_data> parts;
    for (std::size_t i = 0; i < where.size(); ++i) parts.push_back({&topics[where[i].first], where[i].second, batches[i]});
    return parts;
  }
  // What the producer builds per request: grouped by topic, views of its sealed batches.
  void fill(produce_request_view& req, std::int16_t acks, std::int32_t timeout_ms) const {
    req.reset();
    req.acks = acks;
    req.timeout_ms = timeout_ms;
    for (std::size_t i = 0; i < where.size(); ++i) {
      const std::string& name = topics[where[i].first];
      if (req.topic_data.empty() || req.topic_data.back().name != name) req.topic_data.emplace_back().name = name;
      auto& p = req.topic_data.back().partition_data.emplace_back();
      p.index = where[i].second;
      p.records = bytes_view(batches[i]);
    }
  }
};

// A response frame as a broker sends it (no size prefix): header, then the body.
template <class M>
byte_buffer response_frame(const M& body, std::int16_t version, std::int32_t correlation_id) {
  byte_buffer out;
  writer w(out);
  response_header h;
  h.correlation_id = correlation_id;
  h.encode(w, *response_header_version(static_cast<api_key>(M::api_key), version));
  body.encode(w, version);
  return out;
}

}  // namespace

TEST(WirePathProduceRequest, ViewFramesAreTheHandWrittenEncodersBytes) {
  const produce_case c;
  const auto parts = c.reference_input();
  produce_request_view view;
  for (const std::string& client_id : {std::string("kafkio-producer"), std::string(), std::string(300, 'c')}) {
    for (std::int16_t acks : {std::int16_t{-1}, std::int16_t{0}, std::int16_t{1}}) {
      for (std::int16_t v = 3; v <= 12; ++v) {
        SCOPED_TRACE(testing::Message() << "v" << v << " acks " << acks << " client id length " << client_id.size());
        byte_buffer want;
        reference::encode_produce_request(want, v, {77 + v, &client_id}, acks, 30000 + v, parts);
        c.fill(view, acks, 30000 + v);
        byte_buffer got;
        ASSERT_FALSE(encode_request(got, view, v, 77 + v, client_id));
        EXPECT_EQ(got, want);
        byte_buffer owning;
        ASSERT_FALSE(encode_request(owning, view.to_owning(), v, 77 + v, client_id));
        EXPECT_EQ(owning, want);
      }
    }
  }
  // v13 names topics by id; the reference never sent it. View and owning agree there too.
  c.fill(view, -1, 1000);
  for (std::size_t t = 0; t < view.topic_data.size(); ++t) view.topic_data[t].topic_id[15] = static_cast<std::uint8_t>(t + 1);
  byte_buffer a, b;
  ASSERT_FALSE(encode_request(a, view, 13, 5, "c"));
  ASSERT_FALSE(encode_request(b, view.to_owning(), 13, 5, "c"));
  EXPECT_EQ(a, b);
}

TEST(WirePathProduceRequest, EmptyRequestAndOnePartition) {
  const std::string client = "c", topic = "t";
  const auto batch = sealed_batch(3, 0);
  for (std::int16_t v = 3; v <= 12; ++v) {
    produce_request_view req;
    req.acks = -1;
    req.timeout_ms = 1000;
    byte_buffer want, got;
    reference::encode_produce_request(want, v, {1, &client}, -1, 1000, {});
    ASSERT_FALSE(encode_request(got, req, v, 1, client));
    EXPECT_EQ(got, want) << "empty, v" << v;

    auto& td = req.topic_data.emplace_back();
    td.name = topic;
    auto& p = td.partition_data.emplace_back();
    p.index = 5;
    p.records = bytes_view(batch);
    reference::encode_produce_request(want, v, {2, &client}, -1, 1000, {{&topic, 5, batch}});
    got.clear();
    ASSERT_FALSE(encode_request(got, req, v, 2, client));
    EXPECT_EQ(got, want) << "one partition, v" << v;
  }
}

// Refilling one view and one frame buffer per request, as a connection does: nothing allocated once both have
// grown (client ids longer than std::string's inline buffer included: the header holds a view).
TEST(WirePathProduceRequest, ReusedViewAndFrameAllocateNothing) {
  const produce_case c;
  const std::string client_id(40, 'k');
  produce_request_view view;
  byte_buffer frame;
  c.fill(view, -1, 1000);
  ASSERT_FALSE(encode_request(frame, view, 12, 1, client_id));
  probe::start();
  for (int i = 0; i < 10; ++i) {
    c.fill(view, -1, 1000 + i);
    frame.clear();
    EXPECT_FALSE(encode_request(frame, view, static_cast<std::int16_t>(3 + i), 2 + i, client_id));
  }
  probe::stop();
  EXPECT_EQ(probe::count.load(), 0u);
}

// The hand-written decoder flattened partitions and kept a few fields; the view keeps all of them. Both read the
// same frames the same way, for every version and sample shape, and reject the same truncations.
TEST(WirePathProduceResponse, ViewDecodesWhatTheHandWrittenDecoderDecoded) {
  produce_response_view view;
  reference::produce_result ref;
  int frames = 0;
  for (std::int16_t v = produce_response::min_version; v <= produce_response::max_version; ++v) {
    for (auto mode : {sample_mode::typical, sample_mode::nulls, sample_mode::large}) {
      SCOPED_TRACE(testing::Message() << "v" << v << " mode " << static_cast<int>(mode));
      produce_response m;
      sample_source source(mode);
      fill_sample(m, v, source);
      const auto frame = response_frame(m, v, 99);
      ASSERT_FALSE(reference::decode_produce_response(frame, v, ref));
      ASSERT_FALSE(decode_response_body(frame, v, view));
      std::size_t i = 0;
      for (const auto& t : view.responses) {
        for (const auto& p : t.partition_responses) {
          ASSERT_LT(i, ref.partitions.size());
          const auto& r = ref.partitions[i++];
          EXPECT_EQ(r.topic, t.name);
          EXPECT_EQ(r.partition, p.index);
          EXPECT_EQ(r.error, p.error_code);
          EXPECT_EQ(r.base_offset, p.base_offset);
          EXPECT_EQ(r.log_append_time_ms, p.log_append_time_ms);
          // The reference's one message: the partition's own, else the first record error's.
          std::optional<std::string_view> message = p.error_message;
          if (!message && !p.record_errors.empty()) message = p.record_errors[0].batch_index_error_message;
          EXPECT_EQ(r.error_message, message);
          EXPECT_EQ(r.leader_hint, p.current_leader.leader_id);
          EXPECT_EQ(r.leader_epoch_hint, p.current_leader.leader_epoch);
        }
      }
      EXPECT_EQ(i, ref.partitions.size());
      EXPECT_EQ(ref.throttle_ms, view.throttle_time_ms);
      for (std::size_t n = 0; n < frame.size(); ++n) {
        bytes_view prefix(frame.data(), n);
        EXPECT_EQ(static_cast<bool>(reference::decode_produce_response(prefix, v, ref)),
                  static_cast<bool>(decode_response_body(prefix, v, view)))
            << n << "/" << frame.size();
      }
      ++frames;
    }
  }
  EXPECT_EQ(frames, 3 * 11);
}

TEST(WirePathProduceResponse, ReusedViewDecodesWithoutAllocating) {
  std::vector<byte_buffer> frames;
  for (auto mode : {sample_mode::large, sample_mode::typical, sample_mode::nulls}) {
    produce_response m;
    sample_source source(mode);
    fill_sample(m, 12, source);
    frames.push_back(response_frame(m, 12, 1));
  }
  produce_response_view view;
  for (const auto& f : frames) ASSERT_FALSE(decode_response_body(f, 12, view));
  probe::start();
  for (int i = 0; i < 5; ++i)
    for (const auto& f : frames) EXPECT_FALSE(decode_response_body(f, 12, view));
  probe::stop();
  EXPECT_EQ(probe::count.load(), 0u);
}

// InitProducerId through the generated struct, and through its view, gives the bytes the hand-written encoder wrote.
TEST(WirePathInitProducerId, GeneratedStructGivesTheHandWrittenBytes) {
  const std::string client_id = "kafkio-producer";
  for (std::int16_t v = 0; v <= 5; ++v) {
    byte_buffer want;
    reference::encode_init_producer_id_request(want, v, {3, &client_id});
    init_producer_id_request req;
    req.transactional_id = std::nullopt;  // idempotent only: any broker hands out an id
    req.transaction_timeout_ms = INT32_MAX;
    byte_buffer got;
    ASSERT_FALSE(encode_request(got, req, v, 3, client_id));
    EXPECT_EQ(got, want) << "v" << v;

    init_producer_id_request_view view;  // no std::string at all: what the producer can keep per connection
    view.transactional_id = std::nullopt;
    view.transaction_timeout_ms = INT32_MAX;
    got.clear();
    ASSERT_FALSE(encode_request(got, view, v, 3, client_id));
    EXPECT_EQ(got, want) << "view, v" << v;
  }
}

TEST(WirePathResponses, BodiesAfterTheHeaderAndCorrelationIds) {
  init_producer_id_response ipid;
  ipid.producer_id = 77;
  ipid.producer_epoch = 2;
  for (std::int16_t v = 0; v <= 5; ++v) {
    auto frame = response_frame(ipid, v, 0x01020304);
    EXPECT_EQ(response_correlation_id(frame), std::optional<std::int32_t>(0x01020304));
    init_producer_id_response out;
    ASSERT_FALSE(decode_response_body(frame, v, out)) << v;
    EXPECT_EQ(out, ipid);
    frame.push_back(0);
    EXPECT_EQ(decode_response_body(frame, v, out), client_errc::trailing_bytes);
  }
  EXPECT_EQ(response_correlation_id(byte_buffer{0, 0, 1}), std::nullopt);

  // Metadata v12 (flexible: response header v1 with its tag section) with a broker-sent header tag.
  metadata_response md;
  md.brokers.emplace_back().host = "h";
  byte_buffer frame;
  writer w(frame);
  w.int32(5);
  w.tagged({{9, {1, 2}}});  // unknown header tag: skipped
  md.encode(w, 12);
  metadata_response out;
  ASSERT_FALSE(decode_response_body(frame, 12, out));
  EXPECT_EQ(out, md);
  EXPECT_EQ(decode_response_body(bytes_view(frame.data(), 3), 12, out), client_errc::truncated);
}

// ApiVersions frames (header v0 always): a normal answer, an old broker's v0-format answer, and the
// librdkafka-2.0.2-mock answer (error 35, then a body in neither format).
TEST(WirePathApiVersions, FallbacksAtFrameLevel) {
  api_versions_response normal;
  normal.api_keys.emplace_back().api_key = 0;
  normal.api_keys.back().max_version = 12;
  auto frame = response_frame(normal, 3, 1);  // header v0 although v3 is flexible
  api_versions_response out;
  ASSERT_FALSE(decode_response_body(frame, 3, out));
  EXPECT_EQ(out, normal);
  ASSERT_FALSE(decode_response<api_versions_request>(frame, 3, 1, out));
  EXPECT_EQ(decode_response<api_versions_request>(frame, 3, 2, out), client_errc::correlation_mismatch);

  byte_buffer old_broker = {0, 0, 0, 1, /*body v0:*/ 0x00, 0x23, 0x00, 0x00, 0x00, 0x01,
                            0x00, 0x12, 0x00, 0x00, 0x00, 0x02};
  ASSERT_FALSE(decode_response_body(old_broker, 3, out));
  EXPECT_EQ(out.error_code, 35);
  ASSERT_EQ(out.api_keys.size(), 1u);
  EXPECT_EQ(api_versions_retry_version(out, 3), std::optional<std::int16_t>(2));

  // What librdkafka 2.0.2's mock cluster sends (tests/support/fake_broker.hpp replays it): error 35, a one-byte
  // count, key 18's range, an int32 throttle. As v3 it leaves trailing bytes, as v0 its count is absurd.
  byte_buffer mock = {0, 0, 0, 1, 0x00, 0x23, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0};
  ASSERT_FALSE(decode_response_body(mock, 3, out));
  EXPECT_EQ(out.error_code, 35);
  EXPECT_TRUE(out.api_keys.empty());
  EXPECT_EQ(api_versions_retry_version(out, 3), std::optional<std::int16_t>(0));
  EXPECT_TRUE(decode_response_body(mock, 0, out)) << "a v0 request has no fallback";

  byte_buffer garbage = {0, 0, 0, 1, 0x00, 0x00, 0x05};  // error 0 and junk: a real failure
  EXPECT_TRUE(decode_response_body(garbage, 3, out));
}
