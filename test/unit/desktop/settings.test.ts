import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SettingsStore,
  defaultSettings,
  validateSettings,
} from '../../../src/main/controller/settings.js';

const good = {
  version: 1,
  profiles: [
    {
      id: 'p1',
      name: 'Corp',
      gatewayUrl: 'https://vpn.corp.test',
      username: 'alice',
      pin: 'sha256:abcd',
    },
  ],
  activeProfileId: 'p1',
  preferences: {
    startAtLogin: true,
    connectAtStart: false,
    startHidden: true,
    language: 'fr',
    theme: 'dark',
  },
};

describe('settings validation', () => {
  it('accepts a well-formed file', () => {
    expect(validateSettings(good)).toEqual({ ok: true, settings: good });
  });

  it.each([
    [
      'a plain-http gateway',
      { profiles: [{ ...good.profiles[0], gatewayUrl: 'http://vpn.corp.test' }] },
      'profiles.0.gatewayUrl',
    ],
    [
      'a gateway with a path',
      { profiles: [{ ...good.profiles[0], gatewayUrl: 'https://vpn/x' }] },
      'profiles.0.gatewayUrl',
    ],
    ['a bad pin', { profiles: [{ ...good.profiles[0], pin: 'md5:00' }] }, 'profiles.0.pin'],
    [
      'an unknown language',
      { preferences: { ...good.preferences, language: 'de' } },
      'preferences.language',
    ],
    ['a dangling active profile', { activeProfileId: 'nope' }, 'activeProfileId'],
    ['a password field', { password: 'secret' }, '(root)'],
    ['a wrong version', { version: 2 }, 'version'],
  ])('refuses %s, naming the field', (_what, patch, where) => {
    const result = validateSettings({ ...good, ...patch });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(where);
  });

  it('refuses duplicate profile ids', () => {
    const result = validateSettings({ ...good, profiles: [good.profiles[0], good.profiles[0]] });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringContaining('duplicate profile id'),
    });
  });
});

describe('settings file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-settings-'));
    path = join(dir, 'settings.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses defaults when there is no file, and writes 0600 atomically', async () => {
    const store = new SettingsStore(path);
    expect(await store.load()).toEqual({ settings: defaultSettings(), problem: null });
    await store.save(good as never);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(good);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await store.load()).settings).toEqual(good);
  });

  it('refuses broken JSON with path and reason, keeps a .bad copy and leaves the file alone', async () => {
    writeFileSync(path, '{"version": 1,');
    const store = new SettingsStore(path);
    const loaded = await store.load();
    expect(loaded.settings).toEqual(defaultSettings());
    expect(loaded.problem).toMatchObject({ path, backupPath: `${path}.bad` });
    expect(loaded.problem?.reason).toMatch(/not valid JSON/);
    expect(readFileSync(`${path}.bad`, 'utf8')).toBe('{"version": 1,');
    expect(readFileSync(path, 'utf8')).toBe('{"version": 1,');
  });

  it('refuses a file that fails the schema the same way', async () => {
    const bad = JSON.stringify({ ...good, preferences: { ...good.preferences, theme: 'purple' } });
    writeFileSync(path, bad);
    const loaded = await new SettingsStore(path).load();
    expect(loaded.problem?.reason).toContain('preferences.theme');
    expect(readFileSync(path, 'utf8')).toBe(bad);
    expect(existsSync(`${path}.bad`)).toBe(true);
  });
});
