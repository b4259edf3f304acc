// The HTTP/2 front (ALPN h2): one nghttp2 server session per connection, whose streams are
// JSON API calls (sent up to the control plane) or tunnels: CONNECT for TCP, extended CONNECT
// for connect-udp and connect-ip (docs/protocol.md). Multiplexing, flow control and framing
// are nghttp2's; this front routes streams and moves their bytes.
#pragma once

#include <memory>

#include "../worker/connection.h"

namespace passerelle::gateway {

std::unique_ptr<Front> MakeHttp2Front(Connection* connection);

}  // namespace passerelle::gateway
