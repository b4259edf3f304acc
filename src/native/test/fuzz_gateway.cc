// Fuzzes what comes from the gateway, end to end through the client's code: an in-process
// gateway (test_gateway.h) answers the client's real TCP, UDP and ICMP flows (tcp_stack.h,
// udp_flows.h, icmp_relay.h, over gateway_link.h) with what the input says: statuses and
// proxy-status values, DATA cut anywhere (capsules, IPv4 packets, bytes for applications),
// resets, GOAWAY, and raw bytes injected into the TLS stream (hostile HTTP/2 frames). The
// connection is kept across inputs and made again when an input ended it.
#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bytes.h"
#include "checksum.h"
#include "fake_tunnel.h"
#include "gateway_link.h"
#include "icmp_relay.h"
#include "packet.h"
#include "stats.h"
#include "tcp_stack.h"
#include "test_gateway.h"
#include "udp_flows.h"

using namespace passerelle;
using namespace passerelle::client;

namespace {

constexpr uint32_t kA = 0x7f000001;

// Runs turns without waiting (both ends are in this process: what is ready is ready now).
void Spin(core::EventLoop& loop, const std::function<bool()>& done, int timeout_ms) {
  const uint64_t deadline = core::EventLoop::MonotonicNs() + static_cast<uint64_t>(timeout_ms) * 1000000ull;
  while (!done() && core::EventLoop::MonotonicNs() < deadline) loop.RunOnce(0);
}

struct Listener : LinkListener {
  bool up = false;
  void OnLinkUp() override { up = true; }
  void OnLinkDown(const std::string&, LinkFailure) override { up = false; }
  void OnAuthRequired() override {}
  void OnResponse(uint64_t, int, const Headers&, const std::string&, const std::string&) override {}
};

struct World {
  core::EventLoop loop;
  core::Counters counters{StatNames()};
  testing::CaptureOutput output;
  Listener listener;
  testing::Identity identity = testing::MakeIdentity("gateway.test");
  testing::TestGateway gateway{&loop, identity};
  GatewayLink link{&loop, &counters, &listener};
  TcpStack tcp{&loop, &link, &output, &counters, Options()};
  UdpFlows udp{&loop, &link, &output, &counters, UdpFlows::Options{}};
  IcmpRelay icmp{&link, &output, &counters, kA};
  std::vector<int32_t> requests;
  uint16_t next_port = 20000;

  static TcpStack::Options Options() {
    TcpStack::Options options;
    options.address = kA;
    options.spare_address = 0xc0000008;
    options.listeners = 1;
    return options;
  }

  World() {
    signal(SIGPIPE, SIG_IGN);  // as in Node and the data-plane thread: EPIPE, not death
    std::string error;
    tcp.Listen(&error);
    loop.AddTurnEndHook([this] { link.Flush(); });
    gateway.on_request = [this](testing::TestGateway&, int32_t id, testing::TestGateway::Stream&) {
      requests.push_back(id);
    };
  }

  void Connect() {
    if (link.up() && gateway.connected()) return;
    LinkOptions options;
    options.address = 0x7f000001;
    options.port = gateway.port();
    std::memcpy(options.pin, identity.sha256, 32);
    options.authority = "gateway.test";
    link.Connect(options);
    Spin(loop, [this] { return listener.up && gateway.connected(); }, 2000);
    link.SetToken("token");
  }

  void Inject(const std::vector<uint8_t>& packet) {
    testing::TunBuffer buffer(packet);
    TunPacket p = buffer.packet();
    core::Ipv4Header ip;
    if (core::ParseIpv4(p.data, p.length, &ip) != core::PacketError::kNone) return;
    if (ip.protocol == core::kProtocolTcp) {
      core::TcpHeader h;
      if (core::ParseTcp(p.data, ip, &h) == core::PacketError::kNone) tcp.OnPacket(p, ip, h);
    } else if (ip.protocol == core::kProtocolUdp) {
      core::UdpHeader h;
      if (core::ParseUdp(p.data, ip, true, &h) == core::PacketError::kNone) udp.OnPacket(p, ip, h);
    } else {
      icmp.OnEchoRequest(p, ip);
    }
  }

  void OpenFlows() {
    const uint16_t port = next_port++;
    if (next_port > 60000) next_port = 20000;
    std::vector<uint8_t> syn(40, 0);
    syn[0] = 0x45;
    core::Store16(&syn[2], 40);
    syn[8] = 64;
    syn[9] = core::kProtocolTcp;
    core::Store32(&syn[12], kA);
    core::Store32(&syn[16], 0xc612000a);
    core::Store16(&syn[10], core::InternetChecksum(syn.data(), 20));
    core::Store16(&syn[20], port);
    core::Store16(&syn[22], 80);
    syn[32] = 5 << 4;
    syn[33] = core::kTcpSyn;
    Inject(syn);
    std::vector<uint8_t> datagram(28 + 5);
    core::BuildUdpPacket(kA, port, 0xc6120035, 53, reinterpret_cast<const uint8_t*>("query"), 5,
                         datagram.data(), datagram.size());
    Inject(datagram);
    std::vector<uint8_t> echo(28 + 4);
    core::BuildIcmpEcho(core::kIcmpEchoRequest, kA, 0xc612000a, 1, 1, reinterpret_cast<const uint8_t*>("ping"), 4,
                        echo.data(), echo.size());
    Inject(echo);
  }
};

World* world = nullptr;


struct Input {
  const uint8_t* data;
  size_t size;
  size_t at = 0;
  bool empty() const { return at >= size; }
  uint8_t Byte() { return at < size ? data[at++] : 0; }
  std::string Bytes(size_t n) {
    if (n > size - at) n = size - at;
    std::string out(reinterpret_cast<const char*>(data + at), n);
    at += n;
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (world == nullptr) world = new World();
  World& w = *world;
  w.Connect();
  w.requests.clear();
  w.OpenFlows();
  Spin(w.loop, [&] { return w.requests.size() >= 2; }, 200);
  Input input{data, size};
  while (!input.empty() && !w.requests.empty()) {
    const int32_t id = w.requests[input.Byte() % w.requests.size()];
    switch (input.Byte() % 6) {
      case 0: {
        const int status = (input.Byte() << 8 | input.Byte()) % 600;
        testing::HeaderList extra;
        if (input.Byte() & 1) extra.emplace_back("proxy-status", input.Bytes(input.Byte() % 64));
        w.gateway.Respond(id, status < 100 ? 200 : status, extra, input.Byte() & 1);
        break;
      }
      case 1: {
        const size_t length = input.Byte() * 4;
        w.gateway.SendData(id, input.Bytes(length), input.Byte() % 8 == 0);
        break;
      }
      case 2:
        w.gateway.Reset(id, input.Byte() % 14);
        break;
      case 3:
        w.gateway.InjectRaw(input.Bytes(input.Byte()));
        break;
      case 4:
        if (input.Byte() == 0x47) w.gateway.Goaway();
        break;
      default:
        break;
    }
    w.loop.RunOnce(0);
  }
  for (int i = 0; i < 3; i++) w.loop.RunOnce(0);
  // Every flow ends, so that nothing accumulates from one input to the next.
  w.tcp.EndFlows();
  w.udp.CloseAll();
  w.icmp.Close();
  w.output.packets.clear();
  w.output.kept_header.clear();
  // And the gateway ends what is left of them, as a real one does (idle timeouts, resets).
  for (auto& [id, stream] : w.gateway.streams)
    if (!stream.closed) w.gateway.Reset(id, NGHTTP2_CANCEL);
  for (int i = 0; i < 3; i++) w.loop.RunOnce(0);
  for (auto it = w.gateway.streams.begin(); it != w.gateway.streams.end();)
    it = it->second.closed ? w.gateway.streams.erase(it) : std::next(it);
  return 0;
}
