#include "workflow/device_pool.h"

#include <atomic>
#include <set>
#include <chrono>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "env/fake_process_runner.h"
#include "workflow/progress.h"

namespace akg {
namespace {

TEST(DevicePoolTest, AtMostOneHolderPerSlotAndEveryLeaseCounted) {
  FakeProcessRunner runner;
  SystemClock clock;
  HarnessOptions base;
  base.device = "cuda";
  base.work_root = "/tmp/akg_pool_test";
  OwnedDevicePool owned = MakeDevicePool(&runner, base, {3, 5}, 1, &clock);
  DevicePool& pool = *owned.pool;
  ASSERT_EQ(pool.size(), 2u);
  std::atomic<int> holding{0}, most{0};
  std::vector<std::thread> threads;
  std::mutex labels_mutex;
  std::set<std::string> labels;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      DevicePool::Lease lease = pool.Acquire();
      int now = ++holding;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {}
      {
        std::lock_guard<std::mutex> lock(labels_mutex);
        labels.insert(lease.label() + "=" + lease.harness()->options().visible_devices);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      --holding;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 2);
  EXPECT_EQ(labels, (std::set<std::string>{"cuda:3=3", "cuda:5=5"}));
  Json u = pool.Utilisation();
  int leases = 0;
  for (const auto& d : u["devices"]) {
    leases += d["leases"].get<int>();
    EXPECT_GT(d["utilisation"].get<double>(), 0.1);  // each slot was busy a good part of the test
  }
  EXPECT_EQ(leases, 6);
  EXPECT_EQ(pool.busy(), 0);
}

TEST(DevicePoolTest, ChildrenKeepBytecodeInTheNamedCacheOutsideTheHarnessTree) {
  FakeProcessRunner runner;
  FakeClock clock;
  HarnessOptions base;
  base.work_root = "/tmp/w";
  base.bytecode_cache = "/tmp/cache/pycache";
  OwnedDevicePool owned = MakeDevicePool(&runner, base, {0, 1}, 2, &clock);
  (void)owned.clients[1]->Inspect("/nonexistent/task.py", 0, 10);
  ASSERT_EQ(runner.run_count(), 1u);
  EXPECT_EQ(runner.specs()[0].env.at("PYTHONPYCACHEPREFIX"), "/tmp/cache/pycache");
  EXPECT_EQ(runner.specs()[0].env.count("PYTHONDONTWRITEBYTECODE"), 0u);
}

TEST(DevicePoolTest, CpuBackendHasTheConfiguredSlotsWithOwnWorkFolders) {
  FakeProcessRunner runner;
  FakeClock clock;
  HarnessOptions base;
  base.work_root = "/tmp/w";
  OwnedDevicePool owned = MakeDevicePool(&runner, base, {0, 1, 2}, 3, &clock);
  ASSERT_EQ(owned.pool->size(), 3u);
  EXPECT_EQ(owned.clients[1]->options().work_root, "/tmp/w/slot-1");
  // one cache for the whole pool: slot 0 (work_root /tmp/w) and every other slot
  EXPECT_EQ(owned.clients[1]->options().cache_root, "/tmp/w");
  EXPECT_EQ(owned.clients[2]->options().cache_root, "/tmp/w");
  (void)owned.clients[1]->Inspect("/nonexistent/task.py", 0, 10);
  ASSERT_EQ(runner.run_count(), 1u);
  EXPECT_EQ(runner.specs()[0].env.at("TRITON_CACHE_DIR"), "/tmp/w/triton_cache");
  EXPECT_EQ(runner.specs()[0].env.at("AKG_KERNEL_CACHE"), "/tmp/w/kernel_cache");
  // No bytecode cache named: Python writes none (no __pycache__ in the harness's tree).
  EXPECT_EQ(runner.specs()[0].env.at("PYTHONDONTWRITEBYTECODE"), "1");
  EXPECT_EQ(runner.specs()[0].env.count("PYTHONPYCACHEPREFIX"), 0u);
  EXPECT_EQ(owned.clients[1]->options().visible_devices, "");
  {
    auto lease = owned.pool->Acquire();
    EXPECT_EQ(lease.label(), "cpu#0");
    clock.Advance(3);
  }
  clock.Advance(1);
  Json u = owned.pool->Utilisation();
  EXPECT_DOUBLE_EQ(u["devices"][0]["busy_s"].get<double>(), 3);
  EXPECT_DOUBLE_EQ(u["devices"][0]["utilisation"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(u["devices"][1]["utilisation"].get<double>(), 0);
}

TEST(DevicePoolTest, AnExistingClientServesTheFirstSlot) {
  FakeProcessRunner runner;
  FakeClock clock;
  HarnessOptions base;
  base.work_root = "/tmp/w";
  HarnessClient inspector(&runner, base);
  OwnedDevicePool one = MakeDevicePool(&runner, base, {0}, 1, &clock, &inspector);
  EXPECT_TRUE(one.clients.empty());  // no second client (or harness server) for one slot
  EXPECT_EQ(one.pool->Acquire().harness(), &inspector);
  OwnedDevicePool two = MakeDevicePool(&runner, base, {0}, 2, &clock, &inspector);
  EXPECT_EQ(two.clients.size(), 1u);
}

TEST(ProgressTest, StatusLineOnlyOnATerminalAndLogLinesClearIt) {
  std::ostringstream tty, pipe;
  Progress a(&tty, true), b(&pipe, false);
  for (Progress* p : {&a, &b}) {
    p->Status("[evolve] round 1/4");
    p->Line("[evolve] c0001 passed");
    p->Finish();
  }
  EXPECT_EQ(pipe.str(), "[evolve] c0001 passed\n");
  EXPECT_EQ(tty.str(), "\r\033[K[evolve] round 1/4\r\033[K[evolve] c0001 passed\n");
}

TEST(ProgressTest, SearchStatusSaysWhereWhatAndHowLong) {
  SearchStatus s{"evolve", "round 2/4", 9, 2, 1, 2.314, 65, 130};
  EXPECT_EQ(FormatSearchStatus(s),
            "[evolve] round 2/4 | done 9 running 2 failed 1 | best 2.31x | 1:05 elapsed, ~2:10 left");
  s.eta_s = -1;
  s.best = 0;
  EXPECT_EQ(FormatSearchStatus(s),
            "[evolve] round 2/4 | done 9 running 2 failed 1 | best - | 1:05 elapsed");
  EXPECT_EQ(FormatDuration(3725), "1:02:05");
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

TEST(DevicePoolTest, TritonInterpreterSlotsAreLabelledCpuNotCuda) {
  FakeProcessRunner runner;
  FakeClock clock;
  HarnessOptions base;
  base.work_root = "/tmp/w";
  base.device = "cuda";
  base.triton_interpret = true;  // triton_cuda on a machine without a GPU
  OwnedDevicePool owned = MakeDevicePool(&runner, base, {0}, 1, &clock);
  DevicePool::Lease lease = owned.pool->Acquire();
  EXPECT_EQ(lease.label(), "cpu#0 (Triton interpreter)");
  EXPECT_EQ(lease.label().find("cuda"), std::string::npos);
}

}  // namespace
}  // namespace akg
