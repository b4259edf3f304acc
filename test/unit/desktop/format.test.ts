import { describe, expect, it } from 'vitest';
import { fingerprintIn, formatMs, formatPorts, formatRate } from '../../../src/renderer/format.js';
import { MESSAGES } from '../../../src/renderer/i18n/messages.js';
import { niceCeiling } from '../../../src/renderer/parts/TrafficGraph.js';
import {
  HISTORY_MAX_SAMPLES,
  HISTORY_WINDOW_MS,
  appendSample,
  type TrafficSample,
} from '../../../src/shared/traffic-history.js';

const HEX =
  'E5:D0:3A:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD';

describe('fingerprintIn', () => {
  it("reads the engine's untrusted-certificate message", () => {
    const message = `the gateway's certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE); sha256 fingerprint ${HEX}`;
    expect(fingerprintIn(message)).toBe(`sha256:${HEX}`);
  });

  it('reads the pin-mismatch message and plain hex', () => {
    expect(
      fingerprintIn(
        `the gateway's certificate (sha256 ${HEX}) does not match the pinned fingerprint`,
      ),
    ).toBe(`sha256:${HEX}`);
    const plain = HEX.replace(/:/g, '').toLowerCase();
    expect(fingerprintIn(`sha256 ${plain}`)).toBe(`sha256:${plain.toUpperCase()}`);
  });

  it('keeps a pin already in sha256: form and finds nothing in other messages', () => {
    expect(fingerprintIn(`pin sha256:${HEX}`)).toBe(`sha256:${HEX}`);
    expect(fingerprintIn('wrong user name, password or one-time code')).toBeNull();
  });
});

describe('ports, round trips, sizes', () => {
  const labels = { allPorts: 'All ports', pingOnly: 'No ports (ping)' };
  it('names well-known services; ICMP-only resources have no ports', () => {
    expect(formatPorts([{ from: 22, to: 22 }], labels, ['tcp'])).toBe('22 (SSH)');
    expect(
      formatPorts(
        [
          { from: 80, to: 80 },
          { from: 8000, to: 8099 },
          { from: 4711, to: 4711 },
        ],
        labels,
        ['tcp'],
      ),
    ).toBe('80 (HTTP), 8000–8099, 4711');
    expect(formatPorts([], labels, ['tcp', 'icmp'])).toBe('All ports');
    expect(formatPorts([], labels, ['icmp'])).toBe('No ports (ping)');
    expect(formatPorts([{ from: 7, to: 7 }], labels, ['icmp'])).toBe('No ports (ping)');
  });

  it('shows sub-10 ms round trips with a decimal, axis sizes without a useless one', () => {
    const m = MESSAGES.en;
    expect(formatMs(0.42, 'en', m)).toBe('0.4 ms');
    expect(formatMs(23.4, 'en', m)).toBe('23 ms');
    expect(formatMs(0, 'en', m)).toBe('0 ms');
    expect(formatRate(500_000, 'en', m, true)).toBe('500 kB/s');
    expect(formatRate(2_500_000, 'en', m, true)).toBe('2.5 MB/s');
    expect(formatRate(2_500_000, 'fr', MESSAGES.fr, true)).toBe('2,5 Mo/s');
    expect(formatRate(512_345, 'en', m)).toBe('512.3 kB/s');
  });

  it('rounds graph scales to values whose halves are round too', () => {
    expect([0, 1, 900, 1100, 2100, 4500, 6000, 12_000].map(niceCeiling)).toEqual([
      1, 1, 1000, 2000, 4000, 5000, 10_000, 20_000,
    ]);
  });
});

describe('traffic history', () => {
  const at = (t: number): TrafficSample => ({
    at: t,
    inPerSecond: t,
    outPerSecond: 0,
    rttMs: null,
  });
  it('keeps the last five minutes, in order, bounded', () => {
    let history = [at(0)];
    history = appendSample(history, at(HISTORY_WINDOW_MS - 1));
    expect(history.map((s) => s.at)).toEqual([0, HISTORY_WINDOW_MS - 1]);
    history = appendSample(history, at(HISTORY_WINDOW_MS + 1000));
    expect(history.map((s) => s.at)).toEqual([HISTORY_WINDOW_MS - 1, HISTORY_WINDOW_MS + 1000]);
    // A clock that went back: the older-looking samples go rather than draw backwards.
    expect(appendSample(history, at(5)).map((s) => s.at)).toEqual([5]);
    let many: TrafficSample[] = [];
    for (let t = 0; t < HISTORY_MAX_SAMPLES + 50; t++) many = appendSample(many, at(t));
    expect(many).toHaveLength(HISTORY_MAX_SAMPLES);
    expect(many.at(-1)?.at).toBe(HISTORY_MAX_SAMPLES + 49);
  });
});
