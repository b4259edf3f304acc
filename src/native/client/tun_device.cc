#include "tun_device.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

namespace passerelle::client {

namespace {

constexpr size_t kVnetLength = sizeof(VnetHeader);
static_assert(kVnetLength <= TunDevice::kHeadroom, "the headroom holds a virtio-net header");
// The largest packet a read may return (an IPv4 datagram, or a GSO packet of that size).
constexpr size_t kMaxPacket = 65535;

}  // namespace

TunDevice::TunDevice(int fd, size_t buffer_size)
    : fd_(fd), buffer_size_(buffer_size), buffer_(new uint8_t[buffer_size]) {
  const int flags = fcntl(fd_, F_GETFL);
  if (flags >= 0) fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) close(fd_);
}

void TunDevice::Probe(bool allow_offloads) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  vnet_header_ = ioctl(fd_, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR) != 0;
  offloads_ = Offloads::kNone;
  if (!vnet_header_) return;
  int size = static_cast<int>(kVnetLength);
  ioctl(fd_, TUNSETVNETHDRSZ, &size);
  if (allow_offloads) {
    if (ioctl(fd_, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN) == 0) {
      offloads_ = Offloads::kChecksumAndTso;
      return;
    }
    if (ioctl(fd_, TUNSETOFFLOAD, TUN_F_CSUM) == 0) {
      offloads_ = Offloads::kChecksum;
      return;
    }
  }
  ioctl(fd_, TUNSETOFFLOAD, 0);
}

std::string TunDevice::description() const {
  if (!vnet_header_) return "no virtio-net header (plain packets, checksums in software)";
  switch (offloads_) {
    case Offloads::kChecksumAndTso:
      return "virtio-net header, checksum offload and TSO";
    case Offloads::kChecksum:
      return "virtio-net header, checksum offload";
    case Offloads::kNone:
      break;
  }
  return "virtio-net header, no offloads";
}

bool TunDevice::ReadBatch(TunVisitor* visitor, size_t max_packets, int* error) {
  // Packets go one after the other into the buffer, each at an 8-aligned offset with the
  // headroom in front; the batch ends when a maximal packet would no longer fit.
  size_t offset = 0;
  size_t count = 0;
  const size_t prefix = vnet_header_ ? kVnetLength : 0;
  while (count < max_packets && offset + kHeadroom + kMaxPacket <= buffer_size_) {
    uint8_t* slot = buffer_.get() + offset + kHeadroom - prefix;
    const ssize_t got = read(fd_, slot, prefix + kMaxPacket);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      *error = errno;
      return false;
    }
    count++;
    if (static_cast<size_t>(got) < prefix) continue;
    TunPacket packet{slot + prefix, static_cast<size_t>(got) - prefix,
                     vnet_header_ ? reinterpret_cast<VnetHeader*>(slot) : nullptr};
    visitor->OnTunPacket(packet);
    offset += (kHeadroom + packet.length + 7) & ~size_t{7};
  }
  return true;
}

bool TunDevice::Write(uint8_t* packet, size_t length, bool keep_header) {
  uint8_t* start = packet;
  size_t total = length;
  if (vnet_header_) {
    start = packet - kVnetLength;
    if (!keep_header) std::memset(start, 0, kVnetLength);
    total += kVnetLength;
  }
  for (;;) {
    const ssize_t written = write(fd_, start, total);
    if (written >= 0) return true;
    if (errno == EINTR) continue;
    last_write_error_ = errno;
    return false;
  }
}

int OpenTun(const std::string& name, bool vnet_header, std::string* actual_name, int* error,
            std::string* message) {
  const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    *message = errno == EACCES || errno == EPERM
                   ? "opening /dev/net/tun: permission denied (the device must be readable and "
                     "writable by this user; in a container, allow the device)"
                   : std::string("opening /dev/net/tun: ") + std::strerror(errno) +
                         " (load the tun module with `modprobe tun`)";
    return -1;
  }
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (vnet_header ? IFF_VNET_HDR : 0));
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    *error = errno;
    switch (errno) {
      case EPERM:
        *message = "creating TUN device " + name + ": operation not permitted (needs CAP_NET_ADMIN)";
        break;
      case EBUSY:
        *message = "creating TUN device " + name + ": the name is used by another process";
        break;
      case EINVAL:
        *message = "creating TUN device " + name + ": invalid name, or used by a non-TUN device";
        break;
      default:
        *message = "creating TUN device " + name + ": " + std::strerror(errno);
    }
    close(fd);
    return -1;
  }
  *actual_name = ifr.ifr_name;
  return fd;
}

}  // namespace passerelle::client
