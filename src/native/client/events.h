// What the client data plane tells JavaScript, batched by core/bridge.h (one call per loop
// turn at most): the gateway connection up or down, a session to renew, API answers, the TUN
// device gone, log lines.
#pragma once

#include <cstdint>
#include <string>

#include "gateway_link.h"

namespace passerelle::client {

struct ClientEvent {
  enum class Type : uint8_t { kLinkUp, kLinkDown, kAuthRequired, kResponse, kTunAttached, kTunError, kLog };
  Type type;
  uint64_t id = 0;   // kResponse: the request's id
  int status = 0;    // kResponse: the HTTP status (0 on error)
  LinkFailure failure = LinkFailure::kOther;  // kLinkDown
  std::string text;  // reason, error or log message (kTunAttached: an error, or empty)
  std::string body;  // kResponse
  Headers headers;   // kResponse
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(ClientEvent&& event) = 0;
  // End of a loop turn.
  virtual void Flush() = 0;
};

}  // namespace passerelle::client
