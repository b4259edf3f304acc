// What the control plane configured (CONFIGURE), as the workers use it. Immutable once made:
// a reload makes a new Settings and each worker swaps its pointer on its own thread, so a
// connection never sees half of an old and half of a new configuration.
#pragma once

#include <cstdint>
#include <memory>

#include "../control/messages.h"
#include "tls.h"
#include "upcall.h"

namespace passerelle::gateway {

struct Settings {
  uint32_t limits[control::kLimitCount] = {};
  std::shared_ptr<core::TlsContext> tls;
  ApiResponse canned[control::kCannedCount];

  uint32_t get(control::Limit limit) const { return limits[static_cast<size_t>(limit)]; }
  const ApiResponse& answer(control::Canned which) const {
    return canned[static_cast<size_t>(which)];
  }
};

}  // namespace passerelle::gateway
