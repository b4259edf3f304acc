#include "icmp_echo.h"

#include <arpa/inet.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../worker/worker.h"
#include "icmp_filter.h"

namespace passerelle::gateway {

namespace {

constexpr size_t kBufferSize = 65536;
constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kEchoRequest = 8;

uint16_t Checksum(const uint8_t* data, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (length & 1) sum += uint32_t{data[length - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

std::unique_ptr<IcmpEcho> IcmpEcho::Open(uint16_t identifier, std::string* error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd >= 0) {
    struct sockaddr_in bound = {};
    socklen_t length = sizeof bound;
    getsockname(fd, reinterpret_cast<struct sockaddr*>(&bound), &length);
    return std::unique_ptr<IcmpEcho>(new IcmpEcho(fd, false, ntohs(bound.sin_port)));
  }
  const int ping_error = errno;
  fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) {
    *error = std::string("no ICMP socket: ping sockets are not allowed (") +
             std::strerror(ping_error) +
             "; set net.ipv4.ping_group_range to include the gateway's group) and raw "
             "sockets need CAP_NET_RAW (" + std::strerror(errno) + ")";
    return nullptr;
  }
  // Only echo replies reach the socket (ICMP_FILTER lists the types to drop).
  struct icmp_filter filter = {~(1u << kEchoReply)};
  setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  // Should the kernel refuse the filter, OnIo still checks the identifier: what is lost is
  // only the saving in wake-ups.
  (void)AttachIcmpIdentifierFilter(fd, identifier);
  return std::unique_ptr<IcmpEcho>(new IcmpEcho(fd, true, identifier));
}

IcmpEcho::~IcmpEcho() {
  Detach();
  if (fd_ >= 0) ::close(fd_);
}

void IcmpEcho::Attach(Worker* worker) {
  worker_ = worker;
  buffer_.reset(new uint8_t[kBufferSize]);
  watch_ = worker->loop().Add(fd_, EPOLLIN, this);
}

void IcmpEcho::Detach() {
  if (worker_ == nullptr) return;
  if (watch_ != nullptr) worker_->loop().Remove(watch_);
  watch_ = nullptr;
  worker_->loop().Disarm(&sweep_timer_);
  worker_ = nullptr;
}

uint64_t IcmpEcho::Register(Listener* listener) {
  uint64_t owner = next_owner_++;
  owners_[owner] = Owner{listener, 0};
  return owner;
}

void IcmpEcho::Unregister(uint64_t owner) {
  // Its slots stay until reused or swept; replies to them find no owner and are dropped.
  owners_.erase(owner);
}

void IcmpEcho::Forget(Slot* slot) {
  auto it = owners_.find(slot->owner);
  if (it != owners_.end() && it->second.outstanding > 0) it->second.outstanding--;
  slot->owner = 0;
}

IcmpEcho::SendResult IcmpEcho::Send(uint64_t owner, uint32_t destination,
                                    uint32_t client_address, const uint8_t* message,
                                    size_t length) {
  auto it = owners_.find(owner);
  if (it == owners_.end() || length < 8 || length > kBufferSize) return SendResult::kFailed;
  if (it->second.outstanding >= kMaxPerOwner) return SendResult::kTooMany;
  if (slots_.empty()) {
    slots_.resize(kSlots);
    worker_->loop().Arm(&sweep_timer_, 5000);
  }
  const uint16_t ours = next_sequence_++;
  Slot& slot = slots_[ours % kSlots];
  if (slot.owner != 0) Forget(&slot);  // the oldest echo in this slot is given up
  slot.owner = owner;
  slot.deadline_ms = worker_->loop().Now() + kTimeoutMs;
  slot.destination = destination;
  slot.client_address = client_address;
  slot.identifier = static_cast<uint16_t>((message[4] << 8) | message[5]);
  slot.sequence = static_cast<uint16_t>((message[6] << 8) | message[7]);
  slot.ours = ours;
  it->second.outstanding++;

  uint8_t* out = buffer_.get();
  std::memcpy(out, message, length);
  out[0] = kEchoRequest;
  out[1] = 0;
  out[2] = out[3] = 0;
  // A ping socket writes its own identifier and checksum; a raw one sends what we write.
  out[4] = static_cast<uint8_t>(identifier_ >> 8);
  out[5] = static_cast<uint8_t>(identifier_);
  out[6] = static_cast<uint8_t>(ours >> 8);
  out[7] = static_cast<uint8_t>(ours);
  if (raw_) {
    uint16_t sum = Checksum(out, length);
    out[2] = static_cast<uint8_t>(sum >> 8);
    out[3] = static_cast<uint8_t>(sum);
  }
  struct sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(destination);
  if (sendto(fd_, out, length, 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to) < 0) {
    Forget(&slot);
    return SendResult::kFailed;
  }
  return SendResult::kSent;
}

void IcmpEcho::OnIo(uint32_t /*events*/) {
  // Bounded per turn: replies beyond wait for the next one.
  for (int i = 0; i < 64; i++) {
    struct sockaddr_in from = {};
    socklen_t from_length = sizeof from;
    ssize_t got = recvfrom(fd_, buffer_.get(), kBufferSize, 0,
                           reinterpret_cast<struct sockaddr*>(&from), &from_length);
    if (got < 0) return;
    const uint8_t* message = buffer_.get();
    size_t length = static_cast<size_t>(got);
    if (raw_) {
      // A raw socket hands over the IP header too.
      if (length < 20) continue;
      size_t header = static_cast<size_t>(message[0] & 0x0f) * 4;
      if (header < 20 || header > length) continue;
      message += header;
      length -= header;
    }
    if (length < 8 || message[0] != kEchoReply) continue;
    if (raw_ && static_cast<uint16_t>((message[4] << 8) | message[5]) != identifier_) continue;
    const uint16_t ours = static_cast<uint16_t>((message[6] << 8) | message[7]);
    if (slots_.empty()) continue;
    Slot& slot = slots_[ours % kSlots];
    const uint32_t source = ntohl(from.sin_addr.s_addr);
    if (slot.owner == 0 || slot.ours != ours || slot.destination != source) continue;
    auto it = owners_.find(slot.owner);
    Slot copy = slot;
    Forget(&slot);
    if (it == owners_.end()) continue;
    it->second.listener->OnEchoReply(source, copy.client_address, copy.identifier, copy.sequence,
                                     message + 8, length - 8);
  }
}

void IcmpEcho::Sweep() {
  const uint64_t now = worker_->loop().Now();
  for (Slot& slot : slots_) {
    if (slot.owner != 0 && slot.deadline_ms <= now) Forget(&slot);
  }
  worker_->loop().Arm(&sweep_timer_, 5000);
}

}  // namespace passerelle::gateway
