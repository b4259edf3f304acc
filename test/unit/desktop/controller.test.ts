import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XdgAutostart } from '../../../src/main/controller/autostart.js';
import { AppController, type ControllerDeps } from '../../../src/main/controller/controller.js';
import { MemoryCredentialStore } from '../../../src/main/controller/keychain.js';
import { SettingsStore } from '../../../src/main/controller/settings.js';
import { EngineDouble } from '../../ui/support/engine-double.js';
import { SCENARIO } from '../../ui/support/scenario.js';

const PW = 'correct horse battery staple';
const login = {
  gatewayUrl: 'https://vpn.corp.test',
  username: 'alice',
  password: PW,
  remember: true,
};

describe('AppController', () => {
  let dir: string;
  let engine: EngineDouble;
  let credentials: MemoryCredentialStore;
  let deps: ControllerDeps;
  let controller: AppController;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-ctl-'));
    engine = new EngineDouble({ ...SCENARIO, connectDelayMs: 1, statsIntervalMs: 60_000 });
    credentials = new MemoryCredentialStore();
    deps = {
      engine,
      settings: new SettingsStore(join(dir, 'settings.json')),
      credentials,
      autostart: new XdgAutostart({ execPath: '/x', configHome: dir }),
      osLocale: 'fr-FR',
      version: '0.0.0',
      platform: 'linux',
    };
    controller = await AppController.create(deps);
  });
  afterEach(async () => {
    await controller.shutdown(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves the profile, and the password only in the keychain after a successful login', async () => {
    await controller.login({ ...login, password: 'wrong' });
    expect(engine.state()).toMatchObject({ kind: 'error', reason: 'bad-credentials' });
    expect(await credentials.get('alice@vpn.corp.test')).toBeNull();

    const profile = await controller.login(login);
    expect(engine.state().kind).toBe('connected');
    expect(await credentials.get('alice@vpn.corp.test')).toBe(PW);
    const file = readFileSync(join(dir, 'settings.json'), 'utf8');
    expect(file).not.toContain(PW);
    expect(JSON.parse(file)).toMatchObject({
      activeProfileId: profile.id,
      profiles: [{ username: 'alice' }],
    });
    expect(controller.profilesSnapshot().remembered).toEqual([profile.id]);
    expect(
      controller.log
        .list()
        .map((l) => l.message)
        .join('\n'),
    ).not.toContain(PW);
  });

  it('connects with the remembered password, forgets it on request', async () => {
    const profile = await controller.login(login);
    await controller.disconnect();
    await controller.connect(null);
    expect(engine.connects.at(-1)).toMatchObject({ username: 'alice', password: PW });
    await controller.disconnect();
    await controller.forgetPassword(profile.id);
    expect(await credentials.get('alice@vpn.corp.test')).toBeNull();
    await expect(controller.connect(null)).rejects.toMatchObject({ code: 'password-needed' });
    expect(controller.trayView().menu[0]).toMatchObject({ id: 'connect', enabled: false });
  });

  it('forgets a remembered password when "remember me" is unticked', async () => {
    await controller.login(login);
    await controller.disconnect();
    await controller.login({ ...login, remember: false });
    expect(await credentials.get('alice@vpn.corp.test')).toBeNull();
  });

  it('refuses to connect twice', async () => {
    await controller.login(login);
    await expect(controller.connect(null)).rejects.toMatchObject({ code: 'busy' });
  });

  it('removing a profile removes its password', async () => {
    const profile = await controller.login(login);
    await controller.disconnect();
    await controller.removeProfile(profile.id);
    expect(await credentials.get('alice@vpn.corp.test')).toBeNull();
    expect(controller.profilesSnapshot()).toEqual({ profiles: [], activeId: null, remembered: [] });
  });

  it('passes the CA file and pin of the profile, and says which file it cannot read', async () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const p = await controller.saveProfile({
      name: 'Corp',
      gatewayUrl: 'https://vpn.corp.test',
      username: 'alice',
      caPath: ca,
      pin: 'sha256:ab',
    });
    await credentials.set('alice@vpn.corp.test', PW);
    await controller.connect(null);
    expect(engine.connects.at(-1)).toMatchObject({
      ca: '-----BEGIN CERTIFICATE-----\n',
      pin: 'sha256:ab',
    });
    await controller.disconnect();
    await controller.saveProfile({ ...p, caPath: join(dir, 'missing.pem') });
    await expect(controller.connect(null)).rejects.toMatchObject({
      code: 'ca-unreadable',
      message: expect.stringContaining('missing.pem'),
    });
  });

  it('connects at start when asked, and starts hidden only when launched at login', async () => {
    await controller.login(login);
    await controller.disconnect();
    await controller.updatePreferences({ connectAtStart: true, startHidden: true });
    controller.dispose();
    controller = await AppController.create(deps);
    expect(await controller.startup({ launchedAtLogin: false })).toEqual({ showWindow: true });
    await expect.poll(() => engine.state().kind).toBe('connected');
    await controller.disconnect();
    expect(await controller.startup({ launchedAtLogin: true })).toEqual({ showWindow: false });
  });

  it('turns start at login on and off through the autostart entry', async () => {
    await controller.updatePreferences({ startAtLogin: true });
    expect(await deps.autostart.isEnabled()).toBe(true);
    await controller.updatePreferences({ startAtLogin: false });
    expect(await deps.autostart.isEnabled()).toBe(false);
  });

  it('derives live rates from stats samples', async () => {
    let now = 1_000;
    controller.dispose();
    controller = await AppController.create({ ...deps, now: () => now });
    const seen: number[] = [];
    controller.attachRenderer({
      app: {},
      tunnel: {
        stats: (s) => seen.push(s.bytesInPerSecond),
        state: () => undefined,
        resources: () => undefined,
      },
      profiles: { changed: () => undefined },
      preferences: { changed: () => undefined },
      logs: { line: () => undefined },
    });
    const base = engine.stats();
    const emit = (bytesIn: number) =>
      (engine as unknown as { emit(e: string, s: unknown): void }).emit('stats', {
        ...base,
        bytesIn,
      });
    emit(0);
    now += 2_000;
    emit(10_000);
    expect(seen).toEqual([0, 5_000]);
  });

  it('quits cleanly: disconnects the engine first', async () => {
    await controller.login(login);
    await controller.shutdown(1000);
    expect(engine.state().kind).toBe('disconnected');
  });

  it('uses the OS language for the tray unless one is chosen', async () => {
    expect(controller.trayView().menu.at(-1)?.label).toBe('Quitter');
    await controller.updatePreferences({ language: 'en' });
    expect(controller.trayView().menu.at(-1)?.label).toBe('Quit');
  });
});
