import { describe, expect, it } from 'vitest';
import {
  IP_PROTOCOL,
  TCP_FLAGS,
  TcpHeader,
  buildTcpReset,
  isTcpChecksumValid,
  parseIpv4,
  parseTcp,
  rewriteTcpEndpoints,
  type Ipv4Header,
} from '../../../src/shared/packet/index.js';
import * as captures from './fixtures/captures.js';
import {
  hex,
  randomInt,
  referenceIpChecksum,
  referenceTransportChecksum,
  seededRandom,
} from './helpers.js';

const CLIENT = 0xc612fa01; // 198.18.250.1
const SERVER = 0xc612fa02; // 198.18.250.2
const SPARE = 0x644000fe; // 100.64.0.254: the TUN's spare address B of DESIGN §3
const LISTENER_PORT = 40000; // L
const NAT_PORT = 61000; // n

const tcpCaptures = {
  synToClosedPort: captures.synToClosedPort,
  rstFromClosedPort: captures.rstFromClosedPort,
  synToServer: captures.synToServer,
  synAckFromServer: captures.synAckFromServer,
  httpRequest: captures.httpRequest,
  httpResponse: captures.httpResponse,
};

function ipOf(packet: Buffer): Ipv4Header {
  const ip = parseIpv4(packet);
  if (typeof ip === 'string') throw new Error(`bad IPv4 test packet: ${ip}`);
  return ip;
}

function tcpOf(packet: Buffer): TcpHeader {
  const tcp = parseTcp(packet, ipOf(packet));
  if (typeof tcp === 'string') throw new Error(`bad TCP test packet: ${tcp}`);
  return tcp;
}

/** Fixes both checksums from scratch after a test edited the packet. */
function refresh(packet: Buffer): Buffer {
  packet.writeUInt16BE(referenceIpChecksum(packet), 10);
  const ihl = ((packet[0] ?? 0) & 0x0f) * 4;
  packet.writeUInt16BE(referenceTransportChecksum(packet, 16), ihl + 16);
  return packet;
}

describe('parseTcp on real captures', () => {
  it('reads the kernel SYN with its options', () => {
    const tcp = tcpOf(hex(captures.synToClosedPort));
    expect(tcp).toMatchObject({
      sourcePort: 0xc5de,
      destinationPort: 9,
      sequence: 0xf73bd5c9,
      acknowledgment: 0,
      headerLength: 40, // MSS, SACK permitted, timestamps, window scale
      flags: TCP_FLAGS.SYN,
      window: 0xfaf0,
      checksum: 0x9749,
      urgentPointer: 0,
      payloadOffset: 60,
      payloadLength: 0,
    });
    expect(tcp.syn).toBe(true);
    expect(tcp.ack).toBe(false);
  });

  it('reads the kernel RST|ACK answering it', () => {
    const tcp = tcpOf(hex(captures.rstFromClosedPort));
    expect(tcp.rst && tcp.ack).toBe(true);
    expect(tcp.acknowledgment).toBe(0xf73bd5ca);
    expect(tcp.headerLength).toBe(20);
  });

  it('finds the payload of data segments', () => {
    const request = hex(captures.httpRequest);
    const tcp = tcpOf(request);
    expect(tcp.flags).toBe(TCP_FLAGS.PSH | TCP_FLAGS.ACK);
    const payload = request.subarray(tcp.payloadOffset, tcp.payloadOffset + tcp.payloadLength);
    expect(payload.toString('latin1')).toMatch(
      /^GET \/ HTTP\/1\.1\r\nHost: 198\.18\.250\.2:8080\r\n/,
    );
    expect(payload.toString('latin1').endsWith('\r\n\r\n')).toBe(true);

    const response = hex(captures.httpResponse);
    const reply = tcpOf(response);
    expect(
      response.subarray(reply.payloadOffset, reply.payloadOffset + reply.payloadLength).toString(),
    ).toBe('HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n');
  });

  it("verifies the kernel's checksums and spots a flipped payload bit", () => {
    for (const [name, text] of Object.entries(tcpCaptures)) {
      const packet = hex(text);
      expect(isTcpChecksumValid(packet, ipOf(packet)), name).toBe(true);
    }
    const corrupted = hex(captures.httpRequest);
    corrupted[100] = (corrupted[100] ?? 0) ^ 0x04;
    expect(isTcpChecksumValid(corrupted, ipOf(corrupted))).toBe(false);
  });

  it('reuses the header object it is given', () => {
    const reused = new TcpHeader();
    const packet = hex(captures.synAckFromServer);
    expect(parseTcp(packet, ipOf(packet), reused)).toBe(reused);
    expect(reused.flags).toBe(TCP_FLAGS.SYN | TCP_FLAGS.ACK);
  });
});

describe('parseTcp drop reasons', () => {
  it("says 'not-tcp' for other protocols", () => {
    const udp = hex(captures.dnsQuery);
    expect(parseTcp(udp, ipOf(udp))).toBe('not-tcp');
  });

  it('classifies every shortening of every segment, and never throws', () => {
    // The IP total length is shortened consistently, so only TCP's own checks can fail.
    for (const [name, text] of Object.entries(tcpCaptures)) {
      const full = hex(text);
      const headerLength = tcpOf(full).headerLength;
      for (let length = 20; length <= full.length; length++) {
        const packet = Buffer.from(full.subarray(0, length));
        packet.writeUInt16BE(length, 2);
        packet.writeUInt16BE(referenceIpChecksum(packet), 10);
        const result = parseTcp(packet, ipOf(packet));
        const expected =
          length - 20 < 20 ? 'truncated' : length - 20 < headerLength ? 'bad-header-length' : 'ok';
        expect(typeof result === 'string' ? result : 'ok', `${name} at ${length}`).toBe(expected);
        if (typeof result !== 'string')
          expect(result.payloadLength).toBe(length - 20 - headerLength);
      }
    }
  });

  it("says 'bad-header-length' for a data offset below 5 or past the segment", () => {
    for (const offset of [0, 4, 11, 15]) {
      const packet = hex(captures.synToClosedPort); // 40-byte TCP header in a 40-byte segment
      packet[32] = (offset << 4) | ((packet[32] ?? 0) & 0x0f);
      expect(parseTcp(packet, ipOf(packet)), `offset ${offset}`).toBe('bad-header-length');
    }
  });
});

describe('rewriteTcpEndpoints (the NAT of DESIGN §3)', () => {
  it('turns A:p → D:q into B:n → A:L and the listener reply back into D:q → A:p', () => {
    // The application's SYN, A:p → D:q.
    const syn = hex(captures.synToServer);
    const app = tcpOf(syn);
    rewriteTcpEndpoints(syn, 20, SPARE, NAT_PORT, CLIENT, LISTENER_PORT);
    const ip = ipOf(syn);
    expect([ip.source, ip.destination]).toEqual([SPARE, CLIENT]);
    const rewritten = tcpOf(syn);
    expect([rewritten.sourcePort, rewritten.destinationPort]).toEqual([NAT_PORT, LISTENER_PORT]);
    expect(rewritten.sequence).toBe(app.sequence);
    expect(syn.readUInt16BE(10)).toBe(referenceIpChecksum(syn));
    expect(syn.readUInt16BE(36)).toBe(referenceTransportChecksum(syn, 16));
    expect(isTcpChecksumValid(syn, ip)).toBe(true);
    // Back to the original: every byte, checksums included.
    rewriteTcpEndpoints(syn, 20, CLIENT, app.sourcePort, SERVER, app.destinationPort);
    expect(syn.toString('hex')).toBe(captures.synToServer);

    // The listener's SYN-ACK goes A:L → B:n; the NAT makes it D:q → A:p.
    const fromListener = hex(captures.synAckFromServer);
    rewriteTcpEndpoints(fromListener, 20, CLIENT, LISTENER_PORT, SPARE, NAT_PORT);
    expect(isTcpChecksumValid(fromListener, ipOf(fromListener))).toBe(true);
    rewriteTcpEndpoints(fromListener, 20, SERVER, app.destinationPort, CLIENT, app.sourcePort);
    expect(fromListener.toString('hex')).toBe(captures.synAckFromServer);
  });

  it('equals a full recomputation over many random rewrites of every capture (seeded)', () => {
    const random = seededRandom(3022);
    for (const [name, text] of Object.entries(tcpCaptures)) {
      const packet = hex(text);
      for (let round = 0; round < 500; round++) {
        const source = randomInt(random, 0x1_0000_0000);
        const destination = randomInt(random, 0x1_0000_0000);
        const sourcePort = randomInt(random, 0x10000);
        const destinationPort = randomInt(random, 0x10000);
        rewriteTcpEndpoints(packet, 20, source, sourcePort, destination, destinationPort);
        expect(packet.readUInt16BE(10), `${name} #${round} IP`).toBe(referenceIpChecksum(packet));
        expect(packet.readUInt16BE(36), `${name} #${round} TCP`).toBe(
          referenceTransportChecksum(packet, 16),
        );
      }
    }
  });
});

describe('buildTcpReset', () => {
  it("answers the SYN with the kernel's own RST|ACK, byte for byte", () => {
    const reset = buildTcpReset(hex(captures.synToClosedPort));
    expect(reset?.toString('hex')).toBe(captures.rstFromClosedPort);
  });

  it('honours the IP options it is given', () => {
    const reset = buildTcpReset(hex(captures.synToClosedPort), { ttl: 255, identification: 7 });
    if (reset === null) throw new Error('no reset');
    const ip = ipOf(reset);
    expect([ip.ttl, ip.identification]).toEqual([255, 7]);
    expect(isTcpChecksumValid(reset, ip)).toBe(true);
  });

  it('counts SYN, FIN and payload in the acknowledgment', () => {
    const synFin = hex(captures.synToClosedPort);
    synFin[33] = TCP_FLAGS.SYN | TCP_FLAGS.FIN;
    refresh(synFin);
    expect(tcpOf(buildTcpReset(synFin) ?? Buffer.alloc(0)).acknowledgment).toBe(0xf73bd5cb);

    // A SYN carrying 5 bytes of data (TCP Fast Open style).
    const withData = Buffer.concat([hex(captures.synToClosedPort), Buffer.from('hello')]);
    withData.writeUInt16BE(withData.length, 2);
    refresh(withData);
    expect(tcpOf(buildTcpReset(withData) ?? Buffer.alloc(0)).acknowledgment).toBe(0xf73bd5c9 + 6);

    // Sequence numbers wrap.
    const wrapping = hex(captures.synToClosedPort);
    wrapping.writeUInt32BE(0xffffffff, 24);
    refresh(wrapping);
    expect(tcpOf(buildTcpReset(wrapping) ?? Buffer.alloc(0)).acknowledgment).toBe(0);
  });

  it('answers a segment carrying ACK with a bare RST at its acknowledgment number', () => {
    const request = hex(captures.httpRequest);
    const reset = buildTcpReset(request);
    if (reset === null) throw new Error('no reset');
    const ip = ipOf(reset);
    expect([ip.source, ip.destination]).toEqual([SERVER, CLIENT]);
    const tcp = tcpOf(reset);
    expect(tcp).toMatchObject({
      sourcePort: 8080,
      destinationPort: tcpOf(request).sourcePort,
      sequence: tcpOf(request).acknowledgment,
      acknowledgment: 0,
      flags: TCP_FLAGS.RST,
      window: 0,
    });
    expect(isTcpChecksumValid(reset, ip)).toBe(true);
  });

  it('sends nothing for a reset, a non-TCP packet, or a malformed one', () => {
    expect(buildTcpReset(hex(captures.rstFromClosedPort))).toBeNull();
    expect(buildTcpReset(hex(captures.dnsQuery))).toBeNull();
    const syn = hex(captures.synToClosedPort);
    for (let length = 0; length < syn.length; length++) {
      expect(buildTcpReset(syn.subarray(0, length))).toBeNull();
    }
    expect(ipOf(hex(captures.rstFromClosedPort)).protocol).toBe(IP_PROTOCOL.TCP);
  });
});
