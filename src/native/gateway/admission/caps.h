// The cap on flow sockets shared by all workers (docs/operations.md, "Limits and what happens
// past them"): target sockets (a connect-ip stream counts as one) overall and per user
// (limits.flowsTotal, limits.flowsPerUser). Checked and taken in one step, so a burst spread
// over the workers cannot overshoot it. (Connections: front_door.h.)
#pragma once

#include <atomic>
#include <cstdint>

#include "tables.h"

namespace passerelle::gateway::admission {

enum class DescriptorRefusal : uint8_t { kNone, kPerUser, kTotal };

class DescriptorBudget {
 public:
  void SetLimits(int32_t total, int32_t per_user) {
    total_limit_.store(total, std::memory_order_relaxed);
    per_user_limit_.store(per_user, std::memory_order_relaxed);
  }
  // Takes one descriptor for `user`; says which cap refused when one did.
  DescriptorRefusal Acquire(SubjectShared* user);
  void Release(SubjectShared* user);
  int32_t used() const { return used_.load(std::memory_order_relaxed); }
  int32_t total_limit() const { return total_limit_.load(std::memory_order_relaxed); }
  int32_t per_user_limit() const { return per_user_limit_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int32_t> used_{0};
  std::atomic<int32_t> total_limit_{0};  // 0 = no limit
  std::atomic<int32_t> per_user_limit_{0};
};

}  // namespace passerelle::gateway::admission
