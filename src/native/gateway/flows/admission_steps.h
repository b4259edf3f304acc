// The steps every tunnel request goes through after its token was accepted, shared by the
// HTTP/2 and HTTP/1.1 fronts: the host named by the client turned into an address (resolved
// by the control plane when it is a name), judged by the user's rules (a denial is written to
// the audit log at once), and a descriptor taken under the caps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "../admission/policy.h"
#include "../admission/tables.h"
#include "../worker/upcall.h"
#include "flow_record.h"

namespace passerelle::gateway {

class Worker;

// Resolves `host` (an IPv4 literal at once, a name through the control plane) and judges the
// result. The owner hears OnJudged once, unless Cancel() came first.
class TargetJudge : public UpcallClient {
 public:
  class Owner {
   public:
    // `allowed`: the flow may go on (a descriptor is held in `slot`); otherwise `refusal`
    // says what to answer (the denial was recorded already).
    virtual void OnJudged(bool allowed, uint32_t address, const Refusal& refusal) = 0;

   protected:
    ~Owner() = default;
  };

  TargetJudge(Worker* worker, Owner* owner) : worker_(worker), owner_(owner) {}
  ~TargetJudge() { Cancel(); }
  TargetJudge(const TargetJudge&) = delete;
  TargetJudge& operator=(const TargetJudge&) = delete;

  // `record` receives the judgement (destination, decision) and `slot` the descriptor.
  void Start(admission::Session* session, admission::Protocol protocol, std::string_view host,
             uint16_t port, FlowRecord* record, DescriptorSlot* slot);
  void Cancel();

  void OnResolved(Resolution&& resolution) override;

 private:
  void Judge(uint32_t address);

  Worker* worker_;
  Owner* owner_;
  admission::Session* session_ = nullptr;
  admission::Protocol protocol_ = admission::Protocol::kTcp;
  std::string host_;
  uint16_t port_ = 0;
  FlowRecord* record_ = nullptr;
  DescriptorSlot* slot_ = nullptr;
  uint64_t upcall_ = 0;
};

// "ECONNREFUSED" for ECONNREFUSED: the error codes the TypeScript gateway reported.
std::string ErrnoName(int error);

}  // namespace passerelle::gateway
