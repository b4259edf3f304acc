// The HTTP/1.1 front on the tunnel port (ALPN http/1.1 or none): the JSON API, and CONNECT
// for TCP so that an ordinary HTTPS-proxy client (curl --proxy https://gateway --proxytunnel)
// reaches allowed TCP resources (docs/protocol.md). UDP and ICMP need HTTP/2.
#pragma once

#include <memory>

#include "../worker/connection.h"

namespace passerelle::gateway {

std::unique_ptr<Front> MakeHttp1Front(Connection* connection);

}  // namespace passerelle::gateway
