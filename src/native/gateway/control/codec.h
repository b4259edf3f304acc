// Decoding what the control plane sends (messages.h) into the data plane's own types, apart
// from the control thread so that it is tested alone (test/wire_test.cc checks it against
// bytes the TypeScript encoder produces).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "../admission/policy.h"
#include "../worker/settings.h"
#include "../worker/upcall.h"
#include "messages.h"
#include "wire.h"

namespace passerelle::gateway {

// What CONFIGURE carries.
struct Configure {
  std::string listen_host;
  uint16_t listen_port = 0;
  uint16_t threads = 0;
  int tls_min_version = 12;
  std::string certificate_pem;
  std::string key_pem;
  uint32_t limits[control::kLimitCount] = {};
  ApiResponse canned[control::kCannedCount];
};

bool DecodeConfigure(control::Reader* reader, Configure* out);
// Settings (with a TLS context) from a CONFIGURE; null with `*error`.
std::shared_ptr<const Settings> MakeSettings(const Configure& configure, std::string* error);
// The rule set of a SUBJECT (after its handle).
bool DecodeRules(control::Reader* reader, admission::RuleSet* set);
// The blocks of a RESERVED.
bool DecodeReserved(control::Reader* reader, admission::ReservedList* list);

}  // namespace passerelle::gateway
