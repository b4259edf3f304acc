// In-memory doubles for the client's packet-side tests: a Tunnel that records what was opened
// and lets the test answer, and a PacketOutput that keeps what would go to the TUN.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "packet_output.h"
#include "tun_device.h"
#include "tunnel.h"

namespace testing {

using passerelle::client::ByteStream;
using passerelle::client::ByteStreamPeer;
using passerelle::client::DatagramPeer;
using passerelle::client::DatagramStream;
using passerelle::client::PacketOutput;
using passerelle::client::Refusal;
using passerelle::client::Tunnel;

struct FakeByteStream : ByteStream {
  ByteStreamPeer* peer;
  uint32_t address;
  uint16_t port;
  int resumed = 0;
  size_t consumed = 0;
  bool aborted = false;
  bool detached = false;
  FakeByteStream(ByteStreamPeer* p, uint32_t a, uint16_t q) : peer(p), address(a), port(q) {}
  void ResumeSending() override { resumed++; }
  void Consumed(size_t length) override { consumed += length; }
  void Abort() override { aborted = true; }
  void Detach() override { detached = true; }
  bool gone() const { return aborted || detached; }
};

struct FakeDatagramStream : DatagramStream {
  DatagramPeer* peer;
  uint32_t address;
  uint16_t port;
  bool icmp;
  std::vector<std::string> sent;
  bool closed = false;
  bool full = false;
  FakeDatagramStream(DatagramPeer* p, uint32_t a, uint16_t q, bool i) : peer(p), address(a), port(q), icmp(i) {}
  bool Send(const uint8_t* payload, size_t length) override {
    if (full) return false;
    sent.emplace_back(reinterpret_cast<const char*>(payload), length);
    return true;
  }
  void Close() override { closed = true; }
};

struct FakeTunnel : Tunnel {
  bool available = true;
  std::vector<std::unique_ptr<FakeByteStream>> tcp;
  std::vector<std::unique_ptr<FakeDatagramStream>> datagrams;
  ByteStream* OpenTcp(uint32_t address, uint16_t port, ByteStreamPeer* peer) override {
    if (!available) return nullptr;
    tcp.push_back(std::make_unique<FakeByteStream>(peer, address, port));
    return tcp.back().get();
  }
  DatagramStream* OpenUdp(uint32_t address, uint16_t port, DatagramPeer* peer) override {
    if (!available) return nullptr;
    datagrams.push_back(std::make_unique<FakeDatagramStream>(peer, address, port, false));
    return datagrams.back().get();
  }
  DatagramStream* OpenIcmp(DatagramPeer* peer) override {
    if (!available) return nullptr;
    datagrams.push_back(std::make_unique<FakeDatagramStream>(peer, 0, 0, true));
    return datagrams.back().get();
  }
};

struct CaptureOutput : PacketOutput {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<bool> kept_header;
  std::vector<uint8_t> scratch = std::vector<uint8_t>(passerelle::client::TunDevice::kHeadroom + kScratchSize);
  void Send(uint8_t* packet, size_t length, bool keep_header) override {
    packets.emplace_back(packet, packet + length);
    kept_header.push_back(keep_header);
  }
  uint8_t* Scratch() override { return scratch.data() + passerelle::client::TunDevice::kHeadroom; }
};

// A packet as the TUN would hand it over: headroom in front (where a virtio-net header goes).
struct TunBuffer {
  std::vector<uint8_t> bytes;
  passerelle::client::VnetHeader* vnet = nullptr;
  explicit TunBuffer(const std::vector<uint8_t>& packet)
      : bytes(passerelle::client::TunDevice::kHeadroom + packet.size()) {
    std::memcpy(bytes.data() + passerelle::client::TunDevice::kHeadroom, packet.data(), packet.size());
  }
  passerelle::client::TunPacket packet() {
    return passerelle::client::TunPacket{bytes.data() + passerelle::client::TunDevice::kHeadroom,
                                         bytes.size() - passerelle::client::TunDevice::kHeadroom, vnet};
  }
  // Marks the packet as the kernel hands it with checksum offload: partial TCP/UDP checksum.
  void Offloaded(uint16_t checksum_start, uint16_t checksum_offset) {
    vnet = reinterpret_cast<passerelle::client::VnetHeader*>(
        bytes.data() + passerelle::client::TunDevice::kHeadroom - sizeof(passerelle::client::VnetHeader));
    std::memset(vnet, 0, sizeof(*vnet));
    vnet->flags = passerelle::client::kVnetNeedsChecksum;
    vnet->checksum_start = checksum_start;
    vnet->checksum_offset = checksum_offset;
  }
};

}  // namespace testing

#include "loop.h"

namespace testing {

// Runs the loop until `output` holds `count` packets or `timeout_ms` passed.
inline bool RunUntilPacket(passerelle::core::EventLoop& loop, const CaptureOutput& output, size_t count,
                           int timeout_ms) {
  const uint64_t deadline = passerelle::core::EventLoop::MonotonicNs() + static_cast<uint64_t>(timeout_ms) * 1000000ull;
  while (output.packets.size() < count && passerelle::core::EventLoop::MonotonicNs() < deadline)
    loop.RunOnce(20);
  return output.packets.size() >= count;
}

}  // namespace testing
