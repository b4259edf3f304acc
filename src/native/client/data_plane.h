// The client's data plane (DESIGN §3–4): one native thread with its own event loop owns the TUN
// file descriptor, the NAT table and rewriting, the local listeners, the UDP and ICMP flows,
// and the TLS connection to the gateway with its HTTP/2 session. Bytes never enter JavaScript;
// JavaScript steers through the commands below (posted to the thread) and hears events
// (EventSink, batched) and reads the shared counters at any time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "counters.h"
#include "events.h"
#include "gateway_link.h"
#include "icmp_relay.h"
#include "loop.h"
#include "packet_output.h"
#include "packet_router.h"
#include "tcp_stack.h"
#include "tun_device.h"
#include "udp_flows.h"

namespace passerelle::client {

// The TUN side, attached once the session's addresses are known and assigned.
struct TunOptions {
  int tun_fd = -1;              // handed over: the data plane owns and closes it
  bool offloads = true;         // ask for TUN checksum offload and TSO when the device allows
  uint32_t address = 0;         // A
  uint32_t spare_address = 0;   // B
  uint32_t listeners = 4;
  uint64_t udp_idle_ms = 60000;
  size_t tun_batch = 64;        // packets per TUN read batch
};

class DataPlane final : public PacketOutput, public LinkListener, public core::IoHandler {
 public:
  // The loop and the gateway link, ready to connect (login comes before the TUN); Start()
  // runs the thread. Null with *error when the loop cannot be set up.
  static std::unique_ptr<DataPlane> Create(EventSink* sink, std::string* error);
  ~DataPlane() override;

  void Start();
  // Stops the thread and ends every flow; the TUN fd is closed.
  void Stop();

  // Takes the TUN (its fd is the data plane's from now on, even on failure), probes its
  // offloads and opens the listeners on A (assigned by then). Answered by a kTunAttached event
  // (text: an error, or empty).
  void AttachTun(const TunOptions& options);

  // Commands (any thread).
  void Connect(const LinkOptions& options);
  void Disconnect(const std::string& reason);
  void SetToken(const std::string& token);
  void RenewalFailed();
  void Request(uint64_t id, std::string method, std::string path, Headers headers, std::string body);
  void SetUdpIdle(uint64_t idle_ms);
  // Ends every flow now (disconnect: before logging out and undoing the routes).
  void CloseFlows();

  const core::Counters& counters() const { return counters_; }
  // Valid after kTunAttached (read on the JavaScript thread once the event arrived).
  std::string tun_description() const;
  std::vector<uint16_t> listener_ports() const;

  // PacketOutput
  void Send(uint8_t* packet, size_t length, bool keep_header) override;
  uint8_t* Scratch() override { return scratch_.get() + TunDevice::kHeadroom; }
  // LinkListener
  void OnLinkUp() override;
  void OnLinkDown(const std::string& reason, LinkFailure failure) override;
  void OnAuthRequired() override;
  void OnResponse(uint64_t id, int status, const Headers& headers, const std::string& body,
                  const std::string& error) override;
  // IoHandler: the TUN device.
  void OnIo(uint32_t events) override;

 private:
  explicit DataPlane(EventSink* sink);
  void Run();
  void Emit(ClientEvent&& event);
  std::string Attach(const TunOptions& options);

  TunOptions options_;
  EventSink* sink_;
  core::Counters counters_;
  core::EventLoop loop_;
  std::unique_ptr<TunDevice> tun_;
  core::EventLoop::Watch* tun_watch_ = nullptr;
  std::unique_ptr<uint8_t[]> scratch_;
  std::unique_ptr<GatewayLink> link_;
  std::unique_ptr<TcpStack> tcp_;
  std::unique_ptr<UdpFlows> udp_;
  std::unique_ptr<IcmpRelay> icmp_;
  std::unique_ptr<PacketRouter> router_;
  std::thread thread_;
  bool stopped_ = false;
  mutable std::mutex info_mutex_;
  std::string tun_description_;
  std::vector<uint16_t> listener_ports_;
};

}  // namespace passerelle::client
