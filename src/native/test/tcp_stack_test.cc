// TCP termination (client/tcp_stack.h) with an in-memory tunnel: the held SYN, refusals as RST
// or ICMP, NAT rewriting both ways with correct checksums (complete and offloaded), unknown
// segments, port reuse, applications that give up (probe, reset), the NAT table's order.
#include <arpa/inet.h>

#include <memory>
#include <vector>

#include "bytes.h"
#include "check.h"
#include "checksum.h"
#include "fake_tunnel.h"
#include "nat_table.h"
#include "packet.h"
#include "stats.h"
#include "tcp_flow.h"
#include "tcp_stack.h"

using namespace passerelle;
using namespace passerelle::client;
using namespace testing;

namespace {

constexpr uint32_t kA = 0x7f000001;       // A: the listeners bind here (loopback, for the test)
constexpr uint32_t kB = 0xc0000008;       // B, 192.0.0.8
constexpr uint32_t kServer = 0xc612000a;  // D, 198.18.0.10

std::vector<uint8_t> Segment(uint32_t source, uint16_t source_port, uint32_t destination,
                             uint16_t destination_port, uint8_t flags, uint32_t sequence = 1000,
                             uint32_t ack = 0, size_t payload = 0) {
  std::vector<uint8_t> p(40 + payload, 0);
  p[0] = 0x45;
  core::Store16(&p[2], static_cast<uint16_t>(p.size()));
  core::Store16(&p[6], 0x4000);
  p[8] = 64;
  p[9] = core::kProtocolTcp;
  core::Store32(&p[12], source);
  core::Store32(&p[16], destination);
  core::Store16(&p[10], core::InternetChecksum(p.data(), 20));
  uint8_t* t = &p[20];
  core::Store16(t, source_port);
  core::Store16(t + 2, destination_port);
  core::Store32(t + 4, sequence);
  core::Store32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  core::Store16(t + 14, 65535);
  for (size_t i = 0; i < payload; i++) t[20 + i] = static_cast<uint8_t>(i);
  core::Store16(t + 16, core::InternetChecksum(t, 20 + payload,
                                               core::PseudoHeaderSum(source, destination, core::kProtocolTcp,
                                                                     static_cast<uint16_t>(20 + payload))));
  return p;
}

struct Parsed {
  core::Ipv4Header ip;
  core::TcpHeader tcp;
  core::IcmpHeader icmp;
  bool checksums_ok = false;
};

Parsed Parse(const std::vector<uint8_t>& p) {
  Parsed r;
  if (core::ParseIpv4(p.data(), p.size(), &r.ip) != core::PacketError::kNone) return r;
  if (r.ip.protocol == core::kProtocolTcp) {
    core::ParseTcp(p.data(), r.ip, &r.tcp);
    r.checksums_ok = core::IsChecksumValid(p.data() + r.ip.header_length, r.ip.payload_length(),
                                           core::PseudoHeaderSum(r.ip.source, r.ip.destination, r.ip.protocol,
                                                                 static_cast<uint16_t>(r.ip.payload_length())));
  } else if (r.ip.protocol == core::kProtocolIcmp) {
    r.checksums_ok = core::ParseIcmp(p.data(), r.ip, &r.icmp) == core::PacketError::kNone;
  }
  return r;
}

struct Fixture {
  core::EventLoop loop;
  core::Counters counters{StatNames()};
  FakeTunnel tunnel;
  CaptureOutput output;
  TcpStack stack;

  Fixture() : stack(&loop, &tunnel, &output, &counters, Options()) {
    std::string error;
    CHECK(stack.Listen(&error));
  }
  // What flows left for the end of the turn (freeing themselves) happens before they go.
  ~Fixture() { loop.RunOnce(0); }
  static TcpStack::Options Options() {
    TcpStack::Options options;
    options.address = kA;
    options.spare_address = kB;
    options.listeners = 2;
    return options;
  }
  void Inject(const std::vector<uint8_t>& packet) {
    TunBuffer buffer(packet);
    TunPacket p = buffer.packet();
    core::Ipv4Header ip;
    core::TcpHeader tcp;
    CHECK(core::ParseIpv4(p.data, p.length, &ip) == core::PacketError::kNone);
    CHECK(core::ParseTcp(p.data, ip, &tcp) == core::PacketError::kNone);
    stack.OnPacket(p, ip, tcp);
  }
  ByteStreamPeer* peer(size_t i = 0) { return tunnel.tcp[i]->peer; }
};

}  // namespace

TEST(nat_table_hands_out_pairs_least_recently_released_first) {
  struct Dummy {};
  NatTable<Dummy> nat(2);
  CHECK_EQ(nat.capacity(), 2 * kNatPorts);
  const uint32_t a = nat.Take(), b = nat.Take(), c = nat.Take();
  CHECK_EQ(NatTable<Dummy>::ListenerOf(a), 0u);
  CHECK_EQ(NatTable<Dummy>::ListenerOf(b), 1u);  // interleaved listeners
  CHECK_EQ(NatTable<Dummy>::PortOf(a), kFirstNatPort);
  CHECK_EQ(NatTable<Dummy>::PortOf(c), kFirstNatPort + 1);
  nat.Release(a);
  // `a` comes back only after every other pair was used.
  for (uint32_t i = 0; i < nat.capacity() - 3; i++) CHECK(nat.Take() != a);
  CHECK_EQ(nat.Take(), a);
  CHECK_EQ(nat.Take(), NatTable<Dummy>::kNoSlot);
  CHECK_EQ(nat.SlotOf(0, kFirstNatPort - 1), NatTable<Dummy>::kNoSlot);
  CHECK_EQ(nat.SlotOf(2, kFirstNatPort), NatTable<Dummy>::kNoSlot);
  CHECK_EQ(nat.SlotOf(1, static_cast<uint16_t>(kFirstNatPort + kNatPorts)), NatTable<Dummy>::kNoSlot);
  CHECK_EQ(nat.SlotOf(1, kFirstNatPort + 5), kNatPorts + 5);
}

TEST(a_syn_is_held_until_the_target_accepted_then_rewritten_to_the_listener) {
  Fixture f;
  f.Inject(Segment(kA, 40000, kServer, 80, core::kTcpSyn));
  CHECK_EQ(f.output.packets.size(), 0u);  // held
  CHECK_EQ(f.tunnel.tcp.size(), 1u);
  CHECK_EQ(f.tunnel.tcp[0]->address, kServer);
  CHECK_EQ(f.tunnel.tcp[0]->port, 80);
  CHECK_EQ(f.counters.Get(kTcpOpen), 1u);
  f.peer()->OnOpened();
  CHECK_EQ(f.output.packets.size(), 1u);
  const Parsed syn = Parse(f.output.packets[0]);
  CHECK_EQ(syn.ip.source, kB);
  CHECK_EQ(syn.ip.destination, kA);
  CHECK_EQ(syn.tcp.source_port, kFirstNatPort);
  CHECK(syn.tcp.destination_port == f.stack.listener_ports()[0]);
  CHECK(syn.tcp.syn());
  CHECK(syn.checksums_ok);
  // The listener's SYN-ACK comes back as from the server.
  f.Inject(Segment(kA, f.stack.listener_ports()[0], kB, kFirstNatPort, core::kTcpSyn | core::kTcpAck, 5000, 1001));
  const Parsed synack = Parse(f.output.packets[1]);
  CHECK_EQ(synack.ip.source, kServer);
  CHECK_EQ(synack.tcp.source_port, 80);
  CHECK_EQ(synack.ip.destination, kA);
  CHECK_EQ(synack.tcp.destination_port, 40000);
  CHECK(synack.checksums_ok);
  // A retransmitted SYN while open is forwarded, as any segment of the flow.
  f.Inject(Segment(kA, 40000, kServer, 80, core::kTcpAck, 1001, 5001, 100));
  CHECK(Parse(f.output.packets[2]).checksums_ok);
  CHECK_EQ(Parse(f.output.packets[2]).tcp.payload_length, 100u);
}

TEST(offloaded_packets_keep_a_partial_checksum) {
  Fixture f;
  f.Inject(Segment(kA, 40001, kServer, 80, core::kTcpSyn));
  f.peer()->OnOpened();
  auto data = Segment(kA, 40001, kServer, 80, core::kTcpAck, 1001, 1, 500);
  // What the kernel hands over with checksum offload: the pseudo-header sum only.
  core::Store16(&data[36], core::PseudoHeaderSum(kA, kServer, core::kProtocolTcp, 520));
  TunBuffer buffer(data);
  buffer.Offloaded(20, 16);
  TunPacket p = buffer.packet();
  core::Ipv4Header ip;
  core::TcpHeader tcp;
  core::ParseIpv4(p.data, p.length, &ip);
  core::ParseTcp(p.data, ip, &tcp);
  f.stack.OnPacket(p, ip, tcp);
  CHECK_EQ(f.output.packets.size(), 2u);
  CHECK(f.output.kept_header[1]);  // written back with its offload header
  auto out = f.output.packets[1];
  CHECK_EQ(core::Load16(&out[36]), core::PseudoHeaderSum(kB, kA, core::kProtocolTcp, 520));
  CHECK(core::CompleteChecksum(out.data(), out.size(), 20, 16));
  CHECK(Parse(out).checksums_ok);
}

TEST(refusals_become_resets_or_icmp_unreachable_at_once) {
  Fixture f;
  f.Inject(Segment(kA, 40002, kServer, 80, core::kTcpSyn, 777));
  f.peer(0)->OnRefused(Refusal::kRefused);
  const Parsed reset = Parse(f.output.packets.back());
  CHECK_EQ(reset.tcp.flags, core::kTcpRst | core::kTcpAck);
  CHECK_EQ(reset.tcp.acknowledgment, 778u);
  CHECK_EQ(reset.ip.source, kServer);
  f.Inject(Segment(kA, 40003, kServer, 80, core::kTcpSyn));
  f.peer(1)->OnRefused(Refusal::kUnreachable);
  const Parsed icmp = Parse(f.output.packets.back());
  CHECK_EQ(icmp.ip.protocol, core::kProtocolIcmp);
  CHECK_EQ(icmp.icmp.type, core::kIcmpUnreachable);
  CHECK_EQ(icmp.icmp.code, core::kUnreachableHost);
  CHECK_EQ(icmp.ip.source, kServer);
  // No gateway (reconnecting): unreachable without asking anyone.
  f.tunnel.available = false;
  f.Inject(Segment(kA, 40004, kServer, 80, core::kTcpSyn));
  CHECK_EQ(Parse(f.output.packets.back()).icmp.type, core::kIcmpUnreachable);
  f.loop.RunOnce(0);
  CHECK_EQ(f.counters.Get(kTcpOpen), 0u);
  CHECK_EQ(f.counters.Get(kTcpTotal), 3u);
  CHECK_EQ(f.stack.flows(), 0u);
  CHECK_EQ(f.stack.free_slots(), 2 * kNatPorts);  // refused pairs come back at once
}

TEST(segments_of_unknown_flows_are_reset_and_counted) {
  Fixture f;
  f.Inject(Segment(kA, 40005, kServer, 80, core::kTcpAck, 1, 99));
  CHECK_EQ(f.output.packets.size(), 1u);
  CHECK_EQ(Parse(f.output.packets[0]).tcp.flags, core::kTcpRst);
  CHECK_EQ(Parse(f.output.packets[0]).tcp.sequence, 99u);
  f.Inject(Segment(kA, 40005, kServer, 80, core::kTcpRst, 1));
  CHECK_EQ(f.output.packets.size(), 1u);  // a reset is never answered
  CHECK_EQ(f.counters.Get(kDropTcpUnknownFlow), 2u);
  f.Inject(Segment(kA, f.stack.listener_ports()[1], kB, 12345, core::kTcpAck));
  CHECK_EQ(f.counters.Get(kDropTcpUnknownNatPort), 1u);
  f.Inject(Segment(kA, 9, kB, 12345, core::kTcpAck));  // not a listener's port
  CHECK_EQ(f.counters.Get(kDropTcpUnknownNatPort), 2u);
}

TEST(an_application_reset_cancels_the_held_connect) {
  Fixture f;
  f.Inject(Segment(kA, 40006, kServer, 80, core::kTcpSyn));
  f.Inject(Segment(kA, 40006, kServer, 80, core::kTcpRst, 1001));
  CHECK(f.tunnel.tcp[0]->aborted);  // RST_STREAM CANCEL: the gateway stops connecting
  f.loop.RunOnce(0);
  CHECK_EQ(f.stack.flows(), 0u);
  CHECK_EQ(f.counters.Get(kTcpOpen), 0u);
}

TEST(a_silent_application_is_probed_and_abandoned_at_its_reset) {
  Fixture f;
  f.Inject(Segment(kA, 40007, kServer, 80, core::kTcpSyn, 4242));
  const uint64_t start = core::EventLoop::MonotonicNs();
  CHECK(RunUntilPacket(f.loop, f.output, 1, 3000));
  CHECK((core::EventLoop::MonotonicNs() - start) / 1000000 >= 1400);  // after 1.5 s of silence
  const Parsed probe = Parse(f.output.packets[0]);
  CHECK_EQ(probe.tcp.flags, core::kTcpAck);
  CHECK_EQ(probe.tcp.acknowledgment, 4243u);
  CHECK_EQ(probe.ip.source, kServer);
  CHECK(!f.tunnel.tcp[0]->gone());
  // The application's kernel has no such socket any more: it resets.
  f.Inject(Segment(kA, 40007, kServer, 80, core::kTcpRst, 4243));
  CHECK(f.tunnel.tcp[0]->aborted);
}

TEST(a_new_syn_from_the_same_port_replaces_the_held_one) {
  Fixture f;
  f.Inject(Segment(kA, 40008, kServer, 80, core::kTcpSyn, 100));
  f.Inject(Segment(kA, 40008, kServer, 80, core::kTcpSyn, 900));  // another connection
  f.peer()->OnOpened();
  CHECK_EQ(Parse(f.output.packets.back()).tcp.sequence, 900u);
  CHECK_EQ(f.tunnel.tcp.size(), 1u);
}

TEST(a_port_reused_right_after_a_close_is_a_new_flow) {
  Fixture f;
  f.Inject(Segment(kA, 40009, kServer, 80, core::kTcpSyn));
  f.peer(0)->OnOpened();
  const Parsed released = Parse(f.output.packets.back());
  const uint32_t first = (released.tcp.destination_port << 16) | released.tcp.source_port;
  // Ends the flow (its mapping lingers): here, the application's reset.
  f.Inject(Segment(kA, 40009, kServer, 80, core::kTcpRst, 1001));
  f.Inject(Segment(kA, 40009, kServer, 80, core::kTcpSyn, 5555));
  CHECK_EQ(f.tunnel.tcp.size(), 2u);
  f.peer(1)->OnOpened();
  const Parsed again = Parse(f.output.packets.back());
  const uint32_t second = (again.tcp.destination_port << 16) | again.tcp.source_port;
  CHECK(first != second);  // a fresh (listener, NAT port) pair
  // The old mapping still carries the listener's last packets.
  f.Inject(Segment(kA, released.tcp.destination_port, kB, released.tcp.source_port, core::kTcpAck | core::kTcpFin));
  CHECK_EQ(Parse(f.output.packets.back()).tcp.destination_port, 40009);
}

TEST(an_answer_after_the_application_left_is_reaped_at_its_reset) {
  Fixture f;
  f.Inject(Segment(kA, 40010, kServer, 80, core::kTcpSyn));
  f.peer()->OnOpened();
  // The application's kernel resets the listener's SYN-ACK: the reset goes to the listener,
  // and the stream is cancelled.
  f.Inject(Segment(kA, 40010, kServer, 80, core::kTcpRst, 1001));
  CHECK_EQ(Parse(f.output.packets.back()).ip.destination, kA);
  CHECK(f.tunnel.tcp[0]->aborted);
  CHECK_EQ(f.counters.Get(kTcpOpen), 0u);
}

TEST(close_all_answers_pending_flows) {
  Fixture f;
  f.Inject(Segment(kA, 40011, kServer, 80, core::kTcpSyn));
  f.Inject(Segment(kA, 40012, kServer, 80, core::kTcpSyn));
  f.peer(1)->OnOpened();
  f.stack.CloseAll();
  f.loop.RunOnce(0);
  CHECK_EQ(f.counters.Get(kTcpOpen), 0u);
  CHECK(f.tunnel.tcp[0]->detached && f.tunnel.tcp[1]->detached);
}
