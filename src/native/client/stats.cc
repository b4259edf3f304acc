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
      "latency-connect-up-ns",
      "latency-connect-up-count",
      "latency-connect-up-max-ns",
      "latency-connect-down-ns",
      "latency-connect-down-count",
      "latency-connect-down-max-ns",
      "latency-data-up-ns",
      "latency-data-up-count",
      "latency-data-up-max-ns",
      "latency-data-down-ns",
      "latency-data-down-count",
      "latency-data-down-max-ns",
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

void RecordLatency(core::Counters* counters, Stat first, uint64_t ns) {
  counters->Add(first, ns);
  counters->Add(static_cast<size_t>(first) + 1);
  // Only this thread writes: a read-compare-store is enough.
  if (ns > counters->Get(static_cast<size_t>(first) + 2)) counters->Set(static_cast<size_t>(first) + 2, ns);
}

}  // namespace passerelle::client
