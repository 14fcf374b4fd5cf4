// The producer's sans-io core under event sequences the fuzzer chooses (tests/support/core_chaos.hpp: sends,
// flushes, time, partition errors, broken and refused connections, leader moves, then a close or an abort), with
// the invariants checked after every event: every operation completes exactly once, buffer.memory returns to zero,
// sequence numbers never skip or go back within a producer id, delivered offsets hold the record, nothing is sent
// after a close. Any violation aborts (a finding).
#include <support/core_chaos.hpp>

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::size_t at = 0;
  kafkio::test::choice_source pick([&]() -> std::uint32_t {
    std::uint32_t v = 0;
    for (int i = 0; i < 2; ++i) v = (v << 8) | (at < size ? data[at++] : 0);
    return v;
  });
  auto r = kafkio::test::run_chaos(pick, static_cast<int>(std::min<std::size_t>(size / 4, 400)));
  if (!r.violations.empty()) {
    std::fprintf(stderr, "core invariant broken: %s\n", r.violations.front().c_str());
    for (const auto& e : r.trace) std::fprintf(stderr, "  %s\n", e.c_str());
    std::abort();
  }
  return 0;
}
