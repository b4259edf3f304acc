// The preflight says what a machine lacks, in one apt-get line, before a command fails deep
// inside; and it never asks for a package the CI script does not install.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODES, findProblems, report, type Mode, type Probe } from '../../../scripts/preflight.mjs';

const everything: Probe = { hasProgram: () => true, exists: () => true, uid: 0 };

describe('preflight', () => {
  it('says nothing on a machine that has everything', () => {
    for (const mode of Object.keys(MODES) as Mode[])
      expect(report(mode, findProblems(mode, everything))).toBeNull();
  });

  it('names the missing Debian packages as one apt-get line, root and a prior build', () => {
    const probe: Probe = {
      hasProgram: (name) => !['ip', 'ss', 'dig', 'g++'].includes(name),
      exists: (path) => !path.endsWith('passerelle_native.node') && path !== '/usr/bin/chromium',
      uid: 1000,
    };
    const found = findProblems('test', probe);
    expect(found.packages).toEqual(['chromium', 'dnsutils', 'g++', 'iproute2']);
    const text = report('test', found) ?? '';
    expect(text).toContain('sudo apt-get install -y chromium dnsutils g++ iproute2');
    expect(text).toContain('not root');
    expect(text).toContain('run npm ci (or npx node-gyp rebuild --directory src/native)');
    // The install step needs only the compiler tools, and no root.
    expect(findProblems('install', probe)).toEqual({ packages: ['g++'], problems: [] });
  });

  it("names the libraries the data planes link against, and the native tests' toolchain", () => {
    const probe: Probe = {
      ...everything,
      hasProgram: (name) => name !== 'clang++',
      exists: (path) => !path.startsWith('/usr/include/') && !path.includes('libclang_rt'),
    };
    expect(findProblems('install', probe).packages).toEqual(['libnghttp2-dev', 'libssl-dev']);
    expect(findProblems('test', probe).packages).toEqual([
      'clang',
      'libclang-rt-14-dev',
      'libnghttp2-dev',
      'libssl-dev',
    ]);
  });

  it('asks test:ui for a prior build of the gateway', () => {
    const probe: Probe = { ...everything, exists: (path) => !path.includes('/dist/') };
    expect(report('test-ui', findProblems('test-ui', probe))).toContain('run npm run build first');
  });

  it('accepts a library in any of the usual folders', () => {
    const probe: Probe = {
      ...everything,
      exists: (path) =>
        !path.includes('libsecret') || path === '/usr/lib/aarch64-linux-gnu/libsecret-1.so.0',
    };
    expect(findProblems('test', probe).packages).toEqual([]);
  });

  it('only ever names packages that .ci/run installs', () => {
    const ci = readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');
    const installed = new Set(
      (/apt-get install[^\n]*((?:\n[^\n]*\\)*\n[^\n]*)/.exec(ci)?.[0] ?? '').split(/[\s\\]+/),
    );
    const nothing: Probe = { hasProgram: () => false, exists: () => false, uid: 0 };
    for (const mode of Object.keys(MODES) as Mode[])
      for (const pkg of findProblems(mode, nothing).packages)
        expect(installed.has(pkg), `${pkg} (${mode})`).toBe(true);
  });
});
