#include "flow_record.h"

#include "../worker/worker.h"

namespace passerelle::gateway {

bool FlowReservation::Take(admission::Session* session, uint32_t cap) {
  Release();
  std::shared_ptr<admission::SessionShared> shared = session->shared;
  int32_t now = shared->flows.fetch_add(1, std::memory_order_relaxed) + 1;
  if (now > static_cast<int32_t>(cap)) {
    shared->flows.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  shared_ = std::move(shared);
  return true;
}

void FlowReservation::Release() {
  if (!shared_) return;
  shared_->flows.fetch_sub(1, std::memory_order_relaxed);
  shared_.reset();
}

void FlowRecord::Judge(uint32_t session, admission::Protocol protocol, uint32_t destination,
                       uint16_t port, const admission::Decision& decision,
                       std::shared_ptr<const admission::RuleSet> rules) {
  session_ = session;
  protocol_ = protocol;
  destination_ = destination;
  port_ = port;
  decision_ = decision;
  rules_ = std::move(rules);
}

void FlowRecord::Open(Worker* worker) {
  if (opened_ || ended_) return;
  opened_ = true;
  started_ms_ = worker->loop().Now();
  worker->events().FlowOpen(session_, protocol_);
}

void FlowRecord::End(Worker* worker, control::ProxyError error) {
  Emit(worker, error == control::ProxyError::kNone ? control::Verdict::kAllow
                                                   : control::Verdict::kError,
       error);
}

void FlowRecord::Deny(Worker* worker, uint8_t prefix) {
  Emit(worker, control::Verdict::kDeny, control::ProxyError::kNone, prefix);
}

void FlowRecord::Emit(Worker* worker, control::Verdict verdict, control::ProxyError error,
                      uint8_t prefix) {
  if (ended_) return;
  ended_ = true;
  struct FlowEnd end;
  end.session = session_;
  end.protocol = protocol_;
  end.verdict = verdict;
  end.error = error;
  end.opened = opened_;
  end.policy = decision_.policy_index;
  if (rules_ && decision_.resource >= 0 &&
      static_cast<size_t>(decision_.resource) < rules_->resource_names.size()) {
    end.resource = rules_->resource_names[static_cast<size_t>(decision_.resource)];
  }
  end.destination = destination_;
  end.prefix = prefix;
  if (decision_.reserved != nullptr) end.reserved = *decision_.reserved;
  end.port = protocol_ == admission::Protocol::kIcmp ? 0 : port_;
  end.bytes_up = bytes_up;
  end.bytes_down = bytes_down;
  end.duration_ms = opened_ ? static_cast<uint32_t>(worker->loop().Now() - started_ms_) : 0;
  worker->events().FlowEnd(end);
  rules_.reset();
}

}  // namespace passerelle::gateway

namespace passerelle::gateway {

admission::DescriptorRefusal DescriptorSlot::Take(Worker* worker, admission::Session* session) {
  Release();
  admission::DescriptorBudget* budget = &worker->shared().descriptors;
  admission::DescriptorRefusal refusal = budget->Acquire(session->subject->shared.get());
  if (refusal != admission::DescriptorRefusal::kNone) return refusal;
  budget_ = budget;
  user_ = session->subject->shared;
  return refusal;
}

void DescriptorSlot::Release() {
  if (budget_ == nullptr) return;
  budget_->Release(user_.get());
  budget_ = nullptr;
  user_.reset();
}

Refusal DescriptorRefusalFor(Worker* worker, admission::DescriptorRefusal refusal) {
  Refusal r;
  r.status = 429;
  r.error = control::ProxyError::kConnectionLimitReached;
  const admission::DescriptorBudget& budget = worker->shared().descriptors;
  if (refusal == admission::DescriptorRefusal::kPerUser) {
    worker->events().Count(control::CounterFamily::kRefusedStreams, "flows-per-user");
    r.details = "at most " + std::to_string(budget.per_user_limit()) + " open flows per user";
  } else {
    worker->events().Count(control::CounterFamily::kRefusedStreams, "flows-total");
    r.details = "the gateway holds its limit of " + std::to_string(budget.total_limit()) +
                " open flows";
  }
  return r;
}

}  // namespace passerelle::gateway
