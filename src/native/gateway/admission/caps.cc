#include "caps.h"

namespace passerelle::gateway::admission {

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
