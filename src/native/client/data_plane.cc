#include "data_plane.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "stats.h"

namespace passerelle::client {

std::unique_ptr<DataPlane> DataPlane::Create(EventSink* sink, std::string* error) {
  std::unique_ptr<DataPlane> plane(new DataPlane(sink));
  if (!plane->loop_.error().empty()) {
    *error = plane->loop_.error();
    return nullptr;
  }
  return plane;
}

DataPlane::DataPlane(EventSink* sink)
    : sink_(sink), counters_(StatNames()), scratch_(new uint8_t[TunDevice::kHeadroom + kScratchSize]) {
  link_ = std::make_unique<GatewayLink>(&loop_, &counters_, this);
  loop_.AddTurnEndHook([this] {
    if (link_) link_->Flush();
    if (sink_ != nullptr) sink_->Flush();
  });
}

void DataPlane::AttachTun(const TunOptions& options) {
  loop_.Post([this, options] {
    ClientEvent event{ClientEvent::Type::kTunAttached};
    event.text = Attach(options);
    Emit(std::move(event));
  });
}

std::string DataPlane::Attach(const TunOptions& options) {
  if (tun_) {
    close(options.tun_fd);
    return "a TUN device is attached already";
  }
  options_ = options;
  tun_ = std::make_unique<TunDevice>(options.tun_fd);
  tun_->Probe(options.offloads);
  TcpStack::Options tcp;
  tcp.address = options.address;
  tcp.spare_address = options.spare_address;
  tcp.listeners = options.listeners;
  tcp_ = std::make_unique<TcpStack>(&loop_, link_.get(), this, &counters_, tcp);
  UdpFlows::Options udp;
  udp.idle_ms = options.udp_idle_ms;
  udp_ = std::make_unique<UdpFlows>(&loop_, link_.get(), this, &counters_, udp);
  icmp_ = std::make_unique<IcmpRelay>(link_.get(), this, &counters_, options.address);
  router_ = std::make_unique<PacketRouter>(tcp_.get(), udp_.get(), icmp_.get(), &counters_);
  std::string error;
  if (!tcp_->Listen(&error)) return error;
  {
    std::lock_guard<std::mutex> lock(info_mutex_);
    tun_description_ = tun_->description();
    listener_ports_ = tcp_->listener_ports();
  }
  tun_watch_ = loop_.Add(tun_->fd(), EPOLLIN, this);
  if (tun_watch_ == nullptr) return std::string("watching the TUN device: ") + std::strerror(errno);
  return "";
}

std::string DataPlane::tun_description() const {
  std::lock_guard<std::mutex> lock(info_mutex_);
  return tun_description_;
}

std::vector<uint16_t> DataPlane::listener_ports() const {
  std::lock_guard<std::mutex> lock(info_mutex_);
  return listener_ports_;
}

DataPlane::~DataPlane() { Stop(); }

void DataPlane::Start() {
  thread_ = std::thread([this] { Run(); });
}

void DataPlane::Run() {
  // A write to a closed socket is EPIPE here, never a signal that ends the process.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  loop_.Run();
}

void DataPlane::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (thread_.joinable()) {
    loop_.Stop();
    thread_.join();
  }
  // The thread is gone: what follows runs alone. Flows first (they detach from their streams),
  // then the link (its streams hear nothing more), then what the flows left to free.
  sink_ = nullptr;
  if (icmp_) icmp_->Close();
  if (udp_) udp_->CloseAll();
  if (tcp_) tcp_->CloseAll();
  loop_.RunOnce(0);
  link_.reset();
  loop_.RunOnce(0);
  if (tun_watch_ != nullptr) loop_.Remove(tun_watch_);
  tun_watch_ = nullptr;
  router_.reset();
  icmp_.reset();
  udp_.reset();
  tcp_.reset();
  loop_.RunOnce(0);
  tun_.reset();
}

void DataPlane::Emit(ClientEvent&& event) {
  if (sink_ != nullptr) sink_->Emit(std::move(event));
}

void DataPlane::Connect(const LinkOptions& options) {
  loop_.Post([this, options] { link_->Connect(options); });
}

void DataPlane::Disconnect(const std::string& reason) {
  loop_.Post([this, reason] { link_->Disconnect(reason); });
}

void DataPlane::SetToken(const std::string& token) {
  loop_.Post([this, token] { link_->SetToken(token); });
}

void DataPlane::RenewalFailed() {
  loop_.Post([this] { link_->RenewalFailed(); });
}

void DataPlane::Request(uint64_t id, std::string method, std::string path, Headers headers,
                        std::string body) {
  loop_.Post([this, id, method = std::move(method), path = std::move(path),
              headers = std::move(headers), body = std::move(body)] {
    link_->Request(id, method, path, headers, body);
  });
}

void DataPlane::SetUdpIdle(uint64_t idle_ms) {
  loop_.Post([this, idle_ms] {
    if (udp_) udp_->set_idle_ms(idle_ms);
  });
}

void DataPlane::CloseFlows() {
  loop_.Post([this] {
    if (icmp_) icmp_->Close();
    if (udp_) udp_->CloseAll();
    if (tcp_) tcp_->CloseAll();
  });
}

void DataPlane::Send(uint8_t* packet, size_t length, bool keep_header) {
  if (tun_->Write(packet, length, keep_header)) {
    counters_.Add(kTunPacketsOut);
  } else {
    counters_.Add(kDropTunWriteFailed);
  }
}

void DataPlane::OnIo(uint32_t) {
  int error = 0;
  if (tun_->ReadBatch(router_.get(), options_.tun_batch, &error)) return;
  // The device is gone (another program deleted the interface) or broken: nothing can be
  // tunnelled any more. JavaScript undoes the rest and reports it.
  loop_.Remove(tun_watch_);
  tun_watch_ = nullptr;
  ClientEvent event{ClientEvent::Type::kTunError};
  event.text = std::strerror(error);
  Emit(std::move(event));
}

void DataPlane::OnLinkUp() { Emit(ClientEvent{ClientEvent::Type::kLinkUp}); }

void DataPlane::OnLinkDown(const std::string& reason, LinkFailure failure) {
  ClientEvent event{ClientEvent::Type::kLinkDown};
  event.text = reason;
  event.failure = failure;
  Emit(std::move(event));
}

void DataPlane::OnAuthRequired() { Emit(ClientEvent{ClientEvent::Type::kAuthRequired}); }

void DataPlane::OnResponse(uint64_t id, int status, const Headers& headers, const std::string& body,
                           const std::string& error) {
  ClientEvent event{ClientEvent::Type::kResponse};
  event.id = id;
  event.status = status;
  event.headers = headers;
  event.body = body;
  event.text = error;
  Emit(std::move(event));
}

}  // namespace passerelle::client
