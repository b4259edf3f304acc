// RFC 9209 Proxy-Status values, formatted as src/shared/protocol/proxy-status.ts does:
//   passerelle; error=destination_ip_prohibited; details="not allowed by policy"
#pragma once

#include <string>
#include <string_view>

#include "../control/messages.h"

namespace passerelle::gateway {

std::string ProxyStatus(control::ProxyError error, std::string_view details);

}  // namespace passerelle::gateway
