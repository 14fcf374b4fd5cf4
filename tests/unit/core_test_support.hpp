// Shared by the core tests: a warmed-up harness (connections up, producer id known) so a test starts at the rule it
// is about, and the Asio guard: the core's tests must compile without Asio anywhere in the include graph.
#pragma once

#include <support/core_harness.hpp>

#include <gtest/gtest.h>

#ifdef BOOST_ASIO_VERSION
#error "the sans-io core pulled in Asio"
#endif

namespace kafkio::test {

using protocol::api_key;

// Delivers one record to `topic` (partition 0), so that metadata, the leader's connection and (with idempotence)
// the producer id are in place. Returns where the record went.
inline record_metadata warm_up(core_harness& h, const std::string& topic, std::int32_t partition = 0) {
  auto id = h.send({topic, partition, std::nullopt, std::string("warm-up")});
  h.flush();  // whatever linger.ms is
  EXPECT_TRUE(h.advance_until([&] { return h.done(id); }, 10s)) << "warm-up record never completed";
  EXPECT_FALSE(h.result(id).error) << h.result(id).error.message();
  return h.result(id).metadata;
}

inline core_harness::owned rec(const std::string& topic, std::int32_t partition, std::string value) {
  return {topic, partition, std::nullopt, std::move(value)};
}

inline int produce_requests(const core_harness& h) { return h.cluster.requests(api_key::produce); }

}  // namespace kafkio::test
