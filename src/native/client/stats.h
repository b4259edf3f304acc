// The client data plane's shared counters (core/counters.h): what `passerelle` prints on
// SIGUSR1 and the desktop app shows. One slot per figure; drops by reason, named as the
// TypeScript engine named them.
#pragma once

#include <string>
#include <vector>

#include "counters.h"

namespace passerelle::client {

enum Stat : size_t {
  kBytesIn,
  kBytesOut,
  kTcpOpen,
  kUdpOpen,
  kIcmpOpen,
  kTcpTotal,
  kUdpTotal,
  kIcmpTotal,
  kRttMicros,  // last PING round trip; 0 before the first
  kTunPacketsIn,
  kTunPacketsOut,
  kFirstDrop,
  // Drops, by reason.
  kDropIpTruncated = kFirstDrop,
  kDropIpNotIpv4,
  kDropIpBadHeaderLength,
  kDropIpBadTotalLength,
  kDropIpBadChecksum,
  kDropIpFragment,
  kDropIpMulticastOrBroadcast,
  kDropIpUnsupportedProtocol,
  kDropTcpTruncated,
  kDropTcpBadHeaderLength,
  kDropTcpUnknownFlow,
  kDropTcpUnknownNatPort,
  kDropTcpNatPortsExhausted,
  kDropUdpTruncated,
  kDropUdpBadLength,
  kDropUdpBadChecksum,
  kDropUdpNoGateway,
  kDropUdpBadCapsule,
  kDropUdpQueueFull,
  kDropUdpTooManyFlows,
  kDropUdpTooLarge,
  kDropIcmpTruncated,
  kDropIcmpBadChecksum,
  kDropIcmpNotEchoRequest,
  kDropIcmpNoGateway,
  kDropIcmpBadCapsule,
  kDropIcmpBadReply,
  kDropIcmpRefused,
  kDropIcmpQueueFull,
  kDropTunWriteFailed,
  kDropTunBadVnetHeader,
  kStatCount,
};

// The names, in Stat order ("bytes-in", …, "ip-fragment", …).
std::vector<std::string> StatNames();

}  // namespace passerelle::client
