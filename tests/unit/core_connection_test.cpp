// The two per-connection machines of the core, alone: connection_setup (ApiVersions, SASL) fed hand-made broker
// answers, and request_pipeline (outbox, correlation order, acks=0, failure) fed bytes.
#include "core_test_support.hpp"

#include <kafkio/core/connection_setup.hpp>
#include <kafkio/core/request_pipeline.hpp>

namespace kafkio::test {
namespace {

using core::connection_setup;
using step = connection_setup::step;

producer_config sasl_config(const std::string& mechanism) {
  auto r = producer_config::parse({{"bootstrap.servers", "b:9092"}, {"security.protocol", "SASL_PLAINTEXT"},
                                   {"sasl.mechanism", mechanism}, {"sasl.username", "alice"},
                                   {"sasl.password", "alice-secret"}});
  EXPECT_TRUE(r) << r.message;
  return r.config;
}

// The request frame's header: api key, version, correlation id.
struct request_head {
  api_key key;
  std::int16_t version;
  std::int32_t correlation_id;
};
request_head head_of(const byte_buffer& frame) {
  protocol::reader r(bytes_view(frame).subspan(4));
  request_head h{static_cast<api_key>(r.int16()), r.int16(), r.int32()};
  return h;
}

// A response frame (without size prefix) to `req` with `body` at `version`.
template <class Body>
byte_buffer response_to(const byte_buffer& req, const Body& body, std::int16_t version) {
  auto h = head_of(req);
  byte_buffer out;
  protocol::writer w(out);
  protocol::response_header rh;
  rh.correlation_id = h.correlation_id;
  rh.encode(w, *protocol::response_header_version(h.key, version));
  body.encode(w, version);
  return out;
}

protocol::api_versions_response broker_versions(bool with_sasl) {
  protocol::api_versions_response v;
  v.api_keys = {{0, 3, 12, {}}, {3, 1, 12, {}}, {18, 0, 4, {}}, {22, 0, 5, {}}};
  if (with_sasl) {
    v.api_keys.push_back({17, 0, 1, {}});
    v.api_keys.push_back({36, 0, 2, {}});
  }
  return v;
}

TEST(CoreConnectionSetup, PlaintextIsReadyAfterApiVersions) {
  auto cfg = producer_config::parse({{"bootstrap.servers", "b:9092"}}).config;
  connection_setup s(cfg, "b:9092");
  byte_buffer frame;
  auto st = s.start(frame, 1);
  ASSERT_EQ(st.what, step::kind::send);
  EXPECT_EQ(head_of(frame).key, api_key::api_versions);
  EXPECT_EQ(head_of(frame).version, 4);
  byte_buffer next;
  st = s.on_response(response_to(frame, broker_versions(false), 4), next, 2);
  ASSERT_EQ(st.what, step::kind::ready);
  EXPECT_EQ(s.versions().version(api_key::produce), 12);
}

TEST(CoreConnectionSetup, SaslPlainHandshakesThenAuthenticatesWithTheCredentials) {
  auto cfg = sasl_config("PLAIN");
  connection_setup s(cfg, "b:9092");
  byte_buffer frame, next;
  s.start(frame, 1);
  auto st = s.on_response(response_to(frame, broker_versions(true), 4), next, 2);
  ASSERT_EQ(st.what, step::kind::send);
  ASSERT_EQ(head_of(next).key, api_key::sasl_handshake);
  EXPECT_EQ(head_of(next).version, 1);
  protocol::sasl_handshake_request hs;
  ASSERT_FALSE(protocol::decode_message(bytes_view(next).subspan(4 + 10 + cfg.client_id.size()), hs, 1));
  EXPECT_EQ(hs.mechanism, "PLAIN");

  protocol::sasl_handshake_response hr;
  hr.mechanisms = {"PLAIN"};
  byte_buffer auth;
  st = s.on_response(response_to(next, hr, 1), auth, 3);
  ASSERT_EQ(st.what, step::kind::send);
  ASSERT_EQ(head_of(auth).key, api_key::sasl_authenticate);
  const std::string expected = std::string("\0alice\0alice-secret", 19);
  std::string wire(auth.begin(), auth.end());
  EXPECT_NE(wire.find(expected), std::string::npos) << "PLAIN message (RFC 4616) not in the request";

  protocol::sasl_authenticate_response ar;  // success, no server message
  byte_buffer unused;
  st = s.on_response(response_to(auth, ar, head_of(auth).version), unused, 4);
  EXPECT_EQ(st.what, step::kind::ready);
}

TEST(CoreConnectionSetup, ARefusedMechanismFailsAuthenticationNamingWhatTheBrokerOffers) {
  auto cfg = sasl_config("SCRAM-SHA-512");
  connection_setup s(cfg, "b:9092");
  byte_buffer frame, next, unused;
  s.start(frame, 1);
  s.on_response(response_to(frame, broker_versions(true), 4), next, 2);
  protocol::sasl_handshake_response hr;
  hr.error_code = 33;  // UNSUPPORTED_SASL_MECHANISM
  hr.mechanisms = {"PLAIN", "SCRAM-SHA-256"};
  auto st = s.on_response(response_to(next, hr, 1), unused, 3);
  ASSERT_EQ(st.what, step::kind::failed);
  EXPECT_TRUE(st.authentication);
  EXPECT_EQ(st.error, client_errc::authentication_failed);
  EXPECT_NE(st.why.find("PLAIN, SCRAM-SHA-256"), std::string::npos) << st.why;
  EXPECT_NE(st.why.find("b:9092"), std::string::npos) << st.why;
}

TEST(CoreConnectionSetup, WrongCredentialsFailWithTheBrokersMessage) {
  auto cfg = sasl_config("PLAIN");
  connection_setup s(cfg, "b:9092");
  byte_buffer frame, next, auth, unused;
  s.start(frame, 1);
  s.on_response(response_to(frame, broker_versions(true), 4), next, 2);
  protocol::sasl_handshake_response hr;
  hr.mechanisms = {"PLAIN"};
  s.on_response(response_to(next, hr, 1), auth, 3);
  protocol::sasl_authenticate_response ar;
  ar.error_code = 58;  // SASL_AUTHENTICATION_FAILED
  ar.error_message = "Authentication failed: Invalid username or password";
  auto st = s.on_response(response_to(auth, ar, head_of(auth).version), unused, 4);
  ASSERT_EQ(st.what, step::kind::failed);
  EXPECT_TRUE(st.authentication);
  EXPECT_NE(st.why.find("Invalid username or password"), std::string::npos) << st.why;
}

TEST(CoreConnectionSetup, ABrokerWithoutSaslApisFailsAuthenticationAtOnce) {
  auto cfg = sasl_config("PLAIN");
  connection_setup s(cfg, "b:9092");
  byte_buffer frame, next;
  s.start(frame, 1);
  auto st = s.on_response(response_to(frame, broker_versions(false), 4), next, 2);
  ASSERT_EQ(st.what, step::kind::failed);
  EXPECT_TRUE(st.authentication);
}

TEST(CoreConnectionSetup, ABrokerWithoutProduceIsUnusable) {
  auto cfg = producer_config::parse({{"bootstrap.servers", "b:9092"}}).config;
  connection_setup s(cfg, "b:9092");
  byte_buffer frame, next;
  s.start(frame, 1);
  protocol::api_versions_response v;
  v.api_keys = {{3, 1, 12, {}}, {18, 0, 4, {}}};
  auto st = s.on_response(response_to(frame, v, 4), next, 2);
  ASSERT_EQ(st.what, step::kind::failed);
  EXPECT_FALSE(st.authentication);
  EXPECT_EQ(st.error, client_errc::unsupported_version);
}

// ---- request_pipeline -------------------------------------------------------------------------------------------

byte_buffer request_frame(std::int32_t correlation_id) {
  byte_buffer f;
  protocol::writer w(f);
  w.int32(10);
  w.int16(3);
  w.int16(12);
  w.int32(correlation_id);
  w.int16(0);  // empty client id
  return f;
}
byte_buffer response_frame(std::int32_t correlation_id, std::uint8_t payload) {
  byte_buffer f;
  protocol::writer w(f);
  w.int32(5);
  w.int32(correlation_id);
  w.int8(static_cast<std::int8_t>(payload));
  return f;
}

TEST(CoreRequestPipeline, ResponsesAreMatchedInOrderEvenWhenSplitAcrossReads) {
  core::request_pipeline p(1 << 20);
  std::vector<std::pair<std::int32_t, std::uint8_t>> got;
  auto cb = [&](std::int32_t id) {
    return [&, id](std::error_code ec, bytes_view f) {
      ASSERT_FALSE(ec);
      got.emplace_back(id, f[4]);
    };
  };
  EXPECT_TRUE(p.enqueue(request_frame(1), 1, true, time_point::max(), cb(1)));
  EXPECT_FALSE(p.enqueue(request_frame(2), 2, true, time_point::max(), cb(2))) << "the driver was told twice";
  std::vector<byte_buffer> frames;
  p.begin_write(frames);
  EXPECT_EQ(frames.size(), 2u);
  EXPECT_EQ(p.awaiting_response(), 2u);
  auto a = response_frame(1, 0xaa), b = response_frame(2, 0xbb);
  byte_buffer both(a.begin(), a.end());
  both.insert(both.end(), b.begin(), b.end());
  EXPECT_FALSE(p.on_bytes(bytes_view(both).first(7)));  // a split inside the first frame
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(p.on_bytes(bytes_view(both).subspan(7)));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<std::int32_t, std::uint8_t>{1, 0xaa}));
  EXPECT_EQ(got[1], (std::pair<std::int32_t, std::uint8_t>{2, 0xbb}));
}

TEST(CoreRequestPipeline, AResponseOutOfOrderIsAnError) {
  core::request_pipeline p(1 << 20);
  int calls = 0;
  p.enqueue(request_frame(1), 1, true, time_point::max(), [&](std::error_code, bytes_view) { ++calls; });
  std::vector<byte_buffer> frames;
  p.begin_write(frames);
  EXPECT_EQ(p.on_bytes(response_frame(7, 0)), client_errc::correlation_mismatch);
  EXPECT_EQ(calls, 0);
}

TEST(CoreRequestPipeline, AFrameLargerThanTheLimitIsAnErrorBeforeItIsBuffered) {
  core::request_pipeline p(1000);
  p.enqueue(request_frame(1), 1, true, time_point::max(), [](std::error_code, bytes_view) {});
  std::vector<byte_buffer> frames;
  p.begin_write(frames);
  const byte_buffer huge{0x00, 0x10, 0x00, 0x00, 1, 2};
  EXPECT_EQ(p.on_bytes(huge), client_errc::frame_too_large);
}

TEST(CoreRequestPipeline, RequestsWithoutAResponseCompleteWhenWrittenAndFramesComeBackForReuse) {
  core::request_pipeline p(1 << 20);
  bool done = false;
  p.enqueue(request_frame(1), 1, false, time_point::max(), [&](std::error_code ec, bytes_view) { done = !ec; });
  std::vector<byte_buffer> frames;
  p.begin_write(frames);
  EXPECT_FALSE(done) << "completed before the write";
  EXPECT_EQ(p.awaiting_response(), 0u);
  const auto capacity = frames[0].capacity();
  p.end_write(frames);
  EXPECT_TRUE(done);
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(p.take_frame_buffer().capacity(), capacity);
}

TEST(CoreRequestPipeline, FailAllCompletesEveryRequestOnceEvenFromInsideACallback) {
  core::request_pipeline p(1 << 20);
  int failed = 0, answered = 0;
  p.enqueue(request_frame(1), 1, true, time_point::max(), [&](std::error_code ec, bytes_view) {
    ++answered;
    EXPECT_FALSE(ec);
    p.fail_all(make_error_code(client_errc::broker_connection_failed));  // e.g. the response did not decode
  });
  for (int i = 2; i <= 4; ++i)
    p.enqueue(request_frame(i), i, true, time_point::max(), [&](std::error_code ec, bytes_view) {
      EXPECT_EQ(ec, client_errc::broker_connection_failed);
      ++failed;
    });
  std::vector<byte_buffer> frames;
  p.begin_write(frames);
  auto a = response_frame(1, 0), b = response_frame(2, 0);
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_FALSE(p.on_bytes(a));  // the second response is not dispatched: the pipeline failed after the first
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(failed, 3);
  p.fail_all(make_error_code(client_errc::request_timeout));  // idempotent
  EXPECT_EQ(failed, 3);
}

TEST(CoreRequestPipeline, TheNextDeadlineIsTheOldestUnansweredRequests) {
  core::request_pipeline p(1 << 20);
  const auto t0 = time_point(std::chrono::seconds(100));
  EXPECT_EQ(p.next_deadline(), time_point::max());
  p.enqueue(request_frame(1), 1, true, t0, [](std::error_code, bytes_view) {});
  p.enqueue(request_frame(2), 2, true, t0 + 5s, [](std::error_code, bytes_view) {});
  EXPECT_EQ(p.next_deadline(), t0);
  std::vector<byte_buffer> frames;
  p.begin_write(frames);
  EXPECT_FALSE(p.on_bytes(response_frame(1, 0)));
  EXPECT_EQ(p.next_deadline(), t0 + 5s);
}

}  // namespace
}  // namespace kafkio::test
