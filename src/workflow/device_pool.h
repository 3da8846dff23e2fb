// The device pool: one HarnessClient per device (CUDA_VISIBLE_DEVICES = that id), or N slots
// on the CPU backend. Verification and profiling hold exactly one slot (a Lease) for as long
// as they run; generation (LLM calls) never holds one. Waiters are served first come, first
// served. The pool also measures how busy each slot was, for the report.
//
//   pool.Acquire() -> Lease (blocks while every slot is busy) -> lease.harness()->Verify(...)
//   ~Lease releases the slot and adds its busy time.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/json.h"
#include "env/clock.h"
#include "env/process_runner.h"
#include "verify/harness_client.h"

namespace akg {

class DevicePool {
 public:
  struct Slot {
    std::string label;       // "cuda:0", "cpu#1"
    HarnessClient* harness;  // not owned
  };

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    HarnessClient* harness() const;
    const std::string& label() const;
    double waited_s() const { return waited_s_; }

   private:
    friend class DevicePool;
    Lease(DevicePool* pool, int slot, double waited_s) : pool_(pool), slot_(slot), waited_s_(waited_s) {}
    DevicePool* pool_;
    int slot_;
    double waited_s_;
  };

  // `clock` must outlive the pool. Slots must not be empty.
  DevicePool(std::vector<Slot> slots, Clock* clock);

  Lease Acquire();
  size_t size() const { return slots_.size(); }
  int busy() const;
  // Per slot: label, busy_s, leases, utilisation (busy / time since the first lease), harness
  // mode; plus
  // the mean and the time span.
  Json Utilisation() const;

 private:
  void Release(int slot);

  std::vector<Slot> slots_;
  Clock* clock_;
  double first_lease_s_;  // utilisation counts from the first lease (-1: none yet)
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<bool> in_use_;
  std::vector<double> since_, busy_s_;
  std::vector<int> leases_;
  uint64_t next_ticket_ = 0, serving_ = 0;  // first come, first served
};

// A pool and the clients it hands out. For base.device "cuda": one client per id in
// `devices`; for "cpu": `cpu_slots` clients. Each client has its own work folder under
// base.work_root (call folders are numbered per client). `first_slot`, when given, serves the
// first slot instead of a new client: it must already target devices[0] (or the CPU), e.g. the
// client that inspected the task, so a one-device run starts no second harness (server).
struct OwnedDevicePool {
  std::vector<std::unique_ptr<HarnessClient>> clients;
  std::unique_ptr<DevicePool> pool;
};
OwnedDevicePool MakeDevicePool(ProcessRunner* runner, const HarnessOptions& base,
                               const std::vector<int>& devices, int cpu_slots, Clock* clock,
                               HarnessClient* first_slot = nullptr);

}  // namespace akg
