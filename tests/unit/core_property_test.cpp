// The core under random event sequences (tests/support/core_chaos.hpp says which events and which invariants):
// seeded, so a failure names the seed that reproduces it.
#include "core_test_support.hpp"

#include <support/core_chaos.hpp>

#include <random>

namespace kafkio::test {
namespace {

TEST(CoreProperty, InvariantsHoldUnderRandomEventSequences) {
  const int runs = 300;
  std::size_t records = 0, delivered = 0, failed = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    std::mt19937 rng(static_cast<std::uint32_t>(seed));
    choice_source pick([&] { return static_cast<std::uint32_t>(rng()); });
    auto r = run_chaos(pick, 200);
    records += r.records;
    delivered += r.delivered;
    failed += r.failed;
    if (!r.violations.empty()) {
      std::string events;
      for (const auto& e : r.trace) events += "\n  " + e;
      FAIL() << "seed " << seed << ": " << r.violations.front() << "\nevents:" << events;
    }
  }
  // A run where nothing is delivered or nothing fails would test little: both must happen, often.
  EXPECT_GT(delivered, records / 2) << records << " records";
  EXPECT_GT(failed, 0u);
  std::cout << runs << " runs: " << records << " records, " << delivered << " delivered, " << failed << " failed\n";
}

}  // namespace
}  // namespace kafkio::test
