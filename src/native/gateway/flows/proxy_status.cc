#include "proxy_status.h"

namespace passerelle::gateway {

namespace control {

const char* ProxyErrorToken(ProxyError error) {
  switch (error) {
    case ProxyError::kNone: return "";
    case ProxyError::kDestinationIpProhibited: return "destination_ip_prohibited";
    case ProxyError::kDestinationIpUnroutable: return "destination_ip_unroutable";
    case ProxyError::kDestinationNotFound: return "destination_not_found";
    case ProxyError::kConnectionRefused: return "connection_refused";
    case ProxyError::kConnectionTerminated: return "connection_terminated";
    case ProxyError::kConnectionTimeout: return "connection_timeout";
    case ProxyError::kConnectionLimitReached: return "connection_limit_reached";
    case ProxyError::kDnsError: return "dns_error";
    case ProxyError::kProxyInternalError: return "proxy_internal_error";
    case ProxyError::kHttpRequestError: return "http_request_error";
    case ProxyError::kHttpRequestDenied: return "http_request_denied";
  }
  return "proxy_internal_error";
}

}  // namespace control

std::string ProxyStatus(control::ProxyError error, std::string_view details) {
  std::string value = "passerelle; error=";
  value += control::ProxyErrorToken(error);
  if (details.empty()) return value;
  // A quoted string (JSON.stringify of the printable text): no header injection, no CTLs.
  value += "; details=\"";
  for (char c : details) {
    if (c < 0x20 || c > 0x7e) c = '?';
    if (c == '"' || c == '\\') value += '\\';
    value += c;
  }
  value += '"';
  return value;
}

}  // namespace passerelle::gateway
