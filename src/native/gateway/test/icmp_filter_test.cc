// The raw ICMP socket's kernel filter (flows/icmp_filter.h), with real sockets and real echoes
// on the loopback of a network namespace of the test's own (root only: raw sockets and
// unshare; skipped, and said, otherwise).
#include "../flows/icmp_filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "check.h"

namespace passerelle::gateway {
namespace {

// A private network namespace with its loopback up, for this thread (the test process ends
// with it): nothing is sent outside it.
bool EnterPrivateLoopback() {
  if (unshare(CLONE_NEWNET) != 0) return false;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct ifreq request = {};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = ioctl(fd, SIOCGIFFLAGS, &request) == 0;
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  up = up && ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  close(fd);
  return up;
}

int RawIcmp() { return socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP); }

void SendEcho(int fd, uint16_t identifier, uint16_t sequence) {
  uint8_t echo[16] = {8, 0, 0, 0, static_cast<uint8_t>(identifier >> 8),
                      static_cast<uint8_t>(identifier), static_cast<uint8_t>(sequence >> 8),
                      static_cast<uint8_t>(sequence)};
  uint32_t sum = 0;
  for (size_t i = 0; i < sizeof echo; i += 2) sum += (uint32_t{echo[i]} << 8) | echo[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  echo[2] = static_cast<uint8_t>(~sum >> 8);
  echo[3] = static_cast<uint8_t>(~sum);
  struct sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(fd, echo, sizeof echo, 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to);
}

// Every packet waiting on `fd` within `wait_ms`: how many, and whether all carried
// `identifier`.
int Drain(int fd, int wait_ms, uint16_t identifier, bool* all_ours) {
  int count = 0;
  *all_ours = true;
  struct pollfd p = {fd, POLLIN, 0};
  while (poll(&p, 1, wait_ms) == 1) {
    uint8_t packet[256];
    ssize_t got = recv(fd, packet, sizeof packet, 0);
    if (got < 0) break;
    size_t header = static_cast<size_t>(packet[0] & 0x0f) * 4;
    if (static_cast<size_t>(got) < header + 8) {
      *all_ours = false;
    } else {
      uint16_t id = static_cast<uint16_t>((packet[header + 4] << 8) | packet[header + 5]);
      if (id != identifier) *all_ours = false;
    }
    count++;
    wait_ms = 50;  // the rest of a burst comes at once
  }
  return count;
}

TEST(icmp_filter_lets_through_only_its_identifier) {
  if (geteuid() != 0 || !EnterPrivateLoopback()) {
    std::fprintf(stderr, "skipped: needs root (raw sockets, a network namespace)\n");
    return;
  }
  int first = RawIcmp();
  int second = RawIcmp();
  int sender = RawIcmp();
  CHECK(first >= 0 && second >= 0 && sender >= 0);
  CHECK(AttachIcmpIdentifierFilter(first, 0x1234));
  CHECK(AttachIcmpIdentifierFilter(second, 0x1235));

  // Five echoes with the first identifier: the first socket sees each request and its reply,
  // the second nothing; the unfiltered sender sees everything.
  for (uint16_t i = 0; i < 5; i++) SendEcho(sender, 0x1234, i);
  bool ours = false;
  CHECK_EQ(Drain(first, 500, 0x1234, &ours), 10);
  CHECK(ours);
  CHECK_EQ(Drain(second, 200, 0x1235, &ours), 0);
  // And the other way round, so neither filter is merely closed.
  for (uint16_t i = 0; i < 3; i++) SendEcho(sender, 0x1235, i);
  CHECK_EQ(Drain(second, 500, 0x1235, &ours), 6);
  CHECK(ours);
  CHECK_EQ(Drain(first, 200, 0x1234, &ours), 0);
  bool mixed = false;
  CHECK_EQ(Drain(sender, 200, 0x1234, &mixed), 16);
  CHECK(!mixed);  // both identifiers reached the unfiltered socket

  close(first);
  close(second);
  close(sender);
}

}  // namespace
}  // namespace passerelle::gateway
