#include "stats.h"

namespace passerelle::client {

std::vector<std::string> StatNames() {
  std::vector<std::string> names = {
      "bytes-in",
      "bytes-out",
      "tcp-open",
      "udp-open",
      "icmp-open",
      "tcp-total",
      "udp-total",
      "icmp-total",
      "rtt-us",
      "tun-packets-in",
      "tun-packets-out",
      "ip-truncated",
      "ip-not-ipv4",
      "ip-bad-header-length",
      "ip-bad-total-length",
      "ip-bad-checksum",
      "ip-fragment",
      "ip-multicast-or-broadcast",
      "ip-unsupported-protocol",
      "tcp-truncated",
      "tcp-bad-header-length",
      "tcp-unknown-flow",
      "tcp-unknown-nat-port",
      "tcp-nat-ports-exhausted",
      "udp-truncated",
      "udp-bad-length",
      "udp-bad-checksum",
      "udp-no-gateway",
      "udp-bad-capsule",
      "udp-queue-full",
      "udp-too-many-flows",
      "udp-too-large",
      "icmp-truncated",
      "icmp-bad-checksum",
      "icmp-not-echo-request",
      "icmp-no-gateway",
      "icmp-bad-capsule",
      "icmp-bad-reply",
      "icmp-refused",
      "icmp-queue-full",
      "tun-write-failed",
      "tun-bad-vnet-header",
  };
  return names;
}

}  // namespace passerelle::client
