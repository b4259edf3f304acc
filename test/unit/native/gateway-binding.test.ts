// The gateway's data plane is an executable of its own (docs/gateway-dataplane.md): nothing
// in its process provides OpenSSL or nghttp2 but Debian's libraries. It says which copies its
// calls reach, and those are the ones (DESIGN §4: one copy of each library, proven).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dataPlaneExecutable } from '../../../src/native/gateway.js';

describe('the gateway data plane binds to one copy of each library', () => {
  it("reaches Debian's libssl, libcrypto and libnghttp2 for every call", () => {
    const info = JSON.parse(
      execFileSync(dataPlaneExecutable(), ['--version'], { encoding: 'utf8' }),
    ) as { openssl: string; nghttp2: string; bindings: Record<string, string> };
    expect(info.openssl).toMatch(/^OpenSSL 3\.0\.\d+/);
    expect(info.openssl).not.toContain(process.versions.openssl);
    expect(info.nghttp2).toMatch(/^1\.\d+\.\d+$/);
    expect(Object.keys(info.bindings).length).toBeGreaterThan(4);
    for (const [fn, object] of Object.entries(info.bindings)) {
      const expected = fn.startsWith('nghttp2_')
        ? /libnghttp2\.so/
        : fn.startsWith('SSL_')
          ? /libssl\.so\.3/
          : /libcrypto\.so\.3/;
      expect(`${fn} → ${object}`).toMatch(expected);
    }
  });
});
