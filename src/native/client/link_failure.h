// Why the connection to the gateway failed or ended, as a class: TypeScript turns it into the
// words a user reads (FailureCause, src/main/engine/types.ts) and decides with it (a changed
// certificate is decided again); the reason text beside it is for the log.
#pragma once

#include <errno.h>

#include <cstdint>

namespace passerelle::client {

enum class LinkFailure : uint8_t {
  kOther,
  kRefused,             // nothing listens on the gateway's port
  kTimedOut,            // no answer within the connect timeout
  kNetworkUnreachable,  // no route to the gateway
  kConnectionReset,     // cut while being set up or used
  kTlsFailed,           // the handshake failed, or no HTTP/2
  kCertificateChanged,  // the TLS peer is not the pinned leaf: TypeScript decides again
  kKeepaliveLost,       // PINGs went unanswered
  kGatewayClosed,       // the gateway ended the connection (GOAWAY)
};

// The name JavaScript sees (src/native/client.ts, LinkFailure).
inline const char* LinkFailureName(LinkFailure failure) {
  switch (failure) {
    case LinkFailure::kRefused:
      return "refused";
    case LinkFailure::kTimedOut:
      return "timed-out";
    case LinkFailure::kNetworkUnreachable:
      return "network-unreachable";
    case LinkFailure::kConnectionReset:
      return "connection-reset";
    case LinkFailure::kTlsFailed:
      return "tls-failed";
    case LinkFailure::kCertificateChanged:
      return "certificate-changed";
    case LinkFailure::kKeepaliveLost:
      return "keepalive-lost";
    case LinkFailure::kGatewayClosed:
      return "gateway-closed";
    case LinkFailure::kOther:
      break;
  }
  return "other";
}

// A failed connect() (its errno, or SO_ERROR) as a class.
inline LinkFailure LinkFailureOfErrno(int error) {
  switch (error) {
    case ECONNREFUSED:
      return LinkFailure::kRefused;
    case ETIMEDOUT:
      return LinkFailure::kTimedOut;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
      return LinkFailure::kNetworkUnreachable;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      return LinkFailure::kConnectionReset;
    default:
      return LinkFailure::kOther;
  }
}

}  // namespace passerelle::client
