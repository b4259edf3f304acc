// The client data-plane addon binds to one copy of OpenSSL and of nghttp2 (DESIGN §4): loaded
// through src/native/load.ts (RTLD_DEEPBIND) every function it calls resolves into Debian's
// shared libraries, not Node's own copies. The second test shows what this guards against:
// the same addon loaded the ordinary way (in a child process, since a library is loaded once
// per process) calls Node's OpenSSL and a mix of nghttp2s.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../../../src/native/load.js';
import { nativeLibraries } from '../../../src/native/client.js';

describe('the client addon binds to one copy of each library', () => {
  it('reaches Debian libssl, libcrypto and libnghttp2 for every call (RTLD_DEEPBIND)', () => {
    const info = nativeLibraries();
    // Debian's versions, not the ones Node was built with.
    expect(info.openssl).toMatch(/^OpenSSL 3\.0\.\d+/);
    expect(info.openssl).not.toContain(process.versions.openssl);
    expect(info.nghttp2).not.toBe(process.versions.nghttp2);
    for (const [fn, object] of Object.entries(info.bindings)) {
      const expected = fn.startsWith('nghttp2_')
        ? /libnghttp2\.so/
        : fn.startsWith('SSL_')
          ? /libssl\.so\.3/
          : /libcrypto\.so\.3/;
      expect(`${fn} → ${object}`).toMatch(expected);
    }
  });

  it('would mix copies if loaded the ordinary way (what the loader prevents)', () => {
    const script = `const m = require(${JSON.stringify(addonPath('passerelle_client'))});
      process.stdout.write(JSON.stringify(m.libraries()));`;
    const plain = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }),
    ) as {
      openssl: string;
      bindings: Record<string, string>;
    };
    expect(plain.openssl).toContain(process.versions.openssl);
    expect(plain.bindings['SSL_write_ex']).not.toMatch(/libssl/);
    expect(plain.bindings['nghttp2_session_client_new2']).not.toMatch(/libnghttp2/);
  });
});
