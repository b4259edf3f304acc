// The messages between the control plane (TypeScript) and the data plane, over the framing of
// wire.h. src/native/gateway-wire.ts holds the same numbers and field orders; a change here is
// a change there (test/unit/native/gateway-wire.test.ts runs the data plane's codec against
// the TypeScript one).
//
// Down (TypeScript → data plane), fields in order:
//   CONFIGURE     u16 version, str listen host, u16 listen port, u16 threads,
//                 u8 TLS minimum (12 or 13), bytes certificate PEM, bytes key PEM,
//                 u32 × kLimitCount limits (the Limit order below)
//   SUBJECT       u32 handle, u32 name count, str names…, u32 rule count, rules…
//                   rule: u8 allow, i32 policy, u32 resource, u32 network, u32 mask,
//                         u8 protocols, u8 covers icmp, u16 port ranges, (u16 from, u16 to)…,
//                         u16 excluded, (u32 network, u32 mask)…
//   SUBJECT_DROP  u32 handle
//   SESSION_ADD   u32 handle, u32 subject, 32 bytes token hash, u64 expires at (ms, epoch),
//                 u8 has intranet IP, u32 intranet IP
//   SESSION_DROP  u32 handle
//   API_RESPONSE  u64 request, u16 status, u16 header count, (str name, str value)…, bytes body
//   RESOLVED      u64 request, u8 ok, u32 address, str error (when not ok)
//   SHUTDOWN      (nothing)
// Up (data plane → TypeScript):
//   READY         u16 port, u16 threads, str OpenSSL version, str nghttp2 version
//   CONFIGURED    u8 ok, str error
//   API_REQUEST   u64 request, str method, str path, u8 has authorization, str authorization,
//                 u8 has content type, str content type, bytes body, str source address
//   RESOLVE       u64 request, str host
//   EVENTS        u32 count, events… (u8 kind, then:)
//                   FLOW_OPEN   u32 session, u8 protocol
//                   FLOW_END    u32 session, u8 protocol, u8 verdict, u8 error, u8 opened,
//                               i32 policy, str resource, u32 destination, u16 port (0: none),
//                               u64 bytes up, u64 bytes down, u32 duration ms
//                   COUNTER     u8 family, str kind, u32 delta
//                   SESSION_DROPPED u32 session (its flows' FLOW_END came before)
//   FATAL         str message (the data plane exits after it)
#pragma once

#include <cstdint>

namespace passerelle::gateway::control {

inline constexpr uint16_t kProtocolVersion = 1;

enum class Down : uint8_t {
  kConfigure = 1,
  kSubject = 2,
  kSubjectDrop = 3,
  kSessionAdd = 4,
  kSessionDrop = 5,
  kApiResponse = 6,
  kResolved = 7,
  kShutdown = 8,
};

enum class Up : uint8_t {
  kReady = 101,
  kConfigured = 102,
  kApiRequest = 103,
  kResolve = 104,
  kEvents = 105,
  kFatal = 106,
};

enum class EventKind : uint8_t {
  kFlowOpen = 1,
  kFlowEnd = 2,
  kCounter = 3,
  kSessionDropped = 4,
};

enum class Verdict : uint8_t { kAllow = 0, kDeny = 1, kError = 2 };

// RFC 9209 proxy-status error tokens, in src/shared/protocol/proxy-status.ts's order.
enum class ProxyError : uint8_t {
  kNone = 0,
  kDestinationIpProhibited,
  kDestinationIpUnroutable,
  kDestinationNotFound,
  kConnectionRefused,
  kConnectionTerminated,
  kConnectionTimeout,
  kDnsError,
  kProxyInternalError,
  kHttpRequestError,
};

const char* ProxyErrorToken(ProxyError error);

enum class CounterFamily : uint8_t {
  kMalformed = 1,  // passerelle_malformed_total{kind}
  kRefusedStreams = 2,  // passerelle_streams_refused_total{limit}
  kRefusedConnections = 3,  // passerelle_connections_refused_total{limit}
};

// The u32 limits of CONFIGURE, in this order.
enum class Limit : uint8_t {
  kStreamsPerSession,
  kSessionMemoryBytes,  // per HTTP/2 connection
  kMaxRequestBodyBytes,
  kConnectionsTotal,
  kConnectionsPerSource,
  kHandshakeTimeoutMs,
  kRequestTimeoutMs,
  kUnauthenticatedStreams,  // API streams open at once on one HTTP/2 connection
  kUnauthenticatedBytes,  // API request bytes buffered on one connection
  kDescriptorsTotal,
  kDescriptorsPerUser,
  kTcpConnectTimeoutMs,
  kUdpIdleTimeoutMs,
  kKeepaliveIntervalMs,
  kStreamWindowBytes,
  kConnectionWindowBytes,
  kCount,
};

inline constexpr size_t kLimitCount = static_cast<size_t>(Limit::kCount);

}  // namespace passerelle::gateway::control
