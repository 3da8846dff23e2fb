#include "agents/exploration.h"

#include <set>

#include <gtest/gtest.h>

namespace akg {
namespace {

const char* kBody =
    "# Making it faster\n\n"
    "1. **Know the bound**: bytes vs FLOPs.\n"
    "   continued line that is not an idea\n"
    "2. **Vectorise the inner loop**: contiguous access.\n"
    "```cpp\n- not an idea inside code\n```\n"
    "- Fuse producers and consumers so each tensor is read once\n"
    "- x\n";

TEST(ExplorationTest, IdeasAreTheTopLevelListItemsWithoutEmphasis) {
  EXPECT_EQ(OptimisationIdeas(kBody),
            (std::vector<std::string>{"Know the bound: bytes vs FLOPs.",
                                      "Vectorise the inner loop: contiguous access.",
                                      "Fuse producers and consumers so each tensor is read once"}));
}

TEST(ExplorationTest, EveryIdeaComesOnceBeforeAnyRepeatsAndTheSeedReplaysTheOrder) {
  std::vector<std::string> ideas = {"a idea one", "b idea two", "c idea three", "d idea four"};
  std::set<std::string> first_four;
  for (int k = 0; k < 4; ++k) first_four.insert(ExplorationDirection(ideas, 7, k));
  EXPECT_EQ(first_four.size(), 4u);
  EXPECT_EQ(ExplorationDirection(ideas, 7, 4), ExplorationDirection(ideas, 7, 0));
  EXPECT_EQ(ExplorationDirection(ideas, 7, 2), ExplorationDirection(ideas, 7, 2));
  std::vector<std::string> a, b;
  for (int k = 0; k < 4; ++k) {
    a.push_back(ExplorationDirection(ideas, 7, k));
    b.push_back(ExplorationDirection(ideas, 8, k));
  }
  EXPECT_NE(a, b);  // another seed, another order (for these two seeds)
  EXPECT_EQ(ExplorationDirection({}, 7, 0), "");
  EXPECT_EQ(ExplorationDirection(ideas, 7, -1), "");
}

}  // namespace
}  // namespace akg
