// UDP flows, the ICMP relay and the packet router (client/udp_flows.h, icmp_relay.h,
// packet_router.h) with an in-memory tunnel: datagrams up and back, refusals as ICMP errors,
// the 407 case, bounds, idle timeouts, replies that are not ours, and hostile packets counted
// by reason.
#include <memory>
#include <string>
#include <vector>

#include "bytes.h"
#include "check.h"
#include "checksum.h"
#include "fake_tunnel.h"
#include "icmp_relay.h"
#include "packet.h"
#include "packet_router.h"
#include "stats.h"
#include "tcp_stack.h"
#include "test_gateway.h"
#include "udp_flows.h"

using namespace passerelle;
using namespace passerelle::client;
using namespace testing;

namespace {

constexpr uint32_t kA = 0x64400002;    // 100.64.0.2
constexpr uint32_t kDns = 0xc6120035;  // 198.18.0.53
constexpr uint32_t kWeb = 0xc612000a;

std::vector<uint8_t> Udp(uint16_t source_port, uint32_t destination, uint16_t port, const std::string& payload) {
  std::vector<uint8_t> p(28 + payload.size());
  core::BuildUdpPacket(kA, source_port, destination, port, reinterpret_cast<const uint8_t*>(payload.data()),
                       payload.size(), p.data(), p.size());
  return p;
}

std::vector<uint8_t> Echo(uint8_t type, uint32_t source, uint32_t destination, const std::string& data) {
  std::vector<uint8_t> p(28 + data.size());
  core::BuildIcmpEcho(type, source, destination, 7, 1, reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                      p.data(), p.size());
  return p;
}

struct Fixture {
  core::EventLoop loop;
  core::Counters counters{StatNames()};
  FakeTunnel tunnel;
  CaptureOutput output;
  TcpStack tcp{&loop, &tunnel, &output, &counters, TcpStack::Options{}};
  UdpFlows udp{&loop, &tunnel, &output, &counters, UdpFlows::Options{200, 3}};
  IcmpRelay icmp{&tunnel, &output, &counters, kA};
  PacketRouter router{&tcp, &udp, &icmp, &counters};

  ~Fixture() { loop.RunOnce(0); }

  void Route(const std::vector<uint8_t>& packet, bool offloaded = false) {
    TunBuffer buffer(packet);
    if (offloaded) buffer.Offloaded(20, 6);
    TunPacket p = buffer.packet();
    router.OnTunPacket(p);
  }
};

}  // namespace

TEST(udp_datagrams_go_up_before_the_answer_and_come_back_as_packets) {
  Fixture f;
  f.Route(Udp(5353, kDns, 53, "query-1"));
  f.Route(Udp(5353, kDns, 53, "query-2"));
  CHECK_EQ(f.tunnel.datagrams.size(), 1u);  // one stream per flow
  auto& stream = *f.tunnel.datagrams[0];
  CHECK_EQ(stream.address, kDns);
  CHECK_EQ(stream.port, 53);
  CHECK(stream.sent.size() == 2 && stream.sent[0] == "query-1");
  stream.peer->OnDatagram(reinterpret_cast<const uint8_t*>("answer"), 6);
  CHECK_EQ(f.output.packets.size(), 1u);
  const auto& p = f.output.packets[0];
  core::Ipv4Header ip;
  core::UdpHeader udp;
  CHECK_EQ(core::ParseIpv4(p.data(), p.size(), &ip), core::PacketError::kNone);
  CHECK_EQ(core::ParseUdp(p.data(), ip, true, &udp), core::PacketError::kNone);  // checksum valid
  CHECK_EQ(ip.source, kDns);
  CHECK_EQ(ip.destination, kA);
  CHECK_EQ(udp.source_port, 53);
  CHECK_EQ(udp.destination_port, 5353);
  CHECK(std::string(p.begin() + 28, p.end()) == "answer");
  CHECK_EQ(f.counters.Get(kUdpOpen), 1u);
  CHECK_EQ(f.counters.Get(kBytesOut), 14u);
  CHECK_EQ(f.counters.Get(kBytesIn), 6u);
  // An offloaded datagram (partial checksum) is not verified.
  auto offloaded = Udp(5353, kDns, 53, "query-3");
  core::Store16(&offloaded[26], 0x1234);
  f.Route(offloaded, true);
  CHECK_EQ(stream.sent.size(), 3u);
}

TEST(udp_refusals_become_icmp_errors_except_for_an_ended_session) {
  Fixture f;
  f.Route(Udp(1000, kDns, 53, "a"));
  f.tunnel.datagrams[0]->peer->OnRefused(Refusal::kProhibited, 403);
  core::Ipv4Header ip;
  core::IcmpHeader icmp;
  CHECK_EQ(f.output.packets.size(), 1u);
  CHECK_EQ(core::ParseIpv4(f.output.packets[0].data(), f.output.packets[0].size(), &ip), core::PacketError::kNone);
  CHECK_EQ(core::ParseIcmp(f.output.packets[0].data(), ip, &icmp), core::PacketError::kNone);
  CHECK_EQ(icmp.code, core::kUnreachableProhibited);
  f.Route(Udp(1001, kDns, 53, "b"));
  f.tunnel.datagrams[1]->peer->OnRefused(Refusal::kRefused, 502);
  CHECK_EQ(core::ParseIpv4(f.output.packets[1].data(), f.output.packets[1].size(), &ip), core::PacketError::kNone);
  CHECK_EQ(core::ParseIcmp(f.output.packets[1].data(), ip, &icmp), core::PacketError::kNone);
  CHECK_EQ(icmp.code, core::kUnreachablePort);
  f.Route(Udp(1002, kDns, 53, "c"));
  f.tunnel.datagrams[2]->peer->OnRefused(Refusal::kAuthRequired, 407);
  CHECK_EQ(f.output.packets.size(), 2u);  // nothing for a 407: the retry goes through later
  f.loop.RunOnce(0);
  CHECK_EQ(f.udp.flows(), 0u);
  CHECK_EQ(f.counters.Get(kUdpOpen), 0u);
}

TEST(udp_flows_are_bounded_and_time_out_when_idle) {
  Fixture f;  // at most 3 flows, 200 ms idle
  for (uint16_t port = 2000; port < 2005; port++) f.Route(Udp(port, kDns, 53, "x"));
  CHECK_EQ(f.udp.flows(), 3u);
  CHECK_EQ(f.counters.Get(kDropUdpTooManyFlows), 2u);
  f.tunnel.datagrams[0]->full = true;
  f.Route(Udp(2000, kDns, 53, "y"));
  CHECK_EQ(f.counters.Get(kDropUdpQueueFull), 1u);
  CHECK(RunUntil(f.loop, [&] { return f.udp.flows() == 0; }, 2000));
  for (auto& stream : f.tunnel.datagrams) CHECK(stream->closed);
  f.tunnel.available = false;  // reconnecting
  f.Route(Udp(2009, kDns, 53, "z"));
  CHECK_EQ(f.counters.Get(kDropUdpNoGateway), 1u);
}

TEST(udp_malformed_capsules_end_the_flow) {
  Fixture f;
  f.Route(Udp(3000, kDns, 53, "x"));
  f.tunnel.datagrams[0]->peer->OnMalformed();
  CHECK_EQ(f.counters.Get(kDropUdpBadCapsule), 1u);
  f.loop.RunOnce(0);
  CHECK_EQ(f.udp.flows(), 0u);
}

TEST(icmp_echo_goes_up_whole_and_only_our_replies_come_back) {
  Fixture f;
  const auto request = Echo(core::kIcmpEchoRequest, kA, kWeb, "ping-data");
  f.Route(request);
  CHECK_EQ(f.tunnel.datagrams.size(), 1u);
  CHECK(f.tunnel.datagrams[0]->icmp);
  CHECK(f.tunnel.datagrams[0]->sent[0] == std::string(request.begin(), request.end()));
  DatagramPeer* peer = f.tunnel.datagrams[0]->peer;
  const auto reply = Echo(core::kIcmpEchoReply, kWeb, kA, "ping-data");
  peer->OnDatagram(reply.data(), reply.size());
  CHECK_EQ(f.output.packets.size(), 1u);
  CHECK(f.output.packets[0] == reply);
  const auto not_ours = Echo(core::kIcmpEchoReply, kWeb, kA + 1, "x");
  peer->OnDatagram(not_ours.data(), not_ours.size());
  const auto request_back = Echo(core::kIcmpEchoRequest, kWeb, kA, "x");
  peer->OnDatagram(request_back.data(), request_back.size());
  peer->OnDatagram(reinterpret_cast<const uint8_t*>("garbage"), 7);
  auto corrupt = reply;
  corrupt[30] ^= 1;
  peer->OnDatagram(corrupt.data(), corrupt.size());
  CHECK_EQ(f.output.packets.size(), 1u);
  CHECK_EQ(f.counters.Get(kDropIcmpBadReply), 4u);
  // A second request uses the same stream.
  f.Route(request);
  CHECK_EQ(f.tunnel.datagrams.size(), 1u);
  peer->OnRefused(Refusal::kProhibited, 403);
  CHECK_EQ(f.counters.Get(kDropIcmpRefused), 1u);
  f.Route(request);  // a new stream after the refusal
  CHECK_EQ(f.tunnel.datagrams.size(), 2u);
}

TEST(router_counts_hostile_packets_by_reason) {
  Fixture f;
  auto fragment = Udp(4000, kDns, 53, "frag");
  core::Store16(&fragment[6], 0x2000);
  core::Store16(&fragment[10], 0);
  core::Store16(&fragment[10], core::InternetChecksum(fragment.data(), 20));
  f.Route(fragment);
  CHECK_EQ(f.counters.Get(kDropIpFragment), 1u);
  auto gre = Udp(4000, kDns, 53, "gre");
  gre[9] = 47;
  core::Store16(&gre[10], 0);
  core::Store16(&gre[10], core::InternetChecksum(gre.data(), 20));
  f.Route(gre);
  CHECK_EQ(f.counters.Get(kDropIpUnsupportedProtocol), 1u);
  f.Route(Echo(13, kA, kWeb, "timestamp"));
  CHECK_EQ(f.counters.Get(kDropIcmpNotEchoRequest), 1u);
  f.Route(Udp(4001, 0xe0000001, 5353, "mdns"));
  CHECK_EQ(f.counters.Get(kDropIpMulticastOrBroadcast), 1u);
  f.Route(Udp(4002, 0xffffffff, 67, "dhcp"));
  CHECK_EQ(f.counters.Get(kDropIpMulticastOrBroadcast), 2u);
  auto bad_udp = Udp(4003, kDns, 53, "checksum");
  bad_udp[30] ^= 0xff;
  f.Route(bad_udp);
  CHECK_EQ(f.counters.Get(kDropUdpBadChecksum), 1u);
  f.Route(std::vector<uint8_t>{0x45, 0, 0});
  CHECK_EQ(f.counters.Get(kDropIpTruncated), 1u);
  f.Route(std::vector<uint8_t>(40, 0x60));
  CHECK_EQ(f.counters.Get(kDropIpNotIpv4), 1u);
  auto short_tcp = Udp(4004, kWeb, 80, "");
  short_tcp[9] = core::kProtocolTcp;
  core::Store16(&short_tcp[10], 0);
  core::Store16(&short_tcp[10], core::InternetChecksum(short_tcp.data(), 20));
  f.Route(short_tcp);  // 8 bytes of "TCP"
  CHECK_EQ(f.counters.Get(kDropTcpTruncated), 1u);
  // An offload header that does not describe the packet.
  TunBuffer mismatched(Udp(4005, kDns, 53, "x"));
  mismatched.Offloaded(20, 16);  // TCP's checksum position on a UDP packet
  TunPacket p = mismatched.packet();
  f.router.OnTunPacket(p);
  CHECK_EQ(f.counters.Get(kDropTunBadVnetHeader), 1u);
  CHECK_EQ(f.tunnel.datagrams.size(), 0u);  // none of these opened anything
  CHECK_EQ(f.counters.Get(kTunPacketsIn), 10u);
}
