#include "caps.h"

namespace passerelle::gateway::admission {

void ConnectionCaps::SetLimits(uint32_t total, uint32_t per_source) {
  std::lock_guard<std::mutex> lock(mutex_);
  limit_total_ = total;
  limit_per_source_ = per_source;
}

ConnectionRefusal ConnectionCaps::Acquire(uint32_t source) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (limit_total_ != 0 && total_ >= limit_total_) return ConnectionRefusal::kTotal;
  uint32_t& count = per_source_[source];
  if (limit_per_source_ != 0 && count >= limit_per_source_) {
    if (count == 0) per_source_.erase(source);
    return ConnectionRefusal::kPerSource;
  }
  count++;
  total_++;
  return ConnectionRefusal::kNone;
}

void ConnectionCaps::Release(uint32_t source) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = per_source_.find(source);
  if (it == per_source_.end()) return;
  if (--it->second == 0) per_source_.erase(it);
  total_--;
}

uint32_t ConnectionCaps::total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

DescriptorRefusal DescriptorBudget::Acquire(SubjectShared* user) {
  const int32_t total_limit = total_limit_.load(std::memory_order_relaxed);
  const int32_t user_limit = per_user_limit_.load(std::memory_order_relaxed);
  // Take first, give back when over: two workers racing for the last place cannot both win.
  int32_t total = used_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (total_limit > 0 && total > total_limit) {
    used_.fetch_sub(1, std::memory_order_relaxed);
    return DescriptorRefusal::kTotal;
  }
  int32_t mine = user->descriptors.fetch_add(1, std::memory_order_relaxed) + 1;
  if (user_limit > 0 && mine > user_limit) {
    user->descriptors.fetch_sub(1, std::memory_order_relaxed);
    used_.fetch_sub(1, std::memory_order_relaxed);
    return DescriptorRefusal::kPerUser;
  }
  return DescriptorRefusal::kNone;
}

void DescriptorBudget::Release(SubjectShared* user) {
  user->descriptors.fetch_sub(1, std::memory_order_relaxed);
  used_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace passerelle::gateway::admission
