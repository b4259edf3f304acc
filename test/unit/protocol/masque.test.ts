import { describe, expect, it } from 'vitest';
import {
  CONNECT_IP,
  CONNECT_UDP,
  connectIpPath,
  connectUdpPath,
  parseMasquePath,
} from '../../../src/shared/protocol/masque.js';

describe('MASQUE paths', () => {
  it('builds the default well-known templates (RFC 9298 §2, RFC 9484 §4.6)', () => {
    expect(connectUdpPath('198.18.0.53', 53)).toBe('/.well-known/masque/udp/198.18.0.53/53/');
    expect(connectUdpPath('2001:db8::1', 443)).toBe(
      '/.well-known/masque/udp/2001%3Adb8%3A%3A1/443/',
    );
    expect(connectIpPath('*', 1)).toBe('/.well-known/masque/ip/*/1/');
    expect(connectIpPath('198.18.0.0/24', 1)).toBe('/.well-known/masque/ip/198.18.0.0%2F24/1/');
  });

  it('parses valid connect-udp paths, with or without the trailing slash, ignoring a query', () => {
    expect(parseMasquePath(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/53/')).toEqual({
      kind: 'udp',
      host: '198.18.0.53',
      port: 53,
    });
    expect(parseMasquePath(CONNECT_UDP, '/.well-known/masque/udp/app.corp.test/65535')).toEqual({
      kind: 'udp',
      host: 'app.corp.test',
      port: 65535,
    });
    expect(parseMasquePath(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/1/?x=1')).toEqual({
      kind: 'udp',
      host: '198.18.0.53',
      port: 1,
    });
  });

  it('decodes percent-encoded hosts and targets', () => {
    expect(parseMasquePath(CONNECT_UDP, '/.well-known/masque/udp/2001%3Adb8%3A%3A1/443/')).toEqual({
      kind: 'udp',
      host: '2001:db8::1',
      port: 443,
    });
    expect(parseMasquePath(CONNECT_UDP, '/.well-known/masque/udp/app%2Ecorp%2etest/53/')).toEqual({
      kind: 'udp',
      host: 'app.corp.test',
      port: 53,
    });
    expect(parseMasquePath(CONNECT_IP, '/.well-known/masque/ip/198.18.0.0%2F24/1/')).toEqual({
      kind: 'ip',
      target: '198.18.0.0/24',
      ipproto: 1,
    });
    expect(parseMasquePath(CONNECT_IP, '/.well-known/masque/ip/*/*/')).toEqual({
      kind: 'ip',
      target: '*',
      ipproto: '*',
    });
    expect(parseMasquePath(CONNECT_IP, connectIpPath('198.18.0.10', 1))).toEqual({
      kind: 'ip',
      target: '198.18.0.10',
      ipproto: 1,
    });
  });

  it('round-trips what it builds', () => {
    for (const [host, port] of [
      ['198.18.0.53', 53],
      ['a-b.corp.test', 8080],
      ['::1', 1],
    ] as const) {
      expect(parseMasquePath(CONNECT_UDP, connectUdpPath(host, port))).toEqual({
        kind: 'udp',
        host,
        port,
      });
    }
  });

  it('reports malformed paths without throwing', () => {
    const invalid = (protocol: string, path: string) => {
      const r = parseMasquePath(protocol, path);
      expect(r.kind, `${protocol} ${path}`).toBe('invalid');
      return r.kind === 'invalid' ? r.reason : '';
    };
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/0/')).toBe(
      'bad target port "0"',
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/65536/')).toBe(
      'bad target port "65536"',
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/dns/')).toBe(
      'bad target port "dns"',
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/-1/')).toMatch(
      /bad target port/,
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp//53/')).toBe('bad target host');
    expect(invalid(CONNECT_UDP, `/.well-known/masque/udp/${'a'.repeat(254)}/53/`)).toBe(
      'bad target host',
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/%zz/53/')).toBe(
      'bad percent-encoding in path',
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/53/extra/')).toMatch(
      /^unexpected path/,
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/53/x')).toMatch(
      /^unexpected path/,
    );
    expect(invalid(CONNECT_UDP, '/.well-known/masque/udp/198.18.0.53/')).toBe('bad target port ""');
    expect(invalid(CONNECT_UDP, '/masque/udp/198.18.0.53/53/')).toMatch(/^unexpected path/);
    expect(invalid(CONNECT_UDP, '')).toMatch(/^unexpected path/);
    expect(invalid(CONNECT_UDP, '/.well-known/masque/ip/*/1/')).toBe(
      'path does not match :protocol connect-udp',
    );
    expect(invalid(CONNECT_IP, '/.well-known/masque/udp/198.18.0.53/53/')).toBe(
      'path does not match :protocol connect-ip',
    );
    expect(invalid('websocket', '/.well-known/masque/udp/198.18.0.53/53/')).toMatch(
      /does not match/,
    );
    expect(invalid(CONNECT_IP, '/.well-known/masque/ip/*/256/')).toBe('bad ipproto "256"');
    expect(invalid(CONNECT_IP, '/.well-known/masque/ip/*/icmp/')).toBe('bad ipproto "icmp"');
    expect(invalid(CONNECT_IP, '/.well-known/masque/ip//1/')).toBe('bad target');
  });
});
