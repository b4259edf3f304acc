// CONNECT admission on HTTP/2, before anything is opened: a valid token (407 otherwise), a
// place under the session's flow cap (429), then the kind of tunnel from :protocol and its
// target from :authority or :path (400 when malformed, 501 when not served).
#include <string>

#include "../admission/bearer.h"
#include "../flows/proxy_status.h"
#include "../worker/worker.h"
#include "streams.h"

namespace passerelle::gateway {

using control::CounterFamily;
using control::Limit;
using control::ProxyError;

namespace {

// authorization, else proxy-authorization (what HTTPS-proxy clients send); a header sent
// twice is no token at all.
std::string_view BearerToken(const RequestHeaders& h) {
  if (h.authorization_count > 0) {
    return h.authorization_count == 1 ? admission::parse_bearer(h.authorization)
                                      : std::string_view();
  }
  if (h.proxy_authorization_count == 1) return admission::parse_bearer(h.proxy_authorization);
  return {};
}

}  // namespace

Stream* StartTunnel(Http2Front* front, int32_t id, const RequestHeaders& headers) {
  Worker& worker = front->worker();
  const Settings& settings = worker.settings();
  admission::Session* session = worker.tables().Authenticate(BearerToken(headers), Worker::wall_ms());
  if (session == nullptr) {
    front->Refuse(id, 407, static_cast<uint8_t>(ProxyError::kHttpRequestError),
                  "no valid bearer token",
                  {{"proxy-authenticate", "Bearer realm=\"passerelle\""}});
    return nullptr;
  }
  // A valid session: the connection has logged in (the front door counts it out of the caps
  // before login).
  front->connection().MarkAuthenticated();
  const uint32_t cap = settings.get(Limit::kStreamsPerSession);
  if (session->shared->flows.load(std::memory_order_relaxed) >= static_cast<int32_t>(cap)) {
    worker.events().Count(CounterFamily::kRefusedStreams, "streams-per-session");
    front->Refuse(id, 429, static_cast<uint8_t>(ProxyError::kProxyInternalError),
                  "at most " + std::to_string(cap) + " flows per session");
    return nullptr;
  }
  if (headers.protocol.empty()) {
    admission::Authority target;
    if (!admission::parse_authority(headers.authority, &target)) {
      worker.events().Count(CounterFamily::kMalformed, "authority");
      front->Refuse(id, 400, static_cast<uint8_t>(ProxyError::kHttpRequestError),
                    "CONNECT needs :authority host:port");
      return nullptr;
    }
    return StartTcpStream(front, id, session, target);
  }
  const bool udp = headers.protocol == "connect-udp";
  if (!udp && headers.protocol != "connect-ip") {
    front->Refuse(id, 501, static_cast<uint8_t>(ProxyError::kHttpRequestError),
                  "unsupported :protocol " + headers.protocol.substr(0, 40));
    return nullptr;
  }
  admission::MasqueTarget target = admission::parse_masque_path(udp, headers.path);
  if (target.kind == admission::MasqueKind::kInvalid) {
    worker.events().Count(CounterFamily::kMalformed, "masque-path");
    front->Refuse(id, 400, static_cast<uint8_t>(ProxyError::kHttpRequestError), target.reason);
    return nullptr;
  }
  return udp ? StartUdpStream(front, id, session, target)
             : StartIpStream(front, id, session, target);
}

}  // namespace passerelle::gateway
