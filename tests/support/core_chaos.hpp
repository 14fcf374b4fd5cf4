// Random event sequences against the core, and the invariants that must hold after any of them. Shared by the
// property test (tests/unit/core_property_test.cpp: seeded runs) and the fuzz target (fuzz/core_events_fuzz.cpp:
// libFuzzer chooses the events).
//
// Events: sends (random topic, partition or key, size), flushes, time passing, partition errors (retriable and
// not), hung and dropped connections, refused reconnects, undecodable responses, a leader moving; then a close (or
// an abort). Invariants, checked after every event and at the end:
//   - every operation completes exactly once, and nothing before its time: no record completes twice, none is
//     missing at the end (a close or an abort finishes everything);
//   - buffer.memory returns to zero;
//   - per partition and producer id, the batches the broker received form one chain of sequence numbers from 0
//     with no gap, first sent in order (a retry repeats a sequence, it never goes back past one acknowledged);
//   - a record reported delivered at offset o is in the broker's log at o, exactly once;
//   - nothing is connected or written after a close completed.
#pragma once

#include "core_harness.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <tuple>
#include <map>
#include <set>
#include <string>

namespace kafkio::test {

// A source of choices: a seeded generator, or the fuzzer's bytes.
class choice_source {
 public:
  explicit choice_source(std::function<std::uint32_t()> next) : next_(std::move(next)) {}
  std::uint32_t below(std::uint32_t n) { return n ? next_() % n : 0; }
  bool chance(std::uint32_t percent) { return below(100) < percent; }

 private:
  std::function<std::uint32_t()> next_;
};

struct chaos_result {
  std::vector<std::string> violations;
  std::vector<std::string> trace;  // the events, for a failure's report
  std::size_t records = 0, delivered = 0, failed = 0;
};

inline void check_sequences(const fake_cluster& cluster, std::vector<std::string>& violations) {
  // (producer id, topic, partition) -> distinct (base sequence, count) in order of first arrival, and the ones
  // refused as too large (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE): not written, so the producer may resend their
  // sequences split into smaller batches (docs/producer.md, "Batches too large for the topic are split").
  using range = std::pair<std::int32_t, std::int32_t>;
  using chain_key = std::tuple<std::int64_t, std::string, std::int32_t>;
  std::map<chain_key, std::vector<range>> chains, too_large;
  for (const auto& a : cluster.produce_attempts()) {
    if (a.producer_id < 0) continue;
    const chain_key key{a.producer_id, a.topic, a.partition};
    auto& c = chains[key];
    range b{a.base_sequence, static_cast<std::int32_t>(a.records.size())};
    if (std::find(c.begin(), c.end(), b) == c.end()) c.push_back(b);
    if (a.error == 10 || a.error == 18) too_large[key].push_back(b);
  }
  for (const auto& [key, c] : chains) {
    const auto& refused = too_large[key];
    auto part_of_refused = [&](range b) {
      return std::any_of(refused.begin(), refused.end(), [&](range r) {
        return r != b && r.first <= b.first && b.first + b.second <= r.first + r.second;
      });
    };
    std::int32_t expected = 0;
    for (const auto& [base, count] : c) {
      if (base != expected && part_of_refused({base, count})) continue;  // a part of a split batch
      if (base != expected) {
        violations.push_back("producer " + std::to_string(std::get<0>(key)) + " " + std::get<1>(key) + "-" +
                             std::to_string(std::get<2>(key)) + ": sequence " + std::to_string(base) +
                             " first sent where " + std::to_string(expected) + " was next");
        break;
      }
      expected = base + count;
    }
  }
}

// Idempotence forbids duplicates; without it a retry after a lost response may store a record twice (at least once).
inline void check_delivered_offsets(const core_harness& h, bool idempotent, std::vector<std::string>& violations) {
  std::map<std::pair<std::string, std::int32_t>, std::map<std::string, int>> stored;  // value -> times in the log
  for (const auto& [id, r] : h.records()) {
    if (!h.done(id)) continue;
    const auto& c = h.result(id);
    if (c.error || c.metadata.offset < 0) continue;
    const auto& log = h.cluster.log(c.metadata.topic, c.metadata.partition);
    auto o = static_cast<std::size_t>(c.metadata.offset);
    if (o >= log.size() || log[o].record.value != r.value)
      violations.push_back("record " + std::to_string(id) + " reported at " + c.metadata.topic + "-" +
                           std::to_string(c.metadata.partition) + "@" + std::to_string(o) + " is not there");
  }
  if (!idempotent) return;
  std::map<std::string, int> seen;
  for (const auto& [id, r] : h.records())
    for (std::int32_t p = 0; p < 3; ++p)
      for (const auto& s : h.cluster.log(r.topic, p))
        if (s.record.value == r.value) ++seen[*r.value + "@" + r.topic + "-" + std::to_string(p)];
  for (const auto& [k, n] : seen)
    if (n > 1) violations.push_back("record " + k + " stored " + std::to_string(n) + " times");
}

// One run: up to `steps` events chosen by `pick`, then a close (or an abort), then the checks.
inline chaos_result run_chaos(choice_source& pick, int steps) {
  core_harness::options o;
  o.cluster.nodes = 2;
  o.cluster.default_partitions = 3;
  o.seed = pick.below(1u << 31);
  const bool idempotent = !pick.chance(20);
  property_list props{{"linger.ms", std::to_string(pick.below(20))},
                      {"batch.size", std::to_string(200 + pick.below(2000))},
                      {"request.timeout.ms", "1000"},
                      {"delivery.timeout.ms", "4000"},
                      {"retry.backoff.ms", "20"},
                      {"retry.backoff.max.ms", "200"},
                      {"reconnect.backoff.ms", "10"},
                      {"reconnect.backoff.max.ms", "200"},
                      {"socket.connection.setup.timeout.ms", "300"},
                      {"max.block.ms", "2000"},
                      {"buffer.memory", std::to_string(4000 + pick.below(20000))},
                      {"max.request.size", "20000"}};
  if (!idempotent) {
    props.emplace_back("enable.idempotence", "false");
    props.emplace_back("acks", pick.chance(50) ? "1" : "all");
  }
  core_harness h(o, props);
  h.cluster.create_topic("a", 3, 1);
  h.cluster.create_topic("b", 2, 2);
  std::size_t counter = 0;
  std::vector<std::string> trace;
  auto note = [&](std::string what) {
    trace.push_back("t+" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(h.now() - h.start).count()) +
                    "ms " + std::move(what));
  };
  const auto buffer_memory = static_cast<std::size_t>(h.core.config().buffer_memory);
  auto check_now = [&] {
    if (h.core.metrics().buffered_bytes > buffer_memory)
      h.violations.push_back("buffered_bytes " + std::to_string(h.core.metrics().buffered_bytes) + " over buffer.memory");
  };
  for (int step = 0; step < steps; ++step) {
    switch (pick.below(12)) {
      case 0: case 1: case 2: case 3: {  // send
        core_harness::owned r;
        r.topic = pick.chance(50) ? "a" : "b";
        if (pick.chance(30)) r.partition = static_cast<std::int32_t>(pick.below(2));
        else if (pick.chance(50)) r.key = "k" + std::to_string(pick.below(10));
        r.value = "v" + std::to_string(++counter) + std::string(pick.below(300), '.');
        auto id = h.send(r, !pick.chance(20));
        note("send #" + std::to_string(id) + " v" + std::to_string(counter) + " to " + r.topic +
             (r.partition ? "-" + std::to_string(*r.partition) : r.key ? " key " + *r.key : ""));
        break;
      }
      case 4: note("flush #" + std::to_string(h.flush())); break;
      case 5: case 6: {
        auto ms = pick.below(300);
        note("advance " + std::to_string(ms) + "ms");
        h.advance(std::chrono::milliseconds(ms));
        break;
      }
      case 7: {  // a partition error for the next batch: retriable ones mostly
        static const std::int16_t errors[] = {6, 7, 19, 20, 56, 58, 59, 45, 10};
        auto e = errors[pick.below(9)];
        note("next batch fails with " + std::to_string(e));
        h.cluster.fail_produce({e});
        break;
      }
      case 8: note("drop connections"); h.drop_all_connections(); break;
      case 9: {
        static const fake_fault faults[] = {fake_fault::swallow, fake_fault::close, fake_fault::truncate_and_close,
                                            fake_fault::wrong_correlation, fake_fault::garbage_body};
        auto api = pick.chance(80) ? api_key::produce : api_key::metadata;
        auto f = pick.below(5);
        note("fault " + std::to_string(f) + " for the next " + (api == api_key::produce ? "Produce" : "Metadata"));
        h.cluster.inject(api, faults[f]);
        break;
      }
      case 10: {
        int node = 1 + static_cast<int>(pick.below(2));
        bool refuse = pick.chance(50);
        note(std::string(refuse ? "refuse" : "accept") + " connections to node " + std::to_string(node));
        h.refuse_connections(node, refuse);
        break;
      }
      case 11: {
        auto p = static_cast<std::int32_t>(pick.below(3));
        int node = 1 + static_cast<int>(pick.below(2));
        note("leader of a-" + std::to_string(p) + " is node " + std::to_string(node));
        h.cluster.set_leader("a", p, node);
        break;
      }
    }
    check_now();
    if (!h.violations.empty()) break;
  }
  // The end: the network heals, and a close (or an abort, the destructor's path) finishes everything.
  h.refuse_connections(1, false);
  h.refuse_connections(2, false);
  if (pick.chance(85)) {
    auto c = h.close();
    h.advance_until([&] { return h.done(c); }, 10s, 10ms);
    if (!h.done(c)) h.violations.push_back("close never completed");
    h.advance(5s);  // nothing may happen after the close
  } else {
    h.abort();
  }
  h.check_all_completed();
  check_sequences(h.cluster, h.violations);
  check_delivered_offsets(h, idempotent, h.violations);
  if (std::getenv("KAFKIO_CHAOS_DUMP")) {
    for (const auto& a : h.cluster.produce_attempts()) {
      std::string vals;
      for (const auto& r : a.records) vals += (r.value ? r.value->substr(0, 4) : "null") + " ";
      std::printf("attempt %s-%d node %d conn %d pid %lld e%d seq %d n%zu err %d dup %d off %lld [%s]\n", a.topic.c_str(),
                  a.partition, a.node, a.connection, (long long)a.producer_id, a.producer_epoch, a.base_sequence,
                  a.records.size(), a.error, a.duplicate, (long long)a.base_offset, vals.c_str());
    }
    for (const auto& l : h.logs) std::printf("log: %s\n", l.c_str());
  }
  chaos_result res;
  res.violations = h.violations;
  res.trace = std::move(trace);
  for (const auto& [id, r] : h.records()) {
    ++res.records;
    if (h.done(id) && !h.result(id).error) ++res.delivered;
    else ++res.failed;
  }
  return res;
}

}  // namespace kafkio::test
