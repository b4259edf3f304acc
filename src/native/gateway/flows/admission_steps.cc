#include "admission_steps.h"

#include <string.h>

#include "../admission/target.h"
#include "../worker/worker.h"

namespace passerelle::gateway {

using admission::HostKind;

std::string ErrnoName(int error) {
  const char* name = strerrorname_np(error);
  return name != nullptr ? name : "E" + std::to_string(error);
}

void TargetJudge::Start(admission::Session* session, admission::Protocol protocol,
                        std::string_view host, uint16_t port, FlowRecord* record,
                        DescriptorSlot* slot) {
  session_ = session;
  protocol_ = protocol;
  port_ = port;
  record_ = record;
  slot_ = slot;
  uint32_t address = 0;
  switch (admission::classify_host(host, &address)) {
    case HostKind::kAddress:
      Judge(address);
      return;
    case HostKind::kIpv6:
      owner_->OnJudged(false, 0,
                       Refusal{403, control::ProxyError::kDestinationIpProhibited,
                               "IPv6 targets are not served"});
      return;
    case HostKind::kInvalid: {
      std::string shown(host.substr(0, 64));
      owner_->OnJudged(false, 0,
                       Refusal{400, control::ProxyError::kHttpRequestError,
                               "bad host name \"" + shown + "\""});
      return;
    }
    case HostKind::kName:
      host_ = std::string(host);
      upcall_ = worker_->Resolve(this, host_);
      return;
  }
}

void TargetJudge::Cancel() {
  if (upcall_ != 0) worker_->CancelUpcall(upcall_);
  upcall_ = 0;
}

void TargetJudge::OnResolved(Resolution&& resolution) {
  upcall_ = 0;
  if (!resolution.ok) {
    owner_->OnJudged(false, 0,
                     Refusal{502, control::ProxyError::kDnsError, host_ + ": " + resolution.error});
    return;
  }
  Judge(resolution.address);
}

void TargetJudge::Judge(uint32_t address) {
  const std::shared_ptr<const admission::RuleSet>& rules = session_->subject->rules;
  admission::Decision decision =
      admission::decide(*rules, worker_->reserved().get(), protocol_, address, port_);
  record_->Judge(session_->handle, protocol_, address, port_, decision, rules);
  if (!decision.allow) {
    record_->Deny(worker_);
    owner_->OnJudged(false, address,
                     Refusal{403, control::ProxyError::kDestinationIpProhibited,
                             "not allowed by policy"});
    return;
  }
  admission::DescriptorRefusal refused = slot_->Take(worker_, session_);
  if (refused != admission::DescriptorRefusal::kNone) {
    owner_->OnJudged(false, address, DescriptorRefusalFor(worker_, refused));
    return;
  }
  owner_->OnJudged(true, address, Refusal{});
}

}  // namespace passerelle::gateway
