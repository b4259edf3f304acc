// The virtio-net header a TUN device with IFF_VNET_HDR puts in front of every packet (Linux
// include/uapi/linux/virtio_net.h, struct virtio_net_hdr; that header cannot be included from
// C++: it has a field named `class`). Fields are in host byte order (tun's default).
#pragma once

#include <cstdint>

namespace passerelle::client {

struct VnetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t header_length;
  uint16_t gso_size;
  uint16_t checksum_start;
  uint16_t checksum_offset;
};
static_assert(sizeof(VnetHeader) == 10, "struct virtio_net_hdr is 10 bytes");

constexpr uint8_t kVnetNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kGsoNone = 0;            // VIRTIO_NET_HDR_GSO_NONE
constexpr uint8_t kGsoTcpV4 = 1;           // VIRTIO_NET_HDR_GSO_TCPV4
constexpr uint8_t kGsoEcn = 0x80;          // VIRTIO_NET_HDR_GSO_ECN

}  // namespace passerelle::client
