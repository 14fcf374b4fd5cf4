// detail::handler_slab: ids map back to their handlers, slots are reused, a stale id matches nothing, and slots
// never move when the slab grows (it grows by blocks; a vector that doubled moved every pending handler at once).
#include <kafkio/detail/handler_slab.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

using slab = kafkio::detail::handler_slab<std::unique_ptr<int>>;

TEST(HandlerSlab, SlotsStayPutWhileTheSlabGrows) {
  slab s;
  std::vector<kafkio::core::completion_id> ids;
  std::vector<std::unique_ptr<int>*> where;
  for (int i = 0; i < 5000; ++i) {  // several blocks
    ids.push_back(s.insert(std::make_unique<int>(i)));
    where.push_back(s.find(ids.back()));
  }
  EXPECT_EQ(s.size(), 5000u);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(s.find(ids[i]), where[i]) << "slot " << i << " moved";
    EXPECT_EQ(**s.find(ids[i]), i);
  }
}

TEST(HandlerSlab, TakenSlotsAreReusedAndStaleIdsMatchNothing) {
  slab s;
  std::vector<kafkio::core::completion_id> ids;
  for (int i = 0; i < 2000; ++i) ids.push_back(s.insert(std::make_unique<int>(i)));
  for (int i = 0; i < 2000; i += 2) EXPECT_EQ(*s.take(ids[i]), i);
  EXPECT_EQ(s.size(), 1000u);
  for (int i = 0; i < 2000; i += 2) EXPECT_EQ(s.find(ids[i]), nullptr) << "a taken id still matched";
  std::vector<kafkio::core::completion_id> again;
  for (int i = 0; i < 1000; ++i) again.push_back(s.insert(std::make_unique<int>(-i)));
  EXPECT_EQ(s.size(), 2000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(**s.find(again[i]), -i);
  for (int i = 1; i < 2000; i += 2) EXPECT_EQ(**s.find(ids[i]), i);
  for (int i = 0; i < 2000; i += 2) EXPECT_EQ(s.find(ids[i]), nullptr) << "a reused slot answered its old id";
  EXPECT_EQ(s.find(static_cast<kafkio::core::completion_id>(1) << 40 | 999999), nullptr);
}

}  // namespace
