// The TUN device as the client data plane uses it (wireguard-go tun/, Linux): a file
// descriptor handed in by whoever holds the privilege to create it (the engine today, the
// privileged helper tomorrow), read in batches into one buffer, written one packet at a time.
//
// Offloads: when the device was opened with IFF_VNET_HDR, every packet carries a
// virtio_net_hdr. Probe() then asks for checksum offload and TSO (TUNSETOFFLOAD), falling back
// to checksum offload alone, then to none. With checksum offload the local stack hands over
// TCP/UDP packets with a partial checksum (the pseudo-header sum only) and accepts them back
// that way: nobody sums the payload, in either direction (csum_partial was 6 % of the engine's
// CPU). Without IFF_VNET_HDR the device works the plain way.
//
// Promises:
// - ReadBatch() reads until EAGAIN or the batch is full, each packet into the same buffer, and
//   hands each to the visitor with kHeadroom writable bytes in front of it (where its
//   virtio_net_hdr sits), so the visitor may rewrite it in place and Write() it back.
// - Write() needs kHeadroom writable bytes before `packet`: builders put packets at
//   kHeadroom in their buffers. No allocation per packet.
// - The fd is owned and closed by the device.
#pragma once

#include "vnet_header.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace passerelle::client {

struct TunPacket {
  uint8_t* data;
  size_t length;
  // The packet's virtio_net_hdr (in front of `data`), or null on a device without one.
  VnetHeader* vnet;

  bool partial_checksum() const {
    return vnet != nullptr && (vnet->flags & kVnetNeedsChecksum) != 0;
  }
};

class TunVisitor {
 public:
  virtual ~TunVisitor() = default;
  virtual void OnTunPacket(TunPacket& packet) = 0;
};

class TunDevice {
 public:
  static constexpr size_t kHeadroom = 16;  // ≥ sizeof(virtio_net_hdr), 8-aligned
  enum class Offloads : uint8_t { kNone, kChecksum, kChecksumAndTso };

  // Takes ownership of `fd` (made non-blocking here).
  explicit TunDevice(int fd, size_t buffer_size = 1 << 20);
  ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  // Finds out whether the device has IFF_VNET_HDR and sets the best offloads it accepts;
  // `allow_offloads` false asks for none (measurements, or a kernel that misbehaves).
  void Probe(bool allow_offloads);
  bool vnet_header() const { return vnet_header_; }
  Offloads offloads() const { return offloads_; }
  std::string description() const;
  int fd() const { return fd_; }

  // Returns false on a read error other than EAGAIN (errno kept in *error): the device is
  // gone (EBADFD after `ip link del`) or broken.
  bool ReadBatch(TunVisitor* visitor, size_t max_packets, int* error);
  // `keep_header`: the packet was read from this device and its virtio_net_hdr (in front of
  // it) still describes it; otherwise a zero header (complete checksums, no GSO) is written.
  // False when the kernel refused the packet (errno kept in last_write_error()).
  bool Write(uint8_t* packet, size_t length, bool keep_header);
  int last_write_error() const { return last_write_error_; }

 private:
  int fd_;
  bool vnet_header_ = false;
  Offloads offloads_ = Offloads::kNone;
  size_t buffer_size_;
  std::unique_ptr<uint8_t[]> buffer_;
  int last_write_error_ = 0;
};

// Opens /dev/net/tun as `name` (IFF_TUN | IFF_NO_PI, and IFF_VNET_HDR when asked); the
// privileged step. Returns the fd, or -1 with *error set (errno) and *message saying what to do.
int OpenTun(const std::string& name, bool vnet_header, std::string* actual_name, int* error,
            std::string* message);

}  // namespace passerelle::client
