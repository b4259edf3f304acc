import { describe, expect, it } from 'vitest';
import { fingerprintIn } from '../../../src/renderer/format.js';

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
