// The kinds of HTTP/2 streams the gateway serves, each in its own file:
//   api_stream.cc   a JSON API call, read whole and sent up to the control plane
//   tunnel.cc       CONNECT admission (token, flow cap, target), then one of:
//   tcp_stream.cc   CONNECT host:port: a TCP connection to the target
//   udp_stream.cc   connect-udp: a connected UDP socket, datagrams in capsules
//   ip_stream.cc    connect-ip (ICMP): echo requests through the worker's ICMP socket
// (datagram_downlink.h: the capsules the last two queue towards the client)
#pragma once

#include <cstdint>
#include <memory>

#include "../admission/masque_path.h"
#include "../admission/tables.h"
#include "../admission/target.h"
#include "session.h"

namespace passerelle::gateway {

// Each returns the stream it adopted, or null when it answered at once (a refusal).
Stream* StartApiStream(Http2Front* front, int32_t id, std::unique_ptr<RequestHeaders> headers);
Stream* StartTunnel(Http2Front* front, int32_t id, const RequestHeaders& headers);

Stream* StartTcpStream(Http2Front* front, int32_t id, admission::Session* session,
                       const admission::Authority& target);
Stream* StartUdpStream(Http2Front* front, int32_t id, admission::Session* session,
                       const admission::MasqueTarget& target);
Stream* StartIpStream(Http2Front* front, int32_t id, admission::Session* session,
                      const admission::MasqueTarget& target);

}  // namespace passerelle::gateway
