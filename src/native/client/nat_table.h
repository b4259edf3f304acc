// The client's TCP NAT table (DESIGN §3): each flow A:p → D:q gets a slot, one (listener,
// port n) pair, and travels to the kernel as B:n → A:L.
//
// - Slots are handed out least-recently-released first: the listener side of a closed
//   connection sits in TIME_WAIT on (A:L, B:n) for 60 s and may refuse a new SYN onto that
//   pair, so with 4 listeners × 55,000 ports a pair comes back only after 220,000 connections.
// - Lookups both ways are O(1): by the application's 4-tuple (packets from the application)
//   and by slot (packets from the listener, and accepted sockets).
//
// Promises: no allocation per packet; one per flow (the map node). The table does not own the
// flows it indexes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace passerelle::client {

constexpr uint16_t kFirstNatPort = 10000;
constexpr uint32_t kNatPorts = 55000;

struct FlowKey {
  uint32_t source;
  uint32_t destination;
  uint16_t source_port;
  uint16_t destination_port;

  bool operator==(const FlowKey& other) const {
    return source == other.source && destination == other.destination &&
           source_port == other.source_port && destination_port == other.destination_port;
  }
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& key) const {
    uint64_t h = (static_cast<uint64_t>(key.source) << 32) ^ key.destination;
    h ^= (static_cast<uint64_t>(key.source_port) << 16 | key.destination_port) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return static_cast<size_t>(h);
  }
};

template <typename Flow>
class NatTable {
 public:
  static constexpr uint32_t kNoSlot = ~uint32_t{0};

  explicit NatTable(uint32_t listeners)
      : listeners_(listeners), by_slot_(listeners * kNatPorts, nullptr), free_(listeners * kNatPorts) {
    // Interleaved, so consecutive flows use different listeners.
    for (uint32_t i = 0; i < capacity(); i++) free_[i] = (i % listeners) * kNatPorts + i / listeners;
    free_head_ = 0;
    free_count_ = capacity();
  }

  uint32_t capacity() const { return listeners_ * kNatPorts; }
  uint32_t available() const { return free_count_; }
  uint32_t listeners() const { return listeners_; }

  // A free slot, or kNoSlot when every pair is taken.
  uint32_t Take() {
    if (free_count_ == 0) return kNoSlot;
    const uint32_t slot = free_[free_head_];
    free_head_ = (free_head_ + 1) % capacity();
    free_count_--;
    return slot;
  }
  void Release(uint32_t slot) {
    by_slot_[slot] = nullptr;
    free_[(free_head_ + free_count_) % capacity()] = slot;
    free_count_++;
  }

  static uint32_t ListenerOf(uint32_t slot) { return slot / kNatPorts; }
  static uint16_t PortOf(uint32_t slot) { return static_cast<uint16_t>(kFirstNatPort + slot % kNatPorts); }
  // The slot of (listener index, NAT port), or kNoSlot outside the NAT range.
  uint32_t SlotOf(uint32_t listener, uint16_t port) const {
    if (listener >= listeners_ || port < kFirstNatPort || static_cast<uint32_t>(port - kFirstNatPort) >= kNatPorts)
      return kNoSlot;
    return listener * kNatPorts + (port - kFirstNatPort);
  }

  Flow* BySlot(uint32_t slot) const { return slot < by_slot_.size() ? by_slot_[slot] : nullptr; }
  void SetSlot(uint32_t slot, Flow* flow) { by_slot_[slot] = flow; }

  Flow* Find(const FlowKey& key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : it->second;
  }
  void Insert(const FlowKey& key, Flow* flow) { by_key_[key] = flow; }
  // Removes the key only if it still maps to `flow` (a newer flow may have taken it).
  void Unlink(const FlowKey& key, const Flow* flow) {
    auto it = by_key_.find(key);
    if (it != by_key_.end() && it->second == flow) by_key_.erase(it);
  }
  size_t linked() const { return by_key_.size(); }

 private:
  uint32_t listeners_;
  std::vector<Flow*> by_slot_;
  std::vector<uint32_t> free_;  // a ring: released slots go to the back
  uint32_t free_head_ = 0;
  uint32_t free_count_ = 0;
  std::unordered_map<FlowKey, Flow*, FlowKeyHash> by_key_;
};

}  // namespace passerelle::client
