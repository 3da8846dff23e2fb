// BuiltinKernelGen as the search workflows use it: a parent's tunables mutated by the seed.
#include <set>

#include <gtest/gtest.h>

#include "builtin/kernel_gen.h"
#include "builtin/test_graphs.h"
#include "builtin/tunables.h"

namespace akg {
namespace {

using namespace test_graphs;  // NOLINT: test helpers

struct Fixture {
  TaskInfo task;
  ScoredKernel parent;
  GenRequest Request(const std::string& dsl, uint64_t seed, bool with_parent = true) {
    GenRequest r;
    r.task = &task;
    r.target = {"torch", "cpu", "x86_64", dsl};
    r.seed = seed;
    if (with_parent) r.parent = &parent;
    return r;
  }
};

Fixture Make(const Json& hints) {
  Fixture f;
  f.task.name = "t";
  f.task.inspection = GeluMulAdd({64, 64});
  f.parent = {"c0001", "", "", hints, "passed", "", 1.5};
  return f;
}

TEST(TunableMutationTest, MutationIsDeterministicStaysInRangeAndAlwaysChangesSomething) {
  CppTunables base;
  TritonTunables tbase;
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed < 300; ++seed) {
    std::string what, what2;
    CppTunables a = MutateTunables(base, seed, &what);
    CppTunables b = MutateTunables(base, seed, &what2);
    EXPECT_EQ(ToJson(a), ToJson(b));
    EXPECT_EQ(what, what2);
    EXPECT_NE(ToJson(a), ToJson(base)) << what;
    EXPECT_TRUE(CppTunablesFromJson(ToJson(a)).ok()) << ToJson(a).dump();
    seen.insert(ToJson(a).dump());
    TritonTunables t = MutateTunables(tbase, seed, nullptr);
    EXPECT_NE(ToJson(t), ToJson(tbase));
    EXPECT_TRUE(TritonTunablesFromJson(ToJson(t)).ok()) << ToJson(t).dump();
  }
  EXPECT_GT(seen.size(), 8u);  // the seeds reach many variants
  // At the ends of a range a step goes inwards.
  CppTunables edge;
  edge.tile = 4096;
  for (uint64_t seed = 1; seed < 50; ++seed) EXPECT_LE(MutateTunables(edge, seed, nullptr).tile, 4096);
}

TEST(TunableMutationTest, CrossoverTakesOneParameterFromTheDonor) {
  TritonTunables t, donor{4096, 16};
  std::string what;
  TritonTunables x = CrossTunables(t, donor, 7, &what);
  EXPECT_TRUE((x.block == 4096) != (x.num_warps == 16)) << what;
  EXPECT_FALSE(what.empty());
}

TEST(BuiltinMutationTest, ParentTunablesAreMutatedAndRecordedInHints) {
  Fixture f = Make({{"block", 1024}, {"num_warps", 4}});
  auto c = BuiltinKernelGen().Generate(f.Request("triton_cuda", 42));
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto t = TritonTunablesFromJson(c->hints);
  ASSERT_TRUE(t.ok());
  EXPECT_NE(c->hints, f.parent.hints);
  EXPECT_NE(c->description.find("variant of c0001"), std::string::npos) << c->description;
  EXPECT_NE(c->code.find("BLOCK"), std::string::npos);
  // Same request, same kernel.
  auto again = BuiltinKernelGen().Generate(f.Request("triton_cuda", 42));
  EXPECT_EQ(again->code, c->code);
  // Seed 0 keeps the parent's tunables.
  auto plain = BuiltinKernelGen().Generate(f.Request("triton_cuda", 0));
  EXPECT_EQ(plain->hints, f.parent.hints);
}

TEST(BuiltinMutationTest, CppParentIsMutatedAndFailedParentGetsTheConservativeVariant) {
  Fixture f = Make({{"tile", 1024}, {"schedule", "static"}, {"num_threads", 0}});
  auto c = BuiltinKernelGen().Generate(f.Request("cpp", 9));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->hints, f.parent.hints);
  f.parent.verdict = "wrong_answer";
  auto cons = BuiltinKernelGen().Generate(f.Request("cpp", 9));
  ASSERT_TRUE(cons.ok());
  EXPECT_NE(cons->description.find("conservative variant of failed parent c0001"),
            std::string::npos) << cons->description;
}

TEST(BuiltinMutationTest, FasterInspirationDonatesTunablesForSomeSeeds) {
  Fixture f = Make({{"block", 1024}, {"num_warps", 4}});
  ScoredKernel fast{"c0007", "", "", {{"block", 8192}, {"num_warps", 16}}, "passed", "", 3.0};
  int donated = 0;
  for (uint64_t seed = 1; seed < 60; ++seed) {
    GenRequest r = f.Request("triton_cuda", seed);
    r.inspirations = {fast};
    auto c = BuiltinKernelGen().Generate(r);
    ASSERT_TRUE(c.ok());
    donated += c->description.find("from c0007") != std::string::npos;
  }
  EXPECT_GT(donated, 5);
  EXPECT_LT(donated, 50);
}

TEST(BuiltinMutationTest, FirstKernelOfASearchVariesDefaultsBySeed) {
  Fixture f = Make(Json());
  auto plain = BuiltinKernelGen().Generate(f.Request("cpp", 0, false));
  auto varied = BuiltinKernelGen().Generate(f.Request("cpp", 5, false));
  ASSERT_TRUE(plain.ok() && varied.ok());
  EXPECT_NE(plain->hints, varied->hints);
  EXPECT_EQ(plain->hints, ToJson(DefaultCppTunables(64 * 64)));
}

}  // namespace
}  // namespace akg
