// One flow's accounting, as the TypeScript gateway's FlowRecord did (src/gateway/forward/
// flow.ts): a place under the session's flow cap from admission on, FLOW_OPEN when the flow
// is established (the active-flows gauge), FLOW_END once with the verdict, the deciding
// policy and resource, bytes each way and the duration (the audit line).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "../admission/caps.h"
#include "../admission/policy.h"
#include "../admission/tables.h"
#include "../control/messages.h"

namespace passerelle::gateway {

class Worker;

// Holds one place under `limits.streamsPerSession` for as long as it lives.
class FlowReservation {
 public:
  FlowReservation() = default;
  ~FlowReservation() { Release(); }
  FlowReservation(const FlowReservation&) = delete;
  FlowReservation& operator=(const FlowReservation&) = delete;

  // False when the session is at its cap (nothing taken).
  bool Take(admission::Session* session, uint32_t cap);
  void Release();
  bool held() const { return shared_ != nullptr; }

 private:
  std::shared_ptr<admission::SessionShared> shared_;
};

class FlowRecord {
 public:
  FlowRecord() = default;
  FlowRecord(const FlowRecord&) = delete;
  FlowRecord& operator=(const FlowRecord&) = delete;

  // What was judged; `rules` keeps the resource name alive until the end.
  void Judge(uint32_t session, admission::Protocol protocol, uint32_t destination, uint16_t port,
             const admission::Decision& decision,
             std::shared_ptr<const admission::RuleSet> rules);
  // The flow is established (FLOW_OPEN); the duration counts from here.
  void Open(Worker* worker);
  // FLOW_END, once: allowed (or an error token when it failed), then nothing more.
  void End(Worker* worker, control::ProxyError error = control::ProxyError::kNone);
  // A denied flow: FLOW_END with verdict deny, nothing was opened. `prefix` < 32 when what
  // was refused is a range (a connect-ip scope).
  void Deny(Worker* worker, uint8_t prefix = 32);

  bool ended() const { return ended_; }
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;

 private:
  void Emit(Worker* worker, control::Verdict verdict, control::ProxyError error,
            uint8_t prefix = 32);

  uint32_t session_ = 0;
  admission::Protocol protocol_ = admission::Protocol::kTcp;
  uint32_t destination_ = 0;
  uint16_t port_ = 0;
  admission::Decision decision_;
  std::shared_ptr<const admission::RuleSet> rules_;
  uint64_t started_ms_ = 0;
  bool opened_ = false;
  bool ended_ = false;
};

}  // namespace passerelle::gateway

namespace passerelle::gateway {

// Holds one descriptor under the caps (admission::DescriptorBudget) for as long as it lives.
class DescriptorSlot {
 public:
  DescriptorSlot() = default;
  ~DescriptorSlot() { Release(); }
  DescriptorSlot(const DescriptorSlot&) = delete;
  DescriptorSlot& operator=(const DescriptorSlot&) = delete;

  admission::DescriptorRefusal Take(Worker* worker, admission::Session* session);
  void Release();

 private:
  admission::DescriptorBudget* budget_ = nullptr;
  std::shared_ptr<admission::SubjectShared> user_;
};

// What a refusal tells the client: status, proxy-status error and details.
struct Refusal {
  uint16_t status = 0;
  control::ProxyError error = control::ProxyError::kNone;
  std::string details;
};

// The refusal for a descriptor cap, counted under passerelle_streams_refused_total.
Refusal DescriptorRefusalFor(Worker* worker, admission::DescriptorRefusal refusal);

}  // namespace passerelle::gateway
