// The messages between the control plane (TypeScript) and the data plane, over the framing of
// wire.h. src/native/gateway-wire.ts holds the same numbers and field orders; a change here is
// a change there (test/unit/native/gateway-wire.test.ts runs the data plane's codec against
// the TypeScript one).
//
// Down (TypeScript → data plane), fields in order:
//   CONFIGURE     u16 version, str listen host, u16 listen port, u16 threads,
//                 u8 TLS minimum (12 or 13), bytes certificate PEM, bytes key PEM,
//                 u32 × kLimitCount limits (the Limit order below),
//                 kCannedCount canned answers (the Canned order): u16 status, u16 header
//                 count, (str name, str value)…, bytes body
//   SUBJECT       u32 handle, u32 name count, str names…, u32 rule count, rules…
//                   rule: u8 allow, i32 policy, u32 resource, u32 network, u32 mask,
//                         u8 protocols, u8 covers icmp, u16 port ranges, (u16 from, u16 to)…
//   SUBJECT_DROP  u32 handle
//   SESSION_ADD   u32 handle, u32 subject, 32 bytes token hash, u64 expires at (ms, epoch),
//                 u8 has intranet IP, u32 intranet IP
//   SESSION_DROP  u32 handle
//   API_RESPONSE  u64 request, u16 status, u16 header count, (str name, str value)…, bytes body,
//                 u8 authenticated (the request showed or created a session)
//   RESOLVED      u64 request, u8 ok, u32 address, str error (when not ok)
//   SHUTDOWN      (nothing)
//   RESERVED      u32 count, (u32 network, u32 mask, str kind)…: destinations an allow reaches
//                 only through a resource inside them (src/gateway/reserved.ts)
// Up (data plane → TypeScript):
//   READY         u16 port, u16 threads, str OpenSSL version, str nghttp2 version
//   CONFIGURED    u8 ok, str error
//   API_REQUEST   u64 request, str method, str path, u8 has authorization, str authorization,
//                 u8 has content type, str content type, bytes body, str source address
//   RESOLVE       u64 request, str host
//   EVENTS        u32 count, events… (u8 kind, then:)
//                   FLOW_OPEN   u32 session, u8 protocol
//                   FLOW_END    u32 session, u8 protocol, u8 verdict, u8 error, u8 opened,
//                               i32 policy, str resource, u32 destination, u8 prefix length,
//                               u16 port (0: none), u64 bytes up, u64 bytes down,
//                               u32 duration ms, str reserved kind ("" when none)
//                   COUNTER     u8 family, str kind, u32 delta
//                   SESSION_DROPPED u32 session (its flows' FLOW_END came before)
//                   GAUGE       str name, u64 value
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
  kReserved = 9,
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
  kGauge = 5,
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
  kConnectionLimitReached,
  kDnsError,
  kProxyInternalError,
  kHttpRequestError,
  kHttpRequestDenied,
};

const char* ProxyErrorToken(ProxyError error);

enum class CounterFamily : uint8_t {
  kMalformed = 1,  // passerelle_malformed_total{kind}
  kRefusedStreams = 2,  // passerelle_streams_refused_total{limit}
  kConnectionsRefused = 3,  // passerelle_connections_refused_total{limit}
  kConnectionsClosed = 4,  // passerelle_connections_closed_total{reason}
  kRequestsRefused = 5,  // passerelle_requests_refused_total{limit}
  kRequestsAbandoned = 6,  // passerelle_requests_abandoned_total (kind unused)
};

// The u32 limits of CONFIGURE, in this order (0: no limit, for the caps).
enum class Limit : uint8_t {
  kStreamsPerSession,
  kSessionMemoryBytes,  // per HTTP/2 connection
  kMaxRequestBodyBytes,
  kConnections,  // client connections overall
  kConnectionsPerSource,
  kUnauthenticatedConnections,  // connections before login, overall (past it: eviction)
  kUnauthenticatedConnectionsPerSource,
  kHandshakeTimeoutMs,
  kRequestTimeoutMs,  // a whole request, and a connection waiting for one
  kUnauthenticatedStreams,  // API requests at once before login, per connection
  kUnauthenticatedBytesPerConnection,  // request bytes held before login, per connection
  kUnauthenticatedBytes,  // the same, all connections together
  kFlowsTotal,  // target sockets overall
  kFlowsPerUser,
  kTcpConnectTimeoutMs,
  kUdpIdleTimeoutMs,
  kKeepaliveIntervalMs,
  kStreamWindowBytes,
  kConnectionWindowBytes,
  kCount,
};

inline constexpr size_t kLimitCount = static_cast<size_t>(Limit::kCount);

// Answers the control plane writes once (src/gateway/http/api.ts) and the data plane gives
// when a limit is met, in CONFIGURE's order.
enum class Canned : uint8_t {
  kPayloadTooLarge,  // 413
  kRequestTimeout,  // 408
  kTooManyRequests,  // 429: more than one connection may hold before login
  kBusy,  // 503: more than all connections together may hold before login
  kCount,
};

inline constexpr size_t kCannedCount = static_cast<size_t>(Canned::kCount);

}  // namespace passerelle::gateway::control
