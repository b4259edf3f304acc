// The GUI's own privilege rules (src/main/controller/privilege.ts): never as root in the
// installed app; the developer overrides exist in unpackaged builds only.
import { describe, expect, it } from 'vitest';
import { devToolsAllowed, rootRefusal } from '../../../src/main/controller/privilege.js';

describe('rootRefusal', () => {
  it('lets an ordinary user start, packaged or not', () => {
    expect(rootRefusal(1000, [], {}, true)).toBeNull();
    expect(rootRefusal(1000, [], {}, false)).toBeNull();
  });

  it('refuses root, naming the helper service that does the privileged part', () => {
    expect(rootRefusal(0, [], {}, true)).toMatch(/must not be run as root.*passerelle-helper/);
  });

  it('lets a developer override it in an unpackaged build only', () => {
    expect(rootRefusal(0, ['--dev-allow-root'], {}, false)).toBeNull();
    expect(rootRefusal(0, [], { PASSERELLE_DEV_ALLOW_ROOT: '1' }, false)).toBeNull();
    const packaged = rootRefusal(0, ['--dev-allow-root'], { PASSERELLE_DEV_ALLOW_ROOT: '1' }, true);
    expect(packaged).toMatch(/must not be run as root/);
    expect(packaged).not.toMatch(/--dev-allow-root/);
  });
});

describe('devToolsAllowed', () => {
  it('only when asked for, and never in the installed app', () => {
    expect(devToolsAllowed(['--dev-tools'], false)).toBe(true);
    expect(devToolsAllowed([], false)).toBe(false);
    expect(devToolsAllowed(['--dev-tools'], true)).toBe(false);
  });
});
