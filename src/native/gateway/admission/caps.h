// Limits shared by all workers (docs/operations.md, "Limits and what happens past them"):
// client connections overall and per source address, and descriptors for target sockets
// overall and per user. Each is checked and taken in one step, so a burst spread over the
// workers cannot overshoot a cap.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "tables.h"

namespace passerelle::gateway::admission {

enum class ConnectionRefusal : uint8_t { kNone, kPerSource, kTotal };

class ConnectionCaps {
 public:
  void SetLimits(uint32_t total, uint32_t per_source);
  // Takes a place for a new connection from `source`; says which cap refused when one did.
  ConnectionRefusal Acquire(uint32_t source);
  void Release(uint32_t source);
  uint32_t total() const;

 private:
  mutable std::mutex mutex_;
  uint32_t limit_total_ = 0;  // 0 = no limit
  uint32_t limit_per_source_ = 0;
  uint32_t total_ = 0;
  std::unordered_map<uint32_t, uint32_t> per_source_;
};

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

 private:
  std::atomic<int32_t> used_{0};
  std::atomic<int32_t> total_limit_{0};  // 0 = no limit
  std::atomic<int32_t> per_user_limit_{0};
};

}  // namespace passerelle::gateway::admission
