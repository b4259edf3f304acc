// RFC 9209 Proxy-Status values the gateway uses, so clients can tell "policy said no" from
// "the target said no" without parsing prose.
export type ProxyError =
  | 'destination_ip_prohibited'
  | 'destination_ip_unroutable'
  | 'destination_not_found'
  | 'connection_refused'
  | 'connection_terminated'
  | 'connection_timeout'
  | 'connection_limit_reached'
  | 'dns_error'
  | 'proxy_internal_error'
  | 'http_request_error'
  | 'http_request_denied';

export const PROXY_NAME = 'passerelle';

export function proxyStatus(error: ProxyError, details?: string): string {
  const detail = details
    ? `; details=${JSON.stringify(details.replace(/[^\x20-\x7e]/g, '?'))}`
    : '';
  return `${PROXY_NAME}; error=${error}${detail}`;
}

/** Extracts the error token from a Proxy-Status header value, if any. */
export function parseProxyError(value: string | undefined): string | undefined {
  return value ? /error=([a-z_]+)/.exec(value)?.[1] : undefined;
}
