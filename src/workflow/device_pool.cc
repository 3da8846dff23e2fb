#include "workflow/device_pool.h"

#include <fmt/format.h>

#include "verify/harness_client.h"

namespace akg {

DevicePool::DevicePool(std::vector<Slot> slots, Clock* clock)
    : slots_(std::move(slots)),
      clock_(clock),
      first_lease_s_(-1),
      in_use_(slots_.size(), false),
      since_(slots_.size(), 0),
      busy_s_(slots_.size(), 0),
      leases_(slots_.size(), 0) {}

DevicePool::Lease DevicePool::Acquire() {
  double asked = clock_->NowSeconds();
  std::unique_lock<std::mutex> lock(mutex_);
  uint64_t ticket = next_ticket_++;
  int slot = -1;
  freed_.wait(lock, [&] {
    if (ticket != serving_) return false;
    for (size_t i = 0; i < in_use_.size(); ++i) {
      if (!in_use_[i]) {
        slot = static_cast<int>(i);
        return true;
      }
    }
    return false;
  });
  ++serving_;
  in_use_[slot] = true;
  ++leases_[slot];
  double now = clock_->NowSeconds();
  if (first_lease_s_ < 0) first_lease_s_ = now;
  since_[slot] = now;
  freed_.notify_all();  // the next ticket may take another free slot
  return Lease(this, slot, now - asked);
}

void DevicePool::Release(int slot) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_[slot] = false;
    busy_s_[slot] += clock_->NowSeconds() - since_[slot];
  }
  freed_.notify_all();
}

int DevicePool::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  for (bool b : in_use_) n += b;
  return n;
}

Json DevicePool::Utilisation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  double now = clock_->NowSeconds();
  double span = first_lease_s_ < 0 ? 0 : now - first_lease_s_;
  Json devices = Json::array();
  double total = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    double busy = busy_s_[i] + (in_use_[i] ? now - since_[i] : 0);
    double u = span > 0 ? busy / span : 0;
    total += u;
    devices.push_back({{"device", slots_[i].label}, {"busy_s", busy}, {"leases", leases_[i]},
                       {"utilisation", u},
                       {"harness", slots_[i].harness != nullptr ? slots_[i].harness->ModeDescription()
                                                                : std::string()}});
  }
  return {{"span_s", span},
          {"mean_utilisation", slots_.empty() ? 0 : total / slots_.size()},
          {"devices", devices}};
}

DevicePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), slot_(other.slot_), waited_s_(other.waited_s_) {
  other.pool_ = nullptr;
}

DevicePool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(slot_);
}

HarnessClient* DevicePool::Lease::harness() const { return pool_->slots_[slot_].harness; }
const std::string& DevicePool::Lease::label() const { return pool_->slots_[slot_].label; }

OwnedDevicePool MakeDevicePool(ProcessRunner* runner, const HarnessOptions& base,
                               const std::vector<int>& devices, int cpu_slots, Clock* clock,
                               HarnessClient* first_slot) {
  OwnedDevicePool owned;
  std::vector<DevicePool::Slot> slots;
  bool cuda = base.device == "cuda";
  int n = cuda ? static_cast<int>(devices.size()) : std::max(1, cpu_slots);
  for (int i = 0; i < n; ++i) {
    // Under Triton's interpreter (no GPU here) the slots are CPU time, and say so.
    std::string label = !cuda                ? fmt::format("cpu#{}", i)
                        : base.triton_interpret ? fmt::format("cpu#{} (Triton interpreter)", i)
                                                : fmt::format("cuda:{}", devices[i]);
    if (i == 0 && first_slot != nullptr) {
      slots.push_back({label, first_slot});
      continue;
    }
    HarnessOptions o = base;
    o.work_root = base.work_root / fmt::format("slot-{}", i);
    if (o.cache_root.empty()) o.cache_root = base.work_root;  // slot 0's: shared by all
    if (cuda) o.visible_devices = std::to_string(devices[i]);
    owned.clients.push_back(std::make_unique<HarnessClient>(runner, o));
    owned.clients.back()->StartInBackground();  // every device's server warms up at once
    slots.push_back({label, owned.clients.back().get()});
  }
  owned.pool = std::make_unique<DevicePool>(std::move(slots), clock);
  return owned;
}

}  // namespace akg
