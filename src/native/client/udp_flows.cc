#include "udp_flows.h"

#include <cstring>

#include "stats.h"

namespace passerelle::client {

class UdpFlows::Flow final : public DatagramPeer {
 public:
  Flow(UdpFlows* owner, const FlowKey& key, const uint8_t* first, size_t length)
      : owner_(owner), key_(key), first_(first, first + length), timer_([this] { OnTimer(); }) {}

  void Start(DatagramStream* stream) {
    stream_ = stream;
    last_active_ = owner_->loop_->Now();
    owner_->loop_->Arm(&timer_, owner_->options_.idle_ms);
  }

  void Send(const uint8_t* payload, size_t length) {
    last_active_ = owner_->loop_->Now();
    if (stream_ == nullptr) return;
    if (!stream_->Send(payload, length)) {
      owner_->counters_->Add(kDropUdpQueueFull);
      return;
    }
    owner_->counters_->Add(kBytesOut, length);
  }

  void OnRefused(Refusal refusal, int status) override {
    stream_ = nullptr;
    // 407: our session ended, nothing the target did; the application's retry opens a new
    // flow after the renewal. An ICMP error would fail it for good.
    if (refusal != Refusal::kAuthRequired && refusal != Refusal::kNoGateway) {
      const uint8_t code = status == 403 || refusal == Refusal::kProhibited
                               ? core::kUnreachableProhibited
                               : core::kUnreachablePort;
      uint8_t* out = owner_->output_->Scratch();
      const size_t n = core::BuildIcmpUnreachable(first_.data(), first_.size(), key_.destination,
                                                  code, out, PacketOutput::kScratchSize);
      if (n > 0) owner_->output_->Send(out, n, false);
    }
    End();
  }

  void OnDatagram(const uint8_t* payload, size_t length) override {
    last_active_ = owner_->loop_->Now();
    uint8_t* out = owner_->output_->Scratch();
    const size_t n = core::BuildUdpPacket(key_.destination, key_.destination_port, key_.source,
                                          key_.source_port, payload, length, out,
                                          PacketOutput::kScratchSize);
    if (n == 0) {
      owner_->counters_->Add(kDropUdpTooLarge);
      return;
    }
    owner_->counters_->Add(kBytesIn, length);
    owner_->output_->Send(out, n, false);
  }

  void OnMalformed() override {
    owner_->counters_->Add(kDropUdpBadCapsule);
    stream_ = nullptr;
    End();
  }

  void OnClosed() override {
    stream_ = nullptr;
    End();
  }

  // Ends the flow (idempotent): the stream is closed, the flow forgotten and freed.
  void End() {
    if (ended_) return;
    ended_ = true;
    owner_->loop_->Disarm(&timer_);
    if (stream_ != nullptr) {
      stream_->Close();
      stream_ = nullptr;
    }
    owner_->Forget(this);
  }

  const FlowKey& key() const { return key_; }

 private:
  void OnTimer() {
    const uint64_t idle = owner_->loop_->Now() - last_active_;
    if (idle >= owner_->options_.idle_ms) {
      End();
      return;
    }
    // Activity meanwhile: look again when it would have run out (no timer work per datagram).
    owner_->loop_->Arm(&timer_, owner_->options_.idle_ms - idle);
  }

  UdpFlows* owner_;
  FlowKey key_;
  std::vector<uint8_t> first_;  // the first datagram, to quote in an ICMP error
  DatagramStream* stream_ = nullptr;
  uint64_t last_active_ = 0;
  bool ended_ = false;
  core::Timer timer_;
};

UdpFlows::UdpFlows(core::EventLoop* loop, Tunnel* tunnel, PacketOutput* output,
                   core::Counters* counters, Options options)
    : loop_(loop), tunnel_(tunnel), output_(output), counters_(counters), options_(options) {}

UdpFlows::~UdpFlows() {
  destroying_ = true;
  CloseAll();
}

void UdpFlows::OnPacket(TunPacket& packet, const core::Ipv4Header& ip, const core::UdpHeader& udp) {
  const FlowKey key{ip.source, ip.destination, udp.source_port, udp.destination_port};
  auto it = flows_.find(key);
  Flow* flow = it == flows_.end() ? nullptr : it->second;
  if (flow == nullptr) {
    if (flows_.size() >= options_.max_flows) {
      counters_->Add(kDropUdpTooManyFlows);
      return;
    }
    flow = new Flow(this, key, packet.data, ip.total_length);
    DatagramStream* stream = tunnel_->OpenUdp(ip.destination, udp.destination_port, flow);
    if (stream == nullptr) {
      // No gateway right now (reconnecting): dropped, as on a link that is down.
      delete flow;
      counters_->Add(kDropUdpNoGateway);
      return;
    }
    flows_.emplace(key, flow);
    counters_->Add(kUdpOpen);
    counters_->Add(kUdpTotal);
    flow->Start(stream);
  }
  flow->Send(packet.data + udp.payload_offset, udp.payload_length);
}

void UdpFlows::Forget(Flow* flow) {
  auto it = flows_.find(flow->key());
  if (it != flows_.end() && it->second == flow) {
    flows_.erase(it);
    counters_->Subtract(kUdpOpen);
  }
  if (destroying_) {
    delete flow;
  } else {
    loop_->Defer([flow] { delete flow; });  // its methods may still be on the stack
  }
}

void UdpFlows::CloseAll() {
  std::vector<Flow*> all;
  all.reserve(flows_.size());
  for (auto& entry : flows_) all.push_back(entry.second);
  for (Flow* flow : all) flow->End();
}

}  // namespace passerelle::client
