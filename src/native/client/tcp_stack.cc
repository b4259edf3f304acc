#include "tcp_stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "stats.h"
#include "tcp_flow.h"

namespace passerelle::client {

// A listening socket on A: what it accepts is matched to its flow by the peer's port (B:n).
class TcpStack::Listener final : public core::IoHandler {
 public:
  Listener(TcpStack* stack, uint32_t index) : stack_(stack), index_(index) {}
  ~Listener() override {
    if (fd_ >= 0) {
      stack_->loop_->Remove(watch_);
      close(fd_);
    }
  }

  bool Open(uint32_t address, uint16_t* port, std::string* error) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      *error = std::string("socket: ") + std::strerror(errno);
      return false;
    }
    struct sockaddr_in local {};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(address);
    local.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        listen(fd_, 4096) != 0) {
      *error = std::string("listening on the tunnel address: ") + std::strerror(errno);
      return false;
    }
    socklen_t size = sizeof(local);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &size);
    *port = ntohs(local.sin_port);
    watch_ = stack_->loop_->Add(fd_, EPOLLIN, this);
    if (watch_ == nullptr) {
      *error = std::string("epoll: ") + std::strerror(errno);
      return false;
    }
    return true;
  }

  void OnIo(uint32_t) override {
    for (int i = 0; i < 256; i++) {
      struct sockaddr_in peer {};
      socklen_t size = sizeof(peer);
      const int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &size,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // EAGAIN, or out of descriptors: the next readable event retries
      }
      stack_->OnAccept(index_, fd, ntohs(peer.sin_port));
    }
  }

 private:
  TcpStack* stack_;
  uint32_t index_;
  int fd_ = -1;
  core::EventLoop::Watch* watch_ = nullptr;
};

TcpStack::TcpStack(core::EventLoop* loop, Tunnel* tunnel, PacketOutput* output,
                   core::Counters* counters, Options options)
    : loop_(loop),
      tunnel_(tunnel),
      output_(output),
      counters_(counters),
      options_(options),
      nat_(options.listeners) {}

TcpStack::~TcpStack() {
  destroying_ = true;  // flows are freed now, not at the end of a turn that will not come
  CloseAll();
}

bool TcpStack::Listen(std::string* error) {
  for (uint32_t i = 0; i < options_.listeners; i++) {
    auto listener = std::make_unique<Listener>(this, i);
    uint16_t port = 0;
    if (!listener->Open(options_.address, &port, error)) return false;
    listeners_.push_back(std::move(listener));
    listener_ports_.push_back(port);
  }
  return true;
}

int TcpStack::ListenerIndex(uint16_t port) const {
  for (size_t i = 0; i < listener_ports_.size(); i++)
    if (listener_ports_[i] == port) return static_cast<int>(i);
  return -1;
}

void TcpStack::OnPacket(TunPacket& packet, const core::Ipv4Header& ip, const core::TcpHeader& tcp) {
  const core::ChecksumState checksum =
      packet.partial_checksum() ? core::ChecksumState::kPartial : core::ChecksumState::kComplete;
  if (ip.destination == options_.spare_address) {
    // A listener talking to the application: A:L → B:n becomes D:q → A:p.
    const int listener = ip.source == options_.address ? ListenerIndex(tcp.source_port) : -1;
    const uint32_t slot = listener < 0 ? NatTable<TcpFlow>::kNoSlot
                                       : nat_.SlotOf(static_cast<uint32_t>(listener), tcp.destination_port);
    TcpFlow* flow = nat_.BySlot(slot);
    if (flow == nullptr) {
      counters_->Add(kDropTcpUnknownNatPort);
      return;
    }
    const FlowKey& key = flow->key();
    core::RewriteEndpoints(packet.data, ip, key.destination, key.destination_port, key.source,
                           key.source_port, checksum);
    output_->Send(packet.data, ip.total_length, packet.vnet != nullptr);
    return;
  }
  const FlowKey key{ip.source, ip.destination, tcp.source_port, tcp.destination_port};
  TcpFlow* flow = nat_.Find(key);
  if (flow != nullptr && flow->state() == TcpFlow::State::kClosing && tcp.syn() && !tcp.ack()) {
    // The application reuses a source port right after a close (its side keeps no TIME_WAIT
    // when the server closed first): a new connection, on a fresh NAT pair. The old mapping
    // lingers by slot for the listener's last packets.
    nat_.Unlink(key, flow);
    flow->Unlinked();
    flow = nullptr;
  }
  if (flow == nullptr) {
    if (tcp.syn() && !tcp.ack() && !tcp.rst()) {
      StartFlow(packet, ip, key);
      return;
    }
    // A segment of a connection we do not know (from before a restart, say): reset it, as a
    // host with no such connection does, so the application does not hang.
    if (!tcp.rst()) SendReset(packet.data, ip.total_length);
    counters_->Add(kDropTcpUnknownFlow);
    return;
  }
  if (flow->state() == TcpFlow::State::kPending) {
    // A RST means the application gave up (or answered a probe: its socket is gone).
    if (tcp.rst()) {
      flow->Abandon();
    } else if (tcp.syn() && !tcp.ack()) {
      flow->OnSynAgain(packet, ip.total_length, tcp.sequence);
    }
    return;
  }
  const bool abandoned = flow->state() == TcpFlow::State::kOpen && !flow->accepted() && tcp.rst();
  const uint32_t slot = flow->slot();
  core::RewriteEndpoints(packet.data, ip, options_.spare_address, NatTable<TcpFlow>::PortOf(slot),
                         options_.address, listener_ports_[NatTable<TcpFlow>::ListenerOf(slot)],
                         checksum);
  output_->Send(packet.data, ip.total_length, packet.vnet != nullptr);
  // The application's kernel reset our SYN-ACK: its socket was closed while we waited for the
  // gateway. The reset went on to the listener (it forgets the half-open connection); the
  // stream is cancelled.
  if (abandoned) flow->Abandon();
}

void TcpStack::StartFlow(TunPacket& packet, const core::Ipv4Header& ip, const FlowKey& key) {
  const uint32_t slot = nat_.Take();
  if (slot == NatTable<TcpFlow>::kNoSlot) {
    counters_->Add(kDropTcpNatPortsExhausted);
    SendReset(packet.data, ip.total_length);
    return;
  }
  core::TcpHeader tcp;
  core::ParseTcp(packet.data, ip, &tcp);
  auto* flow = new TcpFlow(this, key, slot, packet.data, ip.total_length, packet.partial_checksum(),
                           tcp.sequence);
  nat_.Insert(key, flow);
  nat_.SetSlot(slot, flow);
  counters_->Add(kTcpOpen);
  counters_->Add(kTcpTotal);
  ByteStream* stream = tunnel_->OpenTcp(key.destination, key.destination_port, flow);
  if (stream == nullptr) {
    // No gateway right now (reconnecting): fail at once, as on a link that is down.
    flow->Refuse(Refusal::kNoGateway);
    return;
  }
  flow->set_stream(stream);
  flow->Arm(kProbeAfterMs);  // the held SYN is watched (see above)
}

void TcpStack::OnAccept(uint32_t listener, int fd, uint16_t peer_port) {
  TcpFlow* flow = nat_.BySlot(nat_.SlotOf(listener, peer_port));
  if (flow == nullptr || flow->state() != TcpFlow::State::kOpen || flow->accepted()) {
    close(fd);
    return;
  }
  flow->Attach(fd);
}

void TcpStack::SendReset(const uint8_t* offending, size_t length) {
  uint8_t* out = output_->Scratch();
  const size_t n = core::BuildTcpReset(offending, length, out, PacketOutput::kScratchSize);
  if (n > 0) output_->Send(out, n, false);
}

void TcpStack::SendProbe(const uint8_t* syn, size_t length) {
  uint8_t* out = output_->Scratch();
  const size_t n = core::BuildTcpSynProbe(syn, length, out, PacketOutput::kScratchSize);
  if (n > 0) output_->Send(out, n, false);
}

void TcpStack::SendUnreachable(const uint8_t* offending, size_t length, uint32_t from) {
  uint8_t* out = output_->Scratch();
  const size_t n = core::BuildIcmpUnreachable(offending, length, from, core::kUnreachableHost, out,
                                              PacketOutput::kScratchSize);
  if (n > 0) output_->Send(out, n, false);
}

void TcpStack::Release(TcpFlow* flow) {
  if (flow->linked()) nat_.Unlink(flow->key(), flow);
  flow->Unlinked();
  if (nat_.BySlot(flow->slot()) == flow) nat_.Release(flow->slot());
  if (destroying_) {
    delete flow;
  } else {
    // Its methods may still be on the stack: freed at the end of the turn.
    loop_->Defer([flow] { delete flow; });
  }
}

void TcpStack::CloseAll() {
  EndFlows();
  listeners_.clear();
}

void TcpStack::EndFlows() {
  for (uint32_t slot = 0; slot < nat_.capacity(); slot++) {
    TcpFlow* flow = nat_.BySlot(slot);
    if (flow == nullptr) continue;
    if (flow->state() == TcpFlow::State::kPending) {
      flow->Refuse(Refusal::kUnreachable);
    } else if (flow->state() == TcpFlow::State::kOpen) {
      flow->Finish(true);
    } else {
      flow->Linger(false);  // a closed flow's mapping goes now
    }
  }
}

}  // namespace passerelle::client
