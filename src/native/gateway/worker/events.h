// What a worker reports upward (docs/gateway-dataplane.md, "Events"): flows opened and ended,
// and counter increments. Encoded as they happen into the worker's buffer (no allocation per
// event once the buffer has grown), handed to the control thread once per loop turn.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../admission/policy.h"
#include "../control/messages.h"

namespace passerelle::gateway {

struct FlowEnd {
  uint32_t session = 0;
  admission::Protocol protocol = admission::Protocol::kTcp;
  control::Verdict verdict = control::Verdict::kAllow;
  control::ProxyError error = control::ProxyError::kNone;
  bool opened = false;  // FLOW_OPEN was sent for it (the active-flows gauge goes down)
  int32_t policy = -1;
  std::string_view resource;
  uint32_t destination = 0;
  uint8_t prefix = 32;  // < 32: a range (a connect-ip scope refused as a whole)
  uint16_t port = 0;  // 0: none (ICMP)
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  uint32_t duration_ms = 0;
  std::string_view reserved;  // the kind of a reserved destination a default deny refused
};

class Events {
 public:
  void FlowOpen(uint32_t session, admission::Protocol protocol);
  void FlowEnd(const FlowEnd& end);
  // `kind` is a string literal (kept by pointer until the batch is taken).
  void Count(control::CounterFamily family, const char* kind, uint32_t amount = 1);
  void Gauge(std::string_view name, uint64_t value);

  bool empty() const { return count_ == 0 && counters_.empty(); }
  // Moves the encoded events (counters last) into `out` and returns how many there were.
  uint32_t Take(std::vector<uint8_t>* out);

 private:
  struct Counter {
    control::CounterFamily family;
    const char* kind;
    uint32_t amount;
  };
  std::vector<uint8_t> buffer_;
  uint32_t count_ = 0;
  std::vector<Counter> counters_;
};

}  // namespace passerelle::gateway
