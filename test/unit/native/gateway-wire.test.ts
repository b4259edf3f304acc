// The two ends of the control channel agree on bytes: the TypeScript encoder writes exactly
// what src/native/gateway/test/codec_test.cc reads, and the events that test writes are read
// here. Plus the reader's own guards: truncated fields, oversized frames, any chunking.
import { describe, expect, it } from 'vitest';
import {
  FrameSplitter,
  MalformedMessage,
  MessageReader,
  MessageWriter,
  Up,
  decodeEvents,
  encodeSubject,
} from '../../../src/native/gateway-wire.js';

/** Also in codec_test.cc (kSubject). */
const SUBJECT =
  '4d0000000207000000020000000300000077656203000000646e73020000000101000000000000000a0012c6' +
  'ffffffff0100020050005000401fa31f000200000001000000000000000000000007010000';

/** Written by codec_test.cc (kEvents). */
const EVENTS =
  'a9000000690600000001030000000102030000000002040001000000030000007765620a0012c62050001000' +
  '000000000000a0000000000000001500000000000000020300000002010000ffffffff000000000000000000' +
  '00000000000000000000000000000000000000000000080000006c6f6f706261636b050c000000666c6f772d' +
  '736f636b657473280000000000000003010b00000063617073756c652d746f6f020000000409000000';

describe('the control channel', () => {
  it('encodes a subject as the data plane reads it', () => {
    const message = encodeSubject(7, {
      resourceNames: ['web', 'dns'],
      rules: [
        {
          allow: true,
          policy: 1,
          resource: 0,
          network: 0xc612000a,
          mask: 0xffffffff,
          protocols: 1,
          coversIcmp: false,
          ports: [
            { from: 80, to: 80 },
            { from: 8000, to: 8099 },
          ],
        },
        {
          allow: false,
          policy: 2,
          resource: 1,
          network: 0,
          mask: 0,
          protocols: 7,
          coversIcmp: true,
          ports: [],
        },
      ],
    });
    expect(message.toString('hex')).toBe(SUBJECT);
  });

  it('decodes the events the data plane writes', () => {
    const [frame] = new FrameSplitter().push(Buffer.from(EVENTS, 'hex'));
    expect(frame?.type).toBe(Up.events);
    const events = decodeEvents(new MessageReader(frame!.fields));
    expect(events).toEqual([
      { kind: 'flowOpen', session: 3, protocol: 'udp' },
      {
        kind: 'flowEnd',
        session: 3,
        protocol: 'tcp',
        verdict: 'error',
        error: 'connection_refused',
        opened: false,
        policy: 1,
        resource: 'web',
        destination: 0xc612000a,
        prefix: 32,
        port: 80,
        bytesUp: 16,
        bytesDown: 160,
        durationMs: 21,
        reserved: undefined,
      },
      {
        kind: 'flowEnd',
        session: 3,
        protocol: 'icmp',
        verdict: 'deny',
        error: undefined,
        opened: false,
        policy: null,
        resource: null,
        destination: 0,
        prefix: 0,
        port: undefined,
        bytesUp: 0,
        bytesDown: 0,
        durationMs: 0,
        reserved: 'loopback',
      },
      { kind: 'gauge', name: 'flow-sockets', value: 40 },
      { kind: 'counter', family: 'malformed', name: 'capsule-too', delta: 2 },
      { kind: 'sessionDropped', session: 9 },
    ]);
  });

  it('refuses fields that run past their message, and oversized frames', () => {
    const truncated = new MessageWriter(Up.events).u32(1).u8(1).u32(3).finish().subarray(5);
    expect(() => decodeEvents(new MessageReader(truncated))).toThrow(MalformedMessage);
    const claims = Buffer.from('ffffffff', 'hex');
    expect(() => new MessageReader(claims).bytes()).toThrow(MalformedMessage);
    const huge = Buffer.alloc(5);
    huge.writeUInt32LE(64 * 1024 * 1024, 0);
    expect(() => new FrameSplitter().push(huge)).toThrow(MalformedMessage);
    const unknown = new MessageWriter(Up.events).u32(1).u8(99).finish().subarray(5);
    expect(() => decodeEvents(new MessageReader(unknown))).toThrow(/unknown event kind 99/);
  });

  it('cuts frames the same whatever the chunking', () => {
    const bytes = Buffer.concat([Buffer.from(EVENTS, 'hex'), Buffer.from(EVENTS, 'hex')]);
    for (let step = 1; step < bytes.length; step += 5) {
      const splitter = new FrameSplitter();
      let frames = 0;
      for (let at = 0; at < bytes.length; at += step) {
        for (const frame of splitter.push(bytes.subarray(at, at + step))) {
          expect(decodeEvents(new MessageReader(frame.fields))).toHaveLength(6);
          frames++;
        }
      }
      expect(frames).toBe(2);
    }
  });
});
