// Declared Node versions against reality: package.json's engines admit the Node that runs the
// tests, and the packages of the lock file that refuse it (npm ci's EBADENGINE warnings) are
// exactly the ones docs/desktop.md names, with what they are used for. A dependency update that
// changes the list fails here until the documentation says so.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// npm's own version rules (semver, in node_modules through npm's tooling; it has no types).
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

/** The documented list: the package names in docs/desktop.md's "Node versions" table. */
function documented(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/desktop.md'), 'utf8');
  const section = doc.split('### Node versions')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| `([^`]+)` +\|/gm)].map((m) => m[1] as string).sort();
}

describe('Node versions', () => {
  it('package.json admits the Node that runs this', () => {
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
  });

  it('the packages that refuse the oldest Node package.json admits are the documented ones', () => {
    const oldest = semver.minVersion(pkg.engines.node)?.version ?? '';
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return path !== '' && range && !semver.satisfies(oldest, range);
      })
      .map(([path]) => path.replace(/^.*node_modules\//, ''))
      .sort();
    expect(refusing).toEqual(documented());
  });
});
