// Counters a data-plane thread increments and JavaScript reads at any time: traffic, flows,
// drops by reason. Fixed at construction (a name per slot), so reading them needs no lock and
// no message to the thread.
//
// Promises: Add() is a relaxed atomic increment (no lock, no allocation, no fence on x86
// beyond the locked add); Get() from any thread sees a recent value of each slot (slots are
// independent: a snapshot is not atomic as a whole, which counters do not need).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace passerelle::core {

class Counters {
 public:
  explicit Counters(std::vector<std::string> names)
      : names_(std::move(names)), values_(new std::atomic<uint64_t>[names_.size()]) {
    for (size_t i = 0; i < names_.size(); i++) values_[i].store(0, std::memory_order_relaxed);
  }

  void Add(size_t slot, uint64_t amount = 1) {
    values_[slot].fetch_add(amount, std::memory_order_relaxed);
  }
  void Subtract(size_t slot, uint64_t amount = 1) {
    values_[slot].fetch_sub(amount, std::memory_order_relaxed);
  }
  void Set(size_t slot, uint64_t value) { values_[slot].store(value, std::memory_order_relaxed); }
  uint64_t Get(size_t slot) const { return values_[slot].load(std::memory_order_relaxed); }

  size_t size() const { return names_.size(); }
  const std::string& name(size_t slot) const { return names_[slot]; }

 private:
  std::vector<std::string> names_;
  std::unique_ptr<std::atomic<uint64_t>[]> values_;
};

}  // namespace passerelle::core
