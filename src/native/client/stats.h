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
  // The engine's part of a connection, each way, as time in this thread from the wake-up that
  // brought the event to the bytes handed to the kernel (ns: total, count, largest):
  // connect-up: an application's SYN → its CONNECT written to the gateway connection;
  // connect-down: the gateway's answer → the SYN written to the TUN;
  // data-up: a flow's first bytes from the application → written to the gateway connection;
  // data-down: a flow's first bytes from the gateway → written to the application's socket.
  kLatencyConnectUpNs,
  kLatencyConnectUpCount,
  kLatencyConnectUpMaxNs,
  kLatencyConnectDownNs,
  kLatencyConnectDownCount,
  kLatencyConnectDownMaxNs,
  kLatencyDataUpNs,
  kLatencyDataUpCount,
  kLatencyDataUpMaxNs,
  kLatencyDataDownNs,
  kLatencyDataDownCount,
  kLatencyDataDownMaxNs,
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

// Adds one latency sample to the (total, count, largest) triple starting at `first`.
void RecordLatency(core::Counters* counters, Stat first, uint64_t ns);

}  // namespace passerelle::client
