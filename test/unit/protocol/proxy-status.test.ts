import { describe, expect, it } from 'vitest';
import {
  PROXY_NAME,
  parseProxyError,
  proxyStatus,
} from '../../../src/shared/protocol/proxy-status.js';

describe('Proxy-Status (RFC 9209)', () => {
  it('names the proxy and the error token', () => {
    expect(PROXY_NAME).toBe('passerelle');
    expect(proxyStatus('destination_ip_prohibited')).toBe(
      'passerelle; error=destination_ip_prohibited',
    );
    expect(proxyStatus('connection_timeout', '')).toBe('passerelle; error=connection_timeout');
  });

  it('adds details as a quoted structured-field string', () => {
    expect(proxyStatus('connection_refused', '198.18.0.10:8001: ECONNREFUSED')).toBe(
      'passerelle; error=connection_refused; details="198.18.0.10:8001: ECONNREFUSED"',
    );
    // Quotes and backslashes are escaped; anything outside printable ASCII becomes "?".
    expect(proxyStatus('dns_error', 'say "hi" \\ bye')).toBe(
      'passerelle; error=dns_error; details="say \\"hi\\" \\\\ bye"',
    );
    expect(proxyStatus('http_request_error', 'caf\u00e9\r\nx: y\u0000')).toBe(
      'passerelle; error=http_request_error; details="caf???x: y?"',
    );
  });

  it('gives a header value without line breaks or control characters, whatever the details', () => {
    const weird =
      Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('') + '\u2028\ud83d\ude00';
    expect(proxyStatus('proxy_internal_error', weird)).toMatch(/^[\x20-\x7e]+$/);
  });

  it('reads the error token back', () => {
    expect(parseProxyError('passerelle; error=connection_refused; details="x"')).toBe(
      'connection_refused',
    );
    expect(parseProxyError(proxyStatus('destination_ip_prohibited', 'not allowed by policy'))).toBe(
      'destination_ip_prohibited',
    );
    expect(parseProxyError('passerelle')).toBeUndefined();
    expect(parseProxyError(undefined)).toBeUndefined();
  });
});
