#include "events.h"

#include <cstring>

#include "../control/wire.h"

namespace passerelle::gateway {

using control::EventKind;
using control::Writer;

void Events::FlowOpen(uint32_t session, admission::Protocol protocol) {
  Writer w(&buffer_);
  w.u8(static_cast<uint8_t>(EventKind::kFlowOpen));
  w.u32(session);
  w.u8(static_cast<uint8_t>(protocol));
  count_++;
}

void Events::FlowEnd(const struct FlowEnd& end) {
  Writer w(&buffer_);
  w.u8(static_cast<uint8_t>(EventKind::kFlowEnd));
  w.u32(end.session);
  w.u8(static_cast<uint8_t>(end.protocol));
  w.u8(static_cast<uint8_t>(end.verdict));
  w.u8(static_cast<uint8_t>(end.error));
  w.u8(end.opened ? 1 : 0);
  w.i32(end.policy);
  w.str(end.resource);
  w.u32(end.destination);
  w.u8(end.prefix);
  w.u16(end.port);
  w.u64(end.bytes_up);
  w.u64(end.bytes_down);
  w.u32(end.duration_ms);
  w.str(end.reserved);
  count_++;
}

void Events::Gauge(std::string_view name, uint64_t value) {
  Writer w(&buffer_);
  w.u8(static_cast<uint8_t>(EventKind::kGauge));
  w.str(name);
  w.u64(value);
  count_++;
}

void Events::Count(control::CounterFamily family, const char* kind, uint32_t amount) {
  for (Counter& c : counters_) {
    if (c.family == family && (c.kind == kind || std::strcmp(c.kind, kind) == 0)) {
      c.amount += amount;
      return;
    }
  }
  counters_.push_back(Counter{family, kind, amount});
}

uint32_t Events::Take(std::vector<uint8_t>* out) {
  Writer w(&buffer_);
  for (const Counter& c : counters_) {
    w.u8(static_cast<uint8_t>(EventKind::kCounter));
    w.u8(static_cast<uint8_t>(c.family));
    w.str(c.kind);
    w.u32(c.amount);
  }
  uint32_t count = count_ + static_cast<uint32_t>(counters_.size());
  out->insert(out->end(), buffer_.begin(), buffer_.end());
  buffer_.clear();
  counters_.clear();
  count_ = 0;
  return count;
}

}  // namespace passerelle::gateway
