import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XdgAutostart } from '../../../src/main/controller/autostart.js';
import { AppController, type ControllerDeps } from '../../../src/main/controller/controller.js';
import { MemoryCredentialStore } from '../../../src/main/controller/keychain.js';
import { SettingsStore } from '../../../src/main/controller/settings.js';
import { EngineDouble } from '../../ui/support/engine-double.js';
import { fakeCertificate, scenario } from '../../ui/support/scenario.js';
import type { IpcNotifiers } from '../../../src/shared/ipc.js';
import type { PasserelleSchema } from '../../../src/shared/ipc-schema.js';

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
    engine = new EngineDouble({ ...scenario(), phaseDelayMs: 1, statsIntervalMs: 60_000 });
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

    const { profile, passwordNotSaved } = await controller.login(login);
    expect(passwordNotSaved).toBeNull();
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
    const { profile } = await controller.login(login);
    await controller.disconnect();
    await controller.connect(null);
    expect(engine.connects.at(-1)).toMatchObject({ username: 'alice', password: PW });
    await controller.disconnect();
    await controller.forgetPassword(profile.id);
    expect(await credentials.get('alice@vpn.corp.test')).toBeNull();
    await expect(controller.connect(null)).rejects.toMatchObject({ code: 'password-needed' });
    expect(controller.trayView().menu).toContainEqual({
      kind: 'action',
      label: 'Se connecter',
      enabled: false,
      action: { type: 'connect' },
    });
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
    const { profile } = await controller.login(login);
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
    controller.attachRenderer(
      renderer({ tunnel: { stats: (s) => seen.push(s.bytesInPerSecond) } }),
    );
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
    // The graph's history: one sample per stats event, in the snapshot for a window opened later.
    const history = (await controller.handlers().tunnel.snapshot(null)).history;
    expect(history).toEqual([
      { at: 1_000, inPerSecond: 0, outPerSecond: 0, rttMs: null },
      { at: 3_000, inPerSecond: 5_000, outPerSecond: 0, rttMs: null },
    ]);
  });

  it('quits cleanly: disconnects the engine first', async () => {
    await controller.login(login);
    await controller.shutdown(1000);
    expect(engine.state().kind).toBe('disconnected');
  });

  it('uses the OS language for the tray unless one is chosen', async () => {
    expect(controller.trayView().menu.at(-1)).toMatchObject({ label: 'Quitter' });
    await controller.updatePreferences({ language: 'en' });
    expect(controller.trayView().menu.at(-1)).toMatchObject({ label: 'Quit' });
  });

  it('writes one log line per state change, each phase included, never twice', async () => {
    controller.log.clear();
    await controller.login(login);
    await controller.disconnect();
    expect(controller.log.list().map((l) => l.message)).toEqual([
      'Connecting to vpn.corp.test as alice: looking up the gateway.',
      'Opening a secure connection to vpn.corp.test.',
      'Signing in to vpn.corp.test.',
      'Signed in; setting up the network (tunnel device, routes, DNS).',
      'Connected to vpn.corp.test, intranet address 100.64.0.2 (split tunnel to 198.18.0.0/23, 10.20.0.0/16).',
      'Password for alice@vpn.corp.test saved in the system keychain.',
      'Disconnecting.',
      'Disconnected.',
    ]);
  });

  it('says when the keychain refuses the password, keeps the tunnel, and can try again', async () => {
    let broken = true;
    const store = new MemoryCredentialStore();
    deps.credentials = {
      get: (a) => store.get(a),
      delete: (a) => store.delete(a),
      set: async (a, p) => {
        if (broken) throw new Error('The name org.freedesktop.secrets was not provided');
        await store.set(a, p);
      },
    };
    controller.dispose();
    controller = await AppController.create(deps);
    const result = await controller.login(login);
    expect(engine.state().kind).toBe('connected');
    expect(result.passwordNotSaved).toContain('org.freedesktop.secrets');
    expect(controller.profilesSnapshot().remembered).toEqual([]);
    broken = false;
    await controller.rememberPassword(result.profile.id, PW);
    expect(await store.get('alice@vpn.corp.test')).toBe(PW);
    expect(controller.profilesSnapshot().remembered).toEqual([result.profile.id]);
  });

  it('tells the window when the refused settings file has been replaced', async () => {
    writeFileSync(join(dir, 'settings.json'), '{ not json');
    controller.dispose();
    controller = await AppController.create(deps);
    expect(controller.info().settingsProblem).not.toBeNull();
    const infos: unknown[] = [];
    controller.attachRenderer(renderer({ app: { infoChanged: (i) => infos.push(i) } }));
    await controller.updatePreferences({ theme: 'dark' });
    expect(controller.info().settingsProblem).toBeNull();
    expect(infos).toEqual([expect.objectContaining({ settingsProblem: null })]);
  });

  it('switches profiles: the tunnel follows when the new one has a saved password', async () => {
    const { profile: a } = await controller.login(login);
    await credentials.set('bob@other.corp.test', 'bobs-password');
    const b = await controller.saveProfile({
      name: 'Other',
      gatewayUrl: 'https://other.corp.test',
      username: 'bob',
    });
    await controller.saveProfile({ ...b }); // keeps a as the active one
    expect(controller.profilesSnapshot().activeId).toBe(a.id);
    // other.corp.test does not answer in the double: the switch ends in an error, on b.
    expect(await controller.trayAction({ type: 'select-profile', id: b.id })).toBe('open-window');
    expect(controller.profilesSnapshot().activeId).toBe(b.id);
    expect(engine.connects.at(-1)).toMatchObject({ gatewayUrl: 'https://other.corp.test' });
    // Back to a while idle: only selected.
    expect(await controller.switchProfile(a.id)).toBe('switched');
    await controller.connect(null);
    await credentials.delete('bob@other.corp.test');
    await controller.forgetPassword(b.id);
    expect(await controller.switchProfile(b.id)).toBe('needs-password');
    expect(engine.state().kind).toBe('disconnected');
  });

  it('cancels a connection under way', async () => {
    engine = new EngineDouble({ ...scenario(), phaseDelayMs: 5_000 });
    controller.dispose();
    controller = await AppController.create({ ...deps, engine });
    const attempt = controller.login(login);
    await expect.poll(() => engine.state().kind).toBe('connecting');
    const started = Date.now();
    await controller.disconnect();
    await attempt;
    expect(Date.now() - started).toBeLessThan(3000); // the phase alone lasts 5 s
    expect(engine.state().kind).toBe('disconnected');
  });

  it('does not start hidden, and closing minimizes or quits, on a desktop without a tray', async () => {
    await controller.login(login);
    await controller.updatePreferences({ startHidden: true });
    expect(controller.windowCloseAction()).toBe('hide');
    controller.dispose();
    controller = await AppController.create({ ...deps, trayAvailable: false });
    expect(await controller.startup({ launchedAtLogin: true })).toEqual({ showWindow: true });
    expect(controller.info().trayAvailable).toBe(false);
    expect(controller.windowCloseAction()).toBe('minimize'); // the tunnel is still up
    await controller.disconnect();
    expect(controller.windowCloseAction()).toBe('quit');
  });

  it('copies diagnostics and the log without a password, code or token', async () => {
    let clipboard = '';
    const saved: { name: string; content: string }[] = [];
    const token = 'tK3n-abcdefghijklmnopqrstuvwxyzABCDEFGHIJ01';
    engine = new EngineDouble({ ...scenario(), phaseDelayMs: 1, leakToken: token });
    controller.dispose();
    controller = await AppController.create({
      ...deps,
      engine,
      installKind: 'deb',
      system: 'linux 6.1.0 x64',
      runtime: 'Electron 45.5.0',
      writeClipboard: (text) => (clipboard = text),
      saveTextFile: async (name, content) => {
        saved.push({ name, content });
        return `/home/alice/${name}`;
      },
    });
    await controller.login({ ...login, username: 'bob', password: 'bobs-password' });
    await controller.login({
      ...login,
      username: 'bob',
      password: 'bobs-password',
      otp: '918273',
    });
    expect(engine.state().kind).toBe('connected');
    const handlers = controller.handlers();
    const text = await handlers.app.copyDiagnostics(null);
    expect(clipboard).toBe(text);
    expect(text).toContain('Version: 0.0.0 (deb)');
    expect(text).toContain('System: linux 6.1.0 x64; Electron 45.5.0');
    expect(text).toMatch(/State: connected to vpn\.corp\.test, intranet address 100\.64\.0\.2/);
    expect(text).toContain('Counters:');
    expect(text).toMatch(
      /Last problems \(\d+\):\n {2}\S+ warn +vpn\.corp\.test asks for a one-time code \(otp-required\)/,
    );
    for (const secret of ['bobs-password', '918273', token, PW]) expect(text).not.toContain(secret);
    expect(text).toContain('authorization: [redacted]');

    await handlers.logs.copy(null);
    expect(clipboard).toContain('Signing in to vpn.corp.test.');
    expect(clipboard).not.toContain(token);
    expect(await handlers.logs.save(null)).toEqual({
      path: expect.stringMatching(/^\/home\/alice\/passerelle-log-.*\.txt$/),
    });
    expect(saved[0]?.content).toContain('Signing in to vpn.corp.test.');
    expect(saved[0]?.content).not.toContain(token);
  });

  it('asks again when the certificate changes after it was trusted', async () => {
    const untrusted = new EngineDouble({ ...scenario(), phaseDelayMs: 1, trustedBySystem: false });
    controller.dispose();
    controller = await AppController.create({ ...deps, engine: untrusted });
    await controller.login(login);
    const state = untrusted.state();
    expect(state).toMatchObject({
      kind: 'error',
      reason: 'untrusted-certificate',
      certificate: { problem: 'self-signed', subject: 'CN=vpn.corp.test, O=Corp' },
    });
    const key = state.kind === 'error' ? state.certificate?.spkiSha256 : '';
    const profile = controller.profilesSnapshot().profiles[0]!;
    await controller.saveProfile({ ...profile, pin: `spki-sha256:${key}` });
    await controller.login(login);
    expect(untrusted.state().kind).toBe('connected');
    await controller.disconnect();
    // Renewed with the same key: no question.
    untrusted.replaceCertificate(fakeCertificate('renewed', 'first'));
    await controller.connect(null);
    expect(untrusted.state().kind).toBe('connected');
    await controller.disconnect();
    // Another key: a changed certificate.
    untrusted.replaceCertificate(fakeCertificate('intercepted'));
    await controller.connect(null);
    expect(untrusted.state()).toMatchObject({
      kind: 'error',
      reason: 'certificate-changed',
      certificate: { problem: 'pin-mismatch' },
    });
  });
});

/** A renderer that ignores every notification but the ones given. */
function renderer(overrides: {
  [G in keyof IpcNotifiers<PasserelleSchema>]?: Partial<IpcNotifiers<PasserelleSchema>[G]>;
}): IpcNotifiers<PasserelleSchema> {
  const ignore = () => undefined;
  return {
    app: { infoChanged: ignore, ...overrides.app },
    tunnel: { state: ignore, stats: ignore, resources: ignore, ...overrides.tunnel },
    profiles: { changed: ignore, ...overrides.profiles },
    preferences: { changed: ignore, ...overrides.preferences },
    logs: { line: ignore, ...overrides.logs },
  };
}
